package etl

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
)

// table reads a CSV file by column name.
type table struct {
	r     *csv.Reader
	guard *lineGuard
	name  string
	chain chains.Chain
	cols  map[string]int
	ncols int
	rec   []string
	line  int
}

func newTable(r io.Reader, name string, c chains.Chain) (*table, error) {
	g := &lineGuard{r: r, name: name}
	cr := csv.NewReader(g)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	hdr, err := cr.Read()
	if g.err != nil {
		return nil, g.err
	}
	if errors.Is(err, io.EOF) {
		return nil, chains.Invalid(fmt.Errorf("%s:1: empty file, want a CSV header", name))
	}
	if err != nil {
		var ie *chains.InputError
		if errors.As(err, &ie) {
			return nil, err
		}
		// A file that cannot be read at all (a directory, say).
		return nil, chains.Invalid(fmt.Errorf("%s: %v", name, err))
	}
	t := &table{r: cr, guard: g, name: name, chain: c, cols: map[string]int{}, ncols: len(hdr)}
	for i, h := range hdr {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if j, dup := t.cols[h]; dup && h != "" {
			return nil, chains.Invalid(fmt.Errorf("%s:1: column %s appears twice in the header (columns %d and %d): which one holds the data is not clear", name, clip(h), j+1, i+1))
		}
		t.cols[h] = i
	}
	return t, nil
}

// readError turns an error of the CSV reader into one naming the file and
// line.
func readError(name string, err error) error {
	var pe *csv.ParseError
	var ie *chains.InputError
	switch {
	case errors.As(err, &pe):
		return chains.Invalid(fmt.Errorf("%s:%d: %v", name, pe.Line, pe.Err))
	case errors.As(err, &ie):
		return err
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// need fails unless the header has every named column.
func (t *table) need(names ...string) error {
	var missing []string
	for _, n := range names {
		if _, ok := t.cols[n]; !ok {
			missing = append(missing, n)
		}
	}
	if missing != nil {
		return chains.Invalid(fmt.Errorf("%s:1: missing column %s (is this the right --format?)", t.name, strings.Join(missing, ", ")))
	}
	return nil
}

func (t *table) has(name string) bool { _, ok := t.cols[name]; return ok }

// each calls row for every data row in turn, counting it in res.Read, and
// stops at the end of the file or at the first error.
func (t *table) each(res *Result, row func() error) error {
	for {
		ok, err := t.next()
		if err != nil || !ok {
			return err
		}
		res.Read++
		if err := row(); err != nil {
			return err
		}
	}
}

// next reads the next row; false at the end of the file. A row with more
// or fewer fields than the header is an error: a file cut short, or a
// row broken in two.
func (t *table) next() (bool, error) {
	rec, err := t.r.Read()
	if t.guard.err != nil {
		return false, t.guard.err
	}
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, readError(t.name, err)
	}
	t.rec = rec
	t.line, _ = t.r.FieldPos(0)
	if len(rec) != t.ncols {
		return false, t.errf("%d fields, but the header names %d: is the row broken or the file cut short?", len(rec), t.ncols)
	}
	return true, nil
}

// get returns a column of the current row ("" when the row is short or
// the header lacks it).
func (t *table) get(name string) string { return t.field(t.column(name)) }

// column returns the position of a named column in the header, -1 when it
// has none. Importers of large files look their columns up once and read
// rows with field and the *At parsers.
func (t *table) column(name string) int {
	if i, ok := t.cols[name]; ok {
		return i
	}
	return -1
}

// field returns column i of the current row ("" when the row is short or
// i is -1).
func (t *table) field(i int) string {
	if i < 0 || i >= len(t.rec) {
		return ""
	}
	return strings.TrimSpace(t.rec[i])
}

// errf builds the error for a bad value in the current row.
func (t *table) errf(format string, args ...any) error {
	return chains.Invalid(fmt.Errorf("%s:%d: %s", t.name, t.line, fmt.Sprintf(format, args...)))
}

func (t *table) address(col string) (chains.Address, error) { return t.addressAt(t.column(col), col) }

// addressAt parses column i, named col in errors. ethereum-etl writes
// addresses as 0x and 40 lowercase hex digits: those are decoded here
// directly, which is what parsing them in full gives (a lowercase address
// carries no checksum) at a fraction of the cost; any other form goes
// through the chain's parser and its checks.
func (t *table) addressAt(i int, col string) (chains.Address, error) {
	v := t.field(i)
	if len(v) > maxAddress {
		return chains.Address{}, t.errf("%s: not an address: %s (%d characters)", col, clip(v), len(v))
	}
	if t.chain.Family() == chains.FamilyEVM && len(v) == 42 && v[:2] == "0x" {
		var b [20]byte
		if decodeLowerHex(b[:], v[2:]) {
			return chains.NewAddress(chains.FamilyEVM, b), nil
		}
	}
	a, err := t.chain.ParseAddress(v)
	if err != nil {
		return a, t.errf("%s: %v", col, err)
	}
	return a, nil
}

func (t *table) hash(col string) (chains.TxHash, error) { return t.hashAt(t.column(col), col) }

// hashAt parses column i, named col in errors; 0x and 64 lowercase hex
// digits are decoded directly, as in addressAt.
func (t *table) hashAt(i int, col string) (chains.TxHash, error) {
	v := t.field(i)
	var h chains.TxHash
	if len(v) > maxHash {
		return h, t.errf("%s: not a hash: %s (%d characters)", col, clip(v), len(v))
	}
	if len(v) == 66 && v[:2] == "0x" && decodeLowerHex(h[:], v[2:]) {
		return h, nil
	}
	h, err := chains.ParseTxHash(v)
	if err != nil {
		return h, t.errf("%s: %v", col, err)
	}
	return h, nil
}

// decodeLowerHex decodes s into dst and reports whether s was exactly
// 2*len(dst) lowercase hex digits; dst is garbage when it was not.
func decodeLowerHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := lowerHex[s[2*i]], lowerHex[s[2*i+1]]
		if hi|lo > 0xf {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// lowerHex maps '0'-'9' and 'a'-'f' to their values and every other byte
// to 0xff.
var lowerHex = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
	}
	return t
}()

func (t *table) uint(col string, bits int) (uint64, error) { return t.uintAt(t.column(col), col, bits) }

func (t *table) uintAt(i int, col string, bits int) (uint64, error) {
	v := t.field(i)
	var n uint64
	err := errTooLong
	if len(v) <= maxUintDigits {
		n, err = strconv.ParseUint(v, 10, bits)
	}
	if err != nil {
		return 0, t.errf("%s: not a whole number below 2^%d: %s", col, bits, clip(v))
	}
	return n, nil
}

func (t *table) amount(col string) (chains.Amount, error) { return t.amountAt(t.column(col), col) }

// amountAt parses column i, named col in errors. Up to 19 decimal digits
// always fit a uint64, so such values skip the big-number parser.
func (t *table) amountAt(i int, col string) (chains.Amount, error) {
	v := t.field(i)
	if len(v) > 0 && len(v) <= 19 {
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			return chains.NewAmount(n), nil
		}
	}
	// Leading zeros are no digits of the value: "000…0" is 0, as
	// chains.ParseAmount reads it. The line bound keeps them few.
	if len(strings.TrimLeft(v, "0")) > maxAmountDigits {
		return chains.Amount{}, t.errf("%s: %s has %d characters, more than the %d digits of the largest 256-bit value", col, clip(v), len(v), maxAmountDigits)
	}
	a, err := chains.ParseAmount(v)
	if err != nil {
		return a, t.errf("%s: %v", col, err)
	}
	return a, nil
}

// timestampLayouts are the ways ethereum-etl and BigQuery exports write
// block times besides unix seconds.
var timestampLayouts = []string{time.RFC3339, "2006-01-02 15:04:05 MST", "2006-01-02 15:04:05", "2006-01-02T15:04:05"}

// time reads a block time: unix seconds or one of timestampLayouts, from
// 1970 to the end of year 9999 (UTC).
func (t *table) time(col string) (time.Time, error) {
	v := t.get(col)
	if len(v) <= maxTime {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			if n > lastTime.Unix() {
				return time.Time{}, t.errf("%s: %s seconds is after the year 9999", col, clip(v))
			}
			return time.Unix(n, 0).UTC(), nil
		}
		for _, l := range timestampLayouts {
			if tm, err := time.Parse(l, v); err == nil {
				if tm.Before(time.Unix(0, 0)) || tm.After(lastTime) {
					return time.Time{}, t.errf("%s: %s is outside 1970 to 9999 (UTC)", col, clip(v))
				}
				return tm.UTC(), nil
			}
		}
	}
	return time.Time{}, t.errf("%s: not a block time (unix seconds or RFC 3339): %s", col, clip(v))
}
