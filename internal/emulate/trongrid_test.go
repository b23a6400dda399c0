package emulate

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/tron"
	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
)

// repoRoot is the repository root, seen from this package's directory.
var repoRoot = filepath.Join("..", "..")

func loadTron(t *testing.T) *TronDataset {
	t.Helper()
	d, err := LoadTronFixture(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// frozenTron is the TRON twin of the wallet the dev chain has the issuer
// freeze: of the fixture's scam wallets, the one left holding the most USDT.
func frozenTron(t *testing.T) chains.Address {
	t.Helper()
	fx, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	name := devchain.FrozenActor(fx)
	if name == "" {
		t.Fatal("the fixture has no wallet to freeze")
	}
	return fixtures.ToTron(fx.MustAddress(name))
}

func startTron(t *testing.T, d *TronDataset, o TronGridOptions) (*TronGrid, string) {
	t.Helper()
	g := NewTronGrid(d, o)
	srv, err := g.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return g, srv.URL
}

func tronSource(t *testing.T, url string, o tron.Options) *tron.Source {
	t.Helper()
	o.BaseURL = url
	if o.RateLimit == 0 {
		o.RateLimit = -1
	}
	s, err := tron.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTronFixture: the fixture's transfers at mainnet-like heights, the
// same transactions, amounts and times, and an export of them that is the
// fixture's file with the blocks moved.
func TestTronFixture(t *testing.T) {
	d := loadTron(t)
	raw, err := os.ReadFile(filepath.Join(repoRoot, TronFixture))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(d.Transfers), len(rows)-1; got != want || got != 31 {
		t.Fatalf("%d transfers, want the fixture's %d (31)", got, want)
	}
	for _, r := range rows[1:] {
		n, _ := strconv.ParseUint(r[1], 10, 64)
		r[1] = strconv.FormatUint(n+TronOffset, 10)
	}
	var want bytes.Buffer
	csv.NewWriter(&want).WriteAll(rows)
	var got bytes.Buffer
	if err := d.WriteTronscanCSV(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("export differs from the fixture with blocks +%d:\ngot:\n%s\nwant:\n%s", TronOffset, got.String(), want.String())
	}
	if last := d.Transfers[len(d.Transfers)-1].Block; d.Head != last+TronHeadGap || last != TronOffset+127 {
		t.Errorf("head %d, newest transfer in block %d; want %d and %d", d.Head, last, TronOffset+127+TronHeadGap, TronOffset+127)
	}
	for _, tr := range d.Transfers {
		if !d.BlockTime(tr.Block).Equal(tr.Time) {
			t.Errorf("block %d: time %s, the export says %s", tr.Block, d.BlockTime(tr.Block), tr.Time)
		}
	}
	// Block times rise by at least one 3 s slot, and genesis falls in
	// 2018, as TRON's did.
	prev := d.BlockTime(0)
	if prev.Year() != 2018 {
		t.Errorf("block 0 at %s, want a time in 2018", prev)
	}
	for _, n := range []uint64{1, TronOffset, TronOffset + 79, TronOffset + 80, TronOffset + 81, TronOffset + 100, d.Head, d.Latest()} {
		if bt := d.BlockTime(n); bt.Sub(prev) < 3*time.Second {
			t.Errorf("block %d at %s, less than 3 s after the block before the last checked (%s)", n, bt, prev)
		}
		prev = d.BlockTime(n)
	}
	stash := frozenTron(t)
	if got := d.Balance(chains.USDTTron.Contract, stash, d.Head); got.String() != "9000000000" {
		t.Errorf("the wallet to freeze holds %s USDT base units, want 9000000000", got)
	}
}

// TestTronSource reads the whole dataset through the tron adapter and
// checks it against an independent reading of the dataset's export.
func TestTronSource(t *testing.T) {
	d := loadTron(t)
	stash := frozenTron(t)
	g, url := startTron(t, d, TronGridOptions{})
	frozeIn := d.Transfers[len(d.Transfers)-1].Block + 10
	f, err := g.Freeze(chains.USDTTron.Contract, stash, frozeIn)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := d.WriteTronscanCSV(&buf); err != nil {
		t.Fatal(err)
	}
	exported, assets, err := tron.ReadTronscan(&buf, "export.csv", tron.ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	src := tronSource(t, url, tron.Options{})
	ctx := context.Background()
	head, err := src.Head(ctx, chains.Tron)
	if err != nil || head != d.Head {
		t.Fatalf("head %d, %v; want %d", head, err, d.Head)
	}
	t.Run("Transfers", func(t *testing.T) {
		for _, a := range assets {
			for addr := range d.byAddr {
				var want []chains.Transfer
				for _, tr := range exported {
					if tr.Asset == a.ID && (tr.From == addr || tr.To == addr) {
						want = append(want, tr)
					}
				}
				if len(want) == 0 {
					continue
				}
				got, err := src.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: addr, Asset: a.ID, From: 0, To: chains.Latest})
				if err != nil {
					t.Fatal(err)
				}
				sameTransfers(t, addr.String()+" "+a.Symbol, got, want)
			}
		}
		tr := d.Transfers[7]
		got, err := src.TxTransfers(ctx, chains.Tron, tr.Tx)
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], tr.Chain()) {
			t.Errorf("TxTransfers: %+v, %v; want %+v", got, err, tr.Chain())
		}
		n, err := src.BlockAt(ctx, chains.Tron, tr.Time)
		if err != nil || n != tr.Block {
			t.Errorf("BlockAt(%s): %d, %v; want %d", tr.Time, n, err, tr.Block)
		}
	})
	t.Run("Assets", func(t *testing.T) {
		for _, want := range append(assets, chains.Asset{ID: chains.USDCTron, Symbol: "USDC", Decimals: 6}) {
			got, err := src.Asset(ctx, want.ID)
			if err != nil || got != want {
				t.Errorf("Asset(%s): %+v, %v; want %+v", want.ID, got, err, want)
			}
			if ok, err := src.IsContract(ctx, chains.Tron, want.ID.Contract); err != nil || !ok {
				t.Errorf("IsContract(%s): %v, %v; want true", want.ID.Contract, ok, err)
			}
		}
		if ok, err := src.IsContract(ctx, chains.Tron, stash); err != nil || ok {
			t.Errorf("IsContract(%s): %v, %v; want false", stash, ok, err)
		}
	})
	t.Run("Balances", func(t *testing.T) {
		for addr := range d.byAddr {
			got, err := src.Balance(ctx, chains.Tron, addr, chains.USDTTron, head)
			if want := d.Balance(chains.USDTTron.Contract, addr, head); err != nil || got.Big().Cmp(want) != 0 {
				t.Errorf("Balance(%s): %s, %v; want %s", addr, got, err, want)
			}
		}
	})
	t.Run("Freeze", func(t *testing.T) {
		got, err := src.FreezeStatus(ctx, chains.USDTTron, stash, head, 0)
		want := chains.Freeze{Frozen: true, Issuer: "Tether", Block: head, Tx: f.Tx, TxBlock: frozeIn, TxTime: d.BlockTime(frozeIn)}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("frozen wallet: %+v, %v\nwant %+v", got, err, want)
		}
		other := d.Transfers[0].To
		got, err = src.FreezeStatus(ctx, chains.USDTTron, other, head, 0)
		if want := (chains.Freeze{Issuer: "Tether", Block: head}); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("other wallet: %+v, %v; want %+v", got, err, want)
		}
		got, err = src.FreezeStatus(ctx, chains.USDCTron, stash, head, 0)
		if want := (chains.Freeze{Issuer: "Circle", Block: head}); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("USDC: %+v, %v; want %+v", got, err, want)
		}
		if _, err := g.Freeze(chains.USDTTron.Contract, stash, frozeIn+1); err == nil {
			t.Error("froze a frozen wallet again")
		}
		for _, tok := range d.Tokens {
			if _, err := g.Freeze(tok.Address, stash, frozeIn); tok.Issuer == "" && err == nil {
				t.Errorf("froze %s, a token without an issuer", tok.Symbol)
			}
		}
	})
	t.Run("Destroy", func(t *testing.T) {
		at := frozeIn + 5
		if _, err := g.Destroy(chains.USDTTron.Contract, stash, at); err != nil {
			t.Fatal(err)
		}
		fresh := tronSource(t, url, tron.Options{})
		h, _ := fresh.Head(ctx, chains.Tron)
		got, err := fresh.FreezeStatus(ctx, chains.USDTTron, stash, h, frozeIn-1)
		if err != nil || got.Destroyed == nil || got.Destroyed.String() != "9000000000" || got.Tx != f.Tx {
			t.Errorf("after destroyBlackFunds: %+v, %v; want the freeze and 9000000000 destroyed", got, err)
		}
		if v, err := fresh.Balance(ctx, chains.Tron, stash, chains.USDTTron, h); err != nil || !v.IsZero() {
			t.Errorf("balance after destroyBlackFunds: %s, %v; want 0", v, err)
		}
	})
	t.Run("Counterparties", func(t *testing.T) {
		fanB := d.Transfers[len(d.Transfers)-1].From // paid by the pool, pays the mixer
		n, err := src.Counterparties(ctx, chains.Query{Chain: chains.Tron, Address: fanB, Asset: chains.USDTTron, From: 0, To: head}, 10)
		if err != nil || n != 2 {
			t.Errorf("Counterparties(%s): %d, %v; want 2", fanB, n, err)
		}
	})
	counts := g.Counts()
	for _, p := range []string{"/v1/accounts/{a}/transactions/trc20", "/wallet/gettransactioninfobyblocknum", "/walletsolidity/getnowblock",
		"/walletsolidity/triggerconstantcontract", "/v1/contracts/{c}/events", "/wallet/getblock"} {
		if counts[p] == 0 {
			t.Errorf("no request to %s: %v", p, counts)
		}
	}
	var sum int64
	for _, n := range counts {
		sum += n
	}
	if sum != g.Total() || g.Total() != g.Requests() || g.Limited() != 0 {
		t.Errorf("counts add up to %d, total %d, requests %d, limited %d", sum, g.Total(), g.Requests(), g.Limited())
	}
	if n := g.Calls()["/walletsolidity/triggerconstantcontract balanceOf(address)"]; n < int64(len(d.byAddr)) {
		t.Errorf("%d balanceOf calls, want at least %d: %v", n, len(d.byAddr), g.Calls())
	}
}

// TestTronFillers: a transfer at transaction index 2 sits behind two
// filler transactions, so the index the node gives is the export's.
func TestTronFillers(t *testing.T) {
	const export = "transaction_id,block,block_ts,transaction_index,event_index,from_address,to_address,quant,contract_address,tokenAbbr,tokenDecimal\n" +
		"1111111111111111111111111111111111111111111111111111111111111111,70000000,1714522560000,2,1,TNLWHpYNEGJfDqJHESHk32vx5kfF3cXrH3,TVGyJNMxy6UmGrimnBCywmoRcQyJgs44be,5,TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t,USDT,6\n" +
		"2222222222222222222222222222222222222222222222222222222222222222,70000100,1714522860000,0,0,TVGyJNMxy6UmGrimnBCywmoRcQyJgs44be,TNLWHpYNEGJfDqJHESHk32vx5kfF3cXrH3,5,TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t,USDT,6\n"
	d, err := ReadTronscanCSV(strings.NewReader(export), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(d.blocks[70000000]); got != 3 {
		t.Fatalf("block holds %d transactions, want 3 (two fillers)", got)
	}
	_, url := startTron(t, d, TronGridOptions{})
	src := tronSource(t, url, tron.Options{})
	got, err := src.Transfers(context.Background(), chains.Query{Chain: chains.Tron, Address: d.Transfers[0].From, Asset: chains.USDTTron, To: chains.Latest})
	if err != nil {
		t.Fatal(err)
	}
	sameTransfers(t, "sender", got, []chains.Transfer{d.Transfers[0].Chain(), d.Transfers[1].Chain()})
	if got[0].TxIndex != 2 || got[0].Position != 1 {
		t.Errorf("tx index %d, position %d; want 2 and 1", got[0].TxIndex, got[0].Position)
	}
	for _, tc := range []struct{ name, csv, want string }{
		{"ErrTooClose", strings.Replace(export, "1714522860000", "1714522600000", 1), "less than 3 s apart"},
		{"ErrNoColumn", strings.Replace(export, "tokenDecimal", "decimals", 1), "no tokenDecimal column"},
		{"ErrBadAmount", strings.Replace(export, ",5,", ",-5,", 1), "quant"},
		{"ErrEmpty", strings.SplitAfter(export, "\n")[0], "no transfers"},
		{"ErrSameIndex", strings.Replace(export, "70000100,1714522860000,0", "70000000,1714522560000,2", 1), "two transactions at index 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ReadTronscanCSV(strings.NewReader(tc.csv), 0); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if !slices.ContainsFunc(d.Tokens, func(tok TronToken) bool { return tok.Address == chains.USDCTron.Contract && tok.Issuer == "Circle" }) {
		t.Errorf("tokens %+v lack Circle's USDC", d.Tokens)
	}
}
