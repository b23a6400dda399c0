package labels

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"freezetrace/chains"
)

// csvConfidence is the confidence of a user's own label: the user vouches
// for it.
const csvConfidence = 100

// ParseCSV reads a user's own labels: rows of chain,address,entity,category
// with an optional fifth column source. A first row naming the columns
// (chain,address,…) is a header and skipped; lines starting with # are
// comments. chain is a chain name (ethereum, tron, bsc, …), the address is
// parsed for it, category is one of chains.Categories. Entity and source are
// kept exactly as written.
func ParseCSV(r io.Reader, name string, opts Options) (Result, error) {
	res := Result{File: name}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			res.Read++
			if err := res.bad(opts, pe.StartLine, pe.Err); err != nil {
				return res, err
			}
			continue
		}
		if err != nil {
			return res, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if first {
			first = false
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a byte-order mark from spreadsheet exports
			}
			if len(rec) >= 2 && strings.EqualFold(strings.TrimSpace(rec[0]), "chain") &&
				strings.EqualFold(strings.TrimSpace(rec[1]), "address") {
				continue
			}
		}
		res.Read++
		l, err := csvLabel(rec, name, opts)
		if err != nil {
			if err := res.bad(opts, line, err); err != nil {
				return res, err
			}
			continue
		}
		res.Labels = append(res.Labels, l)
	}
	return res, nil
}

func csvLabel(rec []string, name string, opts Options) (chains.Label, error) {
	if len(rec) < 4 || len(rec) > 5 {
		return chains.Label{}, fmt.Errorf("want 4 or 5 columns (chain,address,entity,category[,source]), got %d", len(rec))
	}
	chain, err := chains.ParseChain(rec[0])
	if err != nil {
		return chains.Label{}, err
	}
	addr, err := chain.ParseAddress(rec[1])
	if err != nil {
		return chains.Label{}, fmt.Errorf("%s address: %w", chain, err)
	}
	cat, err := chains.ParseCategory(rec[3])
	if err != nil {
		return chains.Label{}, fmt.Errorf("%w (known: %s)", err, categoryNames())
	}
	source := opts.Source
	if len(rec) == 5 && rec[4] != "" {
		source = rec[4]
	}
	if source == "" {
		source = fileNote(name)
	}
	return chains.Label{
		Chain:      chain,
		Address:    addr,
		Entity:     rec[2],
		Category:   cat,
		Source:     source,
		Date:       opts.Date,
		Note:       fileNote(name),
		Confidence: csvConfidence,
	}, nil
}

func categoryNames() string {
	s := make([]string, len(chains.Categories))
	for i, c := range chains.Categories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
