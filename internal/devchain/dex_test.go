package devchain_test

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"

	"freezetrace/fixtures/contracts"
	"freezetrace/internal/devchain"
)

// Mainnet's event signatures; topic0 is their keccak256.
const (
	sigTransfer    = "Transfer(address,address,uint256)"
	sigDeposit     = "Deposit(address,uint256)"
	sigWithdrawal  = "Withdrawal(address,uint256)"
	sigSwap        = "Swap(address,uint256,uint256,uint256,uint256,address)"
	sigSync        = "Sync(uint112,uint112)"
	sigMint        = "Mint(address,uint256,uint256)"
	sigPairCreated = "PairCreated(address,address,address,uint256)"
)

// uniAmountOut is Uniswap V2's getAmountOut, by hand: the output of a swap of
// in against reserves rIn and rOut after the 0.3% fee.
func uniAmountOut(in, rIn, rOut *big.Int) *big.Int {
	inWithFee := new(big.Int).Mul(in, big.NewInt(997))
	num := new(big.Int).Mul(inWithFee, rOut)
	den := new(big.Int).Add(new(big.Int).Mul(rIn, big.NewInt(1000)), inWithFee)
	return num.Div(num, den)
}

func dexUnits(n int64, decimals int) *big.Int {
	return new(big.Int).Mul(big.NewInt(n), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
}

func dexAdd(a, b *big.Int) *big.Int { return new(big.Int).Add(a, b) }
func dexSub(a, b *big.Int) *big.Int { return new(big.Int).Sub(a, b) }

// wantLog is an expected log: emitter, event signature, indexed
// arguments (addresses) and data words.
type wantLog struct {
	addr    common.Address
	sig     string
	indexed []common.Address
	data    []*big.Int
}

func (w wantLog) String() string {
	return fmt.Sprintf("%s %s %v %v", w.addr.Hex(), w.sig, w.indexed, w.data)
}

func (w wantLog) matches(l *types.Log) bool {
	topics := []common.Hash{crypto.Keccak256Hash([]byte(w.sig))}
	for _, a := range w.indexed {
		topics = append(topics, common.BytesToHash(a.Bytes()))
	}
	var data []byte
	for _, v := range w.data {
		data = append(data, common.LeftPadBytes(v.Bytes(), 32)...)
	}
	if l.Address != w.addr || len(l.Topics) != len(topics) || !bytes.Equal(l.Data, data) {
		return false
	}
	for i := range topics {
		if l.Topics[i] != topics[i] {
			return false
		}
	}
	return true
}

func addrWord(a common.Address) *big.Int { return new(big.Int).SetBytes(a.Bytes()) }

// traceFrame is a frame of go-ethereum's callTracer.
type traceFrame struct {
	Type  string         `json:"type"`
	From  common.Address `json:"from"`
	To    common.Address `json:"to"`
	Value *hexutil.Big   `json:"value"`
	Error string         `json:"error"`
	Calls []traceFrame   `json:"calls"`
}

// etherMove is an ether payment a call trace shows.
type etherMove struct {
	from, to common.Address
	wei      string
}

// etherMoves lists the ether payments of a trace in call order, the top-level
// one included, skipping reverted frames (and what they hold) and calls
// that cannot carry value.
func etherMoves(f traceFrame) []etherMove {
	if f.Error != "" || f.Type == "DELEGATECALL" || f.Type == "STATICCALL" {
		return nil
	}
	var out []etherMove
	if f.Value != nil && f.Value.ToInt().Sign() > 0 {
		out = append(out, etherMove{f.From, f.To, f.Value.ToInt().String()})
	}
	for _, c := range f.Calls {
		out = append(out, etherMoves(c)...)
	}
	return out
}

// Actors of the DEX test.
const (
	dexDeployer = "dex-deployer"
	dexIssuer   = "dex-issuer"
	dexLP       = "dex-lp"
	dexTrader   = "dex-trader"
)

// dexRPC reads the chain over HTTP, as freezetrace reaches a node.
type dexRPC struct {
	t     *testing.T
	ctx   context.Context
	rpc   *ethclient.Client
	erc20 abi.ABI
}

// txLogs are the logs of transaction tx of block, from eth_getLogs over
// the block, and must equal the receipt's.
func (r dexRPC) txLogs(block common.Hash, tx common.Hash) []types.Log {
	r.t.Helper()
	all, err := r.rpc.FilterLogs(r.ctx, ethereum.FilterQuery{BlockHash: &block})
	if err != nil {
		r.t.Fatal(err)
	}
	var logs []types.Log
	for _, l := range all {
		if l.TxHash == tx {
			logs = append(logs, l)
		}
	}
	rc, err := r.rpc.TransactionReceipt(r.ctx, tx)
	if err != nil {
		r.t.Fatal(err)
	}
	if rc.Status != types.ReceiptStatusSuccessful || len(rc.Logs) != len(logs) {
		r.t.Fatalf("receipt of %s: status %d, %d logs; eth_getLogs gives %d", tx.Hex(), rc.Status, len(rc.Logs), len(logs))
	}
	for i, l := range rc.Logs {
		if l.Index != logs[i].Index || l.Address != logs[i].Address || !bytes.Equal(l.Data, logs[i].Data) {
			r.t.Fatalf("receipt log %d differs from eth_getLogs'", i)
		}
	}
	return logs
}

// checkLogs fails unless logs are want, in order.
func (r dexRPC) checkLogs(logs []types.Log, want []wantLog) {
	r.t.Helper()
	ok := len(logs) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = want[i].matches(&logs[i])
	}
	if ok {
		return
	}
	var got, wanted []string
	for _, l := range logs {
		got = append(got, fmt.Sprintf("%s topics %v data %x", l.Address.Hex(), l.Topics, l.Data))
	}
	for _, w := range want {
		wanted = append(wanted, w.String())
	}
	r.t.Errorf("logs\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(wanted, "\n  "))
}

// trace is debug_traceTransaction with the callTracer.
func (r dexRPC) trace(tx common.Hash) traceFrame {
	r.t.Helper()
	var f traceFrame
	if err := r.rpc.Client().CallContext(r.ctx, &f, "debug_traceTransaction", tx, map[string]any{"tracer": "callTracer"}); err != nil {
		r.t.Fatal(err)
	}
	return f
}

// blockTrace is debug_traceBlockByNumber with the callTracer: each
// transaction's top frame, by hash.
func (r dexRPC) blockTrace(n *big.Int) map[common.Hash]traceFrame {
	r.t.Helper()
	var res []struct {
		TxHash common.Hash `json:"txHash"`
		Result traceFrame  `json:"result"`
	}
	if err := r.rpc.Client().CallContext(r.ctx, &res, "debug_traceBlockByNumber", hexutil.EncodeBig(n), map[string]any{"tracer": "callTracer"}); err != nil {
		r.t.Fatal(err)
	}
	out := map[common.Hash]traceFrame{}
	for _, x := range res {
		out[x.TxHash] = x.Result
	}
	return out
}

// balanceOf is token.balanceOf(who) at block (nil for the head).
func (r dexRPC) balanceOf(token, who common.Address, block *big.Int) *big.Int {
	r.t.Helper()
	data, err := r.erc20.Pack("balanceOf", who)
	if err != nil {
		r.t.Fatal(err)
	}
	out, err := r.rpc.CallContract(r.ctx, ethereum.CallMsg{To: &token, Data: data}, block)
	if err != nil {
		r.t.Fatal(err)
	}
	return new(big.Int).SetBytes(out)
}

// fees is what who paid in gas in block.
func (r dexRPC) fees(block *big.Int, who common.Address) *big.Int {
	r.t.Helper()
	b, err := r.rpc.BlockByNumber(r.ctx, block)
	if err != nil {
		r.t.Fatal(err)
	}
	sum := new(big.Int)
	for _, tx := range b.Transactions() {
		from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
		if err != nil {
			r.t.Fatal(err)
		}
		if from != who {
			continue
		}
		rc, err := r.rpc.TransactionReceipt(r.ctx, tx.Hash())
		if err != nil {
			r.t.Fatal(err)
		}
		sum.Add(sum, new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), rc.EffectiveGasPrice))
	}
	return sum
}

// swapSides orders a swap's amounts as the pair's Swap event does: in is
// paid in tokenIn, out is paid out in the other token; token0 is the lower
// address.
func swapSides(tokenIn, tokenOut common.Address, in, out *big.Int) []*big.Int {
	zero := new(big.Int)
	if tokenIn.Cmp(tokenOut) < 0 {
		return []*big.Int{in, zero, zero, out} // amount0In, amount1In, amount0Out, amount1Out
	}
	return []*big.Int{zero, in, out, zero}
}

// syncLog is a pair's Sync event for reserves ra of tokenA and rb of tokenB.
func syncLog(pair, tokenA, tokenB common.Address, ra, rb *big.Int) wantLog {
	if tokenA.Cmp(tokenB) > 0 {
		ra, rb = rb, ra
	}
	return wantLog{pair, sigSync, nil, []*big.Int{ra, rb}}
}

// TestDEXSwaps deploys WETH9, the Uniswap V2 factory and router, a USDT
// (TetherToken) and a DAI (Token), pools each against 500 ETH, and swaps
// as a trader: 10,000 USDT for ETH, 5,000 USDT for DAI through WETH, and
// 1 ETH for USDT. Each swap is read back over JSON-RPC as a tracer would
// (eth_getLogs, receipts, callTracer traces, balances at blocks), and
// every amount is checked against the constant-product formula worked by
// hand here.
func TestDEXSwaps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ether := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(params.Ether)) }
	addr := func(n string) common.Address { return crypto.PubkeyToAddress(devchain.Key(n).PublicKey) }
	alloc := types.GenesisAlloc{}
	for _, n := range []string{dexDeployer, dexIssuer, dexLP, dexTrader} {
		alloc[addr(n)] = types.Account{Balance: ether(10_000)}
	}
	c, err := devchain.Start(devchain.Config{Alloc: alloc})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client, err := ethclient.DialContext(ctx, c.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	tk, err := contracts.Token()
	if err != nil {
		t.Fatal(err)
	}
	erc20, err := abi.JSON(strings.NewReader(tk.ABI))
	if err != nil {
		t.Fatal(err)
	}
	r := dexRPC{t: t, ctx: ctx, rpc: client, erc20: erc20}

	dex, err := devchain.DeployDEX(ctx, c, devchain.Key(dexDeployer))
	if err != nil {
		t.Fatal(err)
	}
	issuer, lp, trader := devchain.Key(dexIssuer), addr(dexLP), addr(dexTrader)
	usdt, err := c.DeployToken(ctx, issuer, devchain.Tether, "Tether USD", "USDT", 6)
	if err != nil {
		t.Fatal(err)
	}
	dai, err := c.DeployToken(ctx, issuer, devchain.Plain, "Dai Stablecoin", "DAI", 18)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		token, to common.Address
		amount    *big.Int
	}{{usdt, lp, dexUnits(1_000_000, 6)}, {dai, lp, dexUnits(1_000_000, 18)}, {usdt, trader, dexUnits(20_000, 6)}} {
		if err := c.Mint(ctx, issuer, m.token, m.to, m.amount); err != nil {
			t.Fatal(err)
		}
	}

	// The pools, and their reserves as worked by hand from here on.
	rUSDT, rWETH1 := dexUnits(1_000_000, 6), ether(500) // USDT/WETH
	rDAI, rWETH2 := dexUnits(1_000_000, 18), ether(500) // DAI/WETH
	usdtPair, err := dex.AddLiquidityETH(ctx, devchain.Key(dexLP), usdt, rUSDT, rWETH1)
	if err != nil {
		t.Fatal(err)
	}
	poolBlock := c.Head()
	daiPair, err := dex.AddLiquidityETH(ctx, devchain.Key(dexLP), dai, rDAI, rWETH2)
	if err != nil {
		t.Fatal(err)
	}
	reserves := func(t *testing.T) {
		t.Helper()
		for _, p := range []struct {
			token       common.Address
			rTok, rWETH *big.Int
		}{{usdt, rUSDT, rWETH1}, {dai, rDAI, rWETH2}} {
			a, b, err := dex.Reserves(ctx, p.token, dex.WETH)
			if err != nil {
				t.Fatal(err)
			}
			if a.Cmp(p.rTok) != 0 || b.Cmp(p.rWETH) != 0 {
				t.Errorf("reserves of %s/WETH: %v/%v, want %v/%v", p.token.Hex(), a, b, p.rTok, p.rWETH)
			}
		}
		// Nothing stays with the router.
		if w := r.balanceOf(dex.WETH, dex.Router, nil); w.Sign() != 0 {
			t.Errorf("router holds %v WETH, want 0", w)
		}
		if e, err := client.BalanceAt(ctx, dex.Router, nil); err != nil || e.Sign() != 0 {
			t.Errorf("router holds %v wei (%v), want 0", e, err)
		}
	}

	t.Run("Pool", func(t *testing.T) {
		r := r
		r.t = t
		if usdtPair == daiPair || usdtPair == (common.Address{}) {
			t.Fatalf("pairs %s and %s", usdtPair.Hex(), daiPair.Hex())
		}
		block := new(big.Int).SetUint64(poolBlock)
		logs, err := client.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: block, ToBlock: block, Addresses: []common.Address{dex.Factory}})
		if err != nil {
			t.Fatal(err)
		}
		t0, t1 := usdt, dex.WETH
		if t0.Cmp(t1) > 0 {
			t0, t1 = t1, t0
		}
		r.checkLogs(logs, []wantLog{{dex.Factory, sigPairCreated, []common.Address{t0, t1}, []*big.Int{addrWord(usdtPair), big.NewInt(1)}}})
		if len(logs) != 1 {
			t.FailNow()
		}
		// The router creates the pair in addLiquidityETH. The first deposit
		// mints sqrt(x*y) liquidity, less the 1,000 locked at address(0),
		// and the events come as on mainnet: PairCreated, the tokens in,
		// the WETH deposit and transfer in, the LP tokens out, Sync, Mint.
		liquidity := new(big.Int).Sqrt(new(big.Int).Mul(rUSDT, rWETH1))
		liquidity.Sub(liquidity, big.NewInt(1000))
		r.checkLogs(r.txLogs(logs[0].BlockHash, logs[0].TxHash), []wantLog{
			{dex.Factory, sigPairCreated, []common.Address{t0, t1}, []*big.Int{addrWord(usdtPair), big.NewInt(1)}},
			{usdt, sigTransfer, []common.Address{lp, usdtPair}, []*big.Int{rUSDT}},
			{dex.WETH, sigDeposit, []common.Address{dex.Router}, []*big.Int{rWETH1}},
			{dex.WETH, sigTransfer, []common.Address{dex.Router, usdtPair}, []*big.Int{rWETH1}},
			{usdtPair, sigTransfer, []common.Address{{}, {}}, []*big.Int{big.NewInt(1000)}},
			{usdtPair, sigTransfer, []common.Address{{}, lp}, []*big.Int{liquidity}},
			syncLog(usdtPair, usdt, dex.WETH, rUSDT, rWETH1),
			{usdtPair, sigMint, []common.Address{dex.Router}, pairOrder(usdt, dex.WETH, rUSDT, rWETH1)},
		})
		if got := r.balanceOf(usdtPair, lp, nil); got.Cmp(liquidity) != 0 {
			t.Errorf("LP tokens of the provider: %v, want %v", got, liquidity)
		}
		reserves(t)
	})

	t.Run("TokensForETH", func(t *testing.T) {
		r := r
		r.t = t
		in := dexUnits(10_000, 6)
		out := uniAmountOut(in, rUSDT, rWETH1)
		if got, err := dex.AmountsOut(ctx, in, []common.Address{usdt, dex.WETH}); err != nil || len(got) != 2 || got[1].Cmp(out) != 0 {
			t.Fatalf("getAmountsOut: %v (%v), want [%v %v]", got, err, in, out)
		}
		rc, err := dex.SwapExactTokensForETH(ctx, devchain.Key(dexTrader), in, out, []common.Address{usdt, dex.WETH}, trader)
		if err != nil {
			t.Fatal(err)
		}
		rUSDT, rWETH1 = dexAdd(rUSDT, in), dexSub(rWETH1, out)
		r.checkLogs(r.txLogs(rc.BlockHash, rc.TxHash), []wantLog{
			{usdt, sigTransfer, []common.Address{trader, usdtPair}, []*big.Int{in}},
			{dex.WETH, sigTransfer, []common.Address{usdtPair, dex.Router}, []*big.Int{out}},
			syncLog(usdtPair, usdt, dex.WETH, rUSDT, rWETH1),
			{usdtPair, sigSwap, []common.Address{dex.Router, dex.Router}, swapSides(usdt, dex.WETH, in, out)},
			{dex.WETH, sigWithdrawal, []common.Address{dex.Router}, []*big.Int{out}},
		})
		// The ether reaches the trader only by internal calls: WETH pays
		// the router, the router pays the trader.
		want := []etherMove{{dex.WETH, dex.Router, out.String()}, {dex.Router, trader, out.String()}}
		tx := r.trace(rc.TxHash)
		if got := etherMoves(tx); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("debug_traceTransaction ether moves %v, want %v", got, want)
		}
		if tx.From != trader || tx.To != dex.Router || (tx.Value != nil && tx.Value.ToInt().Sign() != 0) {
			t.Errorf("top frame %s→%s value %v, want trader→router with none", tx.From.Hex(), tx.To.Hex(), tx.Value)
		}
		block := r.blockTrace(rc.BlockNumber)
		if len(block) != 2 { // the approval and the swap
			t.Errorf("debug_traceBlockByNumber: %d transactions, want 2", len(block))
		}
		if got := etherMoves(block[rc.TxHash]); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("debug_traceBlockByNumber ether moves %v, want %v", got, want)
		}
		// The trader's ether rose by out, less the gas of the approval
		// and the swap; its USDT fell by in.
		before := dexSub(rc.BlockNumber, big.NewInt(1))
		b0, err := client.BalanceAt(ctx, trader, before)
		if err != nil {
			t.Fatal(err)
		}
		b1, err := client.BalanceAt(ctx, trader, rc.BlockNumber)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := dexSub(b1, b0), dexSub(out, r.fees(rc.BlockNumber, trader)); got.Cmp(want) != 0 {
			t.Errorf("trader's ether changed by %v, want %v (out %v less gas)", got, want, out)
		}
		if got := dexSub(r.balanceOf(usdt, trader, before), r.balanceOf(usdt, trader, rc.BlockNumber)); got.Cmp(in) != 0 {
			t.Errorf("trader's USDT fell by %v, want %v", got, in)
		}
		reserves(t)
	})

	t.Run("TwoHop", func(t *testing.T) {
		r := r
		r.t = t
		in := dexUnits(5_000, 6)
		mid := uniAmountOut(in, rUSDT, rWETH1)
		out := uniAmountOut(mid, rWETH2, rDAI)
		path := []common.Address{usdt, dex.WETH, dai}
		if got, err := dex.AmountsOut(ctx, in, path); err != nil || fmt.Sprint(got) != fmt.Sprint([]*big.Int{in, mid, out}) {
			t.Fatalf("getAmountsOut: %v (%v), want [%v %v %v]", got, err, in, mid, out)
		}
		daiBefore := r.balanceOf(dai, trader, nil)
		rc, err := dex.SwapExactTokensForTokens(ctx, devchain.Key(dexTrader), in, out, path, trader)
		if err != nil {
			t.Fatal(err)
		}
		rUSDT, rWETH1 = dexAdd(rUSDT, in), dexSub(rWETH1, mid)
		rWETH2, rDAI = dexAdd(rWETH2, mid), dexSub(rDAI, out)
		// The first pair pays the WETH straight to the second.
		logs := r.txLogs(rc.BlockHash, rc.TxHash)
		r.checkLogs(logs, []wantLog{
			{usdt, sigTransfer, []common.Address{trader, usdtPair}, []*big.Int{in}},
			{dex.WETH, sigTransfer, []common.Address{usdtPair, daiPair}, []*big.Int{mid}},
			syncLog(usdtPair, usdt, dex.WETH, rUSDT, rWETH1),
			{usdtPair, sigSwap, []common.Address{dex.Router, daiPair}, swapSides(usdt, dex.WETH, in, mid)},
			{dai, sigTransfer, []common.Address{daiPair, trader}, []*big.Int{out}},
			syncLog(daiPair, dai, dex.WETH, rDAI, rWETH2),
			{daiPair, sigSwap, []common.Address{dex.Router, trader}, swapSides(dex.WETH, dai, mid, out)},
		})
		swaps := 0
		for _, l := range logs {
			if l.Topics[0] == crypto.Keccak256Hash([]byte(sigSwap)) {
				swaps++
			}
		}
		if swaps != 2 {
			t.Errorf("%d Swap events in the transaction, want 2", swaps)
		}
		if got := etherMoves(r.trace(rc.TxHash)); len(got) != 0 {
			t.Errorf("ether moves %v, want none", got)
		}
		if got := dexSub(r.balanceOf(dai, trader, nil), daiBefore); got.Cmp(out) != 0 {
			t.Errorf("trader's DAI rose by %v, want %v", got, out)
		}
		reserves(t)
	})

	t.Run("ETHForTokens", func(t *testing.T) {
		r := r
		r.t = t
		in := ether(1)
		out := uniAmountOut(in, rWETH1, rUSDT)
		usdtBefore := r.balanceOf(usdt, trader, nil)
		rc, err := dex.SwapExactETHForTokens(ctx, devchain.Key(dexTrader), in, out, []common.Address{dex.WETH, usdt}, trader)
		if err != nil {
			t.Fatal(err)
		}
		rWETH1, rUSDT = dexAdd(rWETH1, in), dexSub(rUSDT, out)
		r.checkLogs(r.txLogs(rc.BlockHash, rc.TxHash), []wantLog{
			{dex.WETH, sigDeposit, []common.Address{dex.Router}, []*big.Int{in}},
			{dex.WETH, sigTransfer, []common.Address{dex.Router, usdtPair}, []*big.Int{in}},
			{usdt, sigTransfer, []common.Address{usdtPair, trader}, []*big.Int{out}},
			syncLog(usdtPair, usdt, dex.WETH, rUSDT, rWETH1),
			{usdtPair, sigSwap, []common.Address{dex.Router, trader}, swapSides(dex.WETH, usdt, in, out)},
		})
		want := []etherMove{{trader, dex.Router, in.String()}, {dex.Router, dex.WETH, in.String()}}
		if got := etherMoves(r.trace(rc.TxHash)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ether moves %v, want %v", got, want)
		}
		if got := dexSub(r.balanceOf(usdt, trader, nil), usdtBefore); got.Cmp(out) != 0 {
			t.Errorf("trader's USDT rose by %v, want %v", got, out)
		}
		reserves(t)
	})
}

// pairOrder orders amounts of tokenA and tokenB as the pair's token0, token1.
func pairOrder(tokenA, tokenB common.Address, a, b *big.Int) []*big.Int {
	if tokenA.Cmp(tokenB) > 0 {
		return []*big.Int{b, a}
	}
	return []*big.Int{a, b}
}
