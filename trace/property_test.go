package trace_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace"
)

// randomGraph builds a random transfer graph with cycles: a few victims pay
// into a small set of addresses that then pass funds among themselves, with
// clean funders, zero-value transfers, transfers of another asset, several
// transfers in one transaction, and outflows that may exceed the known
// balance. It returns the source and the victim payments.
func randomGraph(seed uint64) (*mem.Source, []chains.Transfer) {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	nAddr := 4 + rng.IntN(10)
	var ts, pays []chains.Transfer
	bal := make([]uint64, nAddr)
	block := uint64(10)
	nVictims := 1 + rng.IntN(4)
	for i := 0; i < 20+rng.IntN(80); i++ {
		block += uint64(rng.IntN(3))
		tx := txh(uint64(i) + 1)
		n := 1
		if rng.IntN(6) == 0 {
			n = 2 + rng.IntN(2) // several transfers in one transaction
		}
		for pos := 0; pos < n; pos++ {
			t := chains.Transfer{Chain: chains.Ethereum, Tx: tx, Position: uint32(pos), Block: block,
				Time: epoch0.Add(dur(block)), Asset: token}
			to := rng.IntN(nAddr)
			switch k := rng.IntN(10); {
			case len(pays) < nVictims && (i%7 == 0 || k == 0):
				t.From, t.To = addr(uint32(1000+len(pays))), addr(uint32(to))
				t.Amount = chains.NewAmount(1 + rng.Uint64N(10_000))
				bal[to] += t.Amount.Big().Uint64()
				pays = append(pays, t)
			case k == 1:
				t.From, t.To = addr(uint32(2000+rng.IntN(5))), addr(uint32(to)) // clean funder
				t.Amount = chains.NewAmount(1 + rng.Uint64N(10_000))
				bal[to] += t.Amount.Big().Uint64()
			case k == 2:
				t.From, t.To = addr(uint32(rng.IntN(nAddr))), addr(uint32(to))
				if rng.IntN(2) == 0 {
					t.Asset = other
					t.Amount = chains.NewAmount(rng.Uint64N(5000))
				} // else a zero-value transfer of the token
			default:
				from := rng.IntN(nAddr)
				if from == to {
					to = (to + 1) % nAddr
				}
				t.From, t.To = addr(uint32(from)), addr(uint32(to))
				v := 1 + rng.Uint64N(bal[from]+1)
				if rng.IntN(12) == 0 {
					v += rng.Uint64N(3000) // beyond the balance: a shortfall
				}
				t.Amount = chains.NewAmount(v)
				bal[from] -= min(v, bal[from])
				bal[to] += v
			}
			ts = append(ts, t)
		}
	}
	if len(pays) == 0 {
		t := chains.Transfer{Chain: chains.Ethereum, Tx: txh(999_999), Block: block + 1, Time: epoch0.Add(dur(block + 1)),
			From: addr(1000), To: addr(0), Asset: token, Amount: chains.NewAmount(777)}
		ts, pays = append(ts, t), append(pays, t)
	}
	src := newSource(ts...)
	if rng.IntN(2) == 0 {
		src.EnableBalances()
	}
	if rng.IntN(3) == 0 {
		src.AddLabel(chains.Label{Chain: chains.Ethereum, Address: addr(uint32(rng.IntN(nAddr))), Entity: "Ex", Category: chains.CategoryExchange, Source: "test", Confidence: 90})
	}
	return src, pays
}

func dur(b uint64) time.Duration { return time.Duration(b) * 12 * time.Second }

func randomOptions(seed uint64, rule trace.Rule) trace.Options {
	rng := rand.New(rand.NewPCG(seed, 7))
	o := trace.Options{Rule: rule, MaxDegree: -1, MaxHops: 50}
	if rng.IntN(3) == 0 {
		o.MaxHops = 1 + rng.IntN(4)
	}
	if rng.IntN(3) == 0 {
		o.MinAmount = chains.NewAmount(rng.Uint64N(500))
	}
	if rng.IntN(4) == 0 {
		o.MaxDegree = 2 + rng.IntN(4)
	}
	return o
}

// conserved checks tainted-in = tainted-out + stopped/held at every address,
// per source and in total, exactly, and that every by-source list sums to
// its total.
func conserved(t *testing.T, r *trace.Result) {
	t.Helper()
	type acc map[string]*chains.Amount
	add := func(m map[string]acc, a chains.Address, ss []trace.Share) {
		k := a.String()
		if m[k] == nil {
			m[k] = acc{}
		}
		for _, s := range ss {
			if m[k][s.Source] == nil {
				m[k][s.Source] = new(chains.Amount)
			}
			*m[k][s.Source] = m[k][s.Source].Add(s.Amount)
		}
	}
	in, out := map[string]acc{}, map[string]acc{}
	victims := map[chains.Address]bool{}
	srcTotal := map[string]chains.Amount{}
	for _, s := range r.Origins {
		victims[s.From] = true
		srcTotal[s.ID] = s.Amount
	}
	sum := func(ss []trace.Share) chains.Amount {
		var x chains.Amount
		for _, s := range ss {
			x = x.Add(s.Amount)
		}
		return x
	}
	for _, f := range r.Flows {
		if sum(f.BySource).Cmp(f.Tainted) != 0 {
			t.Fatalf("flow %s by source %v does not sum to %s", f.Tx, f.BySource, f.Tainted)
		}
		add(in, f.To, f.BySource)
		if !victims[f.From] {
			add(out, f.From, f.BySource)
		}
	}
	endTotal := map[string]chains.Amount{}
	for _, e := range r.Endpoints {
		if e.Kind == trace.KindUnknown {
			continue
		}
		if sum(e.BySource).Cmp(e.Amount) != 0 {
			t.Fatalf("endpoint %s by source %v does not sum to %s", e.Address, e.BySource, e.Amount)
		}
		add(out, e.Address, e.BySource)
		for _, s := range e.BySource {
			endTotal[s.Source] = endTotal[s.Source].Add(s.Amount)
		}
	}
	for a, m := range in {
		for s, v := range m {
			var o chains.Amount
			if out[a][s] != nil {
				o = *out[a][s]
			}
			if v.Cmp(o) != 0 {
				t.Fatalf("address %s source %s: tainted in %s, out+held %s", a, s, v, o)
			}
		}
	}
	for a, m := range out {
		for s, v := range m {
			if in[a][s] == nil && !v.IsZero() {
				t.Fatalf("address %s source %s: %s out, nothing in", a, s, *v)
			}
		}
	}
	for id, v := range srcTotal {
		if endTotal[id].Cmp(v) != 0 {
			t.Fatalf("source %s: paid %s, endpoints hold %s", id, v, endTotal[id])
		}
	}
}

// ledgerAdds checks every ledger step follows from the previous one at the
// same address.
func ledgerAdds(t *testing.T, r *trace.Result, rule trace.Rule) {
	t.Helper()
	type st struct{ bal, taint chains.Amount }
	last := map[chains.Address]st{}
	for _, s := range r.Ledger {
		p := last[s.Address]
		var bal, taint chains.Amount
		switch s.Event {
		case "open":
			bal = s.Amount
		case "in":
			bal, taint = p.bal.Add(s.Amount), p.taint.Add(s.Tainted)
		case "shortfall":
			bal, taint = p.bal.Add(s.Amount), p.taint
		case "out":
			var ok bool
			if bal, ok = p.bal.Sub(s.Amount); !ok {
				t.Fatalf("step %d: out %s from balance %s", s.Seq, s.Amount, p.bal)
			}
			if taint, ok = p.taint.Sub(s.Tainted); !ok && rule != trace.Poison {
				t.Fatalf("step %d: taint out %s from taint %s", s.Seq, s.Tainted, p.taint)
			}
		default:
			t.Fatalf("step %d: unknown event %q", s.Seq, s.Event)
		}
		if rule == trace.Poison {
			taint = s.Taint // poison re-taints the whole balance
		}
		if s.Balance.Cmp(bal) != 0 || s.Taint.Cmp(taint) != 0 {
			t.Fatalf("step %d (%s at %s): balance %s taint %s, want %s and %s", s.Seq, s.Event, s.Address, s.Balance, s.Taint, bal, taint)
		}
		if s.Taint.Cmp(s.Balance) > 0 {
			t.Fatalf("step %d: taint %s above balance %s", s.Seq, s.Taint, s.Balance)
		}
		last[s.Address] = st{bal, taint}
	}
}

func reached(r *trace.Result) map[chains.Address]bool {
	m := map[chains.Address]bool{}
	for _, f := range r.Flows {
		if !f.Tainted.IsZero() {
			m[f.To] = true
		}
	}
	return m
}

func TestPropertiesRandomGraphs(t *testing.T) {
	seeds := 400
	if testing.Short() {
		seeds = 60
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		src, pays := randomGraph(seed)
		c := txCase(pays...)
		var results = map[trace.Rule]*trace.Result{}
		for _, rule := range trace.Rules {
			r := run(t, src, trace.NewLabelAttributor(src), c, randomOptions(seed, rule))
			results[rule] = r
			t.Run(fmt.Sprintf("seed%d/%s", seed, rule), func(t *testing.T) {
				if rule != trace.Poison {
					conserved(t, r)
				}
				ledgerAdds(t, r, rule)
			})
		}
		poison := reached(results[trace.Poison])
		for _, rule := range trace.Rules {
			for a := range reached(results[rule]) {
				if !poison[a] {
					t.Fatalf("seed %d: %s reaches %s, poison does not", seed, rule, a)
				}
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		src, pays := randomGraph(seed)
		var first []byte
		for i := 0; i < 3; i++ {
			r := run(t, src, nil, txCase(pays...), trace.Options{Rule: trace.Haircut})
			var b bytes.Buffer
			if err := trace.WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			if err := trace.WriteLedgerCSV(&b, r); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				first = b.Bytes()
			} else if !bytes.Equal(first, b.Bytes()) {
				t.Fatalf("seed %d: run %d differs from run 1", seed, i+1)
			}
		}
	}
}

// paged serves a mem.Source's ledgers in pages of a few transfers (as
// store.Source pages, at block boundaries, an empty page now and then),
// so that the walk crosses page boundaries everywhere.
type paged struct {
	*mem.Source
	size  int
	pages int
}

func (p *paged) TransfersPage(ctx context.Context, q chains.Query, limit int) ([]chains.Transfer, uint64, error) {
	p.pages++
	ts, err := p.Source.Transfers(ctx, q)
	if err != nil || len(ts) <= p.size {
		return ts, 0, err
	}
	end := ts[p.size].Block
	if end > q.From {
		end--
	}
	if end >= q.To {
		return ts, 0, nil
	}
	n := 0
	for n < len(ts) && ts[n].Block <= end {
		n++
	}
	return ts[:n], end + 1, nil
}

// Totals sums a ledger as a Totaler does.
func (p *paged) Totals(ctx context.Context, q chains.Query) (n int, in, out chains.Amount, err error) {
	ts, err := p.Source.Transfers(ctx, q)
	for _, t := range ts {
		switch {
		case t.From == t.To:
		case t.To == q.Address:
			in = in.Add(t.Amount)
		default:
			out = out.Add(t.Amount)
		}
	}
	return len(ts), in, out, err
}

// pagedOnly pages but cannot total.
type pagedOnly struct{ *paged }

func (pagedOnly) Totals() {}

// A source that pages its ledgers gives the same trace, byte for byte, as
// one that hands them out whole.
func TestPagedLedgersMatch(t *testing.T) {
	pages := 0
	for seed := uint64(1); seed <= 150; seed++ {
		src, pays := randomGraph(seed)
		c := txCase(pays...)
		for _, rule := range trace.Rules {
			o := randomOptions(seed, rule)
			want := encode(t, run(t, src, trace.NewLabelAttributor(src), c, o))
			for size := 1; size <= 3; size++ {
				p := &paged{Source: src, size: size}
				var s chains.Source = p
				if size == 2 {
					s = pagedOnly{p} // opening balances from the whole history read
				}
				got := encode(t, run(t, s, trace.NewLabelAttributor(src), c, o))
				if !bytes.Equal(got, want) {
					t.Fatalf("seed %d, %s, pages of %d: the trace differs from the unpaged one", seed, rule, size)
				}
				pages += p.pages
			}
		}
	}
	if pages < 1000 {
		t.Fatalf("only %d pages asked for: the walk does not page", pages)
	}
}

func encode(t *testing.T, r *trace.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := trace.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if err := trace.WriteLedgerCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// trace.json is streamed one element at a time: the bytes are still
// json.MarshalIndent's, for every kind of result.
func TestWriteJSONStreamsMarshalIndent(t *testing.T) {
	check := func(r *trace.Result) {
		t.Helper()
		var got bytes.Buffer
		if err := trace.WriteJSON(&got, r); err != nil {
			t.Fatal(err)
		}
		want, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), append(want, '\n')) {
			t.Fatalf("streamed trace.json differs from MarshalIndent:\n%s\nwant:\n%s", got.Bytes(), want)
		}
	}
	check(&trace.Result{})
	check(&trace.Result{Schema: "x", Ledger: []trace.Step{}, Warnings: []trace.Warning{{Code: "c", Message: "<&>"}}})
	for seed := uint64(1); seed <= 60; seed++ {
		src, pays := randomGraph(seed)
		for _, rule := range trace.Rules {
			check(run(t, src, trace.NewLabelAttributor(src), txCase(pays...), randomOptions(seed, rule)))
		}
	}
	// Every field of Result is written.
	if n := reflect.TypeOf(trace.Result{}).NumField(); n != trace.ResultFieldsWritten() {
		t.Fatalf("Result has %d fields, WriteJSON writes %d", n, trace.ResultFieldsWritten())
	}
}
