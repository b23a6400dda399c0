package trace

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
)

// walkTop calls visit for each field of the object b holds: its name and
// the offset of its value (index -1), then, for a list, each element with
// its index, offset and bytes. It stops when visit returns false or b
// stops being JSON; it is for finding where a problem is, so it is only
// run on a file already known to be bad.
func walkTop(b []byte, visit func(field string, index int, off int64, raw json.RawMessage) bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return
		}
		name, _ := t.(string)
		off := valueStart(b, dec.InputOffset())
		if off < int64(len(b)) && b[off] == '[' {
			if !visit(name, -1, off, nil) {
				return
			}
			if _, err := dec.Token(); err != nil {
				return
			}
			for i := 0; dec.More(); i++ {
				eoff := valueStart(b, dec.InputOffset())
				var raw json.RawMessage
				if dec.Decode(&raw) != nil || !visit(name, i, eoff, raw) {
					return
				}
			}
			if _, err := dec.Token(); err != nil {
				return
			}
			continue
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil || !visit(name, -1, off, raw) {
			return
		}
	}
}

// valueStart skips the white space, colon or comma before the value that
// starts at or after off.
func valueStart(b []byte, off int64) int64 {
	for off < int64(len(b)) {
		switch b[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

// elementLine is the line of b where element index of the list field
// starts (the field's value, for index -1); 0 when b has none.
func elementLine(b []byte, field string, index int) int {
	line := 0
	walkTop(b, func(f string, i int, off int64, _ json.RawMessage) bool {
		if f == field && i == index {
			line = lineAt(b, off)
			return false
		}
		return true
	})
	return line
}

// resultTypes maps each field of trace.json to the Go type of its value.
var resultTypes = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	t := reflect.TypeFor[Result]()
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := bytes.Cut([]byte(f.Tag.Get("json")), []byte(","))
		m[string(name)] = f.Type
	}
	return m
}()

// badElement finds the first value of b that does not decode on its own,
// field by field and element by element, for an error the decoder gave
// without its place (a value's UnmarshalText refusing it: an amount that is
// negative or not decimal, an address that is not one). It returns that
// value's line and the error naming it, or 0 and err.
func badElement(b []byte, err error) (int, error) {
	line, found := 0, err
	walkTop(b, func(f string, i int, off int64, raw json.RawMessage) bool {
		t, ok := resultTypes[f]
		if !ok || (raw == nil && i < 0) {
			return true
		}
		if i >= 0 {
			t = t.Elem()
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if e := dec.Decode(reflect.New(t).Interface()); e != nil {
			line, found = lineAt(b, off), e
			if i >= 0 {
				found = fmt.Errorf("%s %d: %w", elementNoun[f], i+1, e)
			} else {
				found = fmt.Errorf("%s: %w", f, e)
			}
			return false
		}
		return true
	})
	return line, found
}
