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
	convs   []trace.Conversion
	// received are the received legs of each conversion, by conversion
	// (1-based), receiver and asset, in canonical order.
	received map[legKey][]trace.Flow
}

type legKey struct {
	conversion int
	to         chains.Address
	asset      chains.AssetID
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
		convs:   r.Conversions,
	}
	g.received = map[legKey][]trace.Flow{}
	for _, s := range r.Origins {
		g.sources[s.ID] = s
	}
	for _, f := range r.Flows {
		k := graphKey{f.Chain, f.From, f.Asset}
		g.out[k] = append(g.out[k], f)
		g.byTx[keyOf(f)] = f
		if c := g.conversion(f.Conversion); c != nil && f.To == c.Address {
			k := legKey{f.Conversion, f.To, f.Asset}
			g.received[k] = append(g.received[k], f)
		}
	}
	for _, fs := range g.out {
		sortFlows(fs)
	}
	for _, fs := range g.received {
		sortFlows(fs)
	}
	return g
}

// conversion is the trace's conversion with 1-based index i, nil when
// there is none.
func (g *flowGraph) conversion(i int) *trace.Conversion {
	if i < 1 || i > len(g.convs) {
		return nil
	}
	return &g.convs[i-1]
}

// sentLeg returns the conversion f is the sent leg of: a flow out of the
// converting address in the asset it sent.
func (g *flowGraph) sentLeg(f trace.Flow) *trace.Conversion {
	c := g.conversion(f.Conversion)
	if c == nil || c.Chain != f.Chain || c.Address != f.From || c.Sent.Asset != f.Asset {
		return nil
	}
	return c
}

func sortFlows(fs []trace.Flow) { slices.SortFunc(fs, compareFlows) }

// paths returns the routes from source s to endpoint e in canonical order
// (depth-first, each address's outflows in time order): the payment, then
// flows that carry taint from s, each no earlier than the one before, never
// visiting an address twice. At a swap (the sent leg of a conversion) the
// route stays at the converting address and goes on in each asset it
// received taint from s in, through the received legs. It returns at most
// maxPaths and reports whether there were more (or the search was cut
// short).
func (g *flowGraph) paths(s trace.Origin, e trace.Endpoint) ([][]Hop, bool) {
	payment := Hop{Chain: s.Chain, Tx: s.Tx, Position: s.Position, Block: s.Block, Time: utc(s.Time),
		From: s.From, To: s.To, Amount: s.Amount, Traced: s.Amount, Payment: true}
	start := chains.Transfer{Chain: s.Chain, Tx: s.Tx, Position: s.Position, Block: s.Block, Time: s.Time, Asset: s.Asset}
	if s.Chain == e.Chain && s.To == e.Address && s.Asset == e.Asset {
		return [][]Hop{{payment}}, false
	}
	payment.Asset = s.Asset
	w := &pathWalk{g: g, s: s, e: e, onPath: map[chains.Address]bool{s.From: true, s.To: true}, hops: []Hop{payment}}
	if s.Chain == e.Chain && (s.Asset == e.Asset || len(g.convs) > 0) {
		w.walk(s.To, s.Asset, start)
	}
	for _, hops := range w.found {
		for i := range hops {
			if hops[i].Asset == e.Asset {
				hops[i].Asset = chains.AssetID{}
			}
		}
	}
	return w.found, w.truncated
}

// pathWalk is the state of one search for the paths from a source to an
// endpoint.
type pathWalk struct {
	g         *flowGraph
	s         trace.Origin
	e         trace.Endpoint
	onPath    map[chains.Address]bool
	hops      []Hop
	found     [][]Hop
	expand    int
	truncated bool
}

// hopOf is flow f as a hop that carried traced of the source's taint.
func hopOf(f trace.Flow, traced chains.Amount) Hop {
	return Hop{Chain: f.Chain, Tx: f.Tx, Position: f.Position, Block: f.Block, Time: utc(f.Time),
		From: f.From, To: f.To, Amount: f.Amount, Traced: traced, Asset: f.Asset, Conversion: f.Conversion}
}

// step counts one more hop tried; false once the search is cut short.
func (w *pathWalk) step() bool {
	if w.expand++; w.expand > maxExpand {
		w.truncated = true
	}
	return !w.truncated
}

// arrive records the current hops as a path when the last one reached the
// endpoint, and reports whether it did.
func (w *pathWalk) arrive(to chains.Address, asset chains.AssetID) bool {
	if to != w.e.Address || asset != w.e.Asset {
		return false
	}
	if len(w.found) == maxPaths {
		w.truncated = true
	} else {
		w.found = append(w.found, append([]Hop(nil), w.hops...))
	}
	return true
}

// walk follows the flows of asset out of at after the transfer after.
func (w *pathWalk) walk(at chains.Address, asset chains.AssetID, after chains.Transfer) {
	s := w.s
	converted := map[int]bool{} // conversions already followed from at
	for _, f := range w.g.out[graphKey{s.Chain, at, asset}] {
		if w.truncated {
			return
		}
		t := asTransfer(f)
		if chains.Compare(t, after) <= 0 || (f.Tx == s.Tx && f.Position == s.Position) {
			continue
		}
		traced := shareOf(f.BySource, s.ID)
		if traced.IsZero() {
			continue
		}
		if c := w.g.sentLeg(f); c != nil {
			if converted[f.Conversion] {
				continue
			}
			converted[f.Conversion] = true
			if !w.step() {
				return
			}
			w.hops = append(w.hops, hopOf(f, traced))
			w.convert(f, c, t)
			w.hops = w.hops[:len(w.hops)-1]
			continue
		}
		if w.onPath[f.To] {
			continue
		}
		if !w.step() {
			return
		}
		w.hops = append(w.hops, hopOf(f, traced))
		if !w.arrive(f.To, f.Asset) {
			w.onPath[f.To] = true
			w.walk(f.To, f.Asset, t)
			delete(w.onPath, f.To)
		}
		w.hops = w.hops[:len(w.hops)-1]
	}
}

// convert goes on from the sent leg f of conversion c, at its sender, in
// every asset c received taint from the source in: through the received
// legs' flows when the trace has them, from the sent leg otherwise.
func (w *pathWalk) convert(f trace.Flow, c *trace.Conversion, sent chains.Transfer) {
	for _, leg := range c.Received {
		if w.truncated {
			return
		}
		if shareOf(leg.BySource, w.s.ID).IsZero() {
			continue
		}
		legs := w.g.received[legKey{f.Conversion, c.Address, leg.Asset}]
		if len(legs) == 0 {
			w.walk(c.Address, leg.Asset, sent)
			continue
		}
		n := len(w.hops)
		last := sent
		for _, r := range legs {
			w.hops = append(w.hops, hopOf(r, shareOf(r.BySource, w.s.ID)))
			if t := asTransfer(r); chains.Compare(t, last) > 0 {
				last = t
			}
		}
		if !w.arrive(c.Address, leg.Asset) {
			w.walk(c.Address, leg.Asset, last)
		}
		w.hops = w.hops[:n]
	}
}

// conversionsOn lists the conversions a path's hops went through, in
// order, each once.
func conversionsOn(hops []Hop) []int {
	var out []int
	for _, h := range hops {
		if h.Conversion != 0 && !slices.Contains(out, h.Conversion) {
			out = append(out, h.Conversion)
		}
	}
	return out
}

// flowsOf returns the flows on the paths that end at endpoint index i.
func (g *flowGraph) flowsOf(paths []Path, i int) []trace.Flow {
	var out []trace.Flow
	for _, p := range paths {
		if p.Endpoint != i {
			continue
		}
		for _, h := range p.Hops {
			if f, ok := g.byTx[flowKey{h.Chain, h.Tx, p.assetOf(h), h.Position}]; ok {
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
