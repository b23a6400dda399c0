package report

import (
	"bytes"
	"fmt"
	"html/template"

	"freezetrace/chains/untrusted"
)

// htmlPage is the page every letter and overview uses. html/template
// escapes every value; links go through safeURL, which only lets http(s)
// URLs and relative file names through.
var htmlPage = template.Must(template.New("page").Funcs(template.FuncMap{
	"kind": func(b block) string { return fmt.Sprintf("%T", b) },
	"url":  safeURL,
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #111; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; } h3 { font-size: 1rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #eee; } td.r { text-align: right; white-space: nowrap; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 0.85rem; overflow-wrap: anywhere; }
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
{{- end}}
{{end}}
</body>
</html>
{{define "spans"}}{{range .}}{{template "span" .}}{{end}}{{end}}
{{define "span"}}{{if .Link}}<a href="{{url .Link}}">{{end}}{{if .Bold}}<strong>{{end}}{{if .Mono}}<code>{{.Text}}</code>{{else}}{{.Text}}{{end}}{{if .Bold}}</strong>{{end}}{{if .Link}}</a>{{end}}{{end}}
`))

// html writes d as a standalone HTML page.
func html(d *document) (string, error) {
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, cleanDoc(d)); err != nil {
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
