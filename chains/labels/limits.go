package labels

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"freezetrace/chains"
)

// Limits on the text of one label, in characters (Unicode code points). A
// value over its limit makes its entry bad (a TagPack header field over its
// limit makes the whole file bad, since every tag inherits it); the error
// names the field, its length and the limit, and quotes at most the
// value's first EchoLimit characters. The limits are far above what real
// lists hold (the longest tag label of the GraphSense TagPacks is a
// 214-character URL, the longest address a traced chain writes 44
// characters) and far below what would make the database, a terminal or a
// freeze letter unusable.
const (
	// MaxEntity bounds an entity: a TagPack actor or label, an SDN party's
	// name, a CSV entity.
	MaxEntity = 500
	// MaxSource bounds a source: a URL or the name of a list, in a file or
	// given as Options.Source.
	MaxSource = 2000
	// MaxNote bounds a label's note: the file's name and the source's own
	// words (title, label, category, abuse, concepts, confidence, context),
	// joined.
	MaxNote = 4000
	// MaxTitle bounds a TagPack's title, which every note of it repeats.
	MaxTitle = 500
	// MaxWord bounds one word: a chain name, a currency or network code, a
	// category, abuse, concept or confidence word, an SDN FixedRef.
	MaxWord = 64
	// MaxAddress bounds an address as written, before it is parsed for a
	// traced chain. Entries of chains that are not traced are skipped
	// without it.
	MaxAddress = 80
	// MaxDate bounds a date or timestamp as written (lastmod, Options.Date).
	MaxDate = 40
	// EchoLimit is the most characters of an input value an error quotes.
	EchoLimit = 80
)

// checkLen returns an error naming field when s is longer than limit
// characters.
func checkLen(field, s string, limit int) error {
	if len(s) <= limit { // bytes bound characters
		return nil
	}
	if n := utf8.RuneCountInString(s); n > limit {
		return fmt.Errorf("%s is %d characters, over the limit of %d: %s", field, n, limit, clip(s))
	}
	return nil
}

// clip quotes s for an error message, cut to EchoLimit characters with an
// ellipsis when longer.
func clip(s string) string {
	i, n := 0, 0
	for i < len(s) && n < EchoLimit {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	if i < len(s) {
		return strconv.Quote(s[:i]) + "…"
	}
	return strconv.Quote(s)
}

// checkLabel bounds the text a parser put in a label, whatever field of
// the file it came from.
func checkLabel(l chains.Label) error {
	for _, f := range []struct {
		name, v string
		limit   int
	}{
		{"entity", l.Entity, MaxEntity},
		{"source", l.Source, MaxSource},
		{"note", l.Note, MaxNote},
		{"date", l.Date, MaxDate},
		{"heuristic", l.Heuristic, MaxWord},
	} {
		if err := checkLen(f.name, f.v, f.limit); err != nil {
			return err
		}
	}
	return nil
}

// check bounds the options' provenance text.
func (o Options) check() error {
	if err := checkLen("source option", o.Source, MaxSource); err != nil {
		return chains.Invalid(err)
	}
	if err := checkLen("date option", o.Date, MaxDate); err != nil {
		return chains.Invalid(err)
	}
	return nil
}

// bom is the UTF-8 byte-order mark spreadsheet programs and Windows
// editors put at the start of text files.
const bom = "\ufeff"

// skipBOM returns r without a leading UTF-8 byte-order mark.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReader(r)
	if b, err := br.Peek(len(bom)); err == nil && string(b) == bom {
		br.Discard(len(bom))
	}
	return br
}

// errText is the message of an error from a YAML, JSON or XML decoder,
// which may quote the input (an element name, a token), cut to
// EchoLimit+40 characters with an ellipsis.
func errText(err error) string {
	s := err.Error()
	i, n := 0, 0
	for i < len(s) && n < EchoLimit+40 {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	if i < len(s) {
		return s[:i] + "…"
	}
	return s
}
