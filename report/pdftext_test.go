package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"
)

// words is n bytes of text in words of a few letters, ending with end.
func words(n int, end string) string {
	var b strings.Builder
	for i := 0; b.Len() < n-len(end); i++ {
		b.WriteString([]string{"lorem", "ipsum", "dolor", "sit", "amet,", "consectetur"}[i%6] + " ")
	}
	return b.String() + end
}

// fastest is the shortest of three runs of f.
func fastest(f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 3 {
		start := time.Now()
		f()
		best = min(best, time.Since(start))
	}
	return best
}

// within runs f and returns how long it took, or false when it has not
// ended after limit (f then runs on, its result dropped).
func within(limit time.Duration, f func()) (time.Duration, bool) {
	done := make(chan time.Duration, 1)
	go func() { done <- fastest(f) }()
	select {
	case d := <-done:
		return d, true
	case <-time.After(limit):
		return 0, false
	}
}

// TestPDFWrapLinear: flowing text costs the PDF in proportion to its
// length. fpdf's Write re-reads its whole argument for every character it
// places, so writing 20 KB in one call took a hundred times as long as 2
// KB; fed in pieces it takes about ten times as long. The times are
// compared as a ratio, in one process, never against a clock.
func TestPDFWrapLinear(t *testing.T) {
	for _, c := range []struct{ name, unit string }{{"Words", ""}, {"OneWord", "x"}} {
		t.Run(c.name, func(t *testing.T) {
			text := func(n int) string {
				if c.unit != "" {
					return strings.Repeat(c.unit, n)
				}
				return words(n, "")
			}
			write := func(s string) func() {
				return func() {
					f := newPDF(&document{Title: "x"}, "", fixtureAt)
					f.AddPage()
					writeSpans(f, []span{txt(s)}, 9, pdfLine)
					if err := f.Error(); err != nil {
						t.Error(err)
					}
				}
			}
			small, large := text(2_000), text(20_000)
			ts := fastest(write(small))
			tl, ok := within(60*ts+2*time.Second, write(large))
			if !ok {
				t.Fatalf("20 KB of text took over 60 times as long as 2 KB (%v): the wrapping is superlinear", ts)
			}
			if r := float64(tl) / float64(ts); r > 30 {
				t.Errorf("20 KB of text took %.0f times as long as 2 KB (%v, %v); linear is 10", r, tl, ts)
			}
		})
	}
}

// TestPDFLongNoteLinear: a letter with a 100 KB case note renders in about
// the time of one with a 10 KB note (the note is cut at pdfTextLimit, and
// what is shown is wrapped in linear time). Before, 10 KB took 21 s and
// 100 KB over 14 minutes.
func TestPDFLongNoteLinear(t *testing.T) {
	doc := func(n int) *document {
		return &document{Title: "Request", Lang: "en", Blocks: []block{
			heading{Level: 2, Text: "2. Additional information"},
			p(span{Text: "Note:", Bold: true}, txt(" "+words(n, "END"))),
			table{Head: []string{"Name", "Label"}, Rows: [][]tcell{{cellOf(txt("x")), cellOf(txt(words(n, "END")))}}},
		}}
	}
	render := func(d *document) func() {
		return func() {
			if _, err := pdfDoc(d, "R-1", fixtureAt); err != nil {
				t.Error(err)
			}
		}
	}
	small, large := doc(10_000), doc(100_000)
	start := time.Now()
	render(small)()
	tl, ok := within(30*time.Since(start)+2*time.Second, render(large))
	if !ok {
		t.Fatalf("a 100 KB note took over 30 times as long as a 10 KB one (%v)", time.Since(start))
	}
	ts := fastest(render(small))
	if r := float64(tl) / float64(ts); r > 10 {
		t.Errorf("a 100 KB note took %.1f times as long as a 10 KB one (%v, %v); want at most 10 (linear)", r, tl, ts)
	}
	t.Logf("10 KB: %v, 100 KB: %v", ts, tl)
}

// BenchmarkPDFLongNote renders a letter with a case note of 10 KB and of
// 100 KB: the times should be about the same.
func BenchmarkPDFLongNote(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		d := &document{Title: "Request", Lang: "en", Blocks: []block{p(txt(words(n, "END")))}}
		b.Run(fmt.Sprintf("%dKB", n/1000), func(b *testing.B) {
			for b.Loop() {
				if _, err := pdfDoc(d, "R-1", fixtureAt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestPDFTruncatesLongText: a long case note and a long label are cut in
// the PDF letter, which says where the full text is: letter.md, which has
// it, as do the JSON and CSV files.
func TestPDFTruncatesLongText(t *testing.T) {
	r := fixtureResult()
	label := "Binance " + words(5_000, "ENDOFLABEL")
	for i := range r.Endpoints {
		if r.Endpoints[i].Entity == "Binance" {
			r.Endpoints[i].Reason = label
		}
	}
	text := fixtureCaseText() + "note: \"" + words(5_000, "ENDOFNOTE") + "\"\n"
	files, sum, err := Render(context.Background(), r, mustCase(t, text), Options{At: fixtureAt})
	if err != nil {
		t.Fatal(err)
	}
	// The extracted text loses the spaces at line ends, and the Go
	// reader reads "…" as "&".
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	marker := squash(strings.TrimPrefix(pdfTruncated, "…"))
	for _, rc := range sum.Recipients {
		pdfText := squash(extractPDFText(t, files[rc.Slug+"/letter.pdf"]))
		if !strings.Contains(pdfText, marker) {
			t.Errorf("%s/letter.pdf does not say %q", rc.Slug, pdfTruncated)
		}
		if !strings.Contains(pdfText, "loremipsumdolor") {
			t.Errorf("%s/letter.pdf lacks the start of the note", rc.Slug)
		}
		if strings.Contains(pdfText, "ENDOFNOTE") || strings.Contains(pdfText, "ENDOFLABEL") {
			t.Errorf("%s/letter.pdf shows the end of a text longer than %d characters", rc.Slug, pdfTextLimit)
		}
		if !strings.Contains(string(files[rc.Slug+"/"+pdfFullText]), "ENDOFNOTE") {
			t.Errorf("%s/%s, which the PDF names, lacks the end of the note", rc.Slug, pdfFullText)
		}
	}
	for _, name := range []string{"exchange-binance/recipient.json", "exchange-binance/endpoints.csv", "case/report.json"} {
		if !strings.Contains(string(files[name]), "ENDOFLABEL") {
			t.Errorf("%s lacks the end of the label", name)
		}
	}
}

// TestClipDoc: text up to pdfTextLimit characters is kept as it is; longer
// text is cut there, in characters (not bytes), and ends with the marker.
func TestClipDoc(t *testing.T) {
	exact := strings.Repeat("é", pdfTextLimit)
	long := exact + "and more"
	d := clipDoc(&document{Title: exact, Blocks: []block{
		p(txt(strings.Repeat("a", pdfTextLimit-3)), mono("bcdef")),
		table{Head: []string{"h"}, Rows: [][]tcell{{cellOf(txt(long), txt("second line"))}}},
		fields{Rows: [][2]string{{"Note", long}}},
	}})
	if d.Title != exact {
		t.Errorf("a title of exactly %d characters was changed", pdfTextLimit)
	}
	ss := d.Blocks[0].(para).Spans
	if len(ss) != 3 || ss[1].Text != "bcd" || !ss[1].Mono || ss[2].Text != pdfTruncated {
		t.Errorf("paragraph spans %+v, want the mono span cut to \"bcd\" and the marker after it", ss)
	}
	cell := d.Blocks[1].(table).Rows[0][0].Lines
	if len(cell) != 2 || cell[0].Text != exact || cell[1].Text != pdfTruncated {
		t.Errorf("cell lines %d, want the first %d characters, then the marker on a line of its own", len(cell), pdfTextLimit)
	}
	if v := d.Blocks[2].(fields).Rows[0][1]; v != exact+pdfTruncated {
		t.Errorf("field value ends %q", v[len(v)-60:])
	}
}

// TestPDFTallRow: a table row taller than a page continues on the next
// page, under the repeated header, and the table goes on after it. Before,
// every line past the page's bottom set off fpdf's automatic page break:
// two such rows made 114 pages of one line each.
func TestPDFTallRow(t *testing.T) {
	head := []string{"#", "Chain", "Address", "Asset", "Amount", "Labels"}
	var labels []span
	for i := range 120 {
		labels = append(labels, txt(fmt.Sprintf("label %d", i)))
	}
	labels = append(labels, txt("LASTWORD"))
	row := []tcell{cellOf(txt("1")), cellOf(txt("Ethereum")), cellOf(mono("0x1f6d99af02eBf150b9FF0062bB85164c79505c55")),
		cellOf(txt("USDT")), num("5,000.00"), cellOf(labels...)}
	d := &document{Title: "x", Blocks: []block{table{Head: head, Rows: [][]tcell{row, row}}, p(txt("AFTERTABLE"))}}
	b, err := pdfDoc(d, "R-1", fixtureAt)
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	// 121 lines of 3.9 mm are two pages a row, at most.
	if n := r.NumPage(); n < 3 || n > 5 {
		t.Errorf("%d pages for two rows of 121 lines, want 3 to 5", n)
	}
	for i := 1; i <= r.NumPage(); i++ {
		for _, tx := range r.Page(i).Content().Text {
			// An A4 page is 842 pt high; y grows upwards from its bottom.
			if tx.Y < 0 || tx.Y > 842 {
				t.Fatalf("page %d: text %q drawn at y %.0f pt, off the page", i, tx.S, tx.Y)
			}
		}
	}
	text := extractPDFText(t, b)
	if strings.Count(text, "LASTWORD") != 2 || !strings.Contains(text, "AFTERTABLE") {
		t.Error("the ends of the rows or the text after the table are on no page")
	}
}

// TestPDFStopsWhenCancelled: rendering stops with ctx's error.
func TestPDFStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rows := make([][]tcell, 500)
	for i := range rows {
		rows[i] = []tcell{cellOf(txt(fmt.Sprint(i)))}
	}
	d := &document{Title: "x", Blocks: []block{table{Head: []string{"#"}, Rows: rows}}}
	if _, err := pdfDocContext(ctx, d, "", fixtureAt); !errors.Is(err, context.Canceled) {
		t.Errorf("pdfDocContext with a cancelled context: %v, want context.Canceled", err)
	}
}
