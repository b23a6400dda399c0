package report

import (
	"context"
	"encoding/json"
	"path"
	"regexp"
	"strings"
	"testing"

	"freezetrace/chains"
)

// bareURLs are URLs as a label list or a case file may carry them, which
// GitHub's Markdown (its extended autolinks) would make links of.
var bareURLs = []string{
	"https://evil.example/login",
	"visit HTTP://EVIL.EXAMPLE/x now",
	"ftp://evil.example",
	"www.evil.example",
	"(www.evil.example/reset)",
	"*www.evil.example*",
	"Www.Evil.Example",
	"a_https://evil.example",
}

var (
	// mdTargets are link targets, "](…)", and code spans: text there is
	// never autolinked.
	mdTargets = regexp.MustCompile("\\]\\([^)]*\\)|`[^`]*`")
	// mdAutolink is what GitHub links in text: a scheme's "://" whose
	// colon is not escaped, or "www." (cmark-gfm's url_match and
	// www_match read the raw text, so a backslash breaks them).
	mdAutolink = regexp.MustCompile(`(?i)(https?|ftp)://|www\.`)
	// An off-site link: a scheme, or "//"; our own files are relative.
	hrefEvil   = regexp.MustCompile(`(?i)href="([a-z][a-z0-9+.-]*:|//)[^"]*evil`)
	pdfURIEvil = regexp.MustCompile(`(?i)/URI \([^)]*evil`)
)

// TestNoAutolinks: a URL in third-party text (labels, reasons, token
// symbols, victim names, case-file fields) is shown as text in every
// format, never as a link: the Markdown escapes what GitHub would autolink,
// the HTML and PDF link only the URLs we build (explorers, our files).
// Before, GitHub made a link of every bare URL in a Markdown letter.
func TestNoAutolinks(t *testing.T) {
	r := fixtureResult()
	for i := range r.Endpoints {
		e := &r.Endpoints[i]
		u := bareURLs[i%len(bareURLs)]
		e.Reason = "see " + u
		if e.Entity != "" {
			e.Entity += " " + u
		}
		e.Labels = append(e.Labels, chains.Label{Chain: e.Chain, Address: e.Address, Entity: u, Category: chains.CategoryExchange,
			Source: bareURLs[(i+1)%len(bareURLs)], Note: u})
	}
	for i := range r.Assets {
		r.Assets[i].Symbol = "USDT " + bareURLs[(i+2)%len(bareURLs)]
	}
	for i := range r.Origins {
		r.Origins[i].Victim = bareURLs[(i+3)%len(bareURLs)]
	}
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	text := fixtureCaseText()
	text = strings.Replace(text, `"Victim Support Network"`, q("VSN "+bareURLs[0]), 1)
	text = strings.Replace(text, `"Sam Carter"`, q(bareURLs[3]), 1)
	text = strings.Replace(text, `"Alice A."`, q(bareURLs[1]), 1)
	text = strings.Replace(text, `"Example Police Cyber Crime Unit"`, q(bareURLs[4]), 1)
	text = strings.Replace(text, `"EPCCU/2024/311"`, q(bareURLs[2]), 1)
	text += "crime:\n  summary: " + q("They used "+bareURLs[0]) + "\n  platform: " + q(bareURLs[3]) + "\n"
	text += "note: " + q(strings.Join(bareURLs, " ")) + "\n"
	files, _, err := Render(context.Background(), r, mustCase(t, text), Options{At: fixtureAt})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for name, b := range files {
		switch path.Ext(name) {
		case ".md":
			n++
			plain := mdTargets.ReplaceAllString(string(b), "")
			for _, line := range strings.Split(plain, "\n") {
				if m := mdAutolink.FindString(line); m != "" && strings.Contains(strings.ToLower(line), "evil") {
					t.Errorf("%s: %q would be a link: %s", name, m, line)
				}
			}
		case ".html", ".svg":
			if m := hrefEvil.FindString(string(b)); m != "" {
				t.Errorf("%s links third-party text: %s", name, m)
			}
		case ".pdf":
			if m := pdfURIEvil.Find(b); m != nil {
				t.Errorf("%s links third-party text: %s", name, m)
			}
			if !strings.Contains(string(b), "/URI (https://") {
				t.Errorf("%s has no explorer link: the check would see no link at all", name)
			}
		}
	}
	if n < 7 {
		t.Errorf("checked %d Markdown files, want every letter, SEND.md and the overview", n)
	}
	// The text is still there, as text.
	var letters strings.Builder
	for name, b := range files {
		if path.Base(name) == "letter.md" {
			letters.Write(b)
		}
	}
	for _, want := range []string{"`https://evil.example/login`", "`www.evil.example`", "`HTTP://EVIL.EXAMPLE/x`", "`Www.Evil.Example`"} {
		if !strings.Contains(letters.String(), want) {
			t.Errorf("no letter.md says %s", want)
		}
	}
}

// TestMarkdownAutolinkEscapes: within a line a word GitHub would link is
// a code span, or, when it cannot be one, escaped where GitHub matches; at
// a line's start it is escaped; other colons and dots are left alone, and
// link texts (never autolinked) are kept as they are.
func TestMarkdownAutolinkEscapes(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://evil.example", "`https://evil.example`"},
		{"see www.evil.example.", "see `www.evil.example.`"},
		{"WWW.X.Y and (a_https://x)", "`WWW.X.Y` and `(a_https://x)`"},
		{"a|https://x www.y|z", `a\|https\://x www\.y\|z`},
		{"`https://x`", "\\`https\\://x\\`"},
		{"Note: 10:30 at 1.5.", "Note: 10:30 at 1.5."},
		{"wwwx.example *bold*", `wwwx.example \*bold\*`},
	} {
		if got := mdInline(c.in); got != c.want {
			t.Errorf("mdInline(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// At a line's start, where nothing may open markup, escapes only.
	for _, c := range []struct{ in, want string }{
		{"-https://x www.y", `\-https\://x www\.y`},
		{"1. see WWW.Y", `1\. see WWW\.Y`},
	} {
		if got := mdEscape(c.in); got != c.want {
			t.Errorf("mdEscape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := mdSpan(link("https://tether.io/x", "https://tether.io/x", false)); got != "[https://tether.io/x](https://tether.io/x)" {
		t.Errorf("link span: %q", got)
	}
}
