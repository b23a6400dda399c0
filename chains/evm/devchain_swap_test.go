package evm_test

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/fixtures/contracts"
	"freezetrace/internal/devchain"
)

// Actors of the swap tests.
const (
	swapDeployer = "swap-deployer"
	swapIssuer   = "swap-issuer"
	swapLP       = "swap-lp"
	swapTrader   = "swap-trader"
	swapHolder   = "swap-holder" // wraps ether at WETH directly
	swapFriend   = "swap-friend" // receives WETH from the holder
)

func actor(n string) common.Address { return crypto.PubkeyToAddress(devchain.Key(n).PublicKey) }

func evmAddr(a common.Address) chains.Address { return chains.NewAddress(chains.FamilyEVM, a) }

func ether(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(params.Ether)) }

// swapChain is a dev chain with Uniswap V2, a USDT/WETH pool of 1,000,000
// USDT and 500 ETH, and 20,000 USDT at the trader; its eth_getLogs range
// is capped at 10 blocks.
func swapChain(t *testing.T) (*devchain.Chain, *devchain.DEX, common.Address) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	alloc := types.GenesisAlloc{}
	for _, n := range []string{swapDeployer, swapIssuer, swapLP, swapTrader, swapHolder} {
		alloc[actor(n)] = types.Account{Balance: ether(10_000)}
	}
	c, err := devchain.Start(devchain.Config{Alloc: alloc, RangeLimit: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	dex, err := devchain.DeployDEX(ctx, c, devchain.Key(swapDeployer))
	if err != nil {
		t.Fatal(err)
	}
	usdt, err := c.DeployToken(ctx, devchain.Key(swapIssuer), devchain.Tether, "Tether USD", "USDT", 6)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		to     string
		amount int64
	}{{swapLP, 1_000_000_000_000}, {swapTrader, 20_000_000_000}} {
		if err := c.Mint(ctx, devchain.Key(swapIssuer), usdt, actor(m.to), big.NewInt(m.amount)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := dex.AddLiquidityETH(ctx, devchain.Key(swapLP), usdt, big.NewInt(1_000_000_000_000), ether(500)); err != nil {
		t.Fatal(err)
	}
	return c, dex, usdt
}

// TestDevchainSwapEvents swaps 10,000 USDT for ETH through the router and
// reads the swap back: its events (the pair's Swap, WETH's Withdrawal) and
// its transfers, among them the trader's ether from the router, which
// only a call trace shows.
func TestDevchainSwapEvents(t *testing.T) {
	c, dex, usdt := swapChain(t)
	ctx := context.Background()
	trader := actor(swapTrader)
	in := big.NewInt(10_000_000_000)
	amounts, err := dex.AmountsOut(ctx, in, []common.Address{usdt, dex.WETH})
	if err != nil {
		t.Fatal(err)
	}
	out := amounts[1]
	rc, err := dex.SwapExactTokensForETH(ctx, devchain.Key(swapTrader), in, out, []common.Address{usdt, dex.WETH}, trader)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := dex.Pair(ctx, usdt, dex.WETH)
	if err != nil {
		t.Fatal(err)
	}
	src := dial(t, c.URL, evm.Options{Wrappers: []chains.Address{evmAddr(dex.WETH)}})
	tx := chains.TxHash(rc.TxHash)

	t.Run("TxEvents", func(t *testing.T) {
		got, err := src.TxEvents(ctx, chains.Ethereum, tx)
		if err != nil {
			t.Fatal(err)
		}
		// The receipt's logs: USDT in, WETH out of the pair, Sync, Swap, Withdrawal.
		want := []chains.TxEvent{
			{Chain: chains.Ethereum, Tx: tx, Block: rc.BlockNumber.Uint64(), Position: uint32(rc.Logs[3].Index), Contract: evmAddr(pair), Kind: chains.EventUniswapV2Swap},
			{Chain: chains.Ethereum, Tx: tx, Block: rc.BlockNumber.Uint64(), Position: uint32(rc.Logs[4].Index), Contract: evmAddr(dex.WETH), Kind: chains.EventUnwrap},
		}
		if len(got) != len(want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("event %d: got %+v, want %+v", i, got[i], want[i])
			}
		}
	})

	t.Run("TxTransfers", func(t *testing.T) {
		got, err := src.TxTransfers(ctx, chains.Ethereum, tx)
		if err != nil {
			t.Fatal(err)
		}
		ethIn, unwrapped := false, false
		for _, tr := range got {
			if tr.Asset.IsNative() && tr.From == evmAddr(dex.Router) && tr.To == evmAddr(trader) && tr.Amount.Cmp(amount(out)) == 0 {
				ethIn = true
			}
			if tr.Asset.Contract == evmAddr(dex.WETH) && tr.From == evmAddr(dex.Router) && tr.To == evmAddr(dex.WETH) &&
				tr.Amount.Cmp(amount(out)) == 0 && tr.Position == uint32(rc.Logs[4].Index) {
				unwrapped = true
			}
		}
		if !ethIn {
			t.Errorf("no %s wei from the router to the trader in %s", out, show(got))
		}
		if !unwrapped {
			t.Errorf("no WETH withdrawal by the router (router→WETH) in %s", show(got))
		}
	})
}

func amount(v *big.Int) chains.Amount {
	a, err := chains.AmountFromBig(v)
	if err != nil {
		panic(err)
	}
	return a
}

// TestDevchainWrapLedger: an EOA wraps 3 ETH at WETH directly, sends 1
// WETH on and unwraps 0.5. WETH logs no Transfer for the deposit or the
// withdrawal, yet the holder's WETH ledger has all three, and adds up to
// balanceOf.
func TestDevchainWrapLedger(t *testing.T) {
	c, dex, _ := swapChain(t)
	ctx := context.Background()
	weth, err := contracts.WETH9()
	if err != nil {
		t.Fatal(err)
	}
	wethABI, err := abi.JSON(strings.NewReader(weth.ABI))
	if err != nil {
		t.Fatal(err)
	}
	holder, friend := actor(swapHolder), actor(swapFriend)
	send := func(value *big.Int, method string, args ...any) *types.Receipt {
		t.Helper()
		data, err := wethABI.Pack(method, args...)
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.Send(ctx, devchain.Key(swapHolder), &dex.WETH, value, data, 200_000)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.MineAll(1); err != nil {
			t.Fatal(err)
		}
		rc, err := c.Receipt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}
	half := new(big.Int).Div(ether(1), big.NewInt(2))
	// Empty blocks between the three, so that the ledger's eth_getLogs
	// queries span several windows of the 10-block cap.
	gap := func() {
		t.Helper()
		if err := c.Wait(12, 12*12*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	deposit := send(ether(3), "deposit")
	gap()
	send(nil, "transfer", friend, ether(1))
	gap()
	withdrawal := send(nil, "withdraw", half)

	src := dial(t, c.URL, evm.Options{Wrappers: []chains.Address{evmAddr(dex.WETH)}})
	asset := chains.AssetID{Chain: chains.Ethereum, Contract: evmAddr(dex.WETH)}

	t.Run("TxTransfers", func(t *testing.T) {
		got, err := src.TxTransfers(ctx, chains.Ethereum, chains.TxHash(deposit.TxHash))
		if err != nil {
			t.Fatal(err)
		}
		want := []chains.Transfer{
			{From: evmAddr(holder), To: evmAddr(dex.WETH), Asset: chains.NativeAsset(chains.Ethereum), Amount: amount(ether(3))},
			{From: evmAddr(dex.WETH), To: evmAddr(holder), Asset: asset, Amount: amount(ether(3)), Position: uint32(deposit.Logs[0].Index)},
		}
		if len(got) != len(want) {
			t.Fatalf("got %s, want the ether in and the WETH out", show(got))
		}
		for _, w := range want {
			found := false
			for _, g := range got {
				found = found || (g.From == w.From && g.To == w.To && g.Asset == w.Asset && g.Amount.Cmp(w.Amount) == 0 &&
					(w.Asset.IsNative() || g.Position == w.Position))
			}
			if !found {
				t.Errorf("no %s %s→%s %s in %s", w.Asset, w.From, w.To, w.Amount, show(got))
			}
		}
	})

	t.Run("Ledger", func(t *testing.T) {
		got, err := src.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: evmAddr(holder), Asset: asset, From: 0, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			from, to common.Address
			wei      *big.Int
		}{{dex.WETH, holder, ether(3)}, {holder, friend, ether(1)}, {holder, dex.WETH, half}}
		if len(got) != len(want) {
			t.Fatalf("got %s, want the deposit, the transfer and the withdrawal", show(got))
		}
		for i, w := range want {
			if g := got[i]; g.From != evmAddr(w.from) || g.To != evmAddr(w.to) || g.Amount.Cmp(amount(w.wei)) != 0 || g.Time.IsZero() {
				t.Errorf("transfer %d: got %s, want %s→%s %s", i, show(got[i:i+1]), w.from.Hex(), w.to.Hex(), w.wei)
			}
		}
		if got[2].Tx != chains.TxHash(withdrawal.TxHash) || got[2].Position != uint32(withdrawal.Logs[0].Index) {
			t.Errorf("withdrawal at %s/%d, want %s/%d", got[2].Tx, got[2].Position, withdrawal.TxHash.Hex(), withdrawal.Logs[0].Index)
		}
		balance := chains.NewAmount(0)
		for _, tr := range got {
			if tr.To == evmAddr(holder) {
				balance = balance.Add(tr.Amount)
			} else {
				balance, _ = balance.Sub(tr.Amount)
			}
		}
		onchain, err := src.Balance(ctx, chains.Ethereum, evmAddr(holder), asset, c.Head())
		if err != nil {
			t.Fatal(err)
		}
		if balance.Cmp(onchain) != 0 || onchain.Cmp(amount(new(big.Int).Add(ether(1), half))) != 0 {
			t.Errorf("ledger balance %s, balanceOf %s, want both 1.5 ETH", balance, onchain)
		}
		// The friend's ledger is a plain Transfer-to query.
		fr, err := src.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: evmAddr(friend), Asset: asset, From: 0, To: chains.Latest})
		if err != nil || len(fr) != 1 || fr[0].From != evmAddr(holder) {
			t.Errorf("friend's WETH ledger: %s %v", show(fr), err)
		}
	})
}
