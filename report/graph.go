package report

import (
	"bytes"
	"context"

	"fmt"
	"maps"
	"slices"

	"strings"
	"time"

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
	// An instant exchanger is custodial like an exchange: a darker blue.
	trace.KindInstantExchanger: "#4fc3f7",
}

// legendKinds is the order the legend lists endpoint kinds in.
var legendKinds = []trace.Kind{trace.KindExchange, trace.KindInstantExchanger, trace.KindHeld, trace.KindMixer, trace.KindBridge, trace.KindSanctioned,
	trace.KindContract, trace.KindHopLimit, trace.KindDust, trace.KindHorizon, trace.KindHighActivity, trace.KindUnknown}

const (
	swapColour   = "#6a1b9a" // the edges of a conversion's legs, dashed
	victimColour = "#c8e6c9"
	labelWidth   = 30 // runes per line of an entity or victim name in a node
)

// dotGraph writes the flows as a Graphviz digraph ranked from the victims'
// payments (the first rank) to the endpoints (the last), top to bottom
// (rankdir "TB") or left to right ("LR"). One node per address, named by
// chain and full address: victims and intermediate addresses shortened,
// endpoints in full with their kind, entity and amount, filled by kind.
// One edge per sender, receiver and asset, labeled with the taint it
// carried, its transaction and time (or, for several transfers, their
// number and the first and last time). The legs of a swap or wrap (r's
// Conversions) are edges of their own, dashed and labeled "swap" with the
// two assets; an endpoint in another asset than the victims' shows what it
// is worth in theirs. A legend cluster shows every kind of node present.
func dotGraph(title string, r *trace.Result, srcs []trace.Origin, flows []trace.Flow, eps []trace.Endpoint, as assets, m *Messages, rankdir string) []byte {
	if rankdir != "LR" {
		rankdir = "TB"
	}
	g := &diagram{nodes: map[addrKey]*dotNode{}, edges: map[edgeKey]*dotEdge{}, r: r}
	g.addOrigins(srcs)
	g.addEndpoints(eps, as, m)
	g.addFlows(flows, srcs)

	var b bytes.Buffer
	b.WriteString("digraph freezetrace {\n")
	fmt.Fprintf(&b, "  graph [rankdir=%s, fontname=\"Helvetica\", fontsize=10, nodesep=0.2, ranksep=0.22, label=%s, labelloc=t];\n",
		rankdir, dotQuote(title))
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"Helvetica\", fontsize=9, margin=\"0.08,0.04\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=7, color=\"#555555\", fontcolor=\"#333333\", arrowsize=0.7];\n")
	keys := g.writeNodes(&b)
	g.writeRanks(&b, keys)
	g.writeLegend(&b, eps, m, rankdir == "LR")
	g.writeEdges(&b, as, m)
	b.WriteString("}\n")
	return b.Bytes()
}

// diagram is the graph dotGraph draws: its addresses and, per sender,
// receiver and asset, the taint that moved.
type diagram struct {
	nodes map[addrKey]*dotNode
	edges map[edgeKey]*dotEdge
	r     *trace.Result // its conversions and victims' assets
}

type dotNode struct {
	chain    chains.Chain
	addr     chains.Address
	label    []string
	colour   string
	victim   bool
	endpoint bool
}

type edgeKey struct {
	chain      chains.Chain
	from, to   chains.Address
	asset      chains.AssetID
	conversion int // the 1-based conversion of a swap leg, 0 for any other transfer
}

// dotEdge is what moved along one edge: the taint, the number of
// transfers, the first one's transaction and the first and last time.
type dotEdge struct {
	tainted     chains.Amount
	count       int
	tx          chains.TxHash
	first, last time.Time
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
		n.label = addLine(n.label, "victim "+untrusted.Line(s.ID))
		for _, l := range wrapText(s.Victim, labelWidth) {
			n.label = addLine(n.label, l)
		}
		g.node(s.Chain, s.To)
	}
}

// addEndpoints labels each endpoint with its kind, entity and amount, and
// fills it with the kind's colour.
func (g *diagram) addEndpoints(eps []trace.Endpoint, as assets, m *Messages) {
	for _, e := range eps {
		n := g.node(e.Chain, e.Address)
		n.endpoint = true
		n.label = addLine(n.label, kindName(m, e.Kind))
		for _, l := range wrapText(e.Entity, labelWidth) {
			n.label = addLine(n.label, l)
		}
		n.label = append(n.label, as.money(e.Amount, e.Asset))
		if g.r != nil && convertedEndpoint(g.r, e) {
			n.label = append(n.label, fmt.Sprintf(m.WorthShort, as.money(e.Value, victimAssetOf(g.r, e))))
		}
		n.colour = kindColour[e.Kind]
	}
}

// addLine appends l to lines unless it is empty or already there.
func addLine(lines []string, l string) []string {
	if l == "" || slices.Contains(lines, l) {
		return lines
	}
	return append(lines, l)
}

// addFlows adds an edge for every traced transfer, and for every victim
// payment that is not one of them.
func (g *diagram) addFlows(flows []trace.Flow, srcs []trace.Origin) {
	seen := map[flowKey]bool{}
	for _, f := range flows {
		seen[keyOf(f)] = true
		g.addEdge(edgeKey{f.Chain, f.From, f.To, f.Asset, f.Conversion}, f.Tainted, f.Tx, f.Time)
	}
	for _, s := range srcs {
		if !seen[flowKey{s.Chain, s.Tx, s.Asset, s.Position}] {
			g.addEdge(edgeKey{s.Chain, s.From, s.To, s.Asset, 0}, s.Amount, s.Tx, s.Time)
		}
	}
}

func (g *diagram) addEdge(k edgeKey, v chains.Amount, tx chains.TxHash, at time.Time) {
	g.node(k.chain, k.from)
	g.node(k.chain, k.to)
	e := g.edges[k]
	if e == nil {
		e = &dotEdge{tx: tx, first: at, last: at}
		g.edges[k] = e
	}
	e.tainted = e.tainted.Add(v)
	e.count++
	if !at.IsZero() && (e.first.IsZero() || at.Before(e.first)) {
		e.first, e.tx = at, tx
	}
	if at.After(e.last) {
		e.last = at
	}
}

// writeNodes writes the nodes in chain and address order, and returns
// their keys in that order. An endpoint shows its address in full (on two
// lines), any other address shortened.
func (g *diagram) writeNodes(b *bytes.Buffer) []addrKey {
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
		if n.endpoint {
			// In full, over two lines: the node is half as wide.
			lines = []string{addr[:(len(addr)+1)/2], addr[(len(addr)+1)/2:]}
		}
		lines = append(lines, n.label...)
		attrs := "label=" + dotQuote(strings.Join(lines, "\n")) + ", tooltip=" + dotQuote(string(n.chain)+" "+addr)
		if u := n.chain.AddressURL(n.addr); isWebURL(u) {
			attrs += ", URL=" + dotQuote(u)
		}
		switch {
		case n.endpoint:
			attrs += ", fillcolor=" + dotQuote(n.colour) + ", penwidth=1.6"
		case n.victim:
			attrs += ", shape=ellipse, fillcolor=\"" + victimColour + "\""
		}
		fmt.Fprintf(b, "  %s [%s];\n", nodeID(k), attrs)
	}
	return keys
}

func nodeID(k addrKey) string { return dotQuote(string(k.chain) + ":" + k.addr.String()) }

// writeRanks puts the victims on the first rank and the endpoints on the
// last.
func (g *diagram) writeRanks(b *bytes.Buffer, keys []addrKey) {
	for _, rank := range []string{"min", "max"} {
		var ids []string
		for _, k := range keys {
			n := g.nodes[k]
			if (rank == "min" && n.victim && !n.endpoint) || (rank == "max" && n.endpoint && !n.victim) {
				ids = append(ids, nodeID(k))
			}
		}
		if len(ids) > 0 {
			fmt.Fprintf(b, "  { rank=%s; %s; }\n", rank, strings.Join(ids, "; "))
		}
	}
}

// writeEdges writes the edges in chain, sender, receiver and asset order.
func (g *diagram) writeEdges(b *bytes.Buffer, as assets, m *Messages) {
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
		if c := a.asset.Compare(b.asset); c != 0 {
			return c
		}
		return a.conversion - b.conversion
	})
	for _, k := range keys {
		e := g.edges[k]
		label := edgeLabel(k.chain, e, as.money(e.tainted, k.asset), m)
		var c *trace.Conversion
		if g.r != nil {
			c = conversionOf(g.r, k.conversion)
		}
		if c != nil {
			label = append([]string{swapLabel(m, as, k.conversion, c)}, label...)
		}
		attrs := "label=" + dotQuote(strings.Join(label, "\n"))
		if c != nil {
			attrs += ", style=dashed, color=" + dotQuote(swapColour) + ", fontcolor=" + dotQuote(swapColour)
		}
		if u := k.chain.TxURL(e.tx); e.count == 1 && isWebURL(u) {
			attrs += ", URL=" + dotQuote(u) + ", tooltip=" + dotQuote(k.chain.FormatTx(e.tx))
		}
		fmt.Fprintf(b, "  %s -> %s [%s];\n", nodeID(addrKey{k.chain, k.from}), nodeID(addrKey{k.chain, k.to}), attrs)
	}
}

// swapLabel is the first line of a swap leg's edge: "swap C1: USDT → ETH",
// the sent asset and each received one.
func swapLabel(m *Messages, as assets, i int, c *trace.Conversion) string {
	got := make([]string, len(c.Received))
	for j, l := range c.Received {
		got[j] = as.symbol(l.Asset)
	}
	return fmt.Sprintf(m.SwapEdge, fmt.Sprintf(m.ConversionLabel, i), as.symbol(c.Sent.Asset), strings.Join(got, ", "))
}

// edgeLabel is an edge's amount, then its transaction (shortened) and
// time, or the number of its transfers and their first and last time; a
// time the data did not give is m.TimeUnknown.
func edgeLabel(c chains.Chain, e *dotEdge, amount string, m *Messages) []string {
	const layout = "2006-01-02 15:04 UTC"
	lines := []string{amount}
	if e.count == 1 {
		lines = append(lines, "tx "+shortAddr(c.FormatTx(e.tx)))
	} else {
		lines = append(lines, fmt.Sprintf("%d tx", e.count))
	}
	switch {
	case e.first.IsZero():
		lines = append(lines, m.TimeUnknown)
	case e.first.Equal(e.last):
		lines = append(lines, e.first.UTC().Format(layout))
	default:
		lines = append(lines, e.first.UTC().Format(layout)+" –", e.last.UTC().Format(layout))
	}
	return lines
}

// kindName is the kind as the letter's language names it.
func kindName(m *Messages, k trace.Kind) string {
	if name := m.Kinds[k]; name != "" {
		return name
	}
	return string(k)
}

// writeLegend adds a small cluster with one sample node for each kind of
// node the graph has: victim, intermediate address, each endpoint kind. Left
// to right, Graphviz stacks a rank's nodes upwards: up is reversed so that
// the legend reads from the top.
func (g *diagram) writeLegend(b *bytes.Buffer, eps []trace.Endpoint, m *Messages, up bool) {
	var victim, middle bool
	for _, n := range g.nodes {
		victim = victim || n.victim
		middle = middle || (!n.victim && !n.endpoint)
	}
	present := map[trace.Kind]bool{}
	for _, e := range eps {
		present[e.Kind] = true
	}
	var entries []string
	if victim {
		entries = append(entries, fmt.Sprintf("%s [label=\"victim\", shape=ellipse, fillcolor=\"%s\"]", dotQuote("legend:victim"), victimColour))
	}
	if middle {
		entries = append(entries, dotQuote("legend:address")+" [label=\"address\"]")
	}
	for _, k := range legendKinds {
		if present[k] {
			entries = append(entries, fmt.Sprintf("%s [label=%s, fillcolor=%s, penwidth=1.6]", dotQuote("legend:"+string(k)),
				dotQuote(kindName(m, k)), dotQuote(kindColour[k])))
		}
	}
	if len(entries) == 0 {
		return
	}
	if up {
		slices.Reverse(entries)
	}
	b.WriteString("  subgraph cluster_legend {\n    label=\"legend\"; fontsize=8; style=\"dashed,rounded\"; color=\"#999999\"; margin=6;\n")
	b.WriteString("    node [fontsize=7, margin=\"0.05,0.02\", height=0.2, width=0.4];\n")
	for _, e := range entries {
		b.WriteString("    " + e + ";\n")
	}
	b.WriteString("  }\n")
}

// wrapText splits untrusted text into lines of at most width runes at
// spaces, breaking longer words; past three lines it is cut with "…".
func wrapText(s string, width int) []string {
	var lines []string
	cur := []rune{}
	flush := func() {
		if len(cur) > 0 {
			lines = append(lines, string(cur))
			cur = cur[:0]
		}
	}
	for _, w := range strings.Fields(untrusted.Line(s)) {
		word := []rune(w)
		if len(cur) > 0 && len(cur)+1+len(word) > width {
			flush()
		}
		for len(word) > width {
			flush()
			lines = append(lines, string(word[:width]))
			word = word[width:]
		}
		if len(cur) > 0 {
			cur = append(cur, ' ')
		}
		cur = append(cur, word...)
	}
	flush()
	if len(lines) > 3 {
		r := []rune(lines[2])
		lines = append(lines[:2], string(r[:min(len(r), width-1)])+"…")
	}
	return lines
}

// shortAddr shows the first 8 and last 6 characters of an address or hash.
func shortAddr(s string) string {
	if len(s) <= 16 {
		return s
	}
	return s[:8] + "…" + s[len(s)-6:]
}

// flowDiagram is a laid-out flow graph, for HTML and PDF to draw in place.
// Coordinates are Graphviz points (1/72 inch) from the top left corner of
// the drawing, y growing downwards.
type flowDiagram struct {
	SVG      []byte  // Graphviz's SVG of the graph
	Rankdir  string  // the layout kept: "TB" or "LR"
	Width    float64 // size of the drawing
	Height   float64
	Title    []diagramText
	Clusters []diagramBox // the legend
	Nodes    []diagramNode
	Edges    []diagramEdge
}

// figurePage is the A4 portrait text area the layout is chosen for, in
// points: 174 × 250 mm.
const figurePageW, figurePageH = 174 / 25.4 * 72, 250 / 25.4 * 72

// fitScale is the factor that fits d into w × h points, at most 1.
func (d *flowDiagram) fitScale(w, h float64) float64 {
	return min(1, w/max(d.Width, 1), h/max(d.Height, 1))
}

// graph writes the flow graph's DOT and SVG files into dir, as far as their
// formats were asked for, and returns the laid-out diagram letters embed
// (nil when neither file nor HTML or PDF is wanted). It lays the graph out
// top to bottom and left to right and keeps the one that scales larger onto
// an A4 page, top to bottom on a tie.
func (w *writer) graph(dir, title string, srcs []trace.Origin, flows []trace.Flow, eps []trace.Endpoint) (*flowDiagram, error) {
	if !w.want[FormatDOT] && !w.want[FormatSVG] && w.svg == nil {
		return nil, nil
	}
	r := w.svg
	if r == nil {
		// Only the DOT file is wanted; the layout is still chosen by
		// Graphviz so that the file does not depend on the other formats.
		var err error
		if r, err = newSVGRenderer(w.ctx); err != nil {
			return nil, err
		}
		defer r.Close()
	}
	d, dot, err := r.choose(w.ctx, func(rankdir string) []byte { return dotGraph(title, w.r, srcs, flows, eps, w.as, w.m, rankdir) })
	if err != nil {
		return nil, err
	}
	w.put(FormatDOT, dir+"graph.dot", dot)
	if w.svg == nil && !w.want[FormatSVG] {
		return d, nil
	}
	if d.SVG, err = r.render(w.ctx, dot); err != nil {
		return nil, err
	}
	w.put(FormatSVG, dir+"graph.svg", d.SVG)
	return d, nil
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
	return r.run(ctx, dot, graphviz.SVG)
}

func (r *svgRenderer) run(ctx context.Context, dot []byte, f graphviz.Format) ([]byte, error) {
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("parse dot: %w", err)
	}
	defer g.Close()
	var b bytes.Buffer
	if err := r.gv.Render(ctx, g, f, &b); err != nil {
		return nil, fmt.Errorf("render %s: %w", f, err)
	}
	return b.Bytes(), nil
}

// layout lays dot out and reads the result.
func (r *svgRenderer) layout(ctx context.Context, dot []byte) (*flowDiagram, error) {
	b, err := r.run(ctx, dot, "json")
	if err != nil {
		return nil, err
	}
	return parseLayout(b)
}

// choose lays out the graph dot(rankdir) top to bottom and left to right
// and returns the layout that scales larger onto the page, and its DOT.
func (r *svgRenderer) choose(ctx context.Context, dot func(rankdir string) []byte) (*flowDiagram, []byte, error) {
	var best *flowDiagram
	var bestDOT []byte
	for _, dir := range []string{"TB", "LR"} {
		src := dot(dir)
		d, err := r.layout(ctx, src)
		if err != nil {
			return nil, nil, err
		}
		d.Rankdir = dir
		if best == nil || d.fitScale(figurePageW, figurePageH) > best.fitScale(figurePageW, figurePageH) {
			best, bestDOT = d, src
		}
	}
	return best, bestDOT, nil
}

func (r *svgRenderer) Close() error { return r.gv.Close() }
