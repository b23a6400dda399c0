package emulate

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
	"freezetrace/chains/evm"
)

func dialEVM(t *testing.T, url string, o evm.Options) *evm.Source {
	t.Helper()
	src, err := evm.Dial(context.Background(), url, chains.Ethereum, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return src
}

func sameTransfers(t *testing.T, what string, got, want []chains.Transfer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d transfers, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s: transfer %d\ngot  %+v\nwant %+v", what, i, got[i], want[i])
		}
	}
}

func TestEVMSourceTransfers(t *testing.T) {
	d := dataset()
	ctx := context.Background()
	type query struct {
		name     string
		addr     common.Address
		from, to uint64
	}
	queries := []query{
		{"collection", d.Collections[0], d.First, d.Last},
		{"pool", d.Pools[0], d.First, d.Last},
		{"deposit", d.Deposits[1], d.First, d.Last},
		{"victim", d.Victims[0], d.First, d.Last},
		{"hot wallet, 4,000 blocks", d.HotWallet, d.First + 20_000, d.First + 24_000},
	}
	for _, tc := range []struct {
		name string
		b    LogLimit
		max  uint64
	}{
		{"Unlimited", Unlimited, 0},
		{"Infura", Infura, 100_000},
		{"Cap2000", Cap2000, 100_000},
		{"Cap2000Strict", Cap2000Strict, 100_000},
		{"Cap10000", Cap10000, 100_000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, url := startRPC(t, Behaviour{Logs: tc.b})
			src := dialEVM(t, url, evm.Options{MaxRange: tc.max})
			for _, q := range queries {
				got, err := src.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: ChainAddress(q.addr),
					Asset: chains.USDTEthereum, From: q.from, To: q.to})
				if err != nil {
					t.Fatalf("%s: %v", q.name, err)
				}
				sameTransfers(t, q.name, got, d.TransfersOf(ChainAddress(q.addr), q.from, q.to))
			}
			t.Logf("%d calls in %d requests: %v", r.Total(), r.Requests(), r.Counts())
		})
	}
}

// TestEVMSourceResultCap reads the whole history of the hot wallet, more
// than 10,000 inflows, through providers that cap the results.
func TestEVMSourceResultCap(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 12,000 transfers")
	}
	d := dataset()
	addr := ChainAddress(d.HotWallet)
	want := d.TransfersOf(addr, d.First, d.Last)
	for _, b := range []LogLimit{Infura, Cap2000} {
		t.Run(map[LogLimit]string{Infura: "Infura", Cap2000: "Cap2000"}[b], func(t *testing.T) {
			t.Parallel()
			r, url := startRPC(t, Behaviour{Logs: b})
			src := dialEVM(t, url, evm.Options{MaxRange: 100_000})
			got, err := src.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: addr,
				Asset: chains.USDTEthereum, From: d.First, To: d.Last})
			if err != nil {
				t.Fatal(err)
			}
			sameTransfers(t, "hot wallet", got, want)
			t.Logf("%d transfers; %d calls in %d requests: %v", len(got), r.Total(), r.Requests(), r.Counts())
		})
	}
}

func TestEVMSourceState(t *testing.T) {
	d := dataset()
	ctx := context.Background()
	_, url := startRPC(t, Behaviour{})
	src := dialEVM(t, url, evm.Options{})

	t.Run("Balance", func(t *testing.T) {
		for _, n := range []uint64{d.First + 5000, d.First + 20_000} {
			got, err := src.Balance(ctx, chains.Ethereum, ChainAddress(d.Pools[1]), chains.USDTEthereum, n)
			if err != nil {
				t.Fatal(err)
			}
			if got.Big().Cmp(d.Balance(d.Pools[1], n)) != 0 {
				t.Errorf("balance at %d: got %s, want %s", n, got, d.Balance(d.Pools[1], n))
			}
		}
	})
	t.Run("Asset", func(t *testing.T) {
		a, err := src.Asset(ctx, chains.USDTEthereum)
		if err != nil || a.Symbol != "USDT" || a.Decimals != 6 {
			t.Fatalf("asset: got %+v, %v", a, err)
		}
	})
	t.Run("IsContract", func(t *testing.T) {
		for a, want := range map[common.Address]bool{USDT: true, d.NFT: true, d.HotWallet: false, d.Pools[0]: false} {
			got, err := src.IsContract(ctx, chains.Ethereum, ChainAddress(a))
			if err != nil || got != want {
				t.Errorf("IsContract(%s): got %v, %v, want %v", a.Hex(), got, err, want)
			}
		}
	})
	t.Run("TxTransfers", func(t *testing.T) {
		h := d.VictimPayments[3]
		got, err := src.TxTransfers(ctx, chains.Ethereum, chains.TxHash(h))
		if err != nil {
			t.Fatal(err)
		}
		tx, _ := d.Tx(h)
		var want []chains.Transfer
		for _, tr := range d.TransfersOf(ChainAddress(tx.From), tx.Block, tx.Block) {
			if tr.Tx == chains.TxHash(h) {
				want = append(want, tr)
			}
		}
		sameTransfers(t, "victim payment", got, want)
	})
	t.Run("BlockAt", func(t *testing.T) {
		n := d.First + 1234
		got, err := src.BlockAt(ctx, chains.Ethereum, BlockTime(n).Add(-time.Second))
		if err != nil || got != n {
			t.Fatalf("block at: got %d, %v, want %d", got, err, n)
		}
	})
}

func TestEVMSourceRateLimited(t *testing.T) {
	d := dataset()
	r, url := startRPC(t, Behaviour{Rate: 5})
	src := dialEVM(t, url, evm.Options{MaxRange: 10_000})
	for _, a := range d.Collections[:4] {
		addr := ChainAddress(a)
		got, err := src.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: addr,
			Asset: chains.USDTEthereum, From: d.First, To: d.Last})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, "collection", got, d.TransfersOf(addr, d.First, d.Last))
	}
	if r.Limited() == 0 {
		t.Errorf("no request was refused at 20 a second (%d requests)", r.Requests())
	}
}
