package labels

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"freezetrace/chains"
)

// csvConfidence is the confidence of a user's own label: the user vouches
// for it.
const csvConfidence = 100

// ParseCSV reads a user's own labels: rows of chain,address,entity,category
// with an optional fifth column source. A first row naming the columns
// (chain,address,…) is a header and skipped; lines starting with # are
// comments; a leading byte-order mark is ignored. chain is a chain name
// (ethereum, tron, bsc, …), the address is parsed for it, category is one of
// chains.Categories. Entity and source are kept exactly as written, within
// the limits MaxEntity and MaxSource.
//
// A quoted field that no quote closes would swallow every row after it:
// the file is then bad as a whole, an input error naming the line where
// the field opened ("unterminated quote"), and nothing of it is returned.
func ParseCSV(r io.Reader, name string, opts Options) (Result, error) {
	res := Result{File: name}
	if err := opts.check(); err != nil {
		return res, err
	}
	data, err := io.ReadAll(skipBOM(r))
	if err != nil {
		return res, fmt.Errorf("read %s: %w", name, err)
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if line, open := unclosedQuote(data, pe.StartLine); open {
				return Result{File: name}, chains.Invalid(fmt.Errorf("%s:%d: unterminated quote", name, line))
			}
			res.Read++
			if err := res.bad(opts, pe.StartLine, pe.Err); err != nil {
				return res, err
			}
			continue
		}
		if err != nil {
			return res, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if len(rec) >= 2 && strings.EqualFold(strings.TrimSpace(rec[0]), "chain") &&
				strings.EqualFold(strings.TrimSpace(rec[1]), "address") {
				continue
			}
		}
		res.Read++
		l, err := csvLabel(rec, name, opts)
		if err != nil {
			if err := res.bad(opts, line, err); err != nil {
				return res, err
			}
			continue
		}
		res.Labels = append(res.Labels, l)
	}
	return res, nil
}

// unclosedQuote scans the CSV record that starts on line as encoding/csv
// does and reports whether a quoted field in it runs to the end of data
// unclosed, and the line where that field opened.
func unclosedQuote(data []byte, line int) (int, bool) {
	i := 0
	for n := 1; n < line && i < len(data); i++ {
		if data[i] == '\n' {
			n++
		}
	}
	const (
		fieldStart = iota
		unquoted
		quoted
		afterQuote
	)
	state, open := fieldStart, 0
	for ; i < len(data); i++ {
		c := data[i]
		switch state {
		case quoted:
			switch {
			case c == '"' && i+1 < len(data) && data[i+1] == '"':
				i++
			case c == '"':
				state = afterQuote
			case c == '\n':
				line++
			}
		case afterQuote:
			switch {
			case c == ',':
				state = fieldStart
			case c == '\r' && i+1 < len(data) && data[i+1] == '\n':
			default:
				// The end of the record, or text after a closing quote:
				// encoding/csv ends the record at this line either way.
				return 0, false
			}
		default:
			switch {
			case c == '\n':
				return 0, false
			case c == ',':
				state = fieldStart
			case c == '"' && state == fieldStart:
				state, open = quoted, line
			default:
				state = unquoted
			}
		}
	}
	return open, state == quoted
}

func csvLabel(rec []string, name string, opts Options) (chains.Label, error) {
	if len(rec) < 4 || len(rec) > 5 {
		return chains.Label{}, fmt.Errorf("want 4 or 5 columns (chain,address,entity,category[,source]), got %d", len(rec))
	}
	for i, f := range []struct {
		name  string
		limit int
	}{{"chain", MaxWord}, {"address", MaxAddress}, {"entity", MaxEntity}, {"category", MaxWord}, {"source", MaxSource}} {
		if i == 1 || i >= len(rec) {
			continue // the address is bounded by parseAddress
		}
		if err := checkLen(f.name, rec[i], f.limit); err != nil {
			return chains.Label{}, err
		}
	}
	chain, err := chains.ParseChain(rec[0])
	if err != nil {
		return chains.Label{}, err
	}
	addr, err := parseAddress(chain, rec[1])
	if err != nil {
		return chains.Label{}, err
	}
	cat, err := chains.ParseCategory(rec[3])
	if err != nil {
		return chains.Label{}, fmt.Errorf("%w (known: %s)", err, categoryNames())
	}
	source := opts.Source
	if len(rec) == 5 && rec[4] != "" {
		source = rec[4]
	}
	if source == "" {
		source = fileNote(name)
	}
	l := chains.Label{
		Chain:      chain,
		Address:    addr,
		Entity:     rec[2],
		Category:   cat,
		Source:     source,
		Date:       opts.Date,
		Note:       fileNote(name),
		Confidence: csvConfidence,
	}
	return l, checkLabel(l)
}

func categoryNames() string {
	s := make([]string, len(chains.Categories))
	for i, c := range chains.Categories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
