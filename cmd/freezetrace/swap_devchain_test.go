package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/internal/devchain"
	"freezetrace/report"
	"freezetrace/trace"
)

// swapCase is the swap scenario on the in-process node: a victim pays
// 6,000 USDT to collector C, a clean 4,000 USDT follows; C swaps the
// 10,000 for ETH through the Uniswap V2-style router (USDT → pair, WETH →
// router, unwrapped, ETH → C as an internal transfer); C, who had 1 ETH
// before, peels 2 ETH to H1, H1 1.5 ETH to H2, H2 1 ETH to the exchange
// deposit address D.
type swapCase struct {
	c         *devchain.Chain
	usdt      common.Address
	victimTx  common.Hash
	swapTx    common.Hash
	C, H1, H2 chains.Address
	D, pair   chains.Address
	router    chains.Address
}

func startSwapCase(t *testing.T) *swapCase {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ether := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(params.Ether)) }
	milli := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(params.Ether/1000)) }
	usdt := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1_000_000)) }
	key := func(n string) *ecdsa.PrivateKey { return devchain.Key("swap-" + n) }
	who := func(n string) common.Address { return crypto.PubkeyToAddress(key(n).PublicKey) }
	alloc := types.GenesisAlloc{}
	for _, n := range []string{"deployer", "issuer", "lp", "victim", "funder"} {
		alloc[who(n)] = types.Account{Balance: ether(10_000)}
	}
	c, err := devchain.Start(devchain.Config{Alloc: alloc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	dex, err := devchain.DeployDEX(ctx, c, key("deployer"))
	must(err)
	tok, err := c.DeployToken(ctx, key("issuer"), devchain.Tether, "Tether USD", "USDT", 6)
	must(err)
	must(c.Mint(ctx, key("issuer"), tok, who("lp"), usdt(1_000_000)))
	must(c.Mint(ctx, key("issuer"), tok, who("victim"), usdt(6_000)))
	must(c.Mint(ctx, key("issuer"), tok, who("funder"), usdt(4_000)))
	pair, err := dex.AddLiquidityETH(ctx, key("lp"), tok, usdt(1_000_000), ether(500))
	must(err)
	_, err = c.Pay(ctx, key("funder"), who("c"), ether(1))
	must(err)
	pay, err := c.TransferToken(ctx, key("victim"), tok, who("c"), usdt(6_000))
	must(err)
	_, err = c.TransferToken(ctx, key("funder"), tok, who("c"), usdt(4_000))
	must(err)
	swap, err := dex.SwapExactTokensForETH(ctx, key("c"), usdt(10_000), big.NewInt(1), []common.Address{tok, dex.WETH}, who("c"))
	must(err)
	for _, p := range []struct {
		from, to string
		wei      *big.Int
	}{{"c", "h1", milli(2000)}, {"h1", "h2", milli(1500)}, {"h2", "d", milli(1000)}} {
		_, err := c.Pay(ctx, key(p.from), who(p.to), p.wei)
		must(err)
	}
	a := func(x common.Address) chains.Address { return chains.NewAddress(chains.FamilyEVM, x) }
	return &swapCase{c: c, usdt: tok, victimTx: pay.TxHash, swapTx: swap.TxHash,
		C: a(who("c")), H1: a(who("h1")), H2: a(who("h2")), D: a(who("d")), pair: a(pair), router: a(dex.Router)}
}

// TestSwapTraceOverRPC traces the swap scenario from the victim's payment
// over JSON-RPC, under fifo and haircut, and checks the endpoints against
// amounts worked by hand (below), the conversion and its ledger step, and
// that a warm re-run asks the node next to nothing.
//
// The swap: reserves 1,000,000 USDT and 500 ETH, so 10,000 USDT buy
// floor(10,000e6·997·500e18 / (1,000,000e6·1000 + 10,000e6·997)) =
// 4,935,790,171,985,306,494 wei. Of the 10,000 USDT, 6,000 are tainted
// under both rules (fifo: the victim's lot first; haircut: 10,000·6,000/
// 10,000), so the tainted ETH is floor(4,935,790,171,985,306,494·6,000/
// 10,000) = 2,961,474,103,191,183,896 wei (t).
//
// fifo: C's ETH lots are the clean 1 ETH it had, then t, then the clean
// rest; the 2 ETH to H1 are 1 ETH clean and 1 ETH tainted; H1's lots put
// the tainted 1 ETH first, so its 1.5 ETH to H2 carry it, and H2's 1 ETH to
// D too. D: 1e18; C holds t − 1e18 = 1,961,474,103,191,183,896.
//
// haircut: C holds 1e18 + 4,935,790,171,985,306,494 with t tainted; the
// 2 ETH carry floor(2e18·t/5,935,790,171,985,306,494) =
// 997,836,519,615,611,087; H1's 1.5 of 2 ETH carry 748,377,389,711,708,315;
// H2's 1 of 1.5 ETH carry 498,918,259,807,805,543 to D. Held: C
// 1,963,637,583,575,572,809, H1 and H2 249,459,129,903,902,772 each.
//
// Values in USDT at the conversion's rate (6,000e6 base units for t):
// floor(x·6,000,000,000/t).
func TestSwapTraceOverRPC(t *testing.T) {
	sc := startSwapCase(t)
	ctx := context.Background()
	asset := chains.AssetID{Chain: chains.Ethereum, Contract: chains.NewAddress(chains.FamilyEVM, sc.usdt)}
	requestsLine := regexp.MustCompile(`(?m)^(\d+) requests to rpc http://127\.0\.0\.1:\d+\.$`)
	for _, tc := range []struct {
		rule trace.Rule
		want map[string]string // "kind address" → "amount value"
	}{
		{trace.FIFO, map[string]string{
			"exchange " + sc.D.String(): "1000000000000000000 2026018054",
			"held " + sc.C.String():     "1961474103191183896 3973981945",
		}},
		{trace.Haircut, map[string]string{
			"exchange " + sc.D.String(): "498918259807805543 1010817401",
			"held " + sc.C.String():     "1963637583575572809 3978365196",
			"held " + sc.H1.String():    "249459129903902772 505408700",
			"held " + sc.H2.String():    "249459129903902772 505408700",
		}},
	} {
		t.Run(string(tc.rule), func(t *testing.T) {
			dir := t.TempDir()
			db, err := store.Open(ctx, filepath.Join(dir, "case.db"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.PutLabels(ctx, []chains.Label{{Chain: chains.Ethereum, Address: sc.D, Entity: "Binance", Category: chains.CategoryDeposit, Source: "test", Confidence: 90}}); err != nil {
				t.Fatal(err)
			}
			db.Close()
			var requests [2]int64
			var outputs [2][]byte
			for i := range requests {
				o := traceOptions{
					DB: filepath.Join(dir, "case.db"), Chain: chains.Ethereum,
					Case:  trace.Case{Chain: chains.Ethereum, Asset: asset, Payments: []trace.Payment{{Tx: chains.TxHash(sc.victimTx)}}},
					Trace: trace.Options{Rule: tc.rule}, Out: filepath.Join(dir, "out"),
					Upstream: upstreamOptions{RPC: rpcOptions{URL: sc.c.URL, Concurrency: 4, Retries: 5, MaxRange: 2000, NoBalances: true}},
				}
				var w, stderr bytes.Buffer
				if err := runTrace(ctx, o, &w, &stderr); err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
				m := requestsLine.FindStringSubmatch(w.String())
				if m == nil {
					t.Fatalf("run %d: no request count in the summary:\n%s", i+1, w.String())
				}
				requests[i], _ = strconv.ParseInt(m[1], 10, 64)
				if outputs[i], err = os.ReadFile(filepath.Join(dir, "out", "trace.json")); err != nil {
					t.Fatal(err)
				}
				if os.Getenv("SWAP_SUMMARY") != "" && i == 0 {
					t.Log(w.String())
				}
				if i == 0 && !strings.Contains(w.String(), "1 conversion(s)") {
					t.Errorf("summary lists no conversion:\n%s", w.String())
				}
			}
			r, err := trace.ReadJSON(bytes.NewReader(outputs[0]))
			if err != nil {
				t.Fatalf("ReadJSON: %v", err)
			}
			got := map[string]string{}
			for _, e := range r.Endpoints {
				got[string(e.Kind)+" "+e.Address.String()] = e.Amount.String() + " " + e.Value.String()
				if e.Asset != chains.NativeAsset(chains.Ethereum) {
					t.Errorf("endpoint %s in %s, want ETH", e.Address, e.Asset)
				}
			}
			if !maps.Equal(got, tc.want) {
				t.Errorf("endpoints %v\nwant %v", got, tc.want)
			}
			if len(r.Conversions) != 1 {
				t.Fatalf("%d conversions, want 1", len(r.Conversions))
			}
			cv := r.Conversions[0]
			if cv.Tx != chains.TxHash(sc.swapTx) || cv.Address != sc.C || cv.Sent.Amount.String() != "10000000000" || cv.Sent.Tainted.String() != "6000000000" ||
				cv.Received[0].Amount.String() != "4935790171985306494" || cv.Received[0].Tainted.String() != "2961474103191183896" {
				t.Errorf("conversion %+v %+v", cv.Sent, cv.Received)
			}
			if len(cv.Events) == 0 || cv.Events[0].Kind != chains.EventUniswapV2Swap || cv.Events[0].Contract != sc.pair {
				t.Errorf("conversion evidence %+v, want the pair's Swap first", cv.Events)
			}
			steps := 0
			for _, s := range r.Ledger {
				if s.Conversion == 1 {
					steps++
					if s.Event == "convert" && !strings.Contains(s.Detail, "S1 floor(4935790171985306494·6000000000/10000000000) = 2961474103191183896") {
						t.Errorf("convert step detail %q", s.Detail)
					}
				}
			}
			if steps != 3 { // the sent leg, the convert step, the received leg
				t.Errorf("%d ledger steps of the conversion, want 3", steps)
			}
			if a, b := withoutProvenance(t, outputs[0]), withoutProvenance(t, outputs[1]); !bytes.Equal(a, b) {
				t.Error("the warm run wrote another trace.json")
			}
			if requests[1] > 2 {
				t.Errorf("warm run sent %d requests, want at most the head and chain id", requests[1])
			}
			t.Logf("%s: cold %d requests, warm %d", tc.rule, requests[0], requests[1])
			if tc.rule == trace.FIFO {
				checkSwapLetter(t, dir, sc)
			}
		})
	}
}

// checkSwapLetter writes the report of the fifo trace and checks that the
// exchange's letter shows the path through the swap: the USDT leg, the
// swap with its rounding, and the amount in ETH with its worth in USDT.
func checkSwapLetter(t *testing.T, dir string, sc *swapCase) {
	t.Helper()
	out := filepath.Join(dir, "report")
	o := reportOptions{Trace: filepath.Join(dir, "out", "trace.json"), Case: goldenCase(t), Out: out, Formats: []report.Format{report.FormatMarkdown, report.FormatCSV}}
	var w, stderr bytes.Buffer
	if err := runReport(context.Background(), o, &w, &stderr); err != nil {
		t.Fatalf("report: %v\n%s", err, stderr.String())
	}
	letter, err := os.ReadFile(filepath.Join(out, "exchange-binance", "letter.md"))
	if os.Getenv("SWAP_SUMMARY") != "" {
		t.Log(string(letter))
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{sc.swapTxHex(), "1.00 ETH (1000000000000000000 base units)", "worth 2,026.018054 USDT", "floor(4935790171985306494 × 6000000000 / 10000000000) = 2961474103191183896"} {
		if !strings.Contains(string(letter), want) {
			t.Errorf("the exchange's letter lacks %q", want)
		}
	}
	conv, err := os.ReadFile(filepath.Join(out, "case", "conversions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(conv), "4935790171985306494") {
		t.Errorf("conversions.csv lacks the received amount:\n%s", conv)
	}
}

func (sc *swapCase) swapTxHex() string { return chains.TxHash(sc.swapTx).String() }
