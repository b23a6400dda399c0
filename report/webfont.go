package report

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/tdewolff/font"
	"golang.org/x/image/font/gofont/goregular"
)

// webFontFamily is the CSS font-family name of every face webFontFaces
// returns; a page's font stacks name it before their generic family.
const webFontFamily = "freezetrace-fallback"

// Noto Sans Arabic and Noto Sans Thai (OFL; see fonts/README.md), each
// already cut to its script's glyphs with their shaping tables.
var (
	//go:embed fonts/NotoSansArabic-Regular-arabic.woff2
	notoArabicWOFF2 []byte
	//go:embed fonts/NotoSansThai-Regular-thai.woff2
	notoThaiWOFF2 []byte
)

// webFont is a font an HTML page may embed. A whole font goes in
// as its file is: the subsetter drops GSUB, GPOS and GDEF, without which
// Arabic letters would not join and Thai marks would not stack. Any other
// font goes in cut down to the glyphs the page uses.
type webFont struct {
	name   string
	data   []byte
	blocks [][2]rune // the only runes the font is used for; nil: any it has
	whole  bool

	once sync.Once
	sfnt *font.SFNT
	err  error
}

// webFonts are tried in order; a rune is drawn by the first that takes it.
var webFonts = []*webFont{
	{name: "Noto Sans Arabic", data: notoArabicWOFF2, whole: true, blocks: [][2]rune{
		{0x0600, 0x06FF}, {0x0750, 0x077F}, {0x0870, 0x08FF}, {0xFB50, 0xFDFF},
		{0xFE70, 0xFEFF}, {0x10E60, 0x10E7F}, {0x1EE00, 0x1EEFF},
	}},
	{name: "Noto Sans Thai", data: notoThaiWOFF2, whole: true, blocks: [][2]rune{{0x0E00, 0x0E7F}}},
	{name: "Go Regular", data: goregular.TTF},        // Latin beyond ASCII, Greek, Cyrillic
	{name: "Droid Sans Fallback", data: fallbackTTF}, // CJK and the rest
}

// parsed returns the font, parsing it on first use.
func (w *webFont) parsed() (*font.SFNT, error) {
	w.once.Do(func() {
		w.sfnt, w.err = font.ParseFont(w.data, 0)
		if w.err != nil {
			w.err = fmt.Errorf("parse font %s: %w", w.name, w.err)
		}
	})
	return w.sfnt, w.err
}

func (w *webFont) takes(r rune) bool {
	return w.blocks == nil || slices.ContainsFunc(w.blocks, func(b [2]rune) bool { return b[0] <= r && r <= b[1] })
}

// webFontFaces returns the @font-face rules an HTML page needs so that
// every name in d is drawn, whatever fonts the reader's machine has: for
// the characters of d outside ASCII, one face of family webFontFamily per
// font that draws some of them, its unicode-range exactly those characters
// and its data a data: URL, the font cut down to them (WOFF) or, for
// Arabic and Thai, whole (WOFF2). No text of d reaches the CSS, only
// base64 and hexadecimal code points. ASCII-only text gets "". The same
// document always gets the same bytes.
func webFontFaces(d *document) (template.CSS, error) {
	runes := docRunes(d)
	var css strings.Builder
	for _, w := range webFonts {
		if len(runes) == 0 {
			break
		}
		f, err := w.parsed()
		if err != nil {
			return "", err
		}
		var mine, rest []rune
		for _, r := range runes {
			if w.takes(r) && f.GlyphIndex(r) != 0 {
				mine = append(mine, r)
			} else {
				rest = append(rest, r)
			}
		}
		runes = rest
		if len(mine) == 0 {
			continue
		}
		data, format := w.data, "woff2"
		if !w.whole {
			if data, err = subsetWOFF(f, mine); err != nil {
				return "", fmt.Errorf("subset font %s: %w", w.name, err)
			}
			format = "woff"
		}
		fmt.Fprintf(&css, "@font-face{font-family:%q;src:url(\"data:font/%s;base64,%s\") format(%q);unicode-range:%s}\n",
			webFontFamily, format, base64.StdEncoding.EncodeToString(data), format, unicodeRange(mine))
	}
	return template.CSS(css.String()), nil
}

// docRunes returns, sorted, the characters outside ASCII that d draws;
// control and format characters (joiners, direction marks) draw nothing.
func docRunes(d *document) []rune {
	seen := map[rune]bool{}
	add := func(s string) {
		for _, r := range s {
			if r >= 0x80 && !unicode.In(r, unicode.Cc, unicode.Cf) {
				seen[r] = true
			}
		}
	}
	eachText(d, add)
	return slices.Sorted(maps.Keys(seen))
}

// subsetTables are the tables a subset keeps: outlines, metrics and the
// hinting programs that outlines' instructions call; cmap is written anew.
var subsetTables = []string{"OS/2", "cvt ", "fpgm", "gasp", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name", "post", "prep"}

// subsetMu serialises Subset, which writes into the font it is called on.
var subsetMu sync.Mutex

// subsetWOFF returns f cut down to the glyphs of rs (sorted, each with a
// glyph in f) as WOFF. (The library's WOFF2 writer garbles composite
// glyphs, which Droid Sans Fallback's ideographs are.)
func subsetWOFF(f *font.SFNT, rs []rune) ([]byte, error) {
	gids := []uint16{0} // .notdef first
	pos := map[uint16]uint16{0: 0}
	for _, r := range rs {
		if g := f.GlyphIndex(r); pos[g] == 0 && g != 0 {
			pos[g] = uint16(len(gids))
			gids = append(gids, g)
		}
	}
	subsetMu.Lock()
	defer subsetMu.Unlock()
	// Subset writes the new glyph count and loca format into its
	// receiver's maxp, head, hhea and OS/2: hand it copies.
	c := *f
	maxp, head, hhea := *f.Maxp, *f.Head, *f.Hhea
	c.Maxp, c.Head, c.Hhea = &maxp, &head, &hhea
	if f.OS2 != nil {
		os2 := *f.OS2
		c.OS2 = &os2
	}
	s, err := c.Subset(gids, font.SubsetOptions{Tables: subsetTables})
	if err != nil {
		return nil, err
	}
	// The library's cmap maps each glyph back to one rune, losing runes
	// that share a glyph: map exactly the runes asked for.
	s.Tables["cmap"] = cmapTable(rs, func(r rune) uint16 { return pos[f.GlyphIndex(r)] })
	return writeWOFF(s.Tables)
}

// cmapTable maps rs (sorted) to glyph(r): a format 4 subtable for the
// Basic Multilingual Plane, where it fits, and a format 12 one for all.
func cmapTable(rs []rune, glyph func(rune) uint16) []byte {
	type seg struct {
		first, last rune
		gid         uint16
	}
	var segs, bmp []seg
	for _, r := range rs {
		g := glyph(r)
		if n := len(segs); n > 0 && segs[n-1].last == r-1 && rune(segs[n-1].gid)+r-segs[n-1].first == rune(g) {
			segs[n-1].last = r
		} else {
			segs = append(segs, seg{r, r, g})
		}
	}
	f12 := appendBE(nil, 2, 12, 2, 0, 4, 16+12*len(segs), 4, 0, 4, len(segs))
	for _, sg := range segs {
		f12 = appendBE(f12, 4, int(sg.first), 4, int(sg.last), 4, int(sg.gid))
		if sg.last < 0xFFFF {
			bmp = append(bmp, sg)
		}
	}
	bmp = append(bmp, seg{0xFFFF, 0xFFFF, 0}) // the closing segment
	n, es := len(bmp), bits.Len(uint(len(bmp)))-1
	if 16+8*n > 0xFFFF {
		return append(appendBE(nil, 2, 0, 2, 1, 2, 3, 2, 10, 4, 12), f12...)
	}
	var ends, starts, deltas []byte
	for _, sg := range bmp {
		ends = appendBE(ends, 2, int(sg.last))
		starts = appendBE(starts, 2, int(sg.first))
		deltas = appendBE(deltas, 2, int(sg.gid)-int(sg.first)) // modulo 65536
	}
	f4 := appendBE(nil, 2, 4, 2, 16+8*n, 2, 0, 2, 2*n, 2, 2<<es, 2, es, 2, 2*n-2<<es)
	f4 = slices.Concat(f4, ends, []byte{0, 0}, starts, deltas, make([]byte, 2*n)) // no idRangeOffsets
	out := appendBE(nil, 2, 0, 2, 2, 2, 3, 2, 1, 4, 20, 2, 3, 2, 10, 4, 20+len(f4))
	return append(append(out, f4...), f12...)
}

// writeWOFF writes TrueType tables as a WOFF 1.0 file, each table zlib
// compressed, with head's checkSumAdjustment set for the font they make.
func writeWOFF(tables map[string][]byte) ([]byte, error) {
	if len(tables["head"]) < 54 {
		return nil, errors.New("no head table")
	}
	head := slices.Clone(tables["head"])
	clear(head[8:12])
	tables["head"] = head
	tags := slices.Sorted(maps.Keys(tables))
	n, es := len(tags), bits.Len(uint(len(tags)))-1
	dir := appendBE(nil, 4, 0x00010000, 2, n, 2, 16<<es, 2, es, 2, 16*n-16<<es)
	sums, off := make([]uint32, n), 12+16*n
	for i, tag := range tags {
		sums[i] = sfntChecksum(tables[tag])
		dir = appendBE(append(dir, tag...), 4, int(sums[i]), 4, off, 4, len(tables[tag]))
		off += (len(tables[tag]) + 3) &^ 3
	}
	adj := 0xB1B0AFBA - sfntChecksum(dir)
	for _, s := range sums {
		adj -= s
	}
	binary.BigEndian.PutUint32(head[8:], adj)

	out := appendBE([]byte("wOFF"), 4, 0x00010000, 4, 0, 2, n, 2, 0, 4, off, 2, 1, 2, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0)
	var data bytes.Buffer
	for i, tag := range tags {
		t, z := tables[tag], bytes.Buffer{}
		zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
		_, err := zw.Write(t)
		if err = errors.Join(err, zw.Close()); err != nil {
			return nil, fmt.Errorf("compress %s: %w", tag, err)
		}
		if z.Len() < len(t) {
			t = z.Bytes()
		}
		out = appendBE(append(out, tag...), 4, 44+20*n+data.Len(), 4, len(t), 4, len(tables[tag]), 4, int(sums[i]))
		data.Write(t)
		data.Write(make([]byte, (4-len(t)%4)%4))
	}
	out = append(out, data.Bytes()...)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)))
	return out, nil
}

// sfntChecksum is the OpenType checksum of a table: its big-endian 32-bit
// words summed, the last one padded with zeros.
func sfntChecksum(t []byte) uint32 {
	var sum uint32
	for i := 0; i < len(t); i += 4 {
		var w [4]byte
		copy(w[:], t[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}

// appendBE appends big-endian integers to b, given as pairs: size in bytes (2
// or 4), value.
func appendBE(b []byte, sizeValue ...int) []byte {
	for i := 0; i+1 < len(sizeValue); i += 2 {
		if sizeValue[i] == 2 {
			b = binary.BigEndian.AppendUint16(b, uint16(sizeValue[i+1]))
		} else {
			b = binary.BigEndian.AppendUint32(b, uint32(sizeValue[i+1]))
		}
	}
	return b
}

// unicodeRange writes rs (sorted) as a CSS unicode-range value.
func unicodeRange(rs []rune) string {
	var parts []string
	for i, j := 0, 0; i < len(rs); i = j + 1 {
		for j = i; j+1 < len(rs) && rs[j+1] == rs[j]+1; j++ {
		}
		if parts = append(parts, fmt.Sprintf("U+%X", rs[i])); j > i {
			parts[len(parts)-1] += fmt.Sprintf("-%X", rs[j])
		}
	}
	return strings.Join(parts, ",")
}
