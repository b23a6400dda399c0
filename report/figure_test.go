package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"freezetrace/chains"
	"freezetrace/trace"
)

// testWriter is a writer as Render builds one, for r and the fixture case,
// with the SVG renderer running.
func testWriter(t *testing.T, r *trace.Result) *writer {
	t.Helper()
	c := mustCase(t, fixtureCaseText())
	w := &writer{ctx: context.Background(), r: r, c: c, at: fixtureAt, want: map[Format]bool{FormatSVG: true, FormatDOT: true},
		files: map[string][]byte{}, as: newAssets(r), m: catalogue[c.Language]}
	svg, err := newSVGRenderer(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svg.Close() })
	w.svg = svg
	return w
}

// figureDoc lays out r's whole flow graph and returns a document holding
// it as a figure, the way a letter's asset-transfer section does.
func figureDoc(t *testing.T, r *trace.Result) (*document, *writer) {
	t.Helper()
	w := testWriter(t, r)
	d, err := w.graph("case/", "NFT-2024-0117", r.Origins, r.Flows, r.Endpoints)
	if err != nil {
		t.Fatalf("graph: %v", err)
	}
	if d == nil {
		t.Fatal("graph returned no diagram with the SVG renderer running")
	}
	doc := &document{Title: "Request to freeze", Lang: "en", Blocks: []block{
		heading{2, "Transfer of the assets"},
		p(txt("The diagram shows every traced transfer.")),
		figure{Caption: "Flow of the traced funds", File: "graph.svg", Diagram: d},
		p(txt("After the figure.")),
	}}
	return doc, w
}

// legendEntries are the legend's labels for r's graph.
func legendEntries(r *trace.Result) []string {
	want := []string{"legend", "victim", "address"}
	seen := map[trace.Kind]bool{}
	for _, e := range r.Endpoints {
		if !seen[e.Kind] {
			seen[e.Kind] = true
			want = append(want, kindName(catalogue["en"], e.Kind))
		}
	}
	return want
}

func TestFigurePDF(t *testing.T) {
	r := fixtureResult()
	doc, w := figureDoc(t, r)
	b, err := pdfDoc(doc, "NFT-2024-0117", fixtureAt)
	if err != nil {
		t.Fatal(err)
	}
	text := extractPDFText(t, b)
	want := legendEntries(r)
	// The Go PDF reader does not map "…" back (it reads "&"), so a short
	// hash is checked by its two ends, and an address by its two lines.
	short := func(h string) []string { return []string{"tx " + h[:8], h[len(h)-6:]} }
	for _, f := range r.Flows {
		want = append(want, w.as.money(f.Tainted, f.Asset), f.Time.UTC().Format("2006-01-02 15:04 UTC"))
		want = append(want, short(f.Chain.FormatTx(f.Tx))...)
	}
	for _, s := range r.Origins {
		want = append(want, w.as.money(s.Amount, s.Asset), "victim "+s.ID)
		want = append(want, short(s.Chain.FormatTx(s.Tx))...)
	}
	for _, e := range r.Endpoints {
		a := e.Address.String()
		want = append(want, a[:(len(a)+1)/2], a[(len(a)+1)/2:])
	}
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Errorf("PDF text has no %q", s)
		}
	}
	if !strings.Contains(text, "Flow of the traced funds") {
		t.Errorf("PDF has no caption")
	}
}

// checkInside fails unless every tile lies within the page's margins.
func checkInside(t *testing.T, f *fpdf.Fpdf, tiles []figureTile) {
	t.Helper()
	l, top, r, _ := f.GetMargins()
	pw, ph := f.GetPageSize()
	const eps = 0.01
	for i, tl := range tiles {
		for _, box := range [][4]float64{tl.Clip, tl.Drawn} {
			if box[0] < l-eps || box[1] < top-eps || box[2] > pw-r+eps || box[3] > ph-pdfBottom+eps {
				t.Errorf("tile %d on page %d: %v outside the text area %v", i, tl.Page, box, [4]float64{l, top, pw - r, ph - pdfBottom})
			}
		}
		if tl.Scale < minFigureScale {
			t.Errorf("tile %d drawn at scale %.2f, below %.2f", i, tl.Scale, minFigureScale)
		}
	}
}

func TestFigureFitsPage(t *testing.T) {
	r := fixtureResult()
	doc, _ := figureDoc(t, r)
	fig := doc.Blocks[2].(figure)
	t.Run("OK", func(t *testing.T) {
		f := newPDF(doc, "", fixtureAt)
		f.AddPage()
		tiles := writeFigure(f, fig)
		if len(tiles) != 1 || tiles[0].Page != 1 {
			t.Fatalf("drawn as %d tiles (%+v), want one on page 1", len(tiles), tiles)
		}
		checkInside(t, f, tiles)
		t.Logf("%s layout, %.0f × %.0f pt, scale %.2f", fig.Diagram.Rankdir, fig.Diagram.Width, fig.Diagram.Height, tiles[0].Scale)
	})
	t.Run("NewPageWhenLittleIsLeft", func(t *testing.T) {
		f := newPDF(doc, "", fixtureAt)
		f.AddPage()
		f.SetY(150)
		tiles := writeFigure(f, fig)
		if len(tiles) != 1 || tiles[0].Page != 2 {
			t.Fatalf("drawn as %+v, want one tile on page 2", tiles)
		}
		checkInside(t, f, tiles)
	})
	t.Run("NoDiagram", func(t *testing.T) {
		b, err := pdfDoc(&document{Title: "x", Blocks: []block{figure{Caption: "Flow of the traced funds", File: "graph.svg"}}}, "", fixtureAt)
		if err != nil {
			t.Fatal(err)
		}
		if text := extractPDFText(t, b); !strings.Contains(text, "Flow of the traced funds (see graph.svg)") {
			t.Errorf("PDF without diagram: got %q, want the caption and the file", text)
		}
	})
}

func TestFigurePDFDeterministic(t *testing.T) {
	var out [][]byte
	for range 2 {
		doc, _ := figureDoc(t, fixtureResult())
		b, err := pdfDoc(doc, "NFT-2024-0117", fixtureAt)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Errorf("two PDFs of the same figure differ")
	}
}

// unsafeHTML matches what must never reach a page: a script element, an
// event handler attribute in a tag, a javascript: URL as an attribute.
var unsafeHTML = regexp.MustCompile(`(?i)<script|<[a-z][^>]*\son[a-z]+\s*=|=\s*["']?\s*javascript:`)

func TestFigureHTML(t *testing.T) {
	doc, _ := figureDoc(t, fixtureResult())
	h, err := html(doc)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(h, "<svg"); n != 1 {
		t.Errorf("page has %d <svg elements, want 1", n)
	}
	for _, bad := range []string{"<?xml", "<!DOCTYPE svg", "<!--"} {
		if strings.Contains(h, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if m := unsafeHTML.FindString(h); m != "" {
		t.Errorf("page contains %q", m)
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(h, -1) {
		if !isWebURL(m[1]) && m[1] != "graph.svg" {
			t.Errorf("link to %q", m[1])
		}
	}
	for _, want := range []string{`<a href="graph.svg">graph.svg</a>`, "<figcaption>Flow of the traced funds", "max-width: 100%; height: auto",
		`xlink:href="https://etherscan.io/address/` + depOKX.String() + `"`} {
		if !strings.Contains(h, want) {
			t.Errorf("page has no %s", want)
		}
	}
	checkXML(t, "inline svg", []byte(h[strings.Index(h, "<svg"):strings.Index(h, "</svg>")+len("</svg>")]))
}

func TestFigureMarkdown(t *testing.T) {
	doc, _ := figureDoc(t, fixtureResult())
	md := markdown(doc)
	if !strings.Contains(md, "\n![Flow of the traced funds](graph.svg)\n") {
		t.Errorf("markdown does not show graph.svg:\n%s", md)
	}
	doc.Blocks = []block{figure{Caption: "[x](javascript:alert(1)) <b>", File: "graph (1).svg"}}
	if got, want := markdown(doc), "![\\[x\\](javascript:alert(1)) \\<b\\>](graph%20%281%29.svg)\n"; !strings.HasSuffix(got, want) {
		t.Errorf("hostile caption: got %q, want it to end %q", got, want)
	}
}

// hostileGraph is the fixture with names that try to break out of a DOT
// string, the SVG and the HTML page.
func hostileGraph() *trace.Result {
	r := fixtureResult()
	names := []string{`</svg><script>alert(1)</script>`, `"];evil [label="x`, `<img src=x onerror=alert(1)>`, `&lt;script&gt;alert(1)`,
		`javascript:alert(1)`, `\N\G" -> "x`, "陈伟 交易所"}
	for i := range r.Endpoints {
		r.Endpoints[i].Entity = names[i%len(names)]
	}
	for i := range r.Origins {
		r.Origins[i].Victim = names[(i+1)%len(names)]
	}
	return r
}

func TestFigureHostile(t *testing.T) {
	r := hostileGraph()
	doc, w := figureDoc(t, r)
	d := doc.Blocks[2].(figure).Diagram
	t.Run("DOT", func(t *testing.T) {
		// Every address and legend entry is one node; no label made one more.
		if got, want := len(d.Nodes), countAddresses(r)+len(legendEntries(r))-1; got != want {
			t.Errorf("layout has %d nodes, want %d", got, want)
		}
		dot := string(w.files["case/graph.dot"])
		if strings.Contains(dot, "\n  evil") || strings.Contains(dot, `"];evil [label="x"`) {
			t.Errorf("DOT has the injected node:\n%s", dot)
		}
	})
	t.Run("HTML", func(t *testing.T) {
		h, err := html(doc)
		if err != nil {
			t.Fatal(err)
		}
		if m := unsafeHTML.FindString(h); m != "" {
			t.Errorf("page contains %q", m)
		}
		if strings.Count(h, "<svg") != 1 || strings.Count(h, "</svg>") != 1 || strings.Contains(h, "<img") {
			t.Errorf("hostile names changed the page's markup")
		}
		if !strings.Contains(h, "&lt;/svg&gt;&lt;script&gt;") {
			t.Errorf("the hostile entity is not shown as text")
		}
		// The CJK name in the diagram gets a web font, at the start of <style>.
		css, err := webFontFaces(cleanDoc(doc))
		if err != nil {
			t.Fatal(err)
		}
		if css == "" || !strings.Contains(h, "<style>\n"+string(css)) {
			t.Errorf("the page's <style> does not start with the web fonts (%d bytes of CSS)", len(css))
		}
	})
	t.Run("PDF", func(t *testing.T) {
		if !needsFallback(doc) {
			t.Errorf("needsFallback misses the CJK entity in the diagram")
		}
		b, err := pdfDoc(doc, "x", fixtureAt)
		if err != nil {
			t.Fatal(err)
		}
		if text := extractPDFText(t, b); !strings.Contains(text, `"];evil [label="x`) {
			t.Errorf("PDF does not show the hostile entity as text")
		}
	})
}

// countAddresses is the number of distinct addresses in r's graph.
func countAddresses(r *trace.Result) int {
	seen := map[addrKey]bool{}
	for _, s := range r.Origins {
		seen[addrKey{s.Chain, s.From}], seen[addrKey{s.Chain, s.To}] = true, true
	}
	for _, f := range r.Flows {
		seen[addrKey{f.Chain, f.From}], seen[addrKey{f.Chain, f.To}] = true, true
	}
	return len(seen)
}

// chainResult is one victim payment peeled through n addresses into a
// wallet that holds it.
func chainResult(n int) *trace.Result {
	r := fixtureResult()
	src := r.Origins[2]
	r.Origins, r.Flows, r.Ledger = r.Origins[2:], nil, nil
	from := src.To
	for i := 1; i <= n; i++ {
		to := addr(chains.FamilyEVM, fmt.Sprintf("hop %d", i))
		amt := usdt(40_000-uint64(i)*100, 0)
		r.Flows = append(r.Flows, trace.Flow{Chain: chains.Ethereum, Tx: txh(fmt.Sprintf("hop %d", i)), Block: src.Block + uint64(i),
			Time: src.Time.Add(time.Duration(i) * time.Hour), From: from, To: to, Asset: src.Asset, Amount: amt, Tainted: amt, Hop: i,
			BySource: sh(src.ID, amt)})
		from = to
	}
	last := r.Flows[n-1]
	r.Endpoints = []trace.Endpoint{{Chain: chains.Ethereum, Address: from, Kind: trace.KindHeld, Asset: src.Asset, Amount: last.Tainted,
		Hops: n, BySource: last.BySource, Txs: []chains.TxHash{last.Tx}, Reason: "test"}}
	return r
}

// TestFigureLarge lays out a 30-hop peel chain and a 40-way fan-out: each
// is drawn no smaller than minFigureScale, inside the margins, on one page
// or in page-sized tiles.
func TestFigureLarge(t *testing.T) {
	for _, tc := range []struct {
		name  string
		r     *trace.Result
		pages int // at most
	}{
		{"Chain30", chainResult(30), 3},
		{"FanOut40", bigResult(40), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, _ := figureDoc(t, tc.r)
			fig := doc.Blocks[2].(figure)
			f := newPDF(doc, "", fixtureAt)
			f.AddPage()
			tiles := writeFigure(f, fig)
			if len(tiles) == 0 || len(tiles) > tc.pages {
				t.Fatalf("drawn in %d tiles, want 1 to %d", len(tiles), tc.pages)
			}
			checkInside(t, f, tiles)
			if err := f.Error(); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s layout, %.0f × %.0f pt, %d tile(s) at scale %.2f", fig.Diagram.Rankdir, fig.Diagram.Width, fig.Diagram.Height,
				len(tiles), tiles[0].Scale)
			// FIGURE_PDF_DIR=dir keeps the PDF, to look at.
			if dir := os.Getenv("FIGURE_PDF_DIR"); dir != "" {
				b, err := pdfDoc(doc, tc.name, fixtureAt)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, tc.name+".pdf"), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestCuts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spans [][2]float64
		size  float64
		want  []float64
	}{
		{"Fits", nil, 90, []float64{0, 90}},
		{"Even", nil, 250, []float64{0, 100, 200, 250}},
		{"BeforeNode", [][2]float64{{90, 120}}, 250, []float64{0, 88, 188, 250}},
		{"NodeTooLong", [][2]float64{{20, 120}}, 150, []float64{0, 100, 150}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cuts(tc.spans, tc.size, func(int) float64 { return 100 }); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("cuts = %v, want %v", got, tc.want)
			}
		})
	}
}
