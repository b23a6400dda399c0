package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"freezetrace/chains/untrusted"
)

// diagramText is one line of a label as Graphviz placed it: its baseline
// at Y, centred on X (Align 'c') or starting ('l') or ending ('r') there,
// Width wide in Helvetica at Size points.
type diagramText struct {
	X, Y, Size, Width float64
	Align             byte
	Text              string
}

// diagramBox is a rectangle (a cluster) by its top left corner and size.
type diagramBox struct {
	X, Y, W, H float64
	Label      []diagramText
}

// diagramNode is a node by its centre and size: a rounded box, or an
// ellipse.
type diagramNode struct {
	X, Y, W, H float64
	Ellipse    bool
	Fill       string  // "#rrggbb"
	Pen        float64 // line width, points
	URL        string  // explorer link, http(s) only
	Label      []diagramText
}

// diagramEdge is a cubic Bézier spline (a start point, then two control
// points and an end point per segment), its arrowhead polygon and label.
type diagramEdge struct {
	Spline [][2]float64
	Arrow  [][2]float64
	Label  []diagramText
	Dashed bool // a swap leg (Graphviz style "dashed")
}

// gvObject is the part of Graphviz's JSON output (format "json": xdot
// drawing operations per object) that parseLayout reads.
type gvObject struct {
	Name    string     `json:"name"`
	BB      string     `json:"bb"`
	Pos     string     `json:"pos"`
	Width   string     `json:"width"`
	Height  string     `json:"height"`
	URL     string     `json:"URL"`
	Draw    []gvOp     `json:"_draw_"`
	LDraw   []gvOp     `json:"_ldraw_"`
	HDraw   []gvOp     `json:"_hdraw_"`
	Objects []gvObject `json:"objects"`
	Edges   []gvObject `json:"edges"`
}

type gvOp struct {
	Op     string      `json:"op"`
	Size   float64     `json:"size"`
	Pt     []float64   `json:"pt"`
	Align  string      `json:"align"`
	Width  float64     `json:"width"`
	Text   string      `json:"text"`
	Color  string      `json:"color"`
	Style  string      `json:"style"`
	Rect   []float64   `json:"rect"`
	Points [][]float64 `json:"points"`
}

// parseLayout reads Graphviz's JSON output into a flowDiagram, turned so
// that y grows downwards from the top left corner.
func parseLayout(b []byte) (*flowDiagram, error) {
	var g gvObject
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("read graphviz layout: %w", err)
	}
	bb := floats(g.BB)
	if len(bb) != 4 {
		return nil, fmt.Errorf("read graphviz layout: bounding box %q", g.BB)
	}
	x0, top := bb[0], bb[3]
	pt := func(p []float64) [2]float64 {
		if len(p) < 2 {
			return [2]float64{}
		}
		return [2]float64{p[0] - x0, top - p[1]}
	}
	texts := func(ops []gvOp) []diagramText {
		var out []diagramText
		size := 14.0
		for _, op := range ops {
			switch op.Op {
			case "F":
				size = op.Size
			case "T":
				p := pt(op.Pt)
				// Graphviz writes a backslash in the text as two.
				text := strings.ReplaceAll(op.Text, `\\`, `\`)
				out = append(out, diagramText{X: p[0], Y: p[1], Size: size, Width: op.Width, Align: (op.Align + "c")[0], Text: text})
			}
		}
		return out
	}
	d := &flowDiagram{Width: bb[2] - bb[0], Height: bb[3] - bb[1], Title: texts(g.LDraw)}
	for _, o := range g.Objects {
		switch {
		case strings.HasPrefix(o.Name, "cluster"):
			if c := floats(o.BB); len(c) == 4 {
				p := pt([]float64{c[0], c[3]})
				d.Clusters = append(d.Clusters, diagramBox{X: p[0], Y: p[1], W: c[2] - c[0], H: c[3] - c[1], Label: texts(o.LDraw)})
			}
		case o.Pos != "":
			d.Nodes = append(d.Nodes, node(o, pt(floats(o.Pos)), texts(o.LDraw)))
		}
	}
	for _, e := range g.Edges {
		var de diagramEdge
		for _, op := range e.Draw {
			de.Dashed = de.Dashed || (op.Op == "S" && op.Style == "dashed")
			if op.Op == "b" || op.Op == "B" {
				for _, p := range op.Points {
					de.Spline = append(de.Spline, pt(p))
				}
			}
		}
		for _, op := range e.HDraw {
			if op.Op == "P" || op.Op == "p" {
				for _, p := range op.Points {
					de.Arrow = append(de.Arrow, pt(p))
				}
			}
		}
		de.Label = texts(e.LDraw)
		d.Edges = append(d.Edges, de)
	}
	return d, nil
}

// node reads a node's size (inches) and, from its drawing, its shape, fill
// and line width.
func node(o gvObject, c [2]float64, label []diagramText) diagramNode {
	n := diagramNode{X: c[0], Y: c[1], Fill: "#ffffff", Pen: 1, Label: label}
	if w := floats(o.Width); len(w) == 1 {
		n.W = w[0] * 72
	}
	if h := floats(o.Height); len(h) == 1 {
		n.H = h[0] * 72
	}
	if isWebURL(o.URL) {
		n.URL = o.URL
	}
	for _, op := range o.Draw {
		switch op.Op {
		case "e", "E":
			n.Ellipse = true
		case "C":
			n.Fill = op.Color
		case "S":
			if v, ok := strings.CutPrefix(op.Style, "setlinewidth("); ok {
				if f := floats(strings.TrimSuffix(v, ")")); len(f) == 1 {
					n.Pen = f[0]
				}
			}
		}
	}
	return n
}

// floats reads numbers separated by commas or spaces ("27,118.22").
func floats(s string) []float64 {
	var out []float64
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil
		}
		out = append(out, v)
	}
	return out
}

// ptMM is millimetres per point.
const ptMM = 25.4 / 72

// minFigureScale is the smallest scale a figure is drawn at: node text of
// 9 pt at 5.9 pt, edge labels of 7 pt at 4.6 pt. A diagram that would have
// to shrink further is drawn at this scale in pieces (see writeTiles).
const minFigureScale = 0.65

// tileGap is the space between pieces of a figure side by side, mm.
const tileGap = 6

// figureTile is one piece of a figure on a page, in page millimetres: the
// area it may use (Clip) and the extent of what was drawn there (Drawn),
// both as x0, y0, x1, y1.
type figureTile struct {
	Page        int
	Scale       float64
	Clip, Drawn [4]float64
}

// writeFigure draws the diagram of x at the full text width or the height
// left on the page, whichever is smaller, never enlarged; on a new page when
// less than 60% of one is left or the page would squeeze it below
// minFigureScale. The caption goes under it. It returns what it drew where.
func writeFigure(f *fpdf.Fpdf, x figure) []figureTile {
	d := x.Diagram
	if d == nil || d.Width <= 0 || d.Height <= 0 {
		text := x.Caption
		if x.File != "" {
			text += " (see " + x.File + ")"
		}
		writeSpans(f, []span{txt(text)}, 8.5, pdfLine)
		f.Ln(pdfLine + 1.5)
		return nil
	}
	l, t, r, _ := f.GetMargins()
	pw, ph := f.GetPageSize()
	availW, bottom := pw-l-r, ph-pdfBottom
	f.SetFont(fontSans, "", 8.5)
	capH := float64(len(f.SplitText(x.Caption, availW)))*pdfLine + 3
	full := bottom - t - capH - 2
	room := func() float64 { return bottom - f.GetY() - capH - 2 }
	fit := func(h float64) float64 { return min(1, availW/(d.Width*ptMM), h/(d.Height*ptMM)) }
	if room() < 0.6*(bottom-t) || (fit(room()) < minFigureScale && fit(full) >= minFigureScale) {
		f.AddPage()
	}
	var tiles []figureTile
	if s := fit(room()); s >= minFigureScale {
		ps := s * ptMM
		ox, oy := l+(availW-d.Width*ps)/2, f.GetY()+1
		p := &figurePainter{f: f, ps: ps, ox: ox, oy: oy, view: [4]float64{0, 0, d.Width, d.Height}}
		p.paint(d)
		tiles = append(tiles, figureTile{Page: f.PageNo(), Scale: s, Clip: [4]float64{l, oy, l + availW, oy + d.Height*ps}, Drawn: p.drawn})
		f.SetY(oy + d.Height*ps + 2)
	} else {
		tiles = writeTiles(f, d, availW, room(), full)
	}
	f.SetFont(fontSans, "", 8.5)
	writeSpans(f, []span{txt(x.Caption)}, 8.5, pdfLine)
	f.Ln(pdfLine + 1.5)
	return tiles
}

// writeTiles draws a diagram too large for a page at minFigureScale, in
// pieces cut where no node or edge label is. One narrow enough for two or
// more side by side is cut into slices set next to each other like
// newspaper columns, as many to a page as fit (a long peel chain); any
// other into tiles as large as a page, left to right and then down, one to
// a page. The first page has h0 millimetres of height left, the others h;
// every page is w wide.
func writeTiles(f *fpdf.Fpdf, d *flowDiagram, w, h0, h float64) []figureTile {
	ps := minFigureScale * ptMM
	var xs, ys [][2]float64
	for _, n := range d.Nodes {
		xs = append(xs, [2]float64{n.X - n.W/2, n.X + n.W/2})
		ys = append(ys, [2]float64{n.Y - n.H/2, n.Y + n.H/2})
	}
	for _, e := range d.Edges {
		for _, t := range e.Label {
			xs = append(xs, [2]float64{t.X - t.Width, t.X + t.Width})
			ys = append(ys, [2]float64{t.Y - t.Size, t.Y + t.Size/2})
		}
	}
	cols := cuts(xs, d.Width, func(int) float64 { return w / ps })
	perPage := 1
	if len(cols) == 2 {
		perPage = max(1, int((w+tileGap)/(d.Width*ps+tileGap)))
	}
	rows := cuts(ys, d.Height, func(i int) float64 {
		if i < perPage {
			return h0 / ps
		}
		return h / ps
	})
	l, t, _, _ := f.GetMargins()
	top := f.GetY()
	var tiles []figureTile
	for i := 1; i < len(rows); i++ {
		for j := 1; j < len(cols); j++ {
			slot := len(tiles) % perPage
			if len(tiles) > 0 && slot == 0 {
				f.AddPage()
				top = t
			}
			view := [4]float64{cols[j-1], rows[i-1], cols[j], rows[i]}
			tw := (view[2] - view[0]) * ps
			group := float64(perPage)*tw + float64(perPage-1)*tileGap
			if perPage == 1 {
				group = tw
			}
			x0 := l + (w-group)/2 + float64(slot)*(tw+tileGap)
			clip := [4]float64{x0, top, x0 + tw, top + (view[3]-view[1])*ps}
			f.ClipRect(clip[0], clip[1], tw, clip[3]-clip[1], false)
			p := &figurePainter{f: f, ps: ps, ox: x0 - view[0]*ps, oy: top - view[1]*ps, view: view, clipped: true}
			p.paint(d)
			f.ClipEnd()
			tiles = append(tiles, figureTile{Page: f.PageNo(), Scale: minFigureScale, Clip: clip, Drawn: p.drawn})
		}
	}
	bottom := 0.0
	for _, tl := range tiles {
		if tl.Page == f.PageNo() {
			bottom = max(bottom, tl.Clip[3])
		}
	}
	f.SetY(bottom + 2)
	return tiles
}

// cuts divides [0, size] into pieces, piece i at most step(i) long, each
// cut moved back to before any span it would go through, as long as that
// keeps the piece at least half its step long.
func cuts(spans [][2]float64, size float64, step func(i int) float64) []float64 {
	out := []float64{0}
	for at, i := 0.0, 0; size-at > step(i); i++ {
		c := at + step(i)
		for moved := true; moved; {
			moved = false
			for _, s := range spans {
				if s[0] < c && c < s[1] {
					c, moved = s[0]-2, true
				}
			}
		}
		if c < at+step(i)/2 {
			c = at + step(i)
		}
		out = append(out, c)
		at = c
	}
	return append(out, size)
}

// figurePainter draws a diagram's view (x0, y0, x1, y1 in diagram points)
// with its point (0, 0) at (ox, oy) mm and ps mm per point, and records
// the extent of what it drew (clipped to the view if the page is).
type figurePainter struct {
	f          *fpdf.Fpdf
	ps, ox, oy float64
	view       [4]float64
	clipped    bool
	drawn      [4]float64
	any        bool
}

// at maps a diagram point to the page and records it.
func (p *figurePainter) at(x, y float64) (float64, float64) {
	vx, vy := x, y
	if p.clipped {
		vx, vy = min(max(x, p.view[0]), p.view[2]), min(max(y, p.view[1]), p.view[3])
	}
	px, py := p.ox+vx*p.ps, p.oy+vy*p.ps
	if !p.any {
		p.drawn, p.any = [4]float64{px, py, px, py}, true
	}
	p.drawn = [4]float64{min(p.drawn[0], px), min(p.drawn[1], py), max(p.drawn[2], px), max(p.drawn[3], py)}
	return p.ox + x*p.ps, p.oy + y*p.ps
}

// inside reports whether the box x0, y0, x1, y1 lies in the view.
func (p *figurePainter) inside(x0, y0, x1, y1 float64) bool {
	return x0 >= p.view[0] && x1 <= p.view[2] && y0 >= p.view[1] && y1 <= p.view[3]
}

// visible reports whether the box x0, y0, x1, y1 meets the view.
func (p *figurePainter) visible(x0, y0, x1, y1 float64) bool {
	return x1 >= p.view[0] && x0 <= p.view[2] && y1 >= p.view[1] && y0 <= p.view[3]
}

func (p *figurePainter) paint(d *flowDiagram) {
	f := p.f
	defer func() {
		f.SetDashPattern([]float64{}, 0)
		f.SetDrawColor(0, 0, 0)
		f.SetFillColor(255, 255, 255)
		f.SetTextColor(0, 0, 0)
		f.SetLineWidth(0.2)
	}()
	for _, t := range d.Title {
		p.text(t)
	}
	f.SetDrawColor(153, 153, 153)
	f.SetLineWidth(max(0.1, 0.8*p.ps))
	f.SetDashPattern([]float64{4 * p.ps, 2.5 * p.ps}, 0)
	for _, c := range d.Clusters {
		if p.visible(c.X, c.Y, c.X+c.W, c.Y+c.H) {
			x, y := p.at(c.X, c.Y)
			x1, y1 := p.at(c.X+c.W, c.Y+c.H)
			f.RoundedRect(x, y, x1-x, y1-y, 4*p.ps, "1234", "D")
			for _, t := range c.Label {
				p.text(t)
			}
		}
	}
	f.SetDashPattern([]float64{}, 0)
	for _, e := range d.Edges {
		p.edge(e)
	}
	for _, n := range d.Nodes {
		p.node(n)
	}
}

func (p *figurePainter) edge(e diagramEdge) {
	f := p.f
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, q := range append(slices.Clone(e.Spline), e.Arrow...) {
		x0, y0, x1, y1 = min(x0, q[0]), min(y0, q[1]), max(x1, q[0]), max(y1, q[1])
	}
	if p.visible(x0, y0, x1, y1) {
		f.SetDrawColor(85, 85, 85)
		f.SetFillColor(85, 85, 85)
		f.SetLineWidth(max(0.1, 0.8*p.ps))
		if e.Dashed {
			f.SetDashPattern([]float64{3 * p.ps, 2 * p.ps}, 0)
		}
		for i := 0; i+3 < len(e.Spline); i += 3 {
			s := e.Spline[i : i+4]
			ax, ay := p.at(s[0][0], s[0][1])
			bx, by := p.at(s[1][0], s[1][1])
			cx, cy := p.at(s[2][0], s[2][1])
			dx, dy := p.at(s[3][0], s[3][1])
			f.CurveBezierCubic(ax, ay, bx, by, cx, cy, dx, dy, "D")
		}
		if e.Dashed {
			f.SetDashPattern([]float64{}, 0)
		}
		if len(e.Arrow) > 2 {
			pts := make([]fpdf.PointType, len(e.Arrow))
			for i, q := range e.Arrow {
				pts[i].X, pts[i].Y = p.at(q[0], q[1])
			}
			f.Polygon(pts, "FD")
		}
	}
	f.SetTextColor(51, 51, 51)
	for _, t := range e.Label {
		p.text(t)
	}
	f.SetTextColor(0, 0, 0)
}

func (p *figurePainter) node(n diagramNode) {
	if !p.visible(n.X-n.W/2, n.Y-n.H/2, n.X+n.W/2, n.Y+n.H/2) {
		return
	}
	f := p.f
	r, g, b := hexColour(n.Fill)
	f.SetFillColor(r, g, b)
	f.SetDrawColor(0, 0, 0)
	f.SetLineWidth(max(0.1, 0.8*n.Pen*p.ps))
	x, y := p.at(n.X-n.W/2, n.Y-n.H/2)
	x1, y1 := p.at(n.X+n.W/2, n.Y+n.H/2)
	if n.Ellipse {
		f.Ellipse((x+x1)/2, (y+y1)/2, (x1-x)/2, (y1-y)/2, 0, "FD")
	} else {
		f.RoundedRect(x, y, x1-x, y1-y, min(4*p.ps, (y1-y)/2), "1234", "FD")
	}
	if n.URL != "" && p.inside(n.X-n.W/2, n.Y-n.H/2, n.X+n.W/2, n.Y+n.H/2) {
		f.LinkString(x, y, x1-x, y1-y, n.URL)
	}
	for _, t := range n.Label {
		p.text(t)
	}
}

// text draws one label line in the document's fonts, shrunk if they set
// it wider than Graphviz measured it.
func (p *figurePainter) text(t diagramText) {
	s := untrusted.Line(t.Text)
	if s == "" || !p.visible(t.X-t.Width, t.Y-t.Size, t.X+t.Width, t.Y) {
		return
	}
	f := p.f
	size := t.Size * p.ps / ptMM
	w := textWidth(f, span{}, s, size)
	if lim := t.Width * p.ps; lim > 0 && w > lim {
		size, w = size*lim/w, lim
	}
	x, y := p.ox+t.X*p.ps, p.oy+t.Y*p.ps
	switch t.Align {
	case 'c':
		x -= w / 2
	case 'r':
		x -= w
	}
	p.at((x-p.ox)/p.ps, (y-p.oy-size*ptMM*0.75)/p.ps)
	p.at((x+w-p.ox)/p.ps, (y-p.oy+size*ptMM*0.25)/p.ps)
	for _, r := range scriptRuns(s) {
		if r.fallback {
			f.SetFont(fontFallback, "", size)
		} else {
			f.SetFont(fontSans, "", size)
		}
		f.Text(x, y, r.text)
		x += f.GetStringWidth(r.text)
	}
}

// hexColour reads "#rrggbb"; anything else is white.
func hexColour(s string) (r, g, b int) {
	var v [3]int
	if len(s) < 7 || s[0] != '#' {
		return 255, 255, 255
	}
	for i := range v {
		n, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
		if err != nil {
			return 255, 255, 255
		}
		v[i] = int(n)
	}
	return v[0], v[1], v[2]
}

// texts is every line of text in d.
func (d *flowDiagram) texts() []diagramText {
	out := slices.Clone(d.Title)
	for _, c := range d.Clusters {
		out = append(out, c.Label...)
	}
	for _, n := range d.Nodes {
		out = append(out, n.Label...)
	}
	for _, e := range d.Edges {
		out = append(out, e.Label...)
	}
	return out
}
