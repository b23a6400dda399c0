package labels

import (
	"errors"
	"strings"
	"testing"

	"freezetrace/chains"
)

// FuzzServices reads arbitrary services files: a bad file is an input
// error naming it on one line; a good one gives only valid, sourced labels
// of the three service categories, one per chain and address.
func FuzzServices(f *testing.F) {
	f.Add(okServices)
	f.Add(string(servicesFile[:2000]))
	f.Add("services:\n  - chain: tron\n    address: T\n")
	f.Add("services: [1, {chain: eth}]\n")
	f.Add("services:\n  - &a {chain: eth, address: '0x0000000000000000000000000000000000000001', entity: x, category: defi, role: pool, sources: [{ref: l, date: '2020-01-01'}]}\n  - *a\n")
	f.Fuzz(func(t *testing.T, text string) {
		ls, err := Services(strings.NewReader(text), "f.yaml")
		if err != nil {
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "f.yaml") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: want a one-line input error naming f.yaml", err)
			}
			return
		}
		checkResult(t, Result{File: "f.yaml", Labels: ls, Read: len(ls)}, nil)
		seen := map[serviceKey]bool{}
		for _, l := range ls {
			if _, err := serviceCategory(string(l.Category)); err != nil {
				t.Fatalf("label of category %q", l.Category)
			}
			if !strings.HasPrefix(l.Source, "freezetrace services list: ") || checkLabel(l) != nil {
				t.Fatalf("label %+v: bad source or over a limit", l)
			}
			k := serviceKey{l.Chain, l.Address}
			if seen[k] {
				t.Fatalf("%s %s twice", l.Chain, l.Address)
			}
			seen[k] = true
		}
	})
}
