package trace_test

import (
	"bytes"
	"maps"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace"
)

var eth = chains.NativeAsset(chains.Ethereum)

// wei is n·10^15 (thousandths of an ether).
func milli(n uint64) chains.Amount {
	a, _ := chains.ParseAmount("1000000000000000")
	return a.MulDiv(chains.NewAmount(n), chains.NewAmount(1))
}

func native(b uint64, txIndex, pos uint32, tx chains.TxHash, from, to chains.Address, v chains.Amount) chains.Transfer {
	return chains.Transfer{Chain: chains.Ethereum, Tx: tx, Position: pos, TxIndex: txIndex, Block: b,
		Time: epoch0.Add(time.Duration(b) * 12 * time.Second), From: from, To: to, Asset: eth, Amount: v}
}

// swapWorld is the worked example of docs/swaps.md: victims pay 3,000 (S1)
// and 1,000 (S2) of the token to C, a clean 6,000 follows, C swaps all
// 10,000 for 5 ETH through a router R and a pair P (one transaction: the
// token to P, WETH from P to R, ETH from R to C), then peels 2 ETH to A
// and 3 ETH to B, and A pays the 2 ETH into exchange deposit address D.
type swapWorld struct {
	src                  *mem.Source
	pays                 []chains.Transfer
	C, A, B, D, P, R, WE chains.Address
	swapTx               chains.TxHash
}

func newSwapWorld() *swapWorld {
	w := &swapWorld{C: addr(2), A: addr(4), B: addr(5), D: addr(6), P: addr(50), R: addr(51), WE: addr(52)}
	weth := chains.AssetID{Chain: chains.Ethereum, Contract: w.WE}
	s1, s2 := xfer(1, addr(100), w.C, 3000), xfer(2, addr(101), w.C, 1000)
	w.pays = []chains.Transfer{s1, s2}
	w.swapTx = txh(4001)
	out := xfer(4, w.C, w.P, 10000)
	out.Tx, out.Position = w.swapTx, 10
	wethLeg := chains.Transfer{Chain: chains.Ethereum, Tx: w.swapTx, Position: 11, Block: 4, Time: out.Time, From: w.P, To: w.R, Asset: weth, Amount: milli(5000)}
	ethLeg := native(4, 1, 2, w.swapTx, w.R, w.C, milli(5000))
	unwrap := native(4, 1, 1, w.swapTx, w.WE, w.R, milli(5000))
	w.src = newSource(s1, s2, xfer(3, addr(102), w.C, 6000), out, wethLeg, unwrap, ethLeg,
		native(5, 0, 0, txh(5001), w.C, w.A, milli(2000)),
		native(6, 0, 0, txh(6001), w.C, w.B, milli(3000)),
		native(7, 0, 0, txh(7001), w.A, w.D, milli(2000)))
	w.src.AddAsset(chains.Asset{ID: weth, Symbol: "WETH", Decimals: 18})
	for _, c := range []chains.Address{w.P, w.R, w.WE} {
		w.src.SetContract(chains.Ethereum, c)
	}
	w.src.AddEvents(
		chains.TxEvent{Chain: chains.Ethereum, Tx: w.swapTx, Block: 4, Position: 12, Contract: w.P, Kind: chains.EventUniswapV2Swap},
		chains.TxEvent{Chain: chains.Ethereum, Tx: w.swapTx, Block: 4, Position: 13, Contract: w.WE, Kind: chains.EventUnwrap})
	w.src.AddLabel(chains.Label{Chain: chains.Ethereum, Address: w.D, Entity: "Binance", Category: chains.CategoryDeposit, Source: "test", Confidence: 90})
	return w
}

// TestSwapWorkedExample checks the conversion rule's figures, computed by
// hand, under fifo and haircut.
func TestSwapWorkedExample(t *testing.T) {
	w := newSwapWorld()
	for _, tc := range []struct {
		rule trace.Rule
		// endpoint amounts (wei) and values (token units) by "kind address"
		want, value map[string]string
		ethS1       string // S1's ETH after the swap, as the convert step says
	}{
		// fifo: the swap's 10,000 out carries S1 3,000 and S2 1,000;
		// S1 floor(5e18·3000/10000) = 1.5e18, S2 floor(5e18·1000/10000) =
		// 0.5e18. C's ETH lots are S1 1.5e18, S2 0.5e18, clean 3e18: the
		// 2 ETH to A are all taint, the 3 ETH to B all clean.
		{trace.FIFO,
			map[string]string{"exchange " + w.D.String(): "2000000000000000000"},
			map[string]string{"exchange " + w.D.String(): "4000"},
			"1500000000000000000"},
		// haircut: the same conversion; C then holds 5e18 with 2e18 taint:
		// 2e18 to A carries floor(2e18·2e18/5e18) = 0.8e18, the 3e18 to B
		// the remaining 1.2e18. Values: S1's 1.5e18 ETH stand for 3,000,
		// so D's 0.8e18 (S1 0.6e18, S2 0.2e18) stands for 1,200 + 400.
		{trace.Haircut,
			map[string]string{"exchange " + w.D.String(): "800000000000000000", "held " + w.B.String(): "1200000000000000000"},
			map[string]string{"exchange " + w.D.String(): "1600", "held " + w.B.String(): "2400"},
			"1500000000000000000"},
	} {
		t.Run(string(tc.rule), func(t *testing.T) {
			r := run(t, w.src, trace.NewLabelAttributor(w.src), txCase(w.pays...), trace.Options{Rule: tc.rule})
			got, val := amounts(r), map[string]string{}
			for _, e := range r.Endpoints {
				if e.Asset != eth {
					t.Errorf("endpoint %s in %s, want ETH", e.Address, e.Asset)
				}
				val[string(e.Kind)+" "+e.Address.String()] = e.Value.String()
			}
			if !maps.Equal(got, tc.want) || !maps.Equal(val, tc.value) {
				t.Fatalf("endpoints %v values %v, want %v %v", got, val, tc.want, tc.value)
			}
			if len(r.Conversions) != 1 {
				t.Fatalf("%d conversions, want 1", len(r.Conversions))
			}
			c := r.Conversions[0]
			if c.Address != w.C || c.Tx != w.swapTx || c.Sent.Asset != token || c.Sent.Amount.String() != "10000" || c.Sent.Tainted.String() != "4000" ||
				c.Received[0].Asset != eth || c.Received[0].Amount.String() != "5000000000000000000" || c.Received[0].Tainted.String() != "2000000000000000000" ||
				c.Received[0].BySource[0].Amount.String() != tc.ethS1 || len(c.Events) != 2 || c.Events[0].Kind != chains.EventUniswapV2Swap {
				t.Errorf("conversion %+v", c)
			}
			if len(r.Assets) != 2 || r.Assets[0].ID != token || r.Assets[1].ID != eth {
				t.Errorf("assets %v, want the token then ETH", r.Assets)
			}
			var convert *trace.Step
			for i, s := range r.Ledger {
				if s.Event == "convert" {
					convert = &r.Ledger[i]
				}
			}
			if convert == nil || convert.Conversion != 1 || convert.Asset != eth || convert.Address != w.C ||
				!strings.Contains(convert.Detail, "S1 floor(5000000000000000000·3000/10000) = 1500000000000000000") {
				t.Fatalf("convert step %+v", convert)
			}
			// The pair is no endpoint: the taint went through the swap.
			for _, e := range r.Endpoints {
				if e.Address == w.P || e.Address == w.R {
					t.Errorf("endpoint at the venue %s", e.Address)
				}
			}
			var sum bytes.Buffer
			if err := trace.Summary(&sum, r); err != nil {
				t.Fatal(err)
			}
			if want := "In the victims' asset: 40.00 TOK in total, of which 40.00 TOK rests on conversion rates."; !strings.Contains(sum.String(), want) {
				t.Errorf("summary lacks %q:\n%s", want, sum.String())
			}
			// trace.json reads back: ReadJSON recomputes the conversion
			// and checks that taint is conserved per asset.
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

// TestSwapNotRecognised: without the venue's events the pair is an
// unlabeled contract, as before swaps were followed.
func TestSwapNotRecognised(t *testing.T) {
	w := newSwapWorld()
	plain := mem.New()
	for _, tx := range []chains.TxHash{w.pays[0].Tx, w.pays[1].Tx, txh(3001), w.swapTx, txh(5001), txh(6001), txh(7001)} {
		ts, _ := w.src.TxTransfers(t.Context(), chains.Ethereum, tx)
		plain.Add(ts...)
	}
	plain.AddAsset(chains.Asset{ID: token, Symbol: "TOK", Decimals: 2})
	for _, c := range []chains.Address{w.P, w.R, w.WE} {
		plain.SetContract(chains.Ethereum, c)
	}
	r := run(t, plain, nil, txCase(w.pays...), trace.Options{})
	if got, want := amounts(r), map[string]string{"contract " + w.P.String(): "4000"}; !maps.Equal(got, want) {
		t.Errorf("endpoints %v, want %v", got, want)
	}
	if len(r.Conversions) != 0 {
		t.Errorf("conversions %v, want none", r.Conversions)
	}
}

// TestSwapDust: the dust floor, given in the victims' asset, applies to
// converted taint through its worth. Under haircut the 0.8 ETH to A are
// worth 1,600 and the 1.2 ETH to B 2,400: a floor of 2,500 stops both.
func TestSwapDust(t *testing.T) {
	w := newSwapWorld()
	r := run(t, w.src, trace.NewLabelAttributor(w.src), txCase(w.pays...), trace.Options{Rule: trace.Haircut, MinAmount: chains.NewAmount(2500)})
	want := map[string]string{"dust " + w.A.String(): "800000000000000000", "dust " + w.B.String(): "1200000000000000000"}
	if got := amounts(r); !maps.Equal(got, want) {
		t.Fatalf("endpoints %v, want %v", got, want)
	}
	for _, e := range r.Endpoints {
		if !strings.Contains(e.Reason, "stands for") {
			t.Errorf("dust reason %q does not give the worth", e.Reason)
		}
	}
}

// TestSwapServices: an instant exchanger is an endpoint of its own kind;
// a bridge endpoint records the destination its deposit event names.
func TestSwapServices(t *testing.T) {
	for _, tc := range []struct {
		cat  chains.Category
		kind trace.Kind
	}{{chains.CategoryInstantExchanger, trace.KindInstantExchanger}, {chains.CategoryBridge, trace.KindBridge}} {
		t.Run(string(tc.cat), func(t *testing.T) {
			w := newSwapWorld()
			w.src.AddLabel(chains.Label{Chain: chains.Ethereum, Address: w.A, Entity: "Service", Category: tc.cat, Source: "test", Confidence: 80})
			w.src.AddEvents(chains.TxEvent{Chain: chains.Ethereum, Tx: txh(5001), Block: 5, Position: 3, Contract: w.A,
				Kind: chains.EventBridgeDeposit, DestChain: "BTC", Recipient: "bc1qexample"})
			r := run(t, w.src, trace.NewLabelAttributor(w.src), txCase(w.pays...), trace.Options{})
			var ep *trace.Endpoint
			for i, e := range r.Endpoints {
				if e.Address == w.A {
					ep = &r.Endpoints[i]
				}
			}
			if ep == nil || ep.Kind != tc.kind || ep.Amount.String() != "2000000000000000000" {
				t.Fatalf("endpoint at A %+v, want %s with 2 ETH", ep, tc.kind)
			}
			dest := ep.DestChain + " " + ep.Recipient
			if tc.kind == trace.KindBridge && dest != "BTC bc1qexample" {
				t.Errorf("bridge destination %q", dest)
			}
			if tc.kind != trace.KindBridge && dest != " " {
				t.Errorf("destination %q on a %s", dest, tc.kind)
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

// TestSwapFee: a payment to a person in the swap's own transaction (a fee
// of 100 to F, before the 9,900 to the pair) is an ordinary outflow: under
// fifo it takes S1's oldest 100, and the swap's sent leg is the 9,900
// (S1 2,900, S2 1,000 tainted): S1 floor(5e18·2900/9900), S2
// floor(5e18·1000/9900).
func TestSwapFee(t *testing.T) {
	w := newSwapWorld()
	F := addr(7)
	fee := xfer(4, w.C, F, 100)
	fee.Tx, fee.Position = w.swapTx, 9
	src := mem.New()
	for _, tx := range []chains.TxHash{w.pays[0].Tx, w.pays[1].Tx, txh(3001), w.swapTx, txh(5001), txh(6001), txh(7001)} {
		ts, _ := w.src.TxTransfers(t.Context(), chains.Ethereum, tx)
		for _, x := range ts {
			if x.Tx == w.swapTx && x.Asset == token {
				x.Amount = chains.NewAmount(9900)
			}
			src.Add(x)
		}
		evs, _ := w.src.TxEvents(t.Context(), chains.Ethereum, tx)
		src.AddEvents(evs...)
	}
	src.Add(fee)
	src.AddAsset(chains.Asset{ID: token, Symbol: "TOK", Decimals: 2})
	for _, c := range []chains.Address{w.P, w.R, w.WE} {
		src.SetContract(chains.Ethereum, c)
	}
	r := run(t, src, nil, txCase(w.pays...), trace.Options{})
	got := amounts(r)
	if got["held "+F.String()] != "100" {
		t.Errorf("endpoints %v: want F holding the fee's 100", got)
	}
	if len(r.Conversions) != 1 {
		t.Fatalf("%d conversions", len(r.Conversions))
	}
	c := r.Conversions[0]
	s1 := milli(5000).MulDiv(chains.NewAmount(2900), chains.NewAmount(9900))
	s2 := milli(5000).MulDiv(chains.NewAmount(1000), chains.NewAmount(9900))
	if c.Sent.Amount.String() != "9900" || c.Sent.Tainted.String() != "3900" || c.Received[0].Tainted.Cmp(s1.Add(s2)) != 0 {
		t.Errorf("conversion sent %+v received %+v; want 9900 (3900 tainted) and %s+%s", c.Sent, c.Received[0], s1, s2)
	}
}

// TestReadJSONConversions: a trace.json whose conversion does not follow
// the rule, shows no swap, or whose converted taint went missing is refused
// with the element it concerns.
func TestReadJSONConversions(t *testing.T) {
	w := newSwapWorld()
	for _, c := range []struct {
		name string
		edit func(r *trace.Result)
		want string
	}{
		{"ErrConversionShare", func(r *trace.Result) {
			g := &r.Conversions[0].Received[0]
			g.BySource[0].Amount = g.BySource[0].Amount.Add(chains.NewAmount(1))
			g.Tainted = g.Tainted.Add(chains.NewAmount(1))
		}, "conversion 1: 0x7700000000000000000000000000000000000000000000000000000000000fa1 at 0xAa00000000000000000000000000000000000002: source S1 received 1500000000000000001, but floor(5000000000000000000 × 3000 / 10000) = 1500000000000000000"},
		{"ErrConversionEvidence", func(r *trace.Result) {
			r.Conversions[0].Events = []trace.Evidence{{Kind: chains.EventBridgeDeposit, Contract: w.P, Position: 12}}
		}, `event kind "bridge_deposit" shows no conversion`},
		{"ErrConvertedTaintMissing", func(r *trace.Result) {
			r.Endpoints = r.Endpoints[:0]
		}, "source S1: conversions made 1500000000000000000 of ethereum:native, of which endpoints hold 0 and later conversions took 0: 1500000000000000000 is missing"},
		{"ErrConvertStep", func(r *trace.Result) {
			for i := range r.Ledger {
				if r.Ledger[i].Event == "convert" {
					r.Ledger[i].Conversion = 7
				}
			}
		}, "conversion 7, but the trace has 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, w.src, trace.NewLabelAttributor(w.src), txCase(w.pays...), trace.Options{})
			c.edit(r)
			var b bytes.Buffer
			if err := trace.WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			_, err := trace.ReadJSON(&b)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ReadJSON: %v, want %q", err, c.want)
			}
		})
	}
}

// TestWrapOneToOne: wrapping is a conversion at 1:1. A victim pays 1 ETH
// to X, which holds 0.5 ETH of its own, wraps 1 ETH into WETH (its ETH to
// the wrapper; the wrapper's Deposit read as WETH from it, a log that
// sorts before the native leg) and pays the WETH into deposit address D.
// fifo: the wrap takes the older clean 0.5 ETH first, so 0.5 WETH of the 1
// is tainted, worth 0.5 ETH, and the victim's other 0.5 ETH stay at X.
func TestWrapOneToOne(t *testing.T) {
	X, D, WE := addr(20), addr(21), addr(52)
	weth := chains.AssetID{Chain: chains.Ethereum, Contract: WE}
	wrapTx := txh(3001)
	pay := native(2, 0, 0, txh(2001), addr(100), X, milli(1000))
	src := mem.New(
		native(1, 0, 0, txh(1001), addr(102), X, milli(500)),
		pay,
		native(3, 1, 0, wrapTx, X, WE, milli(1000)),
		chains.Transfer{Chain: chains.Ethereum, Tx: wrapTx, Position: 4, Block: 3, Time: pay.Time.Add(12 * time.Second), From: WE, To: X, Asset: weth, Amount: milli(1000)},
		chains.Transfer{Chain: chains.Ethereum, Tx: txh(4001), Position: 2, Block: 4, Time: pay.Time.Add(24 * time.Second), From: X, To: D, Asset: weth, Amount: milli(1000)},
	)
	src.AddAsset(chains.Asset{ID: weth, Symbol: "WETH", Decimals: 18})
	src.SetContract(chains.Ethereum, WE)
	src.AddEvents(chains.TxEvent{Chain: chains.Ethereum, Tx: wrapTx, Block: 3, Position: 4, Contract: WE, Kind: chains.EventWrap})
	src.AddLabel(chains.Label{Chain: chains.Ethereum, Address: D, Entity: "Kraken", Category: chains.CategoryDeposit, Source: "test", Confidence: 90})
	c := trace.Case{Chain: chains.Ethereum, Asset: eth, Payments: []trace.Payment{{Tx: pay.Tx}}}
	r := run(t, src, trace.NewLabelAttributor(src), c, trace.Options{})
	if got, want := amounts(r), map[string]string{"exchange " + D.String(): "500000000000000000", "held " + X.String(): "500000000000000000"}; !maps.Equal(got, want) {
		t.Fatalf("endpoints %v, want %v", got, want)
	}
	e := r.Endpoints[0]
	if e.Kind != trace.KindExchange || e.Asset != weth || e.Amount.Cmp(milli(500)) != 0 || e.Value.Cmp(milli(500)) != 0 {
		t.Errorf("endpoint %s %s %s %s worth %s, want exchange 0.5 WETH worth 0.5 ETH", e.Kind, e.Address, e.Asset, e.Amount, e.Value)
	}
	if len(r.Conversions) != 1 || r.Conversions[0].Events[0].Kind != chains.EventWrap || r.Conversions[0].Received[0].Amount.Cmp(milli(1000)) != 0 {
		t.Errorf("conversions %+v", r.Conversions)
	}
}
