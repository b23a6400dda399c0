package etl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"freezetrace/chains"
)

// Bounds on what a file may hold. A file past one is refused with
// "file:line: what", before the value is parsed, and messages quote at
// most clipBytes of a value.
const (
	// MaxLine is the longest line, in bytes: a CSV record, which may span
	// lines inside quotes. ethereum-etl's widest rows (transactions with
	// their input data) stay far below it.
	MaxLine = 1 << 20
	// maxUintDigits fits every uint64 (block numbers, indexes).
	maxUintDigits = 20
	// maxAmountDigits is the length of 2^256-1, the largest token value.
	maxAmountDigits = 78
	// maxAddress and maxHash leave room for every written form of an
	// address (0x and 40 hex digits, base58check) and of a hash (0x and
	// 64 hex digits).
	maxAddress = 80
	maxHash    = 80
	// maxTime fits every accepted form of a block time.
	maxTime = 64
	// maxSymbol bounds a token's symbol, which is stored as written.
	maxSymbol = 256
	// clipBytes is how much of a bad value a message quotes.
	clipBytes = 80
)

// lastTime is the last block time a file may give: later ones cannot be
// written as RFC 3339, which reports and JSON use.
var lastTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

var errTooLong = errors.New("too long")

// clip quotes v for a message, cut to clipBytes with "…".
func clip(v string) string {
	if len(v) <= clipBytes {
		return fmt.Sprintf("%q", v)
	}
	cut := clipBytes
	for cut > 0 && !utf8.RuneStart(v[cut]) {
		cut--
	}
	return fmt.Sprintf("%q…", v[:cut])
}

// lineGuard passes a CSV file through and stops it, with an InputError
// naming the file and line, at a record longer than MaxLine (while it is
// read, so a huge line costs no memory) and at an end of file that cuts
// a file short: a last line without its line end, or a quoted field left
// open. ethereum-etl ends every line, the last included, with a line end.
// It counts quotes to tell records apart: in a well-formed CSV file every
// quote opens, closes or doubles inside a quoted field, and the CSV
// reader rejects any other.
type lineGuard struct {
	r        io.Reader
	name     string
	lines    int // line ends read
	recStart int // line the current record began on (1-based)
	recLen   int // bytes of the current record so far
	quoted   bool
	last     byte
	total    int64
	err      error // sticky
}

func (g *lineGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if g.total == 0 {
		g.recStart = 1
	}
	for buf := p[:n]; len(buf) > 0; {
		i := bytes.IndexByte(buf, '\n')
		seg := buf
		if i >= 0 {
			seg = buf[:i]
		}
		if bytes.Count(seg, []byte{'"'})%2 == 1 {
			g.quoted = !g.quoted
		}
		if g.recLen += len(seg); g.recLen > MaxLine {
			g.err = chains.Invalid(fmt.Errorf("%s:%d: line longer than %d bytes (1 MiB), the most freezetrace reads: not an export, or a damaged one (or drop unneeded wide columns such as input)",
				g.name, g.recStart, MaxLine))
			return 0, g.err
		}
		if i < 0 {
			break
		}
		buf = buf[i+1:]
		g.lines++
		if g.quoted {
			g.recLen++ // a line end inside a quoted field
		} else {
			g.recLen, g.recStart = 0, g.lines+1
		}
	}
	if n > 0 {
		g.last = p[n-1]
		g.total += int64(n)
	}
	if errors.Is(err, io.EOF) && g.total > 0 {
		switch {
		case g.quoted:
			g.err = chains.Invalid(fmt.Errorf("%s:%d: a quoted field is still open at the end of the file: the file looks truncated", g.name, g.recStart))
		case g.last != '\n':
			g.err = chains.Invalid(fmt.Errorf("%s:%d: the last line has no line end: the file looks truncated", g.name, g.lines+1))
		}
		if g.err != nil {
			return n, g.err
		}
	}
	return n, err
}
