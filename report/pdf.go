package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// The PDF embeds the Go fonts (BSD licence, shipped in golang.org/x/image):
// UTF-8 TrueType fonts covering Latin, Greek and Cyrillic, so names in those
// scripts survive; the built-in PDF fonts are Latin-1 only.
const (
	fontSans = "gosans"
	fontMono = "gomono"
	pdfLine  = 4.6 // mm per line of body text
	cellPad  = 1.2 // mm inside table cells
	// pdfBottom is the bottom margin, kept free for the footer.
	pdfBottom = 16
)

// pdfDoc writes d as an A4 PDF. at is the generation time written as the
// document's creation date, so the same input gives the same bytes.
func pdfDoc(d *document, footer string, at time.Time) ([]byte, error) {
	return pdfDocContext(context.Background(), d, footer, at)
}

// pdfDocContext is pdfDoc stopping with ctx's error, checked before every
// block and every table row, once ctx is done. Text longer than
// pdfTextLimit is cut (clipDoc).
func pdfDocContext(ctx context.Context, d *document, footer string, at time.Time) ([]byte, error) {
	d = clipDoc(cleanDoc(d))
	f := newPDF(d, clipFooter(footer), at)
	f.AddPage()

	writeSpans(f, []span{{Text: d.Title, Bold: true}}, 14, 6.5)
	f.Ln(8.5)
	for _, bl := range d.Blocks {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("render pdf: %w", err)
		}
		switch x := bl.(type) {
		case heading:
			size := 12.0
			if x.Level > 2 {
				size = 10
			}
			if _, y := f.GetXY(); y > 297-16-25 {
				f.AddPage()
			}
			f.Ln(2.5)
			writeSpans(f, []span{{Text: x.Text, Bold: true}}, size, size*0.5)
			f.Ln(size*0.5 + 1)
		case para:
			writeSpans(f, x.Spans, 9, pdfLine)
			f.Ln(pdfLine + 1.5)
		case list:
			l, _, _, _ := f.GetMargins()
			for _, it := range x.Items {
				f.SetFont(fontSans, "", 9)
				f.SetX(l + 1)
				f.CellFormat(4, pdfLine, "•", "", 0, "L", false, 0, "")
				f.SetLeftMargin(l + 5)
				writeSpans(f, it, 9, pdfLine)
				f.SetLeftMargin(l)
				f.Ln(pdfLine)
			}
			f.Ln(1.5)
		case fields:
			writeFields(f, x)
		case table:
			if err := writeTable(ctx, f, x); err != nil {
				return nil, fmt.Errorf("render pdf: %w", err)
			}
		case figure:
			writeFigure(f, x)
		}
	}
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		return nil, fmt.Errorf("render pdf: %w", err)
	}
	return b.Bytes(), nil
}

// newPDF starts an A4 PDF for d with its fonts, margins and footer, and
// no page yet.
func newPDF(d *document, footer string, at time.Time) *fpdf.Fpdf {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCatalogSort(true)
	f.SetCreationDate(at.UTC())
	f.SetModificationDate(at.UTC())
	f.SetProducer("freezetrace", false)
	f.SetTitle(d.Title, true)
	f.SetLang(d.Lang)
	// fpdf writes into the font bytes it is given while subsetting, so
	// each document gets its own copies: shared ones would make the next
	// document's bytes depend on the one before.
	f.AddUTF8FontFromBytes(fontSans, "", bytes.Clone(goregular.TTF))
	f.AddUTF8FontFromBytes(fontSans, "B", bytes.Clone(gobold.TTF))
	f.AddUTF8FontFromBytes(fontMono, "", bytes.Clone(gomono.TTF))
	if needsFallback(d) {
		f.AddUTF8FontFromBytes(fontFallback, "", bytes.Clone(fallbackTTF))
		f.AddUTF8FontFromBytes(fontFallback, "B", bytes.Clone(fallbackTTF))
	}
	f.SetMargins(18, 16, 18)
	f.SetCellMargin(0)
	f.SetAutoPageBreak(true, pdfBottom)
	f.AliasNbPages("{nb}")
	f.SetFooterFunc(func() {
		f.SetY(-12)
		f.SetFont(fontSans, "", 7.5)
		f.SetTextColor(90, 90, 90)
		f.CellFormat(0, 4, footer+"  ·  "+fmt.Sprintf("%d / {nb}", f.PageNo()), "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	return f
}

// writeSpans writes spans as flowing text with line height lh, switching
// to the fallback font for characters the Go fonts lack.
func writeSpans(f *fpdf.Fpdf, ss []span, size, lh float64) {
	for _, s := range ss {
		fam, style := spanFont(s)
		link := ""
		if isWebURL(s.Link) {
			link = s.Link
			f.SetTextColor(20, 60, 160)
		}
		for _, r := range scriptRuns(s.Text) {
			if r.fallback {
				f.SetFont(fontFallback, style, size)
			} else {
				f.SetFont(fam, style, size)
			}
			writeText(f, lh, r.text, link)
		}
		f.SetTextColor(0, 0, 0)
	}
}

func spanFont(s span) (family, style string) {
	switch {
	case s.Mono:
		return fontMono, ""
	case s.Bold:
		return fontSans, "B"
	}
	return fontSans, ""
}

// textWidth measures s in span style st at size, font runs included.
func textWidth(f *fpdf.Fpdf, st span, text string, size float64) float64 {
	fam, style := spanFont(st)
	w := 0.0
	for _, r := range scriptRuns(text) {
		if r.fallback {
			f.SetFont(fontFallback, style, size)
		} else {
			f.SetFont(fam, style, size)
		}
		w += f.GetStringWidth(r.text)
	}
	f.SetFont(fam, style, size)
	return w
}

// drawLine draws one line of a table cell at (x, y) within width w.
func drawLine(f *fpdf.Fpdf, s span, x, y, w, lh, size float64, right bool) {
	if right {
		x += w - textWidth(f, s, s.Text, size)
	}
	fam, style := spanFont(s)
	link := ""
	if isWebURL(s.Link) {
		link = s.Link
		f.SetTextColor(20, 60, 160)
	}
	for _, r := range scriptRuns(s.Text) {
		if r.fallback {
			f.SetFont(fontFallback, style, size)
		} else {
			f.SetFont(fam, style, size)
		}
		rw := f.GetStringWidth(r.text)
		f.SetXY(x, y)
		f.CellFormat(rw, lh, r.text, "", 0, "L", false, 0, link)
		x += rw
	}
	f.SetTextColor(0, 0, 0)
}

func isWebURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// writeFields writes labelled values in two columns; the label column is as
// wide as the widest label, within limits, so any language fits.
func writeFields(f *fpdf.Fpdf, x fields) {
	l, _, r, _ := f.GetMargins()
	pw, _ := f.GetPageSize()
	avail := pw - l - r
	f.SetFont(fontSans, "B", 9)
	lw := 0.0
	for _, row := range x.Rows {
		lw = max(lw, textWidth(f, span{Bold: true}, row[0]+":", 9)+3)
	}
	lw = min(lw, avail*0.4)
	for _, row := range x.Rows {
		y := f.GetY()
		f.SetLeftMargin(l)
		f.SetXY(l, y)
		writeSpans(f, []span{{Text: row[0] + ":", Bold: true}}, 9, pdfLine)
		f.SetLeftMargin(l + lw)
		f.SetXY(l+lw, y)
		for i, line := range strings.Split(row[1], "\n") {
			if i > 0 {
				f.Ln(pdfLine)
			}
			writeSpans(f, []span{txt(line)}, 9, pdfLine)
		}
		f.SetLeftMargin(l)
		f.Ln(pdfLine)
	}
	f.Ln(2)
}

// writeTable lays a table out to the page width: columns as wide as their
// content, the font shrunk down to 6.5 pt if that is what it takes, and
// only then long cells wrapped. Headers wrap at word boundaries; the header
// row repeats on every page the table spans. A row that fits on a page is
// never split; one taller than a page continues on the next. It stops
// with ctx's error, checked before every row.
func writeTable(ctx context.Context, f *fpdf.Fpdf, t table) error {
	l, _, r, _ := f.GetMargins()
	pw, ph := f.GetPageSize()
	avail := pw - l - r
	n := len(t.Head)
	var widths []float64
	var size float64
	for _, size = range []float64{8.5, 8, 7.5, 7, 6.5} {
		widths = naturalWidths(f, t, size)
		if sum(widths) <= avail {
			break
		}
		// Let plain text wrap at spaces, keep addresses and hashes whole,
		// and share what is left in proportion to what each column wants.
		least := leastWidths(f, t, size)
		if spare := avail - sum(least); spare >= 0 {
			want := sum(widths) - sum(least)
			for i := range widths {
				widths[i] = least[i] + (widths[i]-least[i])*spare/max(want, 0.001)
			}
			break
		}
	}
	if total := sum(widths); total > avail {
		for i := range widths {
			widths[i] *= avail / total
		}
	}
	lh := size * 0.46
	header := func() {
		f.SetFont(fontSans, "B", size)
		f.SetFillColor(232, 232, 232)
		lines := make([][]string, n)
		rows := 1
		for i, h := range t.Head {
			lines[i] = f.SplitText(h, widths[i]-2*cellPad)
			rows = max(rows, len(lines[i]))
		}
		h := float64(rows)*lh + 2*cellPad
		x, y := l, f.GetY()
		for i := range t.Head {
			f.Rect(x, y, widths[i], h, "FD")
			for j, s := range lines[i] {
				drawLine(f, span{Text: s, Bold: true}, x+cellPad, y+cellPad+float64(j)*lh, widths[i]-2*cellPad, lh, size, false)
			}
			x += widths[i]
		}
		f.SetXY(l, y+h)
	}
	if f.GetY()+3*lh+4*cellPad > ph-16 {
		f.AddPage()
	}
	y0 := f.GetY()
	header()
	_, top, _, _ := f.GetMargins()
	// What a new page holds of a row, under its header.
	pageRoom := ph - 16 - top - (f.GetY() - y0)
	for _, row := range t.Rows {
		if err := ctx.Err(); err != nil {
			return err
		}
		cells := make([][]span, n)
		rows := 1
		for i := 0; i < n && i < len(row); i++ {
			for _, s := range row[i].Lines {
				setCellFont(f, s, size)
				for _, part := range f.SplitText(s.Text, widths[i]-2*cellPad) {
					cells[i] = append(cells[i], span{Text: part, Mono: s.Mono, Link: s.Link, Bold: s.Bold})
				}
			}
			rows = max(rows, len(cells[i]))
		}
		h := float64(rows)*lh + 2*cellPad
		// A row taller than a page starts here if three of its lines fit.
		if y := f.GetY(); y+h > ph-16 && (h <= pageRoom || y+3*lh+2*cellPad > ph-16) {
			f.AddPage()
			header()
		}
		for from := 0; from < rows; {
			// The lines that fit above the footer, at least one.
			k := min(rows-from, max(1, int((ph-16-f.GetY()-2*cellPad)/lh+1e-6)))
			h := float64(k)*lh + 2*cellPad
			x, y := l, f.GetY()
			for i := 0; i < n; i++ {
				f.Rect(x, y, widths[i], h, "D")
				right := i < len(row) && row[i].Right
				for j := from; j < from+k && j < len(cells[i]); j++ {
					drawLine(f, cells[i][j], x+cellPad, y+cellPad+float64(j-from)*lh, widths[i]-2*cellPad, lh, size, right)
				}
				x += widths[i]
			}
			f.SetXY(l, y+h)
			if from += k; from < rows {
				f.AddPage()
				header()
			}
		}
	}
	f.Ln(3)
	return nil
}

func setCellFont(f *fpdf.Fpdf, s span, size float64) {
	switch {
	case s.Mono:
		f.SetFont(fontMono, "", size)
	case s.Bold:
		f.SetFont(fontSans, "B", size)
	default:
		f.SetFont(fontSans, "", size)
	}
}

// leastWidths is each column's width when plain text wraps at every space
// and monospaced text (addresses, hashes) stays on one line.
func leastWidths(f *fpdf.Fpdf, t table, size float64) []float64 {
	w := make([]float64, len(t.Head))
	f.SetFont(fontSans, "B", size)
	for i, h := range t.Head {
		for _, word := range strings.Fields(h) {
			w[i] = max(w[i], textWidth(f, span{Bold: true}, word, size)+2*cellPad+0.5)
		}
	}
	for _, row := range t.Rows {
		for i := 0; i < len(w) && i < len(row); i++ {
			for _, s := range row[i].Lines {
				setCellFont(f, s, size)
				parts := strings.Fields(s.Text)
				if s.Mono {
					parts = []string{s.Text}
				}
				for _, word := range parts {
					w[i] = max(w[i], textWidth(f, s, word, size)+2*cellPad+0.5)
				}
			}
		}
	}
	return w
}

// naturalWidths is each column's width with no wrapping at font size size.
func naturalWidths(f *fpdf.Fpdf, t table, size float64) []float64 {
	w := make([]float64, len(t.Head))
	f.SetFont(fontSans, "B", size)
	for i, h := range t.Head {
		w[i] = textWidth(f, span{Bold: true}, h, size) + 2*cellPad + 0.5
	}
	for _, row := range t.Rows {
		for i := 0; i < len(w) && i < len(row); i++ {
			for _, s := range row[i].Lines {
				w[i] = max(w[i], textWidth(f, s, s.Text, size)+2*cellPad+0.5)
			}
		}
	}
	return w
}

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}
