package report

import (
	_ "embed"
	"sync"

	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// fallbackTTF draws what the Go fonts cannot: Droid Sans Fallback (Apache
// 2.0; see fonts/README.md), covering Chinese, Japanese and Korean.
//
//go:embed fonts/DroidSansFallback.ttf
var fallbackTTF []byte

const fontFallback = "fallback"

var (
	goCoverOnce sync.Once
	goFont      *sfnt.Font
)

// goHas reports whether the Go fonts draw r.
func goHas(r rune) bool {
	if r < 0x250 {
		return true // Latin and Latin-1: always in the Go fonts
	}
	goCoverOnce.Do(func() {
		f, err := sfnt.Parse(goregular.TTF)
		if err == nil {
			goFont = f
		}
	})
	if goFont == nil {
		return true
	}
	var b sfnt.Buffer
	i, err := goFont.GlyphIndex(&b, r)
	return err == nil && i != 0
}

// run is a stretch of text drawn in one font.
type run struct {
	text     string
	fallback bool
}

// scriptRuns splits s into runs the Go fonts draw and runs they do not.
// Spaces and punctuation the Go fonts have stay in the current run.
func scriptRuns(s string) []run {
	var out []run
	start, cur := 0, false
	for i, r := range s {
		fb := !goHas(r)
		if r == ' ' {
			fb = cur
		}
		if i > start && fb != cur {
			out = append(out, run{text: s[start:i], fallback: cur})
			start = i
		}
		cur = fb
	}
	if start < len(s) {
		out = append(out, run{text: s[start:], fallback: cur})
	}
	return out
}

// needsFallback reports whether any text in d has a character the Go fonts
// lack; only then is the (large) fallback font loaded.
func needsFallback(d *document) bool {
	need := false
	eachText(d, func(s string) {
		for _, r := range s {
			if !need && !goHas(r) {
				need = true
			}
		}
	})
	return need
}
