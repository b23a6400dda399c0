package trace_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace"
)

// The design's textbook case under the haircut rule: W receives 3,000 from
// the victim and 7,000 clean, then pays 4,000 to A and 6,000 to B.
func ExampleRun() {
	victim, w := addr(1), addr(3)
	a, b := addr(4), addr(5)
	pay := xfer(1, victim, w, 3000)
	src := mem.New(pay, xfer(2, addr(2), w, 7000), xfer(3, w, a, 4000), xfer(4, w, b, 6000))
	c := trace.Case{Chain: chains.Ethereum, Asset: token, Payments: []trace.Payment{{Tx: pay.Tx}}}
	r, err := trace.Run(context.Background(), src, nil, c, trace.Options{Rule: trace.Haircut})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, e := range r.Endpoints {
		fmt.Println(e.Kind, e.Address == a, e.Amount)
	}
	// Output:
	// held true 1200
	// held false 1800
}

func TestSummary(t *testing.T) {
	V, W, X := addr(1), addr(2), addr(3)
	pay := xfer(1, V, W, 123456)
	src := newSource(pay, xfer(2, W, X, 100000))
	src.AddLabel(chains.Label{Chain: chains.Ethereum, Address: X, Entity: "Evil\x1b[31mEx", Category: chains.CategoryExchange, Source: "t", Confidence: 1})
	r := run(t, src, trace.NewLabelAttributor(src), txCase(pay), trace.Options{})
	var b strings.Builder
	if err := trace.Summary(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"1,234.56 TOK in total", "exchange  Evil[31mEx", "1,000.00 TOK", "234.56 TOK", "2 traced transfers"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if strings.ContainsRune(out, '\x1b') {
		t.Error("summary prints a control character from a label")
	}
}
