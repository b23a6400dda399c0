package trace_test

import (
	"maps"
	"testing"

	"freezetrace/chains"
	"freezetrace/trace"
)

// TestTextbook is the design's worked example: W receives 3,000 from the
// victim, then 7,000 clean; W then sends 4,000 to A, then 6,000 to B.
func TestTextbook(t *testing.T) {
	V, C, W, A, B := addr(1), addr(2), addr(3), addr(4), addr(5)
	pay := xfer(1, V, W, 3000)
	for _, bal := range []bool{false, true} {
		src := newSource(pay, xfer(2, C, W, 7000), xfer(3, W, A, 4000), xfer(4, W, B, 6000))
		if bal {
			src.EnableBalances()
		}
		held := func(a chains.Address) string { return "held " + a.String() }
		for _, tc := range []struct {
			rule trace.Rule
			want map[string]string
		}{
			{trace.FIFO, map[string]string{held(A): "3000"}},
			{trace.LIFO, map[string]string{held(B): "3000"}},
			{trace.Haircut, map[string]string{held(A): "1200", held(B): "1800"}},
			{trace.Poison, map[string]string{held(A): "4000", held(B): "6000"}},
			{trace.LIBR, map[string]string{held(B): "3000"}},
		} {
			t.Run(string(tc.rule), func(t *testing.T) {
				r := run(t, src, nil, txCase(pay), trace.Options{Rule: tc.rule})
				if got := amounts(r); !maps.Equal(got, tc.want) {
					t.Errorf("balances %v: endpoints %v, want %v", bal, got, tc.want)
				}
				for _, e := range r.Endpoints {
					if len(e.BySource) != 1 || e.BySource[0].Source != "S1" || e.BySource[0].Amount.Cmp(e.Amount) != 0 {
						t.Errorf("endpoint %s by source %v, want all S1", e.Address, e.BySource)
					}
					if e.Hops != 2 {
						t.Errorf("endpoint %s hops %d, want 2", e.Address, e.Hops)
					}
				}
			})
		}
	}
}
