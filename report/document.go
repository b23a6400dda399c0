package report

import "freezetrace/chains/untrusted"

// document is a letter or overview before it is written in a format: a
// title and blocks of text that every renderer (Markdown, HTML, PDF) lays
// out its own way. All text in it is plain, unescaped text; each renderer
// escapes it for its format.
type document struct {
	Title  string
	Lang   string
	Blocks []block
}

type block interface{ isBlock() }

type heading struct {
	Level int // 2 or 3
	Text  string
}

// para is a paragraph of spans.
type para struct{ Spans []span }

// list is a bulleted list; each item is a run of spans.
type list struct{ Items [][]span }

// table has a header and rows of cells; a cell holds one or more lines.
type table struct {
	Head []string
	Rows [][]tcell
}

// fields is a two-column list of labelled values ("Date: …").
type fields struct{ Rows [][2]string }

// figure is the flow diagram of the letter or overview: File names the
// SVG beside the document (Markdown links to it), Diagram holds the laid
// out graph that HTML and PDF draw in place (nil when it was not laid
// out).
type figure struct {
	Caption string
	File    string
	Diagram *flowDiagram
}

// span is a piece of text: Mono for addresses and hashes, Link for a URL
// or a relative file name it points to.
type span struct {
	Text string
	Mono bool
	Link string
	Bold bool
}

// tcell is one table cell: its lines, top to bottom.
type tcell struct {
	Lines []span
	Right bool // right-aligned (amounts)
}

func (heading) isBlock() {}
func (para) isBlock()    {}
func (list) isBlock()    {}
func (table) isBlock()   {}
func (fields) isBlock()  {}
func (figure) isBlock()  {}

func txt(s string) span               { return span{Text: s} }
func mono(s string) span              { return span{Text: s, Mono: true} }
func link(s, url string, m bool) span { return span{Text: s, Link: url, Mono: m} }
func cellOf(ss ...span) tcell         { return tcell{Lines: ss} }
func num(s string) tcell              { return tcell{Lines: []span{txt(s)}, Right: true} }

func p(ss ...span) para { return para{Spans: ss} }

// eachText calls f with every piece of text d shows: its title, every
// block's text and, in a figure, the caption, the file name and every
// label of the diagram.
func eachText(d *document, f func(string)) {
	spans := func(ss []span) {
		for _, s := range ss {
			f(s.Text)
		}
	}
	f(d.Title)
	for _, bl := range d.Blocks {
		switch x := bl.(type) {
		case heading:
			f(x.Text)
		case para:
			spans(x.Spans)
		case list:
			for _, it := range x.Items {
				spans(it)
			}
		case fields:
			for _, r := range x.Rows {
				f(r[0])
				f(r[1])
			}
		case table:
			for _, h := range x.Head {
				f(h)
			}
			for _, row := range x.Rows {
				for _, c := range row {
					spans(c.Lines)
				}
			}
		case figure:
			f(x.Caption)
			f(x.File)
			if x.Diagram != nil {
				for _, t := range x.Diagram.texts() {
					f(t.Text)
				}
			}
		}
	}
}

// cleanDoc returns a copy of d with every string passed through
// untrusted.Text, for renderers whose escaping does not remove control
// characters.
func cleanDoc(d *document) *document {
	cs := func(ss []span) []span {
		out := make([]span, len(ss))
		for i, s := range ss {
			out[i] = span{Text: untrusted.Text(s.Text), Mono: s.Mono, Link: untrusted.Line(s.Link), Bold: s.Bold}
		}
		return out
	}
	c := &document{Title: untrusted.Line(d.Title), Lang: untrusted.Line(d.Lang)}
	for _, bl := range d.Blocks {
		switch x := bl.(type) {
		case heading:
			c.Blocks = append(c.Blocks, heading{Level: x.Level, Text: untrusted.Line(x.Text)})
		case para:
			c.Blocks = append(c.Blocks, para{Spans: cs(x.Spans)})
		case list:
			items := make([][]span, len(x.Items))
			for i, it := range x.Items {
				items[i] = cs(it)
			}
			c.Blocks = append(c.Blocks, list{Items: items})
		case fields:
			rows := make([][2]string, len(x.Rows))
			for i, r := range x.Rows {
				rows[i] = [2]string{untrusted.Line(r[0]), untrusted.Text(r[1])}
			}
			c.Blocks = append(c.Blocks, fields{Rows: rows})
		case figure:
			c.Blocks = append(c.Blocks, figure{Caption: untrusted.Line(x.Caption), File: untrusted.Line(x.File), Diagram: x.Diagram})
		case table:
			t := table{Head: make([]string, len(x.Head)), Rows: make([][]tcell, len(x.Rows))}
			for i, h := range x.Head {
				t.Head[i] = untrusted.Line(h)
			}
			for i, r := range x.Rows {
				t.Rows[i] = make([]tcell, len(r))
				for j, c := range r {
					t.Rows[i][j] = tcell{Lines: cs(c.Lines), Right: c.Right}
				}
			}
			c.Blocks = append(c.Blocks, t)
		}
	}
	return c
}
