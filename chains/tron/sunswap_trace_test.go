package tron_test

import (
	"bytes"
	"context"
	"maps"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/tron"
	"freezetrace/trace"
)

// TestSunSwapTrace traces the SunSwap scenario from the victim's payment
// through the TronGrid stand-in: the 10,000 USDT, all tainted, convert
// into the swap's 39,800.637528 TRX (floor(out × 10,000e6 / 10,000e6) =
// out); hop 1 peels 1,000 TRX, hop 2 500 TRX, and the rest reaches the
// exchange's hot wallet through the unlabeled deposit address. Every leg
// is taint, so fifo and haircut agree. Values in USDT are
// floor(x × 10,000e6 / out).
func TestSunSwapTrace(t *testing.T) {
	sc := loadSunSwap(t)
	src := newSource(t, sc.grid(t), tron.Options{PageSize: 2})
	a := sc.Actors
	out := sc.Swap.Out
	usdt := chains.AssetID{Chain: chains.Tron, Contract: a.USDT}
	rest := out.SubFloor(chains.NewAmount(1_500_000000))
	value := func(x chains.Amount) string { return x.MulDiv(sc.Swap.In, out).String() }
	want := map[string]string{
		"held " + a.Peel1.String():         "1000000000 " + value(chains.NewAmount(1_000_000000)),
		"held " + a.Peel2.String():         "500000000 " + value(chains.NewAmount(500_000000)),
		"exchange " + a.HotWallet.String(): rest.String() + " " + value(rest),
	}
	c := trace.Case{Chain: chains.Tron, Asset: usdt, Payments: []trace.Payment{{Tx: sc.Swap.Payment}}}
	for _, rule := range []trace.Rule{trace.FIFO, trace.Haircut} {
		t.Run(string(rule), func(t *testing.T) {
			r, err := trace.Run(context.Background(), src, trace.NewLabelAttributor(labelList(sc.Labels)), c, trace.Options{Rule: rule})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range r.Endpoints {
				got[string(e.Kind)+" "+e.Address.String()] = e.Amount.String() + " " + e.Value.String()
				if e.Asset != chains.NativeAsset(chains.Tron) {
					t.Errorf("endpoint %s in %s, want TRX", e.Address, e.Asset)
				}
			}
			if !maps.Equal(got, want) {
				t.Errorf("endpoints %v\nwant %v", got, want)
			}
			if len(r.Conversions) != 1 {
				t.Fatalf("%d conversions, want 1", len(r.Conversions))
			}
			cv := r.Conversions[0]
			if cv.Tx != sc.Swap.SwapTx || cv.Address != a.Collector || cv.Sent.Asset != usdt || cv.Sent.Tainted.Cmp(sc.Swap.In) != 0 ||
				cv.Received[0].Asset != chains.NativeAsset(chains.Tron) || cv.Received[0].Tainted.Cmp(out) != 0 {
				t.Errorf("conversion %+v", cv)
			}
			if len(cv.Events) != 2 || cv.Events[0].Kind != chains.EventUniswapV2Swap || cv.Events[0].Contract != a.Pair || cv.Events[1].Kind != chains.EventUnwrap {
				t.Errorf("evidence %+v, want the pair's Swap and the WTRX unwrap", cv.Events)
			}
			var b bytes.Buffer
			if err := trace.WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			if _, err := trace.ReadJSON(&b); err != nil {
				t.Fatalf("ReadJSON: %v", err)
			}
		})
	}
}
