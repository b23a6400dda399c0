package trace_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/trace"
)

// goldenTrace is the pigbutcher fixture's trace.json as the trace command
// writes it: three victim payments, endpoints of every freeze kind, and
// holdings.
var goldenTrace = filepath.Join("..", "fixtures", "report-golden", "pigbutcher", "case", "trace.json")

func readGolden(t *testing.T) *trace.Result {
	t.Helper()
	b, err := os.ReadFile(goldenTrace)
	if err != nil {
		t.Skipf("no fixture trace: %v", err)
	}
	r, err := trace.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the fixture's trace.json: %v", err)
	}
	if len(r.Origins) < 2 || len(r.Holdings) == 0 || r.Rule == trace.Poison {
		t.Fatalf("the fixture trace changed: %d sources, %d holdings, rule %s", len(r.Origins), len(r.Holdings), r.Rule)
	}
	return r
}

// lineOf is the line where element index of the list field starts in b
// as WriteJSON writes it (its "field" line for -1), found by reading the
// text: a line `  "field": [`, then one `    {` per element.
func lineOf(t *testing.T, b []byte, field string, index int) int {
	t.Helper()
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if !strings.HasPrefix(l, `  "`+field+`": `) {
			continue
		}
		if index < 0 {
			return i + 1
		}
		n := -1
		for j := i + 1; j < len(lines) && lines[j] != "  ]" && lines[j] != "  ],"; j++ {
			if lines[j] == "    {" {
				if n++; n == index {
					return j + 1
				}
			}
		}
	}
	t.Fatalf("no element %d of %s in the written trace", index, field)
	return 0
}

// firstWith is the index of the first endpoint for which ok holds.
func firstWith(t *testing.T, es []trace.Endpoint, ok func(trace.Endpoint) bool) int {
	t.Helper()
	i := slices.IndexFunc(es, ok)
	if i < 0 {
		t.Fatal("the fixture trace has no such endpoint")
	}
	return i
}

// lastHolding is the index of the last endpoint holding taint of source.
func lastHolding(es []trace.Endpoint, source string) int {
	last := -1
	for i, e := range es {
		for _, s := range e.BySource {
			if s.Source == source {
				last = i
			}
		}
	}
	return last
}

func plus(a chains.Amount, n uint64) chains.Amount { return a.Add(chains.NewAmount(n)) }

// TestReadJSONInconsistent: a trace.json that parses but contradicts itself
// (hand-edited or corrupted) is an input error that names the element and
// its line; the report never writes a letter from it.
func TestReadJSONInconsistent(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(t *testing.T, r *trace.Result) (field string, index int)
		want string
	}{
		{"ErrEndpointExceedsSource", func(t *testing.T, r *trace.Result) (string, int) {
			i := firstWith(t, r.Endpoints, func(e trace.Endpoint) bool { return e.Kind != trace.KindUnknown && len(e.BySource) == 1 })
			e := &r.Endpoints[i]
			e.Amount, e.BySource[0].Amount = plus(e.Amount, 1), plus(e.BySource[0].Amount, 1)
			return "endpoints", lastHolding(r.Endpoints, e.BySource[0].Source)
		}, "more than its payment of"},
		{"ErrEndpointMissing", func(t *testing.T, r *trace.Result) (string, int) {
			i := firstWith(t, r.Endpoints, func(e trace.Endpoint) bool { return !trace.IsFreezeTarget(e) && len(e.BySource) == 1 })
			src := r.Endpoints[i].BySource[0].Source
			r.Endpoints = slices.Delete(r.Endpoints, i, i+1)
			return "sources", slices.IndexFunc(r.Origins, func(o trace.Origin) bool { return o.ID == src })
		}, "is missing (rule fifo conserves taint)"},
		{"ErrUnknownSource", func(t *testing.T, r *trace.Result) (string, int) {
			r.Endpoints[0].BySource[0].Source = "S9"
			return "endpoints", 0
		}, `by_source names source "S9", which is not in sources`},
		{"ErrSourceTwice", func(t *testing.T, r *trace.Result) (string, int) {
			e := &r.Endpoints[0]
			half := e.BySource[0].Amount.MulDiv(chains.NewAmount(1), chains.NewAmount(2))
			rest, _ := e.BySource[0].Amount.Sub(half)
			e.BySource = []trace.Share{{Source: e.BySource[0].Source, Amount: half}, {Source: e.BySource[0].Source, Amount: rest}}
			return "endpoints", 0
		}, "twice"},
		{"ErrSharesDoNotSum", func(t *testing.T, r *trace.Result) (string, int) {
			r.Endpoints[1].Amount = plus(r.Endpoints[1].Amount, 5)
			return "endpoints", 1
		}, "by_source sums to"},
		{"ErrUnknownKind", func(t *testing.T, r *trace.Result) (string, int) {
			r.Endpoints[2].Kind = "casino"
			return "endpoints", 2
		}, `unknown kind "casino"`},
		{"ErrUnknownCategory", func(t *testing.T, r *trace.Result) (string, int) {
			r.Endpoints[0].Category = "Deposit"
			return "endpoints", 0
		}, `unknown category "Deposit"`},
		{"ErrUnknownRule", func(t *testing.T, r *trace.Result) (string, int) {
			r.Rule = "FIFO"
			return "rule", -1
		}, `unknown rule "FIFO"`},
		{"ErrUnknownChain", func(t *testing.T, r *trace.Result) (string, int) {
			r.Flows[2].Chain = "ethereum\u202e"
			return "flows", 2
		}, "unknown chain"},
		{"ErrAssetNotListed", func(t *testing.T, r *trace.Result) (string, int) {
			r.Endpoints[3].Asset = chains.USDCEthereum
			return "endpoints", 3
		}, "is not in assets"},
		{"ErrSourceID", func(t *testing.T, r *trace.Result) (string, int) {
			r.Origins[1].ID = "S1"
			return "sources", 1
		}, `id "S1", want "S2"`},
		{"ErrFlowTaintAboveAmount", func(t *testing.T, r *trace.Result) (string, int) {
			f := &r.Flows[1]
			f.Amount, _ = f.Tainted.Sub(chains.NewAmount(1))
			return "flows", 1
		}, "is more than the amount"},
		{"ErrLedgerBalance", func(t *testing.T, r *trace.Result) (string, int) {
			i := slices.IndexFunc(r.Ledger, func(s trace.Step) bool { return s.Event == "in" })
			r.Ledger[i].Balance = plus(r.Ledger[i].Balance, 1)
			return "ledger", i
		}, "but the previous step and this one give"},
		{"ErrLedgerTaintAboveBalance", func(t *testing.T, r *trace.Result) (string, int) {
			i := slices.IndexFunc(r.Ledger, func(s trace.Step) bool { return s.Event == "in" && !s.Tainted.IsZero() })
			r.Ledger[i].Taint = plus(r.Ledger[i].Balance, 1)
			return "ledger", i
		}, "is more than the balance"},
		{"ErrLedgerEvent", func(t *testing.T, r *trace.Result) (string, int) {
			r.Ledger[4].Event = "refund"
			return "ledger", 4
		}, `unknown event "refund"`},
		{"ErrLedgerSeq", func(t *testing.T, r *trace.Result) (string, int) {
			r.Ledger[3].Seq = 7
			return "ledger", 3
		}, "seq 7, want 4"},
		{"ErrHoldingNotEndpoint", func(t *testing.T, r *trace.Result) (string, int) {
			h := r.Holdings[0]
			h.Address = r.Origins[0].From
			r.Holdings = append(r.Holdings, h)
			return "holdings", len(r.Holdings) - 1
		}, "is not a freeze target of the trace"},
		{"ErrHoldingOtherAddress", func(t *testing.T, r *trace.Result) (string, int) {
			r.Holdings[1].Address = r.Origins[0].From
			return "holdings", 1
		}, "holdings follow the freeze targets"},
		{"ErrHoldingTraced", func(t *testing.T, r *trace.Result) (string, int) {
			r.Holdings[0].Traced = plus(r.Holdings[0].Traced, 1)
			return "holdings", 0
		}, "but the endpoint holds"},
		{"ErrHoldingMissing", func(t *testing.T, r *trace.Result) (string, int) {
			r.Holdings = r.Holdings[:1]
			return "holdings", -1
		}, "is missing"},
		{"ErrUnknownFundsBySource", func(t *testing.T, r *trace.Result) (string, int) {
			e := r.Endpoints[0]
			e.Kind, e.Category, e.Address = trace.KindUnknown, "", r.Origins[0].To
			r.Endpoints = append(r.Endpoints, e)
			return "endpoints", len(r.Endpoints) - 1
		}, "by_source of unknown funds"},
		{"ErrParams", func(t *testing.T, r *trace.Result) (string, int) {
			r.Params.MaxHops = 0
			return "params", -1
		}, "max_hops 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := readGolden(t)
			field, index := c.edit(t, r)
			b := writeJSON(t, r)
			_, err := trace.ReadJSON(bytes.NewReader(b))
			var ie *chains.InputError
			var pe *trace.ParseError
			if !errors.As(err, &ie) || !errors.As(err, &pe) {
				t.Fatalf("error %v, want an input error wrapping a *trace.ParseError", err)
			}
			if want := lineOf(t, b, field, index); pe.Line != want || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got line %d, %q; want line %d, containing %q", pe.Line, err, want, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("%q is more than one line", err)
			}
		})
	}
}

// TestReadJSONPoisonExceeds: under poison, an upper bound that taints clean
// funds too, endpoints may hold more of a payment than it carried; their
// by_source lists must still sum.
func TestReadJSONPoisonExceeds(t *testing.T) {
	src, pays := randomGraph(7)
	r := run(t, src, trace.NewLabelAttributor(src), txCase(pays...), randomOptions(7, trace.Poison))
	paid := map[string]chains.Amount{}
	for _, o := range r.Origins {
		paid[o.ID] = o.Amount
	}
	held := map[string]chains.Amount{}
	for _, e := range r.Endpoints {
		for _, s := range e.BySource {
			held[s.Source] = held[s.Source].Add(s.Amount)
		}
	}
	exceeds := false
	for id, v := range held {
		exceeds = exceeds || v.Cmp(paid[id]) > 0
	}
	if !exceeds {
		t.Fatal("the poison trace of seed 7 holds no more than was paid: pick another seed")
	}
	if _, err := trace.ReadJSON(bytes.NewReader(writeJSON(t, r))); err != nil {
		t.Fatalf("a poison trace whose endpoints exceed its sources: %v", err)
	}
	r.Endpoints[0].Amount = plus(r.Endpoints[0].Amount, 1)
	if _, err := trace.ReadJSON(bytes.NewReader(writeJSON(t, r))); err == nil || !strings.Contains(err.Error(), "by_source sums to") {
		t.Errorf("poison endpoint whose by_source does not sum: got %v", err)
	}
}
