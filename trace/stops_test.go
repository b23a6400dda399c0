package trace_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

func label(a chains.Address, entity string, c chains.Category) chains.Label {
	return chains.Label{Chain: chains.Ethereum, Address: a, Entity: entity, Category: c, Source: "test list", Confidence: 80}
}

// TestStopRules sends taint down one chain V→W→X→Y→Z and checks where each
// stop rule ends it.
func TestStopRules(t *testing.T) {
	V, W, X, Y, Z := addr(1), addr(2), addr(3), addr(4), addr(5)
	pay := xfer(1, V, W, 1000)
	chain := []chains.Transfer{pay, xfer(2, W, X, 1000), xfer(3, X, Y, 1000), xfer(4, Y, Z, 1000)}
	until := epoch0.Add(dur(3)).Add(time.Second)
	for _, tc := range []struct {
		name  string
		setup func(src interface {
			AddLabel(chains.Label)
			SetContract(chains.Chain, chains.Address)
		})
		opts       trace.Options
		kind       trace.Kind
		at         chains.Address
		hops       int
		entity     string
		wantReason string
	}{
		{"held", nil, trace.Options{}, trace.KindHeld, Z, 4, "", "unspent"},
		{"exchange", func(s interface {
			AddLabel(chains.Label)
			SetContract(chains.Chain, chains.Address)
		}) {
			s.AddLabel(label(X, "Binance", chains.CategoryExchange))
		}, trace.Options{}, trace.KindExchange, X, 2, "Binance", "Binance"},
		{"deposit", func(s interface {
			AddLabel(chains.Label)
			SetContract(chains.Chain, chains.Address)
		}) {
			s.AddLabel(label(Y, "OKX", chains.CategoryDeposit))
		}, trace.Options{}, trace.KindExchange, Y, 3, "OKX", "OKX"},
		{"mixer", func(s interface {
			AddLabel(chains.Label)
			SetContract(chains.Chain, chains.Address)
		}) {
			s.AddLabel(label(X, "Tornado Cash", chains.CategoryMixer))
			s.SetContract(chains.Ethereum, X)
		}, trace.Options{}, trace.KindMixer, X, 2, "Tornado Cash", "mixer"},
		{"bridge", func(s interface {
			AddLabel(chains.Label)
			SetContract(chains.Chain, chains.Address)
		}) {
			s.AddLabel(label(Y, "Ronin Bridge", chains.CategoryBridge))
		}, trace.Options{}, trace.KindBridge, Y, 3, "Ronin Bridge", "bridge"},
		{"sanctioned scam wallet", func(s interface {
			AddLabel(chains.Label)
			SetContract(chains.Chain, chains.Address)
		}) {
			s.AddLabel(label(X, "Huione", chains.CategoryScam))
			l := label(X, "SDN", chains.CategorySanctioned)
			l.Confidence = 100
			s.AddLabel(l)
		}, trace.Options{}, trace.KindSanctioned, X, 2, "Huione", "sanctions"},
		{"contract", func(s interface {
			AddLabel(chains.Label)
			SetContract(chains.Chain, chains.Address)
		}) {
			s.SetContract(chains.Ethereum, Y)
		}, trace.Options{}, trace.KindContract, Y, 3, "", "contract"},
		{"hop limit", nil, trace.Options{MaxHops: 2}, trace.KindHopLimit, Y, 3, "", "--max-hops 2"},
		{"dust", nil, trace.Options{MinAmount: chains.NewAmount(1001)}, trace.KindDust, X, 2, "", "dust"}, // the victim payment itself is followed
		{"horizon", nil, trace.Options{Until: &until}, trace.KindHorizon, Y, 3, "", "--until"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := newSource(chain...)
			if tc.setup != nil {
				tc.setup(src)
			}
			r := run(t, src, trace.NewLabelAttributor(src), txCase(pay), tc.opts)
			if len(r.Endpoints) != 1 {
				t.Fatalf("endpoints %v, want one", amounts(r))
			}
			e := r.Endpoints[0]
			if e.Kind != tc.kind || e.Address != tc.at || e.Amount.String() != "1000" || e.Hops != tc.hops || e.Entity != tc.entity {
				t.Errorf("got %s at %s amount %s hops %d entity %q, want %s at %s amount 1000 hops %d entity %q",
					e.Kind, e.Address, e.Amount, e.Hops, e.Entity, tc.kind, tc.at, tc.hops, tc.entity)
			}
			if !strings.Contains(e.Reason, tc.wantReason) {
				t.Errorf("reason %q does not mention %q", e.Reason, tc.wantReason)
			}
		})
	}
}

func TestHighActivity(t *testing.T) {
	V, W, H := addr(1), addr(2), addr(3)
	pay := xfer(1, V, W, 1000)
	ts := []chains.Transfer{pay, xfer(2, W, H, 600)}
	for i := uint32(0); i < 5; i++ {
		ts = append(ts, xfer(uint64(3+i), H, addr(100+i), 10))
	}
	src := newSource(ts...)
	r := run(t, src, nil, txCase(pay), trace.Options{MaxDegree: 4})
	want := map[string]string{"held " + W.String(): "400", "high_activity " + H.String(): "600"}
	if got := amounts(r); !maps.Equal(got, want) {
		t.Errorf("max degree 4: %v, want %v", got, want)
	}
	r = run(t, src, nil, txCase(pay), trace.Options{MaxDegree: 6})
	if got := amounts(r); got["held "+W.String()] != "400" || got["held "+H.String()] != "550" || len(got) != 7 {
		t.Errorf("max degree 6: %v, want H walked into its 5 payees", got)
	}
}

// TestCycle: taint leaves W, comes back, and must be allocated at W in time
// order with what W received in between.
func TestCycle(t *testing.T) {
	V, C, W, X := addr(1), addr(2), addr(3), addr(4)
	pay := xfer(1, V, W, 100)
	src := newSource(pay,
		xfer(2, W, X, 100), // all taint to X
		xfer(3, C, W, 50),  // clean into W
		xfer(4, X, W, 100), // taint back to W
		xfer(5, W, X, 60),  // fifo: the oldest lot is the clean 50, then 10 taint
	)
	r := run(t, src, nil, txCase(pay), trace.Options{})
	want := map[string]string{"held " + W.String(): "90", "held " + X.String(): "10"}
	if got := amounts(r); !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestShortfall(t *testing.T) {
	V, W, X := addr(1), addr(2), addr(3)
	pay := xfer(1, V, W, 100)
	src := newSource(pay, xfer(2, W, X, 150))
	for _, rule := range []trace.Rule{trace.FIFO, trace.Haircut, trace.LIBR} {
		r := run(t, src, nil, txCase(pay), trace.Options{Rule: rule})
		want := map[string]string{"held " + X.String(): "100", "unknown_funds " + W.String(): "50"}
		if got := amounts(r); !maps.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", rule, got, want)
		}
		var short bool
		for _, s := range r.Ledger {
			short = short || (s.Event == "shortfall" && s.Amount.String() == "50")
		}
		if !short {
			t.Errorf("%s: no shortfall step of 50 in the ledger", rule)
		}
	}
}

func TestZeroValueAndOtherAssetCarryNothing(t *testing.T) {
	V, W, X, Y := addr(1), addr(2), addr(3), addr(4)
	pay := xfer(1, V, W, 100)
	zero := xfer(2, W, X, 0)
	oth := xfer(3, W, Y, 100)
	oth.Asset = other
	src := newSource(pay, zero, oth)
	r := run(t, src, nil, txCase(pay), trace.Options{Rule: trace.Poison})
	want := map[string]string{"held " + W.String(): "100"}
	if got := amounts(r); !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestMultiSourceSplit: two victims' taint mixed at W leaves in proportion.
func TestMultiSourceSplit(t *testing.T) {
	V1, V2, W, X := addr(1), addr(2), addr(3), addr(4)
	p1, p2 := xfer(1, V1, W, 300), xfer(2, V2, W, 100)
	src := newSource(p1, p2, xfer(3, W, X, 201))
	r := run(t, src, nil, txCase(p1, p2), trace.Options{Rule: trace.Haircut})
	// 201·400/400 = 201 carried; split 300:100 → 150.75 and 50.25 → 150 and 50, one unit left
	// goes to the larger remainder (S1's .75): S1 151, S2 50.
	for _, e := range r.Endpoints {
		if e.Address == X {
			got := e.BySource[0].Amount.String() + "," + e.BySource[1].Amount.String()
			if got != "151,50" {
				t.Errorf("X by source %s, want 151,50", got)
			}
		}
	}
}

func TestCaseInputs(t *testing.T) {
	V, D1, D2, Other := addr(1), addr(2), addr(3), addr(4)
	a := xfer(1, V, D1, 100)
	b := xfer(2, V, D2, 200)
	c := xfer(3, Other, D1, 50)
	multi1 := xfer(4, V, D1, 7)
	multi2 := multi1
	multi2.Position, multi2.To, multi2.Amount = 1, D2, chains.NewAmount(8)
	mixed1 := xfer(5, V, addr(6), 9)
	mixed2 := mixed1
	mixed2.Position, mixed2.From, mixed2.Amount = 1, Other, chains.NewAmount(10)
	src := newSource(a, b, c, multi1, multi2, mixed1, mixed2)
	ctx := context.Background()
	t.Run("victim and deposits", func(t *testing.T) {
		r := run(t, src, nil, trace.Case{Chain: chains.Ethereum, Asset: token, Victims: []chains.Address{V}, Deposits: []chains.Address{D1}}, trace.Options{})
		if len(r.Origins) != 2 || r.Origins[0].Tx != a.Tx || r.Origins[1].Tx != multi1.Tx || r.Origins[0].Victim != V.String() {
			t.Errorf("sources %+v, want a and multi1", r.Origins)
		}
	})
	t.Run("deposit window", func(t *testing.T) {
		w := trace.Window{From: c.Time, To: c.Time}
		r := run(t, src, nil, trace.Case{Chain: chains.Ethereum, Asset: token, Deposits: []chains.Address{D1}, Window: w}, trace.Options{})
		if len(r.Origins) != 1 || r.Origins[0].Tx != c.Tx || r.Origins[0].ID != "S1" {
			t.Errorf("sources %+v, want only c", r.Origins)
		}
	})
	t.Run("several transfers from the payer", func(t *testing.T) {
		r := run(t, src, nil, trace.Case{Chain: chains.Ethereum, Asset: token, Payments: []trace.Payment{{Tx: multi1.Tx}}}, trace.Options{})
		if len(r.Origins) != 2 || r.Origins[0].Position != 0 || r.Origins[1].Position != 1 || r.Origins[1].To != D2 {
			t.Errorf("sources %+v, want both transfers of the transaction", r.Origins)
		}
	})
	t.Run("ErrSeveralSenders", func(t *testing.T) {
		_, err := trace.Run(ctx, src, nil, trace.Case{Chain: chains.Ethereum, Asset: token, Payments: []trace.Payment{{Tx: mixed1.Tx}}}, trace.Options{})
		var ie *chains.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), ":0") || !strings.Contains(err.Error(), ":1") {
			t.Errorf("got %v, want an input error naming positions 0 and 1", err)
		}
	})
	t.Run("ErrUnknownTx", func(t *testing.T) {
		_, err := trace.Run(ctx, src, nil, trace.Case{Chain: chains.Ethereum, Asset: token, Payments: []trace.Payment{{Tx: txh(42)}}}, trace.Options{})
		var ie *chains.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), txh(42).String()) {
			t.Errorf("got %v, want an input error naming the tx", err)
		}
	})
	t.Run("ErrDepositWithoutWindow", func(t *testing.T) {
		_, err := trace.Run(ctx, src, nil, trace.Case{Chain: chains.Ethereum, Asset: token, Deposits: []chains.Address{D1}}, trace.Options{})
		var ie *chains.InputError
		if !errors.As(err, &ie) {
			t.Errorf("got %v, want an input error", err)
		}
	})
	t.Run("ErrUnknownRule", func(t *testing.T) {
		_, err := trace.Run(ctx, src, nil, txCase(a), trace.Options{Rule: "clayton"})
		var ie *chains.InputError
		if !errors.As(err, &ie) {
			t.Errorf("got %v, want an input error", err)
		}
	})
}

func TestParsePayment(t *testing.T) {
	h := txh(5).String()
	for _, tc := range []struct {
		in      string
		pos     uint32
		hasPos  bool
		wantErr bool
	}{
		{h, 0, false, false},
		{h + ":12", 12, true, false},
		{h[2:], 0, false, false},
		{h + ":x", 0, false, true},
		{h + ":-1", 0, false, true},
		{"0x1234", 0, false, true},
		{"", 0, false, true},
	} {
		p, err := trace.ParsePayment(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("%q: err %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if err == nil && (p.Tx != txh(5) || p.Position != tc.pos || p.HasPosition != tc.hasPos) {
			t.Errorf("%q: got %+v", tc.in, p)
		}
	}
}

func FuzzParsePayment(f *testing.F) {
	f.Add(txh(1).String() + ":3")
	f.Add("0xzz")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := trace.ParsePayment(s)
		if err != nil {
			var ie *chains.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("%q: error %v is not an input error", s, err)
			}
			return
		}
		q, err := trace.ParsePayment(p.String())
		if err != nil || q != p {
			t.Fatalf("%q: round trip %q gave %+v, %v", s, p.String(), q, err)
		}
	})
}
