package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"freezetrace/chains"
	"freezetrace/trace"
)

// The swap case, on Ethereum: a victim pays 10,000 USDT to a collection
// address, which passes it to a swapper; the swapper, holding 2,000 USDT of
// its own, swaps 12,000 USDT for 4.000000000000000001 ETH at a Uniswap V2
// pair (the WETH unwrapped to ETH), so 10,000/12,000 of the ETH is
// tainted: floor(4000000000000000001 × 10000000000 / 12000000000) =
// 3333333333333333334 wei. The ETH goes to a peel wallet that peels 1 ETH
// to a Binance deposit address and passes the rest to a second peel wallet,
// which peels 0.5 ETH to FixedFloat (an instant exchanger) and bridges the
// rest through Across to Arbitrum (chain 42161).
var (
	swVictim  = addr(chains.FamilyEVM, "swap victim")
	swCollect = addr(chains.FamilyEVM, "swap collect")
	swSwapper = addr(chains.FamilyEVM, "swapper")
	swPair    = addr(chains.FamilyEVM, "uniswap v2 pair")
	swWETH    = addr(chains.FamilyEVM, "weth")
	swPeel1   = addr(chains.FamilyEVM, "peel 1")
	swPeel2   = addr(chains.FamilyEVM, "peel 2")
	swDeposit = addr(chains.FamilyEVM, "binance deposit swap")
	swFixed   = addr(chains.FamilyEVM, "fixedfloat")
	swBridge  = addr(chains.FamilyEVM, "across spoke pool")
	swDest    = "0x1111111111111111111111111111111111111111"
)

func wei(s string) chains.Amount { return chains.MustParseAmount(s) }

func swapResult() *trace.Result {
	eth := chains.NativeAsset(chains.Ethereum)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	r := &trace.Result{
		Schema:     trace.Schema,
		Rule:       trace.Haircut,
		Params:     trace.Params{MaxHops: 8, MaxDegree: 500},
		Provenance: []chains.Provenance{{Chain: chains.Ethereum, Source: "rpc", Block: 19_400_000, Retrieved: time.Date(2024, 4, 2, 8, 15, 0, 0, time.UTC)}},
		Assets: []chains.Asset{
			{ID: chains.USDTEthereum, Symbol: "USDT", Decimals: 6},
			{ID: eth, Symbol: "ETH", Decimals: 18},
		},
		Origins: []trace.Origin{{ID: "S1", Victim: "victim-1", Chain: chains.Ethereum, Tx: txh("sw-s1"), Position: 2, Block: 19_350_000,
			Time: at(0), From: swVictim, To: swCollect, Asset: chains.USDTEthereum, Amount: usdt(10_000, 0)}},
	}
	flow := func(name string, pos uint32, block uint64, min int, from, to chains.Address, asset chains.AssetID, amount, tainted chains.Amount, hop, conv int) trace.Flow {
		return trace.Flow{Chain: chains.Ethereum, Tx: txh(name), Position: pos, Block: block, Time: at(min), From: from, To: to,
			Asset: asset, Amount: amount, Tainted: tainted, Hop: hop, BySource: sh("S1", tainted), Conversion: conv}
	}
	ethIn, ethTainted := wei("4000000000000000001"), wei("3333333333333333334")
	r.Flows = []trace.Flow{
		flow("sw-c-s", 5, 19_350_010, 10, swCollect, swSwapper, chains.USDTEthereum, usdt(10_000, 0), usdt(10_000, 0), 1, 0),
		flow("sw-swap", 41, 19_350_020, 20, swSwapper, swPair, chains.USDTEthereum, usdt(12_000, 0), usdt(10_000, 0), 2, 1),
		flow("sw-swap", 43, 19_350_020, 20, swWETH, swSwapper, eth, ethIn, ethTainted, 2, 1),
		flow("sw-s-p1", 0, 19_350_030, 30, swSwapper, swPeel1, eth, ethIn, ethTainted, 3, 0),
		flow("sw-p1-dep", 0, 19_350_040, 40, swPeel1, swDeposit, eth, wei("1000000000000000000"), wei("1000000000000000000"), 4, 0),
		flow("sw-p1-p2", 0, 19_350_050, 50, swPeel1, swPeel2, eth, wei("3000000000000000001"), wei("2333333333333333334"), 4, 0),
		flow("sw-p2-ff", 0, 19_350_060, 60, swPeel2, swFixed, eth, wei("500000000000000000"), wei("500000000000000000"), 5, 0),
		flow("sw-p2-br", 0, 19_350_070, 70, swPeel2, swBridge, eth, wei("2500000000000000001"), wei("1833333333333333334"), 5, 0),
	}
	r.Conversions = []trace.Conversion{{
		Chain: chains.Ethereum, Tx: txh("sw-swap"), Block: 19_350_020, Time: at(20), Address: swSwapper, Hop: 2,
		Events:   []trace.Evidence{{Kind: chains.EventUniswapV2Swap, Contract: swPair, Position: 41}, {Kind: chains.EventUnwrap, Contract: swWETH, Position: 42}},
		Sent:     trace.Leg{Asset: chains.USDTEthereum, Amount: usdt(12_000, 0), Tainted: usdt(10_000, 0), BySource: sh("S1", usdt(10_000, 0))},
		Received: []trace.Leg{{Asset: eth, Amount: ethIn, Tainted: ethTainted, BySource: sh("S1", ethTainted)}},
	}}
	endpoint := func(a chains.Address, kind trace.Kind, entity string, cat chains.Category, amount, value chains.Amount, tx string, hops int) trace.Endpoint {
		return trace.Endpoint{Chain: chains.Ethereum, Address: a, Kind: kind, Entity: entity, Category: cat, Reason: "A labeled " + string(kind) + ".",
			Asset: eth, Amount: amount, Hops: hops, BySource: sh("S1", amount), Txs: []chains.TxHash{txh(tx)}, Value: value}
	}
	dep := endpoint(swDeposit, trace.KindExchange, "Binance", chains.CategoryDeposit, wei("1000000000000000000"), chains.NewAmount(2_999_999_999), "sw-p1-dep", 4)
	dep.SweepTxs = []chains.TxHash{txh("sw-sweep")}
	ff := endpoint(swFixed, trace.KindInstantExchanger, "FixedFloat", chains.CategoryInstantExchanger, wei("500000000000000000"), chains.NewAmount(1_499_999_999), "sw-p2-ff", 5)
	br := endpoint(swBridge, trace.KindBridge, "Across", chains.CategoryBridge, wei("1833333333333333334"), chains.NewAmount(5_500_000_000), "sw-p2-br", 5)
	br.DestChain, br.Recipient = "42161", swDest
	r.Endpoints = []trace.Endpoint{dep, ff, br}
	r.Clusters = []trace.Cluster{}
	r.Ledger = []trace.Step{
		{Seq: 1, Chain: chains.Ethereum, Address: swSwapper, Asset: chains.USDTEthereum, Tx: txh("sw-swap"), Position: 41, Block: 19_350_020, Time: at(20),
			Event: "out", Counterparty: swPair, Amount: usdt(12_000, 0), Tainted: usdt(10_000, 0), BySource: sh("S1", usdt(10_000, 0)), Conversion: 1},
		{Seq: 2, Chain: chains.Ethereum, Address: swSwapper, Asset: eth, Tx: txh("sw-swap"), Position: 42, Block: 19_350_020, Time: at(20),
			Event: "convert", Counterparty: swPair, Amount: ethIn, Tainted: ethTainted, BySource: sh("S1", ethTainted),
			Detail: "floor(4000000000000000001 × 10000000000 / 12000000000)", Conversion: 1},
	}
	return r
}

const swapCase = `reference: "SWAP-2024-1"
language: en
sender: representative
requester:
  organisation: "Victim Support Network"
  name: "Sam Carter"
  email: "cases@victim-support.example"
police_report:
  department: "Example Police Cyber Crime Unit"
  reference: "EPCCU/2024/999"
victims:
  - name: "Dana D."
    payments: ["PAY"]
actions: [freeze, preserve]
`

// swapDirectory is the built-in directory with Across added as a bridge.
func swapDirectory(t *testing.T) *Directory {
	t.Helper()
	path := filepath.Join(t.TempDir(), "recipients.yaml")
	yaml := "recipients:\n  - key: across\n    name: Across\n    kind: bridge\n    aliases: [Across Protocol]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := LoadDirectory(path)
	if err != nil {
		t.Fatalf("LoadDirectory: %v", err)
	}
	return d
}

func renderSwap(t *testing.T, r *trace.Result, formats ...Format) (map[string][]byte, *Summary) {
	t.Helper()
	c := mustCase(t, strings.ReplaceAll(swapCase, "PAY", txh("sw-s1").String()))
	files, sum, err := Render(context.Background(), r, c, Options{Formats: formats, At: fixtureAt, Directory: swapDirectory(t)})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files, sum
}

func wantAll(t *testing.T, name, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q", name, w)
		}
	}
}

func TestSwapRecipients(t *testing.T) {
	_, sum := renderSwap(t, swapResult(), FormatMarkdown)
	var got []string
	for _, rc := range sum.Recipients {
		got = append(got, rc.Slug+"="+string(rc.Kind))
		if !rc.Letter {
			t.Errorf("%s gets no letter: %s", rc.Slug, rc.NoLetter)
		}
	}
	want := []string{"exchange-binance=exchange", "instant-exchanger-fixedfloat=instant_exchanger", "bridge-across=bridge"}
	if !slices.Equal(got, want) {
		t.Errorf("recipients %v, want %v", got, want)
	}
}

func TestSwapLetter(t *testing.T) {
	files, _ := renderSwap(t, swapResult(), FormatMarkdown)
	md := string(files["exchange-binance/letter.md"])
	wantAll(t, "Binance letter", md,
		// the dust floor names the asset it is in
		"Smallest amount followed: 0 base units of USDT, the victims' asset",
		// the path: USDT before the swap, ETH after it
		"| 10,000.00 USDT | 10,000.00 USDT |",
		"| 12,000.00 USDT | 10,000.00 USDT |",
		"| 4.000000000000000001 ETH | 3.333333333333333334 ETH |",
		"| 1.00 ETH | 1.00 ETH |",
		"swap C1",
		// the conversion step, worked out in base units, with its evidence
		"address "+swSwapper.String()+" swapped 12,000.00 USDT (10,000.00 USDT tainted from this payment) for 4.000000000000000001 ETH at "+
			swPair.String()+", "+swWETH.String()+" in transaction "+chains.Ethereum.FormatTx(txh("sw-swap")),
		"tainted share floor(4000000000000000001 × 10000000000 / 12000000000) = 3333333333333333334 base units = 3.333333333333333334 ETH.",
		"Uniswap V2 swap event of contract "+swPair.String()+" (log 41); unwrap event of contract "+swWETH.String()+" (log 42)",
		"tainted received = floor(received × tainted sent / sent)",
		// the total in the endpoint's asset, and its worth in the victims'
		"1.00 ETH (1000000000000000000 base units) on Ethereum** (worth 2,999.999999 USDT of the victims' funds at the trace's conversion rates)",
		"worth 2,999.999999 USDT of the victims' funds",
		english.NoTipOff,
	)
	bridge := string(files["bridge-across/letter.md"])
	wantAll(t, "Across letter", bridge,
		"Bridged to chain 42161, recipient "+swDest+", per the bridge's deposit event in transaction "+chains.Ethereum.FormatTx(txh("sw-p2-br"))+".",
		"1.833333333333333334 ETH (1833333333333333334 base units) on Ethereum** (worth 5,500.00 USDT of the victims' funds",
		english.NoTipOff,
	)
	wantAll(t, "FixedFloat letter", string(files["instant-exchanger-fixedfloat/letter.md"]), "0.50 ETH", "worth 1,499.999999 USDT", english.NoTipOff)
}

// TestSwapShareMismatch: a share the trace records otherwise than the
// rule gives is said next to the rule's.
func TestSwapShareMismatch(t *testing.T) {
	r := swapResult()
	r.Conversions[0].Received[0].BySource = sh("S1", wei("3333333333333333333"))
	files, _ := renderSwap(t, r, FormatMarkdown)
	wantAll(t, "Binance letter", string(files["exchange-binance/letter.md"]),
		"= 3333333333333333334 base units = 3.333333333333333334 ETH. The trace records 3333333333333333333 base units (3.333333333333333333 ETH) for this share.")
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("read csv: %v", err)
	}
	return rows
}

// column returns row's cell under header name.
func column(t *testing.T, rows [][]string, row int, name string) string {
	t.Helper()
	i := slices.Index(rows[0], name)
	if i < 0 {
		t.Fatalf("no column %q in %v", name, rows[0])
	}
	return rows[row][i]
}

func TestSwapEvidence(t *testing.T) {
	files, _ := renderSwap(t, swapResult(), FormatCSV, FormatXLSX)
	for _, dir := range []string{"case/", "exchange-binance/"} {
		rows := readCSV(t, files[dir+"conversions.csv"])
		if len(rows) != 2 {
			t.Fatalf("%sconversions.csv: %d rows, want a header and one leg", dir, len(rows))
		}
		for name, want := range map[string]string{
			"conversion": "1", "tx": chains.Ethereum.FormatTx(txh("sw-swap")), "time_utc": "2024-03-01T09:20:00Z", "address": swSwapper.String(),
			"venues": swPair.String() + ", " + swWETH.String(), "events": "uniswap_v2_swap " + swPair.String() + ":41; unwrap " + swWETH.String() + ":42",
			"sent_asset": chains.USDTEthereum.String(), "sent_symbol": "USDT", "sent_base": "12000000000", "sent": "12,000.00",
			"tainted_sent_base": "10000000000", "tainted_sent": "10,000.00",
			"received_asset": "ethereum:native", "received_symbol": "ETH", "received_base": "4000000000000000001", "received": "4.000000000000000001",
			"tainted_received_base": "3333333333333333334", "tainted_received": "3.333333333333333334",
			"rate": "0.000333333333", "by_source": "S1: 10000000000 -> 3333333333333333334",
		} {
			if got := column(t, rows, 1, name); got != want {
				t.Errorf("%sconversions.csv %s = %q, want %q", dir, name, got, want)
			}
		}
	}
	eps := readCSV(t, files["case/endpoints.csv"])
	for i, want := range map[int][4]string{1: {"2999999999", "2,999.999999", "", ""}, 3: {"5500000000", "5,500.00", "42161", swDest}} {
		got := [4]string{column(t, eps, i, "value_base"), column(t, eps, i, "value"), column(t, eps, i, "bridge_dest_chain"), column(t, eps, i, "bridge_recipient")}
		if column(t, eps, i, "value_symbol") != "USDT" || got != want {
			t.Errorf("endpoints.csv row %d: value %v (%s), want %v USDT", i, got, column(t, eps, i, "value_symbol"), want)
		}
	}
	paths := readCSV(t, files["exchange-binance/paths.csv"])
	var assets []string
	for _, row := range paths[1:] {
		assets = append(assets, row[slices.Index(paths[0], "symbol")]+"/"+row[slices.Index(paths[0], "conversion")])
	}
	if want := []string{"USDT/", "USDT/", "USDT/1", "ETH/1", "ETH/", "ETH/"}; !slices.Equal(assets, want) {
		t.Errorf("paths.csv hops %v, want %v", assets, want)
	}
	x, err := excelize.OpenReader(bytes.NewReader(files["case/evidence.xlsx"]))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !slices.Contains(got, "conversions") {
		t.Errorf("evidence.xlsx sheets %v lack conversions", got)
	}
	if v, _ := x.GetCellValue("conversions", "V2"); v != "0.000333333333" {
		t.Errorf("evidence.xlsx conversions!V2 (rate) = %q", v)
	}
}

// TestSwapEvidenceEscaped: a token's symbol is outside text: in the
// conversions table it cannot start a formula.
func TestSwapEvidenceEscaped(t *testing.T) {
	r := swapResult()
	r.Assets[0].Symbol = "=HYPERLINK(\"https://evil.example\")"
	files, _ := renderSwap(t, r, FormatCSV)
	rows := readCSV(t, files["case/conversions.csv"])
	if got := column(t, rows, 1, "sent_symbol"); strings.HasPrefix(got, "=") {
		t.Errorf("conversions.csv sent_symbol %q can start a formula", got)
	}
}

func TestSwapGraph(t *testing.T) {
	files, _ := renderSwap(t, swapResult(), FormatDOT)
	dot := string(files["case/graph.dot"])
	wantAll(t, "graph.dot", dot,
		`label="swap C1: USDT → ETH\n10,000.00 USDT`,
		`label="swap C1: USDT → ETH\n3.333333333333333334 ETH`,
		`style=dashed, color="`+swapColour+`"`,
		`fillcolor="`+kindColour[trace.KindInstantExchanger]+`"`,
		`"legend:instant_exchanger" [label="instant exchanger"`,
		`worth 2,999.999999 USDT`,
	)
	if n := strings.Count(dot, "style=dashed"); n != 2 {
		t.Errorf("graph.dot has %d dashed edges, want the swap's 2 legs", n)
	}
}

func TestSwapOverview(t *testing.T) {
	files, _ := renderSwap(t, swapResult(), FormatMarkdown, FormatCSV)
	ov := string(files["overview.md"])
	wantAll(t, "overview.md", ov,
		"## "+english.AssetsHeading,
		"Total in the victims' asset: 9,999.999998 USDT on Ethereum**",
		"(0.00 USDT reached endpoints in that asset; 9,999.999998 USDT is the worth of endpoints in other assets, which rests on the conversion rates",
		"| 3.333333333333333334 ETH<br>3333333333333333334 base units | 9,999.999998 USDT |",
		"## "+english.ConversionsHeading,
		"1 USDT = 0.000333333333 ETH",
		"of which 10,000.00 USDT tainted",
		"[`case/conversions.csv`](case/conversions.csv)",
	)
}

// TestMessagesComplete: every text of every language is given, every
// event kind and endpoint kind is named, and every endpoint kind the
// legend lists has a colour.
func TestMessagesComplete(t *testing.T) {
	for lang, m := range catalogue {
		for _, k := range chains.EventKinds {
			if m.EventKinds[k] == "" {
				t.Errorf("%s: no name for event kind %s", lang, k)
			}
		}
		for _, k := range legendKinds {
			if m.Kinds[k] == "" {
				t.Errorf("%s: no name for endpoint kind %s", lang, k)
			}
		}
		for _, s := range []string{m.ConversionLabel, m.ConversionRule, m.ConversionLine, m.ConversionRecorded, m.ConversionEvidence, m.EventLine,
			m.WorthLine, m.WorthShort, m.TracedWorth, m.SwapEdge, m.BridgedTo, m.BridgedToChain, m.BridgedToRecipient, m.AssetsHeading,
			m.AssetsIntro, m.ColAsset, m.ColWorth, m.VictimAssetItself, m.VictimAssetTotal, m.VictimAssetSplit, m.ConversionsHeading,
			m.ColVenue, m.ColSent, m.ColReceived, m.ColRate, m.TaintedPart, m.RateLine} {
			if s == "" {
				t.Errorf("%s: a conversion text is empty", lang)
			}
		}
	}
	for _, k := range legendKinds {
		if kindColour[k] == "" {
			t.Errorf("no colour for endpoint kind %s", k)
		}
	}
}
