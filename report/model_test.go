package report

import (
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/trace"
)

func TestRecipientsAndPaths(t *testing.T) {
	rcs := Recipients(fixtureResult())
	if len(rcs) != 3 {
		t.Fatalf("%d recipients, want 3", len(rcs))
	}
	tether := rcs[2]
	if tether.Kind != RecipientIssuer || tether.Name != "Tether" || tether.Slug != "issuer-tether" {
		t.Fatalf("third recipient %s %q %s, want issuer Tether", tether.Kind, tether.Name, tether.Slug)
	}
	// heldT holds 5,000 from S1 and 10,000 from S2: one path from each.
	var got []Path
	for _, p := range tether.Paths {
		if tether.Endpoints[p.Endpoint].Address == heldT {
			got = append(got, p)
		}
	}
	if len(got) != 2 || got[0].Source != "S1" || got[1].Source != "S2" {
		t.Fatalf("paths to the TRON wallet: %+v, want one from S1 then one from S2", got)
	}
	want := []struct {
		tx     chains.TxHash
		amount chains.Amount
		traced chains.Amount
	}{
		{txh("s2"), usdt(12_500, 500_000), usdt(12_500, 500_000)},
		{txh("c2-pool"), usdt(12_500, 500_000), usdt(12_500, 500_000)},
		{txh("pool-held"), usdt(15_000, 0), usdt(10_000, 0)},
	}
	hops := got[1].Hops
	if len(hops) != len(want) {
		t.Fatalf("S2 path has %d hops, want %d", len(hops), len(want))
	}
	for i, w := range want {
		if hops[i].Tx != w.tx || hops[i].Amount.Cmp(w.amount) != 0 || hops[i].Traced.Cmp(w.traced) != 0 {
			t.Errorf("hop %d: %s moved %s traced %s, want %s %s %s", i, hops[i].Tx, hops[i].Amount, hops[i].Traced, w.tx, w.amount, w.traced)
		}
	}
	if !hops[0].Payment || hops[1].Payment {
		t.Errorf("only the first hop is the victim's payment")
	}
	for _, tot := range tether.Totals {
		var sum chains.Amount
		for _, e := range tether.Endpoints {
			if e.Asset == tot.Asset {
				sum = sum.Add(e.Amount)
			}
		}
		if sum.Cmp(tot.Amount) != 0 {
			t.Errorf("total %s for %s, endpoints sum to %s", tot.Amount, tot.Asset, sum)
		}
	}
	// The mixer and the bridge are nobody's to freeze.
	for _, rc := range rcs {
		for _, e := range rc.Endpoints {
			if e.Kind == trace.KindMixer || e.Kind == trace.KindBridge {
				t.Errorf("%s endpoint %s given to %s", e.Kind, e.Address, rc.Name)
			}
		}
	}
}

func TestPathsStopAtCycles(t *testing.T) {
	r := fixtureResult()
	// pool → c1 sends taint back to where it came from; the walk must not loop.
	back := r.Flows[0]
	back.Tx, back.From, back.To, back.Block = txh("back"), poolT, cT1, 60_000_450
	back.Time = back.Time.Add(20 * 60e9)
	r.Flows = append(r.Flows, back)
	again := back
	again.Tx, again.From, again.To, again.Block = txh("again"), cT1, poolT, 60_000_460
	r.Flows = append(r.Flows, again)
	g := newFlowGraph(r)
	paths, truncated := g.paths(r.Origins[0], r.Endpoints[5])
	// Two simple routes reach the wallet: c1 → pool directly, and c1 →
	// pool by the later transfer; none goes round the cycle.
	if truncated || len(paths) != 2 {
		t.Fatalf("%d paths (truncated %v), want 2", len(paths), truncated)
	}
	for _, p := range paths {
		seen := map[chains.Address]bool{p[0].From: true}
		for _, h := range p {
			if seen[h.To] {
				t.Errorf("path visits %s twice: %+v", h.To, p)
			}
			seen[h.To] = true
		}
	}
}

func TestSlugs(t *testing.T) {
	seen := map[string]bool{}
	if got := uniqueSlug("exchange-"+slugify("币安"), "币安", seen); got == "exchange-" || len(got) != len("exchange-")+8 {
		t.Errorf("slug for a name without ASCII letters = %q, want a stable hash suffix", got)
	}
	if a, b := uniqueSlug("exchange-x", "X", seen), uniqueSlug("exchange-x", "x!", seen); a == b || b != "exchange-x-2" {
		t.Errorf("slugs %q and %q, want exchange-x and exchange-x-2", a, b)
	}
	if got := slugify("OKX (Hong Kong) <script>"); got != "okx-hong-kong-script" {
		t.Errorf("slugify = %q", got)
	}
}

func TestIssuerPerToken(t *testing.T) {
	r := fixtureResult()
	held := r.Endpoints[2] // held USDT on Ethereum
	usdc := held
	usdc.Address, usdc.Asset = addr(chains.FamilyEVM, "usdc holder"), chains.USDCEthereum
	other := held
	other.Address, other.Asset = addr(chains.FamilyEVM, "fake usdt holder"), chains.AssetID{Chain: chains.Ethereum, Contract: addr(chains.FamilyEVM, "fake usdt")}
	r.Endpoints = append(r.Endpoints, usdc, other)
	var names []string
	for _, rc := range Recipients(r) {
		names = append(names, string(rc.Kind)+":"+rc.Name)
		for _, e := range rc.Endpoints {
			if e.Address == other.Address {
				t.Errorf("a token no issuer is known for went to %s", rc.Name)
			}
			if rc.Name == "Circle" && e.Asset != chains.USDCEthereum {
				t.Errorf("Circle got %s", e.Asset)
			}
		}
	}
	if got, want := strings.Join(names, ","), "exchange:Binance,exchange:OKX,issuer:Circle,issuer:Tether"; got != want {
		t.Errorf("recipients %s, want %s", got, want)
	}
}
