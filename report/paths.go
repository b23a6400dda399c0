package report

import (
	"slices"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// flowGraph indexes a trace's flows by sender so that paths can be
// rebuilt from each victim payment to each endpoint.
type flowGraph struct {
	sources map[string]trace.Origin
	out     map[graphKey][]trace.Flow // by sender and asset, in canonical order
	byTx    map[flowKey]trace.Flow
}

type graphKey struct {
	chain chains.Chain
	addr  chains.Address
	asset chains.AssetID
}

func newFlowGraph(r *trace.Result) *flowGraph {
	g := &flowGraph{
		sources: make(map[string]trace.Origin, len(r.Origins)),
		out:     map[graphKey][]trace.Flow{},
		byTx:    make(map[flowKey]trace.Flow, len(r.Flows)),
	}
	for _, s := range r.Origins {
		g.sources[s.ID] = s
	}
	for _, f := range r.Flows {
		k := graphKey{f.Chain, f.From, f.Asset}
		g.out[k] = append(g.out[k], f)
		g.byTx[keyOf(f)] = f
	}
	for _, fs := range g.out {
		sortFlows(fs)
	}
	return g
}

func sortFlows(fs []trace.Flow) { slices.SortFunc(fs, compareFlows) }

// paths returns the routes from source s to endpoint e in canonical order
// (depth-first, each address's outflows in time order): the payment, then
// flows that carry taint from s, each no earlier than the one before, never
// visiting an address twice. It returns at most maxPaths and reports
// whether there were more (or the search was cut short).
func (g *flowGraph) paths(s trace.Origin, e trace.Endpoint) ([][]Hop, bool) {
	payment := Hop{Chain: s.Chain, Tx: s.Tx, Position: s.Position, Block: s.Block, Time: utc(s.Time),
		From: s.From, To: s.To, Amount: s.Amount, Traced: s.Amount, Payment: true}
	start := chains.Transfer{Chain: s.Chain, Tx: s.Tx, Position: s.Position, Block: s.Block, Time: s.Time, Asset: s.Asset}
	if s.Chain == e.Chain && s.To == e.Address {
		return [][]Hop{{payment}}, false
	}
	var found [][]Hop
	expand := 0
	truncated := false
	onPath := map[chains.Address]bool{s.From: true, s.To: true}
	hops := []Hop{payment}
	var walk func(at chains.Address, after chains.Transfer)
	walk = func(at chains.Address, after chains.Transfer) {
		for _, f := range g.out[graphKey{s.Chain, at, e.Asset}] {
			if truncated {
				return
			}
			t := asTransfer(f)
			if chains.Compare(t, after) <= 0 || (f.Tx == s.Tx && f.Position == s.Position) {
				continue
			}
			traced := shareOf(f.BySource, s.ID)
			if traced.IsZero() || onPath[f.To] {
				continue
			}
			if expand++; expand > maxExpand {
				truncated = true
				return
			}
			hops = append(hops, Hop{Chain: f.Chain, Tx: f.Tx, Position: f.Position, Block: f.Block, Time: utc(f.Time),
				From: f.From, To: f.To, Amount: f.Amount, Traced: traced})
			if f.To == e.Address {
				if len(found) == maxPaths {
					truncated = true
				} else {
					found = append(found, append([]Hop(nil), hops...))
				}
			} else {
				onPath[f.To] = true
				walk(f.To, t)
				delete(onPath, f.To)
			}
			hops = hops[:len(hops)-1]
		}
	}
	if s.Chain == e.Chain && s.Asset == e.Asset {
		walk(s.To, start)
	}
	return found, truncated
}

// flowsOf returns the flows on the paths that end at endpoint index i.
func (g *flowGraph) flowsOf(paths []Path, i int) []trace.Flow {
	var out []trace.Flow
	for _, p := range paths {
		if p.Endpoint != i {
			continue
		}
		for _, h := range p.Hops {
			if f, ok := g.byTx[flowKey{h.Chain, h.Tx, p.Asset, h.Position}]; ok {
				out = append(out, f)
			}
		}
	}
	return out
}

// utc formats t as the letters show times: "2024-03-01 10:22:11 UTC".
func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}
