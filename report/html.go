package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"freezetrace/chains/untrusted"
)

// htmlPage is the page every letter and overview uses. html/template
// escapes every value; links go through safeURL, which only lets http(s)
// URLs and relative file names through. Its <style> starts with the
// @font-face rules of webFontFaces, whose family every font stack names
// before its generic family.
var htmlPage = template.Must(template.New("page").Funcs(template.FuncMap{
	"kind": func(b block) string { return fmt.Sprintf("%T", b) },
	"url":  safeURL,
	"svg":  inlineSVG,
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
{{.Fonts}}
body { font-family: "DejaVu Sans", "Noto Sans", Arial, "` + webFontFamily + `", sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #eee; } td.r { text-align: right; white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", Consolas, "` + webFontFamily + `", monospace; font-size: 0.85rem; overflow-wrap: anywhere; }
figure { margin: 1rem 0; } figure svg { display: block; max-width: 100%; height: auto; } figure svg text { font-family: Helvetica, Arial, "` + webFontFamily + `", sans-serif; } figcaption { font-size: 0.9rem; color: #333; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; } dt { font-weight: bold; } dd { margin: 0; white-space: pre-line; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Blocks}}{{$k := kind .}}
{{- if eq $k "report.heading"}}{{if eq .Level 2}}<h2>{{.Text}}</h2>{{else}}<h3>{{.Text}}</h3>{{end}}
{{- else if eq $k "report.para"}}<p>{{template "spans" .Spans}}</p>
{{- else if eq $k "report.list"}}<ul>{{range .Items}}
<li>{{template "spans" .}}</li>{{end}}
</ul>
{{- else if eq $k "report.fields"}}<dl>{{range .Rows}}
<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}
</dl>
{{- else if eq $k "report.table"}}<table>
<thead><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}
<tr>{{range .}}<td{{if .Right}} class="r"{{end}}>{{range $i, $s := .Lines}}{{if $i}}<br>{{end}}{{template "span" $s}}{{end}}</td>{{end}}</tr>{{end}}
</tbody>
</table>
{{- else if eq $k "report.figure"}}<figure>
{{with svg .Diagram}}{{.}}
{{end}}<figcaption>{{.Caption}}{{if .File}} (<a href="{{url .File}}">{{.File}}</a>){{end}}</figcaption>
</figure>
{{- end}}
{{end}}
</body>
</html>
{{define "spans"}}{{range .}}{{template "span" .}}{{end}}{{end}}
{{define "span"}}{{if .Link}}<a href="{{url .Link}}">{{end}}{{if .Bold}}<strong>{{end}}{{if .Mono}}<code>{{.Text}}</code>{{else}}{{.Text}}{{end}}{{if .Bold}}</strong>{{end}}{{if .Link}}</a>{{end}}{{end}}
`))

// htmlData is what htmlPage shows: the document, and the @font-face
// rules its <style> starts with.
type htmlData struct {
	*document
	Fonts template.CSS
}

// html writes d as a standalone HTML page.
func html(d *document) (string, error) {
	c := cleanDoc(d)
	fonts, err := webFontFaces(c)
	if err != nil {
		return "", fmt.Errorf("render html: %w", err)
	}
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, htmlData{document: c, Fonts: fonts}); err != nil {
		return "", fmt.Errorf("render html: %w", err)
	}
	return b.String(), nil
}

// safeURL lets through https and http URLs and relative file names; any
// other scheme (javascript:, data:) becomes "#".
func safeURL(u string) string {
	u = untrusted.Line(u)
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case c == ':':
			if (i == 5 && u[:i] == "https") || (i == 4 && u[:i] == "http") {
				return u
			}
			return "#"
		case c == '/' || c == '?' || c == '#':
			return u
		}
	}
	return u
}

const (
	svgNS   = "http://www.w3.org/2000/svg"
	xlinkNS = "http://www.w3.org/1999/xlink"
)

// svgElements and svgAttrs are the SVG elements and attributes Graphviz
// writes; inlineSVG drops every other.
var (
	svgElements = set("svg", "g", "title", "a", "path", "polygon", "polyline", "ellipse", "circle", "rect", "line", "text")
	svgAttrs    = set("xmlns", "xmlns:xlink", "width", "height", "viewBox", "transform", "id", "class", "fill", "stroke",
		"stroke-width", "stroke-dasharray", "fill-opacity", "stroke-opacity", "points", "d", "cx", "cy", "rx", "ry", "r",
		"x", "y", "x1", "y1", "x2", "y2", "text-anchor", "font-family", "font-size", "font-weight", "font-style",
		"xlink:href", "xlink:title", "target")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// inlineSVG returns the diagram's SVG to place in a page, or "" when there
// is none or it does not parse. Graphviz writes it from our escaped DOT;
// it is still rewritten element by element from what it parses to: only
// the elements and attributes above (no script, no event handler, no
// style), links http(s) only, every value escaped again, without the XML
// prolog, doctype and comments.
func inlineSVG(d *flowDiagram) template.HTML {
	if d == nil || len(d.SVG) == 0 {
		return ""
	}
	s, err := cleanSVG(d.SVG)
	if err != nil {
		return ""
	}
	return template.HTML(s)
}

func cleanSVG(b []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	var out strings.Builder
	depth, skip := 0, 0 // open elements written; depth inside a dropped one
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("read svg: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 || t.Name.Space != svgNS || !svgElements[t.Name.Local] || (depth == 0) != (t.Name.Local == "svg") {
				skip++
				continue
			}
			depth++
			out.WriteString("<" + t.Name.Local)
			for _, a := range t.Attr {
				name := svgAttrName(a.Name)
				if !svgAttrs[name] || (name == "xlink:href" && !isWebURL(a.Value)) {
					continue
				}
				out.WriteString(" " + name + `="` + template.HTMLEscapeString(a.Value) + `"`)
			}
			out.WriteString(">")
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			depth--
			out.WriteString("</" + t.Name.Local + ">")
		case xml.CharData:
			if skip == 0 && depth > 0 {
				out.WriteString(template.HTMLEscapeString(string(t)))
			}
		}
	}
	if depth != 0 || out.Len() == 0 {
		return "", errors.New("read svg: no svg element")
	}
	return out.String(), nil
}

// svgAttrName is an attribute's name as written, prefix included; "" for
// a namespace we do not write.
func svgAttrName(n xml.Name) string {
	switch n.Space {
	case "":
		return n.Local
	case "xmlns":
		return "xmlns:" + n.Local
	case xlinkNS:
		return "xlink:" + n.Local
	}
	return ""
}
