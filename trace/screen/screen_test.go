package screen

import (
	"context"
	"math/big"
	"math/rand/v2"
	"reflect"
	"testing"

	"freezetrace/chains"
)

const b0 = 20_000_100

// A customer deposit address two hops from a sanctioned address is
// reported with the path and the haircut amount: X gets 3,000 from the
// sanctioned S and 7,000 clean, then pays 4,000 into the deposit address
// D, which carries 4,000 × 3,000 / 10,000 = 1,200 of sanctioned funds.
func TestDepositTwoHopsFromSanctioned(t *testing.T) {
	m := newMem()
	s, x, clean, d, hot := addr(1), addr(2), addr(3), addr(4), addr(5)
	m.label(s, chains.CategorySanctioned, "OFAC SDN: Garantex")
	m.label(d, chains.CategoryDeposit, "Binance")
	m.label(hot, chains.CategoryExchange, "Binance")
	m.pay(s, x, 3000, b0)
	m.pay(clean, x, 7000, b0+1)
	m.pay(x, d, 4000, b0+2)
	m.pay(d, hot, 4000, b0+3)
	res, err := screenAll(m, nil, d)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Level != LevelMedium || r.Score != 25 {
		t.Errorf("level %s score %v, want medium 25 (sanctioned 100 × 0.5²)", r.Level, r.Score)
	}
	if len(r.Exposure) != 1 {
		t.Fatalf("exposure %+v, want one (sanctioned, in)", r.Exposure)
	}
	e := r.Exposure[0]
	if e.Category != chains.CategorySanctioned || e.Side != In || e.Hops != 2 {
		t.Errorf("got %s %s %d hops, want sanctioned in 2 hops", e.Category, e.Side, e.Hops)
	}
	if got, want := pathString(e.Path), "[2→4 4000][1→2 3000]"; got != want {
		t.Errorf("path %s, want %s", got, want)
	}
	if len(e.Amounts) != 1 || e.Amounts[0].Amount.String() != "1200" {
		t.Errorf("amounts %+v, want 1200", e.Amounts)
	}
	if e.HitAddress != s || e.Hit.Entity != "OFAC SDN: Garantex" {
		t.Errorf("hit %s %+v, want S and its label", e.HitAddress, e.Hit)
	}
	if len(r.Labels) != 1 || r.Labels[0].Entity != "Binance" || len(r.Direct) != 0 {
		t.Errorf("labels %+v direct %+v: want the deposit label shown, no direct hit", r.Labels, r.Direct)
	}
	if r.Data.Transfers != 2 || r.Data.First != b0+2 || r.Data.Last != b0+3 {
		t.Errorf("data %+v, want 2 transfers in blocks %d-%d", r.Data, b0+2, b0+3)
	}
}

// An address that received from a traced case's pool wallet is flagged
// with the amount and the case's reference.
func TestCaseWallet(t *testing.T) {
	m := newMem()
	pool, a := addr(10), addr(11)
	m.pay(pool, a, 2500, b0)
	m.pay(pool, a, 500, b0+5)
	res, err := screenAll(m, func(o *Options) {
		o.Cases = []CaseAddress{{Chain: chains.Ethereum, Address: pool, Case: "VSN-2024-0117", Note: "received 6,000 USDT of the case's taint"}}
	}, a)
	if err != nil {
		t.Fatal(err)
	}
	r := res[0]
	if r.Level != LevelMedium || len(r.Exposure) != 1 {
		t.Fatalf("level %s exposure %+v, want medium (case 90 × 0.5) with one exposure", r.Level, r.Exposure)
	}
	e := r.Exposure[0]
	if e.Category != CategoryCase || e.Hops != 1 || e.Hit.Entity != "VSN-2024-0117" || e.Amounts[0].Amount.String() != "3000" {
		t.Errorf("got %+v, want case VSN-2024-0117 at 1 hop with 3000", e)
	}
	if e.Path[0].Count != 2 || e.Path[0].Tx != txh(1) {
		t.Errorf("path %+v: want the flow of 2 transfers cited by the first", e.Path)
	}
}

// An address whose only link to a sanctioned wallet is an exchange hot
// wallet both used is not flagged: the walk does not go through services,
// nor through unlabeled addresses busier than --max-degree.
func TestServicesAreNotWalkedThrough(t *testing.T) {
	m := newMem()
	s, hot, c, busy, c2 := addr(20), addr(21), addr(22), addr(23), addr(24)
	m.label(s, chains.CategorySanctioned, "OFAC")
	m.label(hot, chains.CategoryExchange, "Binance")
	m.pay(s, hot, 1000, b0)
	m.pay(hot, c, 1000, b0+1)
	m.pay(s, busy, 1000, b0)
	for i := range 60 {
		m.pay(busy, addr(100+i), 1, b0+1)
	}
	m.pay(busy, c2, 500, b0+2)
	res, err := screenAll(m, nil, c, c2)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Level != LevelNone || len(r.Exposure) != 0 {
			t.Errorf("%s: level %s exposure %+v, want none", r.Address, r.Level, r.Exposure)
		}
	}
	// With no degree limit the busy wallet is walked and c2 is exposed.
	res, err = screenAll(m, func(o *Options) { o.MaxDegree = 0 }, c2)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Level != LevelMedium || len(res[0].Exposure) != 1 || res[0].Exposure[0].Hops != 2 {
		t.Errorf("with no degree limit: %s %+v, want medium: sanctioned at 2 hops through the busy wallet", res[0].Level, res[0].Exposure)
	}
}

// An address the data knows nothing about is unknown, never none; one with
// transfers and no risk is none; a direct hit scores with no transfer.
func TestUnknownIsNotClean(t *testing.T) {
	m := newMem()
	quiet, busyless, listed := addr(30), addr(31), addr(32)
	m.pay(addr(33), busyless, 10, b0)
	m.label(listed, chains.CategorySanctioned, "OFAC")
	res, err := screenAll(m, nil, quiet, busyless, listed)
	if err != nil {
		t.Fatal(err)
	}
	want := []Level{LevelUnknown, LevelNone, LevelSevere}
	// Too busy to walk, with no label: unknown too; with an exchange's
	// label it is known, and none.
	busy, hot := addr(34), addr(35)
	m.label(hot, chains.CategoryExchange, "Binance")
	for i := range 60 {
		m.pay(busy, addr(200+i), 1, b0)
		m.pay(hot, addr(200+i), 1, b0)
	}
	more, err := screenAll(m, nil, busy, hot)
	if err != nil {
		t.Fatal(err)
	}
	res = append(res, more...)
	want = append(want, LevelUnknown, LevelNone)
	if !more[0].Data.Busy || len(more[0].Notes) == 0 {
		t.Errorf("busy address: data %+v notes %v, want busy with a note", more[0].Data, more[0].Notes)
	}
	for i, r := range res {
		if r.Level != want[i] {
			t.Errorf("%s: %s, want %s", r.Address, r.Level, want[i])
		}
	}
	if len(res[0].Notes) == 0 {
		t.Error("the unknown address has no note saying why")
	}
	if len(res[2].Direct) != 1 || res[2].Direct[0].Category != chains.CategorySanctioned {
		t.Errorf("direct %+v", res[2].Direct)
	}
}

// Out-side exposure: an address that paid a mixer through one wallet.
func TestOutSide(t *testing.T) {
	m := newMem()
	a, w, mix := addr(40), addr(41), addr(42)
	m.label(mix, chains.CategoryMixer, "Tornado Cash")
	m.pay(a, w, 1000, b0)
	m.pay(w, mix, 600, b0+1)
	m.pay(w, addr(43), 400, b0+2)
	res, err := screenAll(m, func(o *Options) { o.Direction = DirOut }, a)
	if err != nil {
		t.Fatal(err)
	}
	e := res[0].Exposure
	if len(e) != 1 || e[0].Side != Out || e[0].Hops != 2 || e[0].Amounts[0].Amount.String() != "600" {
		t.Fatalf("exposure %+v, want mixer out 2 hops 600 (1000 × 600/1000)", e)
	}
	if got := pathString(e[0].Path); got != "[40→41 1000][41→42 600]" {
		t.Errorf("path %s", got)
	}
	res, err = screenAll(m, func(o *Options) { o.Direction = DirIn }, a)
	if err != nil || len(res[0].Exposure) != 0 {
		t.Errorf("in only: %+v %v, want no exposure", res[0].Exposure, err)
	}
}

// randomGraph builds a graph of n addresses with a few labels.
func randomGraph(seed uint64, n, edges int) (*memReader, []chains.Address) {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := newMem()
	as := make([]chains.Address, n)
	for i := range as {
		as[i] = addr(i + 1)
	}
	for range edges {
		a, b := as[rng.IntN(n)], as[rng.IntN(n)]
		if a == b {
			continue
		}
		asset := usdt
		if rng.IntN(3) == 0 {
			asset = chains.USDCEthereum
		}
		m.payAsset(asset, a, b, uint64(rng.IntN(1_000_000)+1), b0+uint64(rng.IntN(100)))
	}
	cats := []chains.Category{chains.CategorySanctioned, chains.CategoryScam, chains.CategoryMixer, chains.CategoryExchange}
	for i := range n / 10 {
		m.label(as[rng.IntN(n)], cats[i%len(cats)], "list")
	}
	return m, as
}

// Properties over random graphs: the amount attributed to a category never
// exceeds what the address received or sent; screening many addresses in
// one batch, in another order, or across batches that share
// neighbourhoods, gives each the result it gets alone.
func TestProperties(t *testing.T) {
	for seed := range uint64(20) {
		m, as := randomGraph(seed, 120, 400)
		o := Options{Chain: chains.Ethereum, Assets: []chains.AssetID{usdt, chains.USDCEthereum}, From: 0, To: chains.Latest - 1,
			Hops: 3, Direction: DirBoth, MaxDegree: 12, Policy: DefaultPolicy()}
		s, err := New(m, o)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		// Batches of 7, in reverse order, through one Screener.
		var batched []Result
		for i := len(as); i > 0; i -= 7 {
			part := as[max(0, i-7):i]
			rs, err := s.Screen(ctx, part, nil)
			if err != nil {
				t.Fatal(err)
			}
			batched = append(rs, batched...)
		}
		flows, _ := m.Flows(ctx, chains.FlowQuery{Chain: chains.Ethereum, Assets: o.Assets, From: o.From, To: o.To}, as)
		for i, a := range as {
			alone, err := New(m, o)
			if err != nil {
				t.Fatal(err)
			}
			want, err := alone.Screen(ctx, []chains.Address{a}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(batched[i], want[0]) {
				t.Fatalf("seed %d %s: batched %+v\nalone %+v", seed, a, batched[i], want[0])
			}
			for _, e := range want[0].Exposure {
				side := flows[a].In
				if e.Side == Out {
					side = flows[a].Out
				}
				for _, am := range e.Amounts {
					total := new(big.Int)
					for _, f := range side {
						if f.Asset == am.Asset {
							total.Add(total, f.Amount.Big())
						}
					}
					if am.Amount.Big().Cmp(total) > 0 {
						t.Fatalf("seed %d %s: %s %s attributed %s of %s %s", seed, a, e.Category, e.Side, am.Amount, total, am.Asset)
					}
				}
				for _, st := range e.Path {
					if st.Asset != e.Path[0].Asset {
						t.Fatalf("seed %d %s: the path changes asset: %+v", seed, a, e.Path)
					}
				}
				if len(e.Path) != e.Hops {
					t.Fatalf("seed %d %s: path of %d steps for %d hops", seed, a, len(e.Path), e.Hops)
				}
			}
		}
	}
}
