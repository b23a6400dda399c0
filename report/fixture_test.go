package report

import (
	"crypto/sha256"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// The fixture case: three victims; on TRON two payments merge in a pool
// wallet that pays a Binance deposit address (swept to Binance's hot
// wallet), leaves USDT held in a wallet and sends the rest to a bridge; on
// Ethereum one payment is split between an OKX deposit address, a Binance
// deposit address, a wallet holding USDT and Tornado Cash.

func addr(f chains.Family, name string) chains.Address {
	s := sha256.Sum256([]byte(name))
	var b [20]byte
	copy(b[:], s[:20])
	return chains.NewAddress(f, b)
}

func txh(name string) chains.TxHash { return sha256.Sum256([]byte("tx:" + name)) }

func usdt(whole, micro uint64) chains.Amount { return chains.NewAmount(whole*1_000_000 + micro) }

var (
	t0 = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

	vAlice = addr(chains.FamilyTRON, "victim alice")
	vBob   = addr(chains.FamilyTRON, "victim bob")
	cT1    = addr(chains.FamilyTRON, "collect 1")
	cT2    = addr(chains.FamilyTRON, "collect 2")
	poolT  = addr(chains.FamilyTRON, "pool")
	depBnT = addr(chains.FamilyTRON, "binance deposit")
	heldT  = addr(chains.FamilyTRON, "held")
	bridge = addr(chains.FamilyTRON, "bridge")

	vChen  = addr(chains.FamilyEVM, "victim chen")
	cE     = addr(chains.FamilyEVM, "collect eth")
	splitE = addr(chains.FamilyEVM, "split eth")
	depOKX = addr(chains.FamilyEVM, "okx deposit")
	hotOKX = addr(chains.FamilyEVM, "okx hot")
	depBnE = addr(chains.FamilyEVM, "binance deposit eth")
	heldE  = addr(chains.FamilyEVM, "held eth")
	tornE  = addr(chains.FamilyEVM, "tornado")
)

type hop struct {
	chain    chains.Chain
	name     string
	block    uint64
	min      int
	from, to chains.Address
	amount   chains.Amount
	hop      int
	shares   []trace.Share
}

func sh(kv ...any) []trace.Share {
	var out []trace.Share
	for i := 0; i < len(kv); i += 2 {
		out = append(out, trace.Share{Source: kv[i].(string), Amount: kv[i+1].(chains.Amount)})
	}
	return out
}

func fixtureResult() *trace.Result {
	until := t0.Add(30 * 24 * time.Hour)
	r := &trace.Result{
		Schema: trace.Schema,
		Rule:   trace.FIFO,
		Params: trace.Params{MaxHops: 8, MinAmount: chains.NewAmount(1_000_000), Until: &until, MaxDegree: 500},
		Provenance: []chains.Provenance{
			{Chain: chains.Ethereum, Source: "rpc", Block: 19_400_000, Retrieved: time.Date(2024, 4, 2, 8, 15, 0, 0, time.UTC)},
			{Chain: chains.Tron, Source: "trongrid", Block: 60_100_000, Retrieved: time.Date(2024, 4, 2, 8, 20, 0, 0, time.UTC), Detail: "TRC-20 history"},
		},
		Assets: []chains.Asset{
			{ID: chains.USDTEthereum, Symbol: "USDT", Decimals: 6},
			{ID: chains.USDTTron, Symbol: "USDT", Decimals: 6},
		},
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	r.Origins = []trace.Origin{
		{ID: "S1", Victim: "victim-1", Chain: chains.Tron, Tx: txh("s1"), Block: 60_000_000, Time: at(0), From: vAlice, To: cT1,
			Asset: chains.USDTTron, Amount: usdt(25_000, 0)},
		{ID: "S2", Victim: "victim-2", Chain: chains.Tron, Tx: txh("s2"), Block: 60_000_100, Time: at(5), From: vBob, To: cT2,
			Asset: chains.USDTTron, Amount: usdt(12_500, 500_000)},
		{ID: "S3", Victim: "victim-3", Chain: chains.Ethereum, Tx: txh("s3"), Position: 7, Block: 19_350_000, Time: at(60), From: vChen, To: cE,
			Asset: chains.USDTEthereum, Amount: usdt(40_000, 0)},
	}
	hops := []hop{
		{chains.Tron, "c1-pool", 60_000_200, 30, cT1, poolT, usdt(25_000, 0), 1, sh("S1", usdt(25_000, 0))},
		{chains.Tron, "c2-pool", 60_000_300, 35, cT2, poolT, usdt(12_500, 500_000), 1, sh("S2", usdt(12_500, 500_000))},
		{chains.Tron, "pool-dep", 60_000_400, 40, poolT, depBnT, usdt(20_000, 0), 2, sh("S1", usdt(20_000, 0))},
		{chains.Tron, "pool-held", 60_000_500, 45, poolT, heldT, usdt(15_000, 0), 2, sh("S1", usdt(5_000, 0), "S2", usdt(10_000, 0))},
		{chains.Tron, "pool-bridge", 60_000_600, 50, poolT, bridge, usdt(2_500, 500_000), 2, sh("S2", usdt(2_500, 500_000))},
		{chains.Ethereum, "c-split", 19_350_010, 70, cE, splitE, usdt(40_000, 0), 1, sh("S3", usdt(40_000, 0))},
		{chains.Ethereum, "split-okx", 19_350_020, 80, splitE, depOKX, usdt(15_000, 0), 2, sh("S3", usdt(15_000, 0))},
		{chains.Ethereum, "split-held", 19_350_030, 90, splitE, heldE, usdt(17_000, 0), 2, sh("S3", usdt(17_000, 0))},
		{chains.Ethereum, "split-bn", 19_350_040, 100, splitE, depBnE, usdt(5_000, 0), 2, sh("S3", usdt(5_000, 0))},
		{chains.Ethereum, "split-torn", 19_350_050, 110, splitE, tornE, usdt(3_000, 0), 2, sh("S3", usdt(3_000, 0))},
	}
	asset := map[chains.Chain]chains.AssetID{chains.Tron: chains.USDTTron, chains.Ethereum: chains.USDTEthereum}
	for _, h := range hops {
		r.Flows = append(r.Flows, trace.Flow{Chain: h.chain, Tx: txh(h.name), Position: 3, Block: h.block, Time: at(h.min),
			From: h.from, To: h.to, Asset: asset[h.chain], Amount: h.amount, Tainted: h.amount, Hop: h.hop, BySource: h.shares})
	}
	binance := func(c chains.Chain, a chains.Address, sweep string) []chains.Label {
		return []chains.Label{{Chain: c, Address: a, Entity: "Binance", Category: chains.CategoryDeposit, Source: "deposit-sweep heuristic",
			Confidence: 80, Heuristic: "deposit-sweep", Evidence: []chains.TxHash{txh(sweep)}}}
	}
	r.Endpoints = []trace.Endpoint{
		{Chain: chains.Ethereum, Address: depBnE, Kind: trace.KindExchange, Entity: "Binance", Category: chains.CategoryDeposit,
			Reason: "Swept its USDT into a Binance hot wallet within 2 hours; a Binance deposit address.", Labels: binance(chains.Ethereum, depBnE, "sweep-bn-e"),
			Asset: chains.USDTEthereum, Amount: usdt(5_000, 0), Hops: 2, BySource: sh("S3", usdt(5_000, 0)), Txs: []chains.TxHash{txh("split-bn")},
			SweepTxs: []chains.TxHash{txh("sweep-bn-e")}},
		{Chain: chains.Ethereum, Address: depOKX, Kind: trace.KindExchange, Entity: "OKX", Category: chains.CategoryDeposit,
			Reason: "Swept its USDT into an OKX hot wallet within 1 hour; an OKX deposit address.",
			Labels: []chains.Label{{Chain: chains.Ethereum, Address: hotOKX, Entity: "OKX", Category: chains.CategoryExchange,
				Source: "graphsense-tagpacks/okx.yaml", Confidence: 100}},
			Asset: chains.USDTEthereum, Amount: usdt(15_000, 0), Hops: 2, BySource: sh("S3", usdt(15_000, 0)), Txs: []chains.TxHash{txh("split-okx")},
			SweepTxs: []chains.TxHash{txh("sweep-okx-1"), txh("sweep-okx-2")}},
		{Chain: chains.Ethereum, Address: heldE, Kind: trace.KindHeld, Reason: "Holds traced USDT it has not moved.",
			Asset: chains.USDTEthereum, Amount: usdt(17_000, 0), Hops: 2, BySource: sh("S3", usdt(17_000, 0)), Txs: []chains.TxHash{txh("split-held")}},
		{Chain: chains.Ethereum, Address: tornE, Kind: trace.KindMixer, Entity: "Tornado Cash", Category: chains.CategoryMixer,
			Reason: "A Tornado Cash contract; funds cannot be followed further.", Asset: chains.USDTEthereum, Amount: usdt(3_000, 0), Hops: 2,
			BySource: sh("S3", usdt(3_000, 0)), Txs: []chains.TxHash{txh("split-torn")}},
		{Chain: chains.Tron, Address: depBnT, Kind: trace.KindExchange, Entity: "Binance", Category: chains.CategoryDeposit,
			Reason: "Swept its USDT into a Binance hot wallet within 3 hours; a Binance deposit address.", Labels: binance(chains.Tron, depBnT, "sweep-bn-t"),
			Asset: chains.USDTTron, Amount: usdt(20_000, 0), Hops: 2, BySource: sh("S1", usdt(20_000, 0)), Txs: []chains.TxHash{txh("pool-dep")},
			SweepTxs: []chains.TxHash{txh("sweep-bn-t")}},
		{Chain: chains.Tron, Address: heldT, Kind: trace.KindHeld, Reason: "Holds traced USDT it has not moved.",
			Asset: chains.USDTTron, Amount: usdt(15_000, 0), Hops: 2, BySource: sh("S1", usdt(5_000, 0), "S2", usdt(10_000, 0)),
			Txs: []chains.TxHash{txh("pool-held")}},
		{Chain: chains.Tron, Address: bridge, Kind: trace.KindBridge, Entity: "Example Bridge", Category: chains.CategoryBridge,
			Reason: "A cross-chain bridge; funds left TRON.", Asset: chains.USDTTron, Amount: usdt(2_500, 500_000), Hops: 2,
			BySource: sh("S2", usdt(2_500, 500_000)), Txs: []chains.TxHash{txh("pool-bridge")}},
	}
	r.Clusters = []trace.Cluster{}
	r.Ledger = ledgerOf(r)
	r.Holdings = fixtureHoldings()
	return r
}

// fixtureHoldings are where the fixture's freeze targets stand: on
// Ethereum as of the end of the data (the deposit addresses swept, the
// held wallet already frozen by Tether), on TRON at a live head (the
// Binance deposit address's balance not known, the held wallet partly
// moved on, partly into that deposit address).
func fixtureHoldings() []trace.Holding {
	ethEnd, ethTime := uint64(19_400_000), time.Date(2024, 4, 2, 8, 14, 59, 0, time.UTC)
	tronHead, tronTime := uint64(60_200_000), time.Date(2024, 4, 3, 9, 59, 57, 0, time.UTC)
	notFrozen := func(b uint64) *chains.Freeze { return &chains.Freeze{Issuer: "Tether", Block: b} }
	eth := func(a chains.Address, traced, bal chains.Amount) trace.Holding {
		return trace.Holding{Chain: chains.Ethereum, Address: a, Asset: chains.USDTEthereum, Traced: traced, Block: ethEnd, Time: ethTime,
			Balance: &bal, Freeze: notFrozen(ethEnd)}
	}
	out := func(tx string, block uint64, to chains.Address, amount chains.Amount, at time.Time) *trace.Movement {
		return &trace.Movement{Tx: txh(tx), Block: block, Time: at, To: to, Amount: amount}
	}
	bnE, okx, held := eth(depBnE, usdt(5_000, 0), usdt(0, 0)), eth(depOKX, usdt(15_000, 0), usdt(0, 0)), eth(heldE, usdt(17_000, 0), usdt(17_000, 0))
	bnE.LastOut = out("sweep-bn-e", 19_350_100, hotBnE, usdt(5_000, 0), t0.Add(3*time.Hour))
	okx.LastOut = out("sweep-okx-2", 19_350_200, hotOKX, usdt(15_000, 0), t0.Add(4*time.Hour))
	held.Freeze = &chains.Freeze{Frozen: true, Issuer: "Tether", Block: ethEnd, Tx: txh("tether-freeze"), TxBlock: 19_380_000,
		TxTime: time.Date(2024, 3, 28, 14, 3, 11, 0, time.UTC)}
	left := usdt(4_000, 0)
	onward := []trace.Movement{
		*out("held-on-1", 60_150_000, depBnT, usdt(9_000, 0), time.Date(2024, 4, 2, 16, 0, 0, 0, time.UTC)),
		*out("held-on-2", 60_160_000, addr(chains.FamilyTRON, "cash out"), usdt(2_000, 0), time.Date(2024, 4, 2, 20, 30, 0, 0, time.UTC)),
	}
	tron := []trace.Holding{
		{Chain: chains.Tron, Address: depBnT, Asset: chains.USDTTron, Traced: usdt(20_000, 0), Live: true, Block: tronHead, Time: tronTime,
			Checked: fixtureAt, LastOut: out("sweep-bn-t", 60_000_900, addr(chains.FamilyTRON, "binance hot"), usdt(20_000, 0), t0.Add(5*time.Hour)),
			Freeze: notFrozen(tronHead), Warnings: []string{"balance at block 60200000 not known: trongrid: 503 Service Unavailable"}},
		{Chain: chains.Tron, Address: heldT, Asset: chains.USDTTron, Traced: usdt(15_000, 0), Live: true, Block: tronHead, Time: tronTime,
			Checked: fixtureAt, Balance: &left, LastOut: &onward[1], Onward: onward, Freeze: notFrozen(tronHead)},
	}
	return append([]trace.Holding{bnE, okx, held}, tron...)
}

// ledgerOf writes an audit ledger for fully tainted flows: every address's
// inflows and outflows in order, with its balance and taint after each.
func ledgerOf(r *trace.Result) []trace.Step {
	type ev struct {
		t    chains.Transfer
		f    trace.Flow
		addr chains.Address
		cp   chains.Address
		in   bool
	}
	var evs []ev
	for _, s := range r.Origins {
		f := trace.Flow{Chain: s.Chain, Tx: s.Tx, Position: s.Position, Block: s.Block, Time: s.Time, From: s.From, To: s.To,
			Asset: s.Asset, Amount: s.Amount, Tainted: s.Amount, BySource: sh(s.ID, s.Amount)}
		evs = append(evs, ev{t: asTransfer(f), f: f, addr: s.To, cp: s.From, in: true})
	}
	for _, f := range r.Flows {
		evs = append(evs, ev{t: asTransfer(f), f: f, addr: f.From, cp: f.To}, ev{t: asTransfer(f), f: f, addr: f.To, cp: f.From, in: true})
	}
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && compareFlows(evs[j-1].f, evs[j].f) > 0; j-- {
			evs[j-1], evs[j] = evs[j], evs[j-1]
		}
	}
	bal := map[chains.Address]chains.Amount{}
	var out []trace.Step
	for i, e := range evs {
		event := "out"
		if e.in {
			event = "in"
			bal[e.addr] = bal[e.addr].Add(e.f.Amount)
		} else {
			bal[e.addr] = bal[e.addr].SubFloor(e.f.Amount)
		}
		out = append(out, trace.Step{Seq: i + 1, Chain: e.f.Chain, Address: e.addr, Asset: e.f.Asset, Tx: e.f.Tx, Position: e.f.Position,
			Block: e.f.Block, Time: e.f.Time, Event: event, Counterparty: e.cp, Amount: e.f.Amount, Tainted: e.f.Tainted,
			BySource: e.f.BySource, Balance: bal[e.addr], Taint: bal[e.addr], Detail: "fifo: whole transfer is traced funds"})
	}
	return out
}

const fixtureCase = `# test case file
reference: "NFT-2024-0117"
language: en
sender: representative
requester:
  organisation: "Victim Support Network"
  name: "Sam Carter"
  role: "Caseworker"
  email: "cases@victim-support.example"
  phone: "+44 20 7946 0000"
  address: |
    1 Example Street
    London EC1A 1AA
police_report:
  department: "Example Police Cyber Crime Unit"
  reference: "EPCCU/2024/311"
victims:
  - name: "Alice A."
    police_report: "EP-2024-000111"
    payments:
      - "` + "PAY1" + `"
  - name: "Bob B."
    police_report: "EP-2024-000222"
    payments: ["` + "PAY2" + `"]
  - name: "陈伟"
    police_report: "EP-2024-000333"
    payments: ["` + "PAY3" + `"]
actions: [freeze, preserve]
`
