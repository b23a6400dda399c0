package report

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/goccy/go-graphviz"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// kindColour fills endpoint nodes by kind; every other address is white.
var kindColour = map[trace.Kind]string{
	trace.KindExchange:     "#9ecae1",
	trace.KindHeld:         "#fdd835",
	trace.KindMixer:        "#bdbdbd",
	trace.KindBridge:       "#ce93d8",
	trace.KindSanctioned:   "#ef5350",
	trace.KindContract:     "#a5d6a7",
	trace.KindHopLimit:     "#ffcc80",
	trace.KindDust:         "#eeeeee",
	trace.KindHorizon:      "#ffe0b2",
	trace.KindHighActivity: "#b0bec5",
	trace.KindUnknown:      "#f8bbd0",
}

// dotGraph writes the flows as a Graphviz digraph: one node per address
// (named by chain and full address), victims' payments from their senders,
// endpoints filled by kind with their entity and amount, one edge per
// sender, receiver and asset with the taint it carried and the number of
// transfers. Left to right, so long peel chains read as lines.
func dotGraph(title string, srcs []trace.Origin, flows []trace.Flow, eps []trace.Endpoint, as assets, m *Messages) []byte {
	g := &diagram{nodes: map[addrKey]*dotNode{}, edges: map[edgeKey]*dotEdge{}}
	g.addOrigins(srcs)
	g.addEndpoints(eps, as, m)
	g.addFlows(flows, srcs)

	var b bytes.Buffer
	b.WriteString("digraph freezetrace {\n")
	b.WriteString("  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=10, nodesep=0.25, ranksep=0.6, label=" + dotQuote(title) + ", labelloc=t];\n")
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=9];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=8, color=\"#555555\"];\n")
	g.writeNodes(&b)
	writeLegend(&b, eps, m)
	g.writeEdges(&b, as)
	b.WriteString("}\n")
	return b.Bytes()
}

// diagram is the graph dotGraph draws: its addresses and, per sender,
// receiver and asset, the taint that moved.
type diagram struct {
	nodes map[addrKey]*dotNode
	edges map[edgeKey]*dotEdge
}

type dotNode struct {
	chain  chains.Chain
	addr   chains.Address
	label  []string
	colour string
	victim bool
}

type edgeKey struct {
	chain    chains.Chain
	from, to chains.Address
	asset    chains.AssetID
}

type dotEdge struct {
	tainted chains.Amount
	count   int
}

func (g *diagram) node(c chains.Chain, a chains.Address) *dotNode {
	k := addrKey{c, a}
	if g.nodes[k] == nil {
		g.nodes[k] = &dotNode{chain: c, addr: a}
	}
	return g.nodes[k]
}

// addOrigins marks the victims who sent the payments, and the addresses
// they paid.
func (g *diagram) addOrigins(srcs []trace.Origin) {
	for _, s := range srcs {
		n := g.node(s.Chain, s.From)
		n.victim = true
		n.label = append(n.label, "victim "+untrusted.Line(s.ID)+victimSuffix(s.Victim))
		g.node(s.Chain, s.To)
	}
}

// addEndpoints labels each endpoint with its kind, entity and amount, and
// fills it with the kind's colour.
func (g *diagram) addEndpoints(eps []trace.Endpoint, as assets, m *Messages) {
	for _, e := range eps {
		n := g.node(e.Chain, e.Address)
		l := kindName(m, e.Kind)
		if e.Entity != "" {
			l += ": " + untrusted.Line(e.Entity)
		}
		n.label = append(n.label, l, as.money(e.Amount, e.Asset))
		n.colour = kindColour[e.Kind]
	}
}

// addFlows adds an edge for every traced transfer, and for every victim
// payment that is not one of them.
func (g *diagram) addFlows(flows []trace.Flow, srcs []trace.Origin) {
	seen := map[flowKey]bool{}
	for _, f := range flows {
		seen[keyOf(f)] = true
		g.addEdge(edgeKey{f.Chain, f.From, f.To, f.Asset}, f.Tainted)
	}
	for _, s := range srcs {
		if !seen[flowKey{s.Chain, s.Tx, s.Asset, s.Position}] {
			g.addEdge(edgeKey{s.Chain, s.From, s.To, s.Asset}, s.Amount)
		}
	}
}

func (g *diagram) addEdge(k edgeKey, v chains.Amount) {
	g.node(k.chain, k.from)
	g.node(k.chain, k.to)
	if g.edges[k] == nil {
		g.edges[k] = &dotEdge{}
	}
	g.edges[k].tainted = g.edges[k].tainted.Add(v)
	g.edges[k].count++
}

// writeNodes writes the nodes in chain and address order. A labeled
// address shows in full, any other (and a victim) shortened.
func (g *diagram) writeNodes(b *bytes.Buffer) {
	keys := slices.SortedFunc(maps.Keys(g.nodes), func(a, b addrKey) int {
		if c := strings.Compare(string(a.chain), string(b.chain)); c != 0 {
			return c
		}
		return a.addr.Compare(b.addr)
	})
	for _, k := range keys {
		n := g.nodes[k]
		addr := n.addr.String()
		lines := []string{shortAddr(addr)}
		if len(n.label) > 0 && !n.victim {
			lines = []string{addr}
		}
		lines = append(lines, n.label...)
		attrs := "label=" + dotQuote(strings.Join(lines, "\n")) + ", tooltip=" + dotQuote(string(n.chain)+" "+addr) +
			", URL=" + dotQuote(n.chain.AddressURL(n.addr))
		switch {
		case n.colour != "":
			attrs += ", fillcolor=" + dotQuote(n.colour) + ", penwidth=1.6"
		case n.victim:
			attrs += ", shape=ellipse, fillcolor=\"#c8e6c9\""
		}
		fmt.Fprintf(b, "  %s [%s];\n", dotQuote(string(n.chain)+":"+addr), attrs)
	}
}

// writeEdges writes the edges in chain, sender, receiver and asset order,
// each labeled with the taint it carried and, past one, its transfers.
func (g *diagram) writeEdges(b *bytes.Buffer, as assets) {
	keys := slices.SortedFunc(maps.Keys(g.edges), func(a, b edgeKey) int {
		if c := strings.Compare(string(a.chain), string(b.chain)); c != 0 {
			return c
		}
		if c := a.from.Compare(b.from); c != 0 {
			return c
		}
		if c := a.to.Compare(b.to); c != 0 {
			return c
		}
		return a.asset.Compare(b.asset)
	})
	for _, k := range keys {
		e := g.edges[k]
		label := as.money(e.tainted, k.asset)
		if e.count > 1 {
			label += fmt.Sprintf(" (%d tx)", e.count)
		}
		fmt.Fprintf(b, "  %s -> %s [label=%s];\n", dotQuote(string(k.chain)+":"+k.from.String()),
			dotQuote(string(k.chain)+":"+k.to.String()), dotQuote(label))
	}
}

// kindName is the kind as the letter's language names it.
func kindName(m *Messages, k trace.Kind) string {
	if name := m.Kinds[k]; name != "" {
		return name
	}
	return string(k)
}

// writeLegend adds a box naming the colour of each endpoint kind present.
func writeLegend(b *bytes.Buffer, eps []trace.Endpoint, m *Messages) {
	present := map[trace.Kind]bool{}
	for _, e := range eps {
		present[e.Kind] = true
	}
	var kinds []trace.Kind
	for _, k := range []trace.Kind{trace.KindExchange, trace.KindHeld, trace.KindMixer, trace.KindBridge, trace.KindSanctioned,
		trace.KindContract, trace.KindHopLimit, trace.KindDust, trace.KindHorizon, trace.KindHighActivity, trace.KindUnknown} {
		if present[k] {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		return
	}
	b.WriteString("  subgraph cluster_legend {\n    label=\"legend\"; fontsize=9; style=dashed; color=\"#999999\";\n")
	for _, k := range kinds {
		fmt.Fprintf(b, "    %s [label=%s, fillcolor=%s, fontsize=8];\n", dotQuote("legend:"+string(k)), dotQuote(kindName(m, k)), dotQuote(kindColour[k]))
	}
	b.WriteString("  }\n")
}

func victimSuffix(v string) string {
	if v = untrusted.Line(v); v != "" {
		return " (" + v + ")"
	}
	return ""
}

// shortAddr shows the first 8 and last 6 characters of an address.
func shortAddr(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:8] + "…" + s[len(s)-6:]
}

// flowDiagram is a laid-out flow graph, for HTML and PDF to draw in place.
type flowDiagram struct {
	SVG []byte // Graphviz's SVG of the graph
}

// graph writes the flow graph's DOT and SVG files into dir, as far as their
// formats were asked for, and returns the diagram letters embed (nil when
// no renderer runs).
func (w *writer) graph(dir, title string, srcs []trace.Origin, flows []trace.Flow, eps []trace.Endpoint) (*flowDiagram, error) {
	if !w.want[FormatDOT] && !w.want[FormatSVG] && w.svg == nil {
		return nil, nil
	}
	dot := dotGraph(title, srcs, flows, eps, w.as, w.m)
	w.put(FormatDOT, dir+"graph.dot", dot)
	if w.svg != nil {
		svg, err := w.svg.render(w.ctx, dot)
		if err != nil {
			return nil, err
		}
		w.put(FormatSVG, dir+"graph.svg", svg)
		return &flowDiagram{SVG: svg}, nil
	}
	return nil, nil
}

// svgRenderer lays DOT out as SVG with Graphviz compiled to WebAssembly (no
// cgo, no installed Graphviz). It is not safe for concurrent use.
type svgRenderer struct{ gv *graphviz.Graphviz }

func newSVGRenderer(ctx context.Context) (*svgRenderer, error) {
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("start graphviz: %w", err)
	}
	return &svgRenderer{gv: gv}, nil
}

func (r *svgRenderer) render(ctx context.Context, dot []byte) ([]byte, error) {
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("parse dot: %w", err)
	}
	defer g.Close()
	var b bytes.Buffer
	if err := r.gv.Render(ctx, g, graphviz.SVG, &b); err != nil {
		return nil, fmt.Errorf("render svg: %w", err)
	}
	return b.Bytes(), nil
}

func (r *svgRenderer) Close() error { return r.gv.Close() }
