package trace_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// TestWriteTimePastYear9999: a block time that RFC 3339 cannot write
// (past year 9999, from a database imported before such times were
// refused, or a source) makes WriteJSON and WriteLedgerCSV fail as bad
// input naming the block and the transaction, before they write a byte.
// Within the years, both write it.
func TestWriteTimePastYear9999(t *testing.T) {
	a, b, c := addr(1), addr(2), addr(3)
	pay := xfer(10, a, b, 100)
	on := xfer(11, b, c, 60)
	for _, at := range []time.Time{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		on.Time = at
		r := run(t, newSource(pay, on), nil, txCase(pay), trace.Options{})
		for name, write := range map[string]func(*bytes.Buffer, *trace.Result) error{
			"WriteJSON":      func(w *bytes.Buffer, r *trace.Result) error { return trace.WriteJSON(w, r) },
			"WriteLedgerCSV": func(w *bytes.Buffer, r *trace.Result) error { return trace.WriteLedgerCSV(w, r) },
		} {
			var buf bytes.Buffer
			err := write(&buf, r)
			if at.Year() <= 9999 {
				if err != nil || !strings.Contains(buf.String(), "9999-12-31T23:59:59Z") {
					t.Errorf("%s of year 9999: %v", name, err)
				}
				continue
			}
			var ie *chains.InputError
			if !errors.As(err, &ie) || buf.Len() != 0 {
				t.Fatalf("%s: error %v after %d bytes; want an input error before any", name, err, buf.Len())
			}
			msg := err.Error()
			for _, want := range []string{"in block 11 of ethereum", chains.Ethereum.FormatTx(on.Tx), "10000-01-01T00:00:00Z is outside the years 0 to 9999"} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: %q lacks %q", name, msg, want)
				}
			}
		}
	}
}
