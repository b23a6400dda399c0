package trace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
)

// WriteJSON writes r as trace.json: indented, fields in a fixed order, every
// list in canonical order, so the same result gives the same bytes.
//
// The bytes are json.MarshalIndent's with two-space indents, written one
// list element at a time, so that a trace of a million ledger steps is
// never encoded whole in memory, and with the invisible and bidirectional
// characters of third-party text escaped (untrusted.JSON), so that the
// file reads as it is in a terminal or an editor. A time trace.json cannot hold (CheckTimes)
// is an input error, returned before anything is written.
func WriteJSON(w io.Writer, r *Result) error {
	if err := CheckTimes(r); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	fields := resultFields(r)
	bw.WriteString("{")
	first := true
	for _, f := range fields {
		if f.omitEmpty && f.n() == 0 {
			continue
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n  ")
		name, _ := json.Marshal(f.name)
		bw.Write(name)
		bw.WriteString(": ")
		if err := f.write(bw); err != nil {
			return fmt.Errorf("encode trace: %s: %w", f.name, err)
		}
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// ReadJSON reads a trace.json as WriteJSON writes it. A file that is not
// one is an input error (chains.InputError) wrapping a *ParseError: JSON
// that does not parse, a value of the wrong type or form (an address that
// is not one, an amount that is negative or not a decimal integer), a
// field Result does not have, data after the trace, a schema other than
// Schema, or a trace that contradicts itself (see check: an unknown rule,
// kind or category, a by_source list naming a source that does not exist,
// taint above what carried it, endpoints holding more of a victim payment
// than it carried, a holding that is no freeze target). The error names
// the line where it can. A failing reader is returned as it is.
func ReadJSON(r io.Reader) (*Result, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var res Result
	if err := dec.Decode(&res); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, parseError(lineAt(b, se.Offset), err)
		case errors.As(err, &te):
			return nil, parseError(lineAt(b, te.Offset), err)
		}
		return nil, parseError(badElement(b, err))
	}
	if dec.More() {
		return nil, parseError(lineAt(b, dec.InputOffset()), errors.New("data after the trace"))
	}
	if res.Schema != Schema {
		return nil, parseError(0, fmt.Errorf("schema %q, want %q (re-run freezetrace trace)", res.Schema, Schema))
	}
	if p := check(&res); p != nil {
		return nil, parseError(elementLine(b, p.field, p.index), p)
	}
	// A time in a zone whose year is 9999 can be past it in UTC, which
	// ledger.csv writes: what is read can be written again.
	if err := timesOf(&res); err != nil {
		return nil, parseError(0, err)
	}
	return &res, nil
}

// ParseError is what is wrong with a trace.json that ReadJSON cannot
// read. Line is the line of the problem, 0 when it concerns the whole file
// (an unknown field, the schema).
type ParseError struct {
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

func parseError(line int, err error) error {
	return chains.Invalid(&ParseError{Line: line, Err: err})
}

// lineAt is the line of byte offset off in b, counting from 1.
func lineAt(b []byte, off int64) int {
	off = min(max(off, 0), int64(len(b)))
	return bytes.Count(b[:off], []byte("\n")) + 1
}

// jsonField is one field of Result in trace.json: its name, and how to
// write its value at the first level of indentation.
type jsonField struct {
	name      string
	omitEmpty bool
	n         func() int // the length of a list (1 for a single value)
	write     func(*bufio.Writer) error
}

// resultFields lists Result's fields in declaration order (a test holds
// it to the struct).
func resultFields(r *Result) []jsonField {
	one := func(name string, v any) jsonField {
		return jsonField{name: name, n: func() int { return 1 }, write: func(w *bufio.Writer) error { return writeIndented(w, v) }}
	}
	return []jsonField{
		one("schema", r.Schema),
		one("rule", r.Rule),
		one("params", r.Params),
		list("provenance", r.Provenance, false),
		list("assets", r.Assets, false),
		list("sources", r.Origins, false),
		list("endpoints", r.Endpoints, false),
		list("flows", r.Flows, false),
		list("clusters", r.Clusters, false),
		list("ledger", r.Ledger, false),
		list("conversions", r.Conversions, true),
		list("holdings", r.Holdings, true),
		list("warnings", r.Warnings, true),
	}
}

// list writes a slice as MarshalIndent does (null when nil), one element
// at a time.
func list[T any](name string, xs []T, omitEmpty bool) jsonField {
	return jsonField{name: name, omitEmpty: omitEmpty, n: func() int { return len(xs) }, write: func(w *bufio.Writer) error {
		switch {
		case xs == nil:
			w.WriteString("null")
			return nil
		case len(xs) == 0:
			w.WriteString("[]")
			return nil
		}
		w.WriteString("[")
		for i := range xs {
			if i > 0 {
				w.WriteString(",")
			}
			w.WriteString("\n    ")
			b, err := json.MarshalIndent(xs[i], "    ", "  ")
			if err != nil {
				return err
			}
			w.Write(untrusted.JSON(b))
		}
		w.WriteString("\n  ]")
		return nil
	}}
}

// writeIndented writes one value at the first level of indentation.
func writeIndented(w *bufio.Writer, v any) error {
	b, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(untrusted.JSON(b))
	return err
}
