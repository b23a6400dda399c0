package trace_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/trace"
)

func writeJSON(t testing.TB, r *trace.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := trace.WriteJSON(&b, r); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	return b.Bytes()
}

// ReadJSON reads back what WriteJSON wrote: written again, the result
// gives the same bytes.
func TestReadJSONRoundTrip(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		src, pays := randomGraph(seed)
		for _, rule := range trace.Rules {
			r := run(t, src, trace.NewLabelAttributor(src), txCase(pays...), randomOptions(seed, rule))
			want := writeJSON(t, r)
			got, err := trace.ReadJSON(bytes.NewReader(want))
			if err != nil {
				t.Fatalf("seed %d, %s: ReadJSON: %v", seed, rule, err)
			}
			if len(got.Ledger) != len(r.Ledger) || len(got.Endpoints) != len(r.Endpoints) || got.Rule != rule {
				t.Fatalf("seed %d, %s: read %d steps, %d endpoints, rule %s; want %d, %d, %s", seed, rule,
					len(got.Ledger), len(got.Endpoints), got.Rule, len(r.Ledger), len(r.Endpoints), rule)
			}
			if again := writeJSON(t, got); !bytes.Equal(again, want) {
				t.Fatalf("seed %d, %s: trace.json read and written again differs from the original", seed, rule)
			}
		}
	}
	// Empty lists stay empty, absent ones stay absent.
	r := &trace.Result{Schema: trace.Schema, Rule: trace.FIFO, Params: trace.Params{MaxHops: 1, MaxDegree: -1},
		Ledger: []trace.Step{}, Warnings: []trace.Warning{{Code: "c", Message: "<&>"}}}
	want := writeJSON(t, r)
	got, err := trace.ReadJSON(bytes.NewReader(want))
	if err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	if got.Ledger == nil || got.Flows != nil {
		t.Errorf("ledger %v (want empty, not absent), flows %v (want absent)", got.Ledger, got.Flows)
	}
	if again := writeJSON(t, got); !bytes.Equal(again, want) {
		t.Errorf("read and written again:\n%s\nwant:\n%s", again, want)
	}
}

func TestReadJSONErrors(t *testing.T) {
	for _, c := range []struct {
		name, text string
		line       int
		want       string
	}{
		{"ErrSyntax", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"rule\": \n}", 4, "line 4: invalid character '}'"},
		{"ErrType", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"rule\": 5\n}", 3, "line 3: json: cannot unmarshal number"},
		{"ErrUnknownField", `{"schema": "freezetrace.trace/v1", "colour": 1}`, 0, `json: unknown field "colour"`},
		{"ErrSchema", `{"schema": "freezetrace.trace/v0"}`, 0, `schema "freezetrace.trace/v0", want "freezetrace.trace/v1" (re-run freezetrace trace)`},
		{"ErrTrailing", "{\"schema\": \"freezetrace.trace/v1\"}\n\n {}", 3, "line 3: data after the trace"},
		{"ErrAddress", `{"schema": "freezetrace.trace/v1", "sources": [{"from": "0x12"}]}`, 1, "source 1: not an EVM address"},
		// A value its own type refuses is found by its element, on its line.
		{"ErrNegativeAmount", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"endpoints\": [\n    {\"amount\": \"1\"},\n    {\"amount\": \"-5\"}\n  ]\n}", 5,
			`line 5: endpoint 2: not a base-unit amount: "-5"`},
		{"ErrHexAmount", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"flows\": [\n    {\"tainted\": \"0x10\"}\n  ]\n}", 4, `flow 1: not a base-unit amount: "0x10"`},
		{"ErrExponentAmount", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"params\": {\"min_amount\": \"1e3\"}\n}", 3, `params: not a base-unit amount: "1e3"`},
		{"ErrNestedUnknownField", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"ledger\": [\n    {\"colour\": 1}\n  ]\n}", 4, `ledger step 1: json: unknown field "colour"`},
		{"ErrNoRule", `{"schema": "freezetrace.trace/v1"}`, 0, `rule: unknown rule ""`},
		{"ErrTimePastYear9999InUTC", `{"schema": "freezetrace.trace/v1", "rule": "fifo", "params": {"max_hops": 1, "max_degree": -1},
			"flows": [{"chain": "ethereum", "time": "9999-12-31T23:00:00-05:00", "hop": 1, "asset": {"chain": "ethereum", "contract": ""}}],
			"assets": [{"id": {"chain": "ethereum", "contract": ""}, "symbol": "ETH", "decimals": 18}]}`, 0, "time 10000-01-01T04:00:00Z is outside the years 0 to 9999"},
		{"ErrEmpty", "", 0, "EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := trace.ReadJSON(strings.NewReader(c.text))
			var ie *chains.InputError
			var pe *trace.ParseError
			if !errors.As(err, &ie) || !errors.As(err, &pe) {
				t.Fatalf("error %v, want an input error wrapping a *trace.ParseError", err)
			}
			if pe.Line != c.line || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got line %d, %q; want line %d, containing %q", pe.Line, err, c.line, c.want)
			}
			if c.line == 0 && strings.HasPrefix(err.Error(), "line ") {
				t.Errorf("%q names a line for a problem of the whole file", err)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadJSONReaderFails(t *testing.T) {
	_, err := trace.ReadJSON(failingReader{})
	var ie *chains.InputError
	if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("error %v, want the reader's error, not an input error", err)
	}
}

// FuzzReadJSON: ReadJSON accepts a trace or says, as an input error, what
// is wrong with it; what it accepts is written and read back unchanged.
func FuzzReadJSON(f *testing.F) {
	src, pays := randomGraph(3)
	r, err := trace.Run(f.Context(), src, trace.NewLabelAttributor(src), txCase(pays...), randomOptions(3, trace.FIFO))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(writeJSON(f, r)))
	f.Add(`{"schema": "freezetrace.trace/v1"}`)
	f.Add(`{"schema": "freezetrace.trace/v1", "endpoints": [{"amount": "1"}]}`)
	f.Add(`{"schema": "freezetrace.trace/v1", "ledger": [{"time": "2024-03-01T10:00:00+02:00", "by_source": []}]}`)
	f.Fuzz(func(t *testing.T, text string) {
		r, err := trace.ReadJSON(strings.NewReader(text))
		if err != nil {
			var ie *chains.InputError
			var pe *trace.ParseError
			if !errors.As(err, &ie) || !errors.As(err, &pe) {
				t.Fatalf("error %v is not an input error with a *trace.ParseError", err)
			}
			return
		}
		once := writeJSON(t, r)
		back, err := trace.ReadJSON(bytes.NewReader(once))
		if err != nil {
			t.Fatalf("ReadJSON of WriteJSON's output: %v\n%s", err, once)
		}
		if twice := writeJSON(t, back); !bytes.Equal(once, twice) {
			t.Fatalf("written, read and written again differs:\n%s\nthen:\n%s", once, twice)
		}
	})
}
