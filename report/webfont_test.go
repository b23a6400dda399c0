package report

import (
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tdewolff/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// webFontNames are the names every HTML letter must draw: Chinese,
// Russian, Arabic and Thai.
const webFontNames = "陈伟Иванمحمدสมชาย"

// webFontNamesDoc puts the names in each kind of block a letter has.
func webFontNamesDoc() *document {
	return &document{Title: "Request to freeze funds of 陈伟", Lang: "en", Blocks: []block{
		heading{Level: 2, Text: "Victims"},
		para{Spans: []span{txt("Victim: "), {Text: "陈伟", Bold: true}}},
		list{Items: [][]span{{txt("Иван")}}},
		fields{Rows: [][2]string{{"Name", "محمد"}}},
		table{Head: []string{"Name"}, Rows: [][]tcell{{cellOf(txt("สมชาย"))}}},
	}}
}

// faceRule is the whole grammar of one rule webFontFaces writes.
var faceRule = regexp.MustCompile(`@font-face\{font-family:"freezetrace-fallback";src:url\("data:font/(woff2?);base64,([A-Za-z0-9+/]+=*)"\) format\("(woff2?)"\);unicode-range:(U\+[0-9A-F]+(?:-[0-9A-F]+)?(?:,U\+[0-9A-F]+(?:-[0-9A-F]+)?)*)\}\n`)

// webFace is one @font-face rule, decoded.
type webFace struct {
	runes []rune
	data  []byte // WOFF or WOFF2
}

// parseWebFaces decodes css, failing the test unless it is nothing but
// rules of faceRule's form with disjoint unicode-ranges.
func parseWebFaces(t *testing.T, css string) []webFace {
	t.Helper()
	var faces []webFace
	seen := map[rune]bool{}
	rest := css
	for rest != "" {
		m := faceRule.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			t.Fatalf("css has text outside @font-face rules of the expected form at %.80q", rest)
		}
		format := rest[m[2]:m[3]]
		data, err := base64.StdEncoding.DecodeString(rest[m[4]:m[5]])
		if err != nil {
			t.Fatalf("font data: %v", err)
		}
		if mt, err := font.MediaType(data); err != nil || rest[m[6]:m[7]] != format || mt != "font/"+format {
			t.Fatalf("font data is %s (%v), declared %s and %s", mt, err, format, rest[m[6]:m[7]])
		}
		var rs []rune
		for _, part := range strings.Split(rest[m[8]:m[9]], ",") {
			lo, hi, _ := strings.Cut(strings.TrimPrefix(part, "U+"), "-")
			if hi == "" {
				hi = lo
			}
			a, _ := strconv.ParseInt(lo, 16, 32)
			b, _ := strconv.ParseInt(hi, 16, 32)
			for r := rune(a); r <= rune(b); r++ {
				if seen[r] {
					t.Errorf("U+%04X is in two faces' unicode-range", r)
				}
				seen[r] = true
				rs = append(rs, r)
			}
		}
		faces = append(faces, webFace{runes: rs, data: data})
		rest = rest[m[1]:]
	}
	return faces
}

// faceFor returns the face whose unicode-range holds r.
func faceFor(faces []webFace, r rune) (webFace, bool) {
	for _, f := range faces {
		if slices.Contains(f.runes, r) {
			return f, true
		}
	}
	return webFace{}, false
}

func mustWebFontFaces(t *testing.T, d *document) string {
	t.Helper()
	css, err := webFontFaces(d)
	if err != nil {
		t.Fatal(err)
	}
	return string(css)
}

func TestWebFontFaces(t *testing.T) {
	t.Run("LatinOnly", func(t *testing.T) {
		d := &document{Title: "Request to freeze funds", Blocks: []block{
			heading{Level: 2, Text: "Transfers"},
			para{Spans: []span{txt("Victim: John Smith, "), mono("0xdAC17F958D2ee523a2206206994597C13D831ec7")}},
			fields{Rows: [][2]string{{"Date", "2025-01-02"}}},
			table{Head: []string{"Amount"}, Rows: [][]tcell{{num("1,234.50 USDT")}}},
		}}
		if got := mustWebFontFaces(t, d); got != "" {
			t.Fatalf("got %d bytes of CSS, want none", len(got))
		}
	})

	t.Run("NamesDrawn", func(t *testing.T) {
		css := mustWebFontFaces(t, webFontNamesDoc())
		faces := parseWebFaces(t, css)
		var covered []rune
		for _, f := range faces {
			covered = append(covered, f.runes...)
		}
		slices.Sort(covered)
		if want := webFontUniqueRunes(webFontNames); !slices.Equal(covered, want) {
			t.Errorf("unicode-ranges cover %q, want exactly %q", string(covered), string(want))
		}
		for _, r := range webFontNames {
			f, ok := faceFor(faces, r)
			if !ok {
				t.Errorf("%c (U+%04X): no face", r, r)
				continue
			}
			checkWebFontGlyph(t, f.data, r)
		}
		const bound = 100 << 10
		if len(css) >= bound {
			t.Errorf("css for %q is %d bytes, want < %d", webFontNames, len(css), bound)
		}
		t.Logf("css for %q: %d bytes in %d faces", webFontNames, len(css), len(faces))
	})

	t.Run("ShapingTablesKept", func(t *testing.T) {
		// The subsetter drops GSUB and GPOS; Arabic must join and Thai
		// marks stack, so their faces carry the whole script font.
		faces := parseWebFaces(t, mustWebFontFaces(t, webFontNamesDoc()))
		for _, r := range []rune{'م', 'ส'} {
			f, _ := faceFor(faces, r)
			s, err := font.ParseFont(f.data, 0)
			if err != nil {
				t.Fatalf("%c: %v", r, err)
			}
			for _, tag := range []string{"GSUB", "GPOS", "GDEF"} {
				if _, ok := s.Tables[tag]; !ok {
					t.Errorf("face for %c has no %s table", r, tag)
				}
			}
		}
	})

	t.Run("OneChineseNameIsSmall", func(t *testing.T) {
		d := &document{Title: "Request", Blocks: []block{para{Spans: []span{txt("Victim: 陈伟")}}}}
		css := mustWebFontFaces(t, d)
		faces := parseWebFaces(t, css)
		if len(faces) != 1 || !slices.Equal(faces[0].runes, []rune("伟陈")) {
			t.Fatalf("got faces %v, want one for 伟陈", faces)
		}
		checkWebFontGlyph(t, faces[0].data, '陈')
		checkWebFontGlyph(t, faces[0].data, '伟')
		if len(css) >= 4<<10 {
			t.Errorf("css is %d bytes, want < 4 KiB", len(css))
		}
		t.Logf("css for 陈伟: %d bytes", len(css))
	})

	t.Run("Deterministic", func(t *testing.T) {
		first := mustWebFontFaces(t, webFontNamesDoc())
		// Another document in between must leave the cached fonts as they were.
		other := &document{Title: "Ελένη Ωμέγα 李娜 Ольга"}
		mustWebFontFaces(t, other)
		var wg sync.WaitGroup
		got := make([]string, 4)
		for i := range got {
			wg.Go(func() {
				css, err := webFontFaces(webFontNamesDoc())
				if err != nil {
					t.Error(err)
				}
				got[i] = string(css)
			})
		}
		wg.Wait()
		for i, g := range got {
			if g != first {
				t.Errorf("call %d: got %d bytes, want the first call's %d, byte for byte", i, len(g), len(first))
			}
		}
	})

	t.Run("HostileText", func(t *testing.T) {
		evil := "陈伟}</style><script>alert(1)</script>@import url(//e.example/x.css);\"'\\ \u202e\u200dИван*/"
		d := &document{Title: evil, Blocks: []block{
			para{Spans: []span{{Text: evil, Link: "javascript:alert(1)"}}},
			fields{Rows: [][2]string{{evil, evil}}},
			figure{Caption: evil, Diagram: &flowDiagram{SVG: []byte("<svg><text>" + evil + "</text></svg>")}},
		}}
		css := mustWebFontFaces(t, d)
		faces := parseWebFaces(t, css) // fails on anything outside the grammar
		for _, r := range "\u202e\u200d" {
			if _, ok := faceFor(faces, r); ok {
				t.Errorf("U+%04X (draws nothing) is in a unicode-range", r)
			}
		}
		for _, bad := range []string{"<", "script", "import", "example", "\\", "'", "*/"} {
			if strings.Contains(css, bad) {
				t.Errorf("css contains %q", bad)
			}
		}
	})
}

func TestWebFontUnicodeRange(t *testing.T) {
	for _, tt := range []struct {
		in   []rune
		want string
	}{
		{[]rune{0x410}, "U+410"},
		{[]rune{0x410, 0x411, 0x412, 0x414}, "U+410-412,U+414"},
		{[]rune{0x4F1F, 0x9648, 0x20000}, "U+4F1F,U+9648,U+20000"},
	} {
		if got := unicodeRange(tt.in); got != tt.want {
			t.Errorf("unicodeRange(%U) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWebFontCmap checks both subtables of the cmap a subset gets:
// tdewolff/font reads the format 4 one first, x/image/font/sfnt prefers
// format 12. In Droid Sans Fallback 不 (U+4E0D) and the compatibility
// ideograph 不 (U+F967) share a glyph, as do ㄴ (U+3134) and a conjoining
// jamo; the library's own cmap keeps one code point of each pair only.
func TestWebFontCmap(t *testing.T) {
	for _, tt := range []struct {
		font  *webFont
		runes string
	}{
		{webFonts[2], "ΑΒΓабвé…"},
		{webFonts[3], "不\uF967ㄴ\u1102陈伟"},
	} {
		t.Run(tt.font.name, func(t *testing.T) {
			f, err := tt.font.parsed()
			if err != nil {
				t.Fatal(err)
			}
			b, err := subsetWOFF(f, webFontUniqueRunes(tt.runes))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range tt.runes {
				checkWebFontGlyph(t, b, r)
			}
			checkWebFontGlyph(t, b, 'x') // ASCII: must not be in the subset
		})
	}
}

// checkWebFontGlyph fails t unless the WOFF or WOFF2 font b maps r to a glyph that has
// an outline, read both by x/image/font/sfnt and by tdewolff/font. A rune
// not in the font is reported as missing, except ASCII, which must be.
func checkWebFontGlyph(t *testing.T, b []byte, r rune) {
	t.Helper()
	ttf, err := font.ToSFNT(b)
	if err != nil {
		t.Fatalf("decode font: %v", err)
	}
	f, err := sfnt.Parse(ttf)
	if err != nil {
		t.Fatalf("parse font: %v", err)
	}
	var buf sfnt.Buffer
	gi, err := f.GlyphIndex(&buf, r)
	if err != nil {
		t.Fatalf("%c: %v", r, err)
	}
	td, err := font.ParseSFNT(ttf, 0)
	if err != nil {
		t.Fatalf("parse font: %v", err)
	}
	if r < 0x80 {
		if gi != 0 || td.GlyphIndex(r) != 0 {
			t.Errorf("%c: in the subset, want only the runes asked for", r)
		}
		return
	}
	if gi == 0 || td.GlyphIndex(r) != uint16(gi) {
		t.Errorf("%c (U+%04X): glyph %d (x/image) and %d (tdewolff), want the same non-zero one", r, r, gi, td.GlyphIndex(r))
		return
	}
	segs, err := f.LoadGlyph(&buf, gi, fixed.I(64), nil)
	if err != nil || len(segs) == 0 {
		t.Errorf("%c (U+%04X): glyph %d has no outline (%v)", r, r, gi, err)
	}
}

func webFontUniqueRunes(s string) []rune {
	rs := []rune(s)
	slices.Sort(rs)
	return slices.Compact(rs)
}
