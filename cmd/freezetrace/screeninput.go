package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"freezetrace/chains"
)

// screenItem is one address to screen and where it came from.
type screenItem struct {
	chain chains.Chain
	addr  chains.Address
	line  int // 0 for a command-line argument
}

// maxScreenLine bounds one line of a screening list.
const maxScreenLine = 64 << 10

// screenInput reads addresses to screen from a list, one per line, or a CSV
// file with a header naming an address column and optionally a chain
// column. Blank lines and lines starting with # are skipped in a list. A
// T… address is TRON's; a 0x… address is on the chain column's chain, or
// on def.
type screenInput struct {
	name string
	def  chains.Chain
	r    *bufio.Reader
	line int
	csv  *csv.Reader
	hdr  int // the line of the CSV header
	cols struct{ addr, chain int }
	done bool
	read int  // addresses read
	args bool // command-line arguments: items have line 0, errors say which
}

func newScreenInput(name string, r io.Reader, def chains.Chain) *screenInput {
	return &screenInput{name: name, def: def, r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next address; io.EOF at the end. A malformed line is
// an input error "name:line: what".
func (in *screenInput) next() (screenItem, error) {
	for {
		if in.done {
			return screenItem{}, io.EOF
		}
		if in.csv != nil {
			return in.nextCSV()
		}
		text, err := in.readLine()
		if err != nil {
			return screenItem{}, err
		}
		t := strings.TrimSpace(strings.TrimPrefix(text, "\ufeff"))
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if strings.Contains(t, ",") {
			if in.read > 0 {
				return screenItem{}, in.errorf("a comma in a list of addresses (a CSV file has its header first)")
			}
			if err := in.startCSV(t); err != nil {
				return screenItem{}, err
			}
			continue
		}
		in.read++
		return in.parse(t, "", in.line)
	}
}

func (in *screenInput) readLine() (string, error) {
	var buf []byte
	for {
		part, isPrefix, err := in.r.ReadLine()
		if err == io.EOF && len(buf) == 0 {
			in.done = true
			return "", io.EOF
		}
		if err != nil && err != io.EOF {
			return "", fmt.Errorf("%s: %w", in.name, err)
		}
		buf = append(buf, part...)
		if len(buf) > maxScreenLine {
			in.line++
			return "", in.errorf("line longer than %d bytes", maxScreenLine)
		}
		if !isPrefix {
			break
		}
	}
	in.line++
	return string(buf), nil
}

func (in *screenInput) errorf(format string, a ...any) error {
	return in.errorAt(in.line, format, a...)
}

func (in *screenInput) errorAt(line int, format string, a ...any) error {
	return chains.Invalid(fmt.Errorf("%s:%d: %s", in.name, line, fmt.Sprintf(format, a...)))
}

// parse reads one address of line, on chain (a chain name) or the
// default.
func (in *screenInput) parse(s, chain string, line int) (screenItem, error) {
	c := in.def
	if chain = strings.TrimSpace(chain); chain != "" {
		var err error
		if c, err = chains.ParseChain(chain); err != nil {
			return screenItem{}, in.errorAt(line, "chain %s: %v", clipArg(chain), err)
		}
	}
	a, err := chains.ParseAddress(s)
	if err != nil {
		return screenItem{}, in.errorAt(line, "%v", err)
	}
	if a.Family() == chains.FamilyTRON && chain == "" {
		c = chains.Tron
	}
	if a.Family() != c.Family() {
		return screenItem{}, in.errorAt(line, "%s is not an address of %s", clipArg(s), c)
	}
	if in.args {
		line = 0
	}
	return screenItem{chain: c, addr: a.In(c.Family()), line: line}, nil
}

// startCSV reads the header of a CSV list.
func (in *screenInput) startCSV(header string) error {
	r := csv.NewReader(bytes.NewReader([]byte(header)))
	head, err := r.Read()
	if err != nil {
		return in.errorf("CSV header: %v", err)
	}
	in.cols.addr, in.cols.chain = -1, -1
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "address":
			if in.cols.addr >= 0 {
				return in.errorf("CSV header: two address columns")
			}
			in.cols.addr = i
		case "chain":
			if in.cols.chain >= 0 {
				return in.errorf("CSV header: two chain columns")
			}
			in.cols.chain = i
		}
	}
	if in.cols.addr < 0 {
		return in.errorf("CSV header %s has no address column", clipArg(header))
	}
	in.hdr = in.line
	in.csv = csv.NewReader(&lineCounter{in: in})
	in.csv.FieldsPerRecord = len(head)
	in.csv.ReuseRecord = true
	return nil
}

func (in *screenInput) nextCSV() (screenItem, error) {
	rec, err := in.csv.Read()
	if err == io.EOF {
		in.done = true
		return screenItem{}, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return screenItem{}, in.errorAt(in.hdr+pe.Line, "%v", pe.Err)
	}
	if err != nil {
		return screenItem{}, err
	}
	line, _ := in.csv.FieldPos(in.cols.addr)
	line += in.hdr
	addr := strings.TrimSpace(rec[in.cols.addr])
	if addr == "" {
		return screenItem{}, in.errorAt(line, "no address in the address column")
	}
	chain := ""
	if in.cols.chain >= 0 {
		chain = rec[in.cols.chain]
	}
	in.read++
	return in.parse(addr, chain, line)
}

// lineCounter feeds the CSV reader line by line, counting lines, so that
// errors name the line.
type lineCounter struct {
	in  *screenInput
	buf []byte
}

func (l *lineCounter) Read(p []byte) (int, error) {
	if len(l.buf) == 0 {
		s, err := l.in.readLine()
		if err != nil {
			if err == io.EOF {
				l.in.done = false // the CSV reader's io.EOF ends the input
			}
			return 0, err
		}
		l.buf = append([]byte(s), '\n')
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}
