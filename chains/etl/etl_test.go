package etl

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/internal/shareddata"
)

var importTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func openTemp(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ft.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func writeFile(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func importFile(t testing.TB, db *store.DB, path string, f Format) (Result, error) {
	t.Helper()
	return importPath(context.Background(), db, path, Options{Chain: chains.Ethereum, Format: f, Time: importTime})
}

// importPath imports a file into db in one store import, as the CLI does
// through internal/ingest (which these in-package tests cannot import).
func importPath(ctx context.Context, db *store.DB, path string, opt Options) (Result, error) {
	r, size, err := Open(path)
	if err != nil {
		return Result{File: path, Format: opt.Format}, err
	}
	defer r.Close()
	return importReader(ctx, db, r, path, size, opt)
}

func importReader(ctx context.Context, db *store.DB, r io.Reader, name string, size int64, opt Options) (Result, error) {
	if err := Check(name, opt); err != nil {
		return Result{File: name, Format: opt.Format}, err
	}
	im, err := db.BeginImport(ctx, store.ImportInfo{Chain: opt.Chain, File: name, Format: string(opt.Format),
		Time: opt.Time, ExpectedRows: ExpectedRows(opt.Format, size)})
	if err != nil {
		return Result{}, err
	}
	defer im.Rollback()
	res, err := Load(ctx, r, name, opt, im)
	if err != nil {
		return res, err
	}
	c, err := im.Commit(ctx, store.ImportCounts{Read: res.Read, Added: res.Added, Skipped: res.Skipped})
	res.Added = c.Added
	return res, err
}

// TestRealTokenTransfers imports a real ethereum-etl export and checks the
// stored sum of every token against sums computed here from the CSV.
func TestRealTokenTransfers(t *testing.T) {
	sampleTokenTransfers := shareddata.Path(t, "ethereum-etl", "token_transfers_15320500_15320599.csv")
	ctx := context.Background()
	db := openTemp(t)
	res, err := importFile(t, db, sampleTokenTransfers, TokenTransfers)
	if err != nil {
		t.Fatal(err)
	}
	// Independent reading: plain CSV, big.Int sums keyed by lowercase token.
	f, err := os.Open(sampleTokenTransfers)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	sums := map[string]*big.Int{}
	counts := map[string]int64{}
	keys := map[string]bool{}
	for _, r := range recs[1:] {
		k := r[col["transaction_hash"]] + "/" + r[col["log_index"]] + "/" + r[col["token_address"]]
		if keys[k] {
			continue
		}
		keys[k] = true
		tok := strings.ToLower(r[col["token_address"]])
		v, ok := new(big.Int).SetString(r[col["value"]], 10)
		if !ok {
			t.Fatalf("csv value %q", r[col["value"]])
		}
		if sums[tok] == nil {
			sums[tok] = new(big.Int)
		}
		sums[tok].Add(sums[tok], v)
		counts[tok]++
	}
	if res.Read != len(recs)-1 || res.Added != len(keys) || res.Skipped != 0 {
		t.Fatalf("result %+v; want read %d, added %d", res, len(recs)-1, len(keys))
	}
	if res.Read != 14323 {
		t.Errorf("read %d rows, SOURCES.md says 14,323", res.Read)
	}
	for tok, want := range sums {
		id := chains.AssetID{Chain: chains.Ethereum, Contract: chains.MustParseAddress(tok)}
		n, got, err := db.AssetTotal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if n != counts[tok] || got.Big().Cmp(want) != 0 {
			t.Errorf("%s: stored %d transfers summing %s; CSV has %d summing %s", tok, n, got, counts[tok], want)
		}
	}
	if n, _, _ := db.AssetTotal(ctx, chains.USDTEthereum); n != 1644 {
		t.Errorf("USDT transfers: got %d, SOURCES.md says 1,644", n)
	}
	// The file is large enough (3.2 MB) for a bulk load, so this also runs
	// the removal of rows already stored.
	again, err := importFile(t, db, sampleTokenTransfers, TokenTransfers)
	if err != nil || again.Added != 0 || again.Read != res.Read {
		t.Fatalf("second import: %+v, %v; want 0 added", again, err)
	}
	s, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Chains[0]; c.MinBlock != 15320500 || c.MaxBlock != 15320599 {
		t.Errorf("block range %d-%d, want 15320500-15320599", c.MinBlock, c.MaxBlock)
	}
}

func TestTokenTransfersColumnsAndErrors(t *testing.T) {
	ctx := context.Background()
	const tx = "0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2"
	good := "block_number,extra,value,log_index,transaction_hash,to_address,from_address,token_address\n" +
		"15320500,x,49730618,2," + tx + ",0xdb18c8c4f636459b2d31ab9a27910e1da97b7f3f,0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc,0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\n" +
		"15320500,y,0,3," + tx + ",0xdb18c8c4f636459b2d31ab9a27910e1da97b7f3f,0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc,0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\n"
	t.Run("OK", func(t *testing.T) {
		db := openTemp(t)
		res, err := importFile(t, db, writeFile(t, "tt.csv", good), TokenTransfers)
		if err != nil || res.Added != 2 || res.Zero != 1 {
			t.Fatalf("got %+v, %v; want 2 added, 1 zero", res, err)
		}
		ts, err := db.CachedTransfers(ctx, chains.Query{Chain: chains.Ethereum, Asset: chains.USDCEthereum,
			Address: chains.MustParseAddress("0xdb18c8c4f636459b2d31ab9a27910e1da97b7f3f"), To: chains.Latest})
		if err != nil || len(ts) != 2 || ts[0].Amount.String() != "49730618" || ts[0].Position != 2 || ts[0].Block != 15320500 {
			t.Fatalf("stored %+v, %v", ts, err)
		}
	})
	for _, tc := range []struct {
		name, body, want string
	}{
		{"ErrBadValue", good + "15320501,z,12a,4," + tx + ",0xdb18c8c4f636459b2d31ab9a27910e1da97b7f3f,0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc,0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\n",
			"tt.csv:4: value: not a base-unit amount"},
		{"ErrBadAddress", good + "15320501,z,1,4," + tx + ",0xdb18,0xb4e16d0168e52d35cacd2c6185b44281ec28c9dc,0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48\n",
			"tt.csv:4: to_address: not an EVM address"},
		{"ErrMissingColumn", "token_address,from_address\n", "tt.csv:1: missing column to_address, value, transaction_hash, log_index, block_number"},
		{"ErrEmpty", "", "tt.csv:1: empty file"},
		{"ErrQuote", good + "1,\"unterminated\n", "tt.csv:4:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			_, err := importFile(t, db, writeFile(t, "tt.csv", tc.body), TokenTransfers)
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an input error containing %q", err, tc.want)
			}
			s, err := db.Stats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range s.Tables {
				if tr.Rows != 0 && tr.Table != "assets" {
					t.Errorf("failed import left %d rows in %s", tr.Rows, tr.Table)
				}
			}
		})
	}
}

func TestTransactions(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	body := "hash,block_hash,block_number,transaction_index,from_address,to_address,value,block_timestamp,receipt_status,receipt_contract_address\n" +
		"0x" + strings.Repeat("01", 32) + ",0x" + strings.Repeat("aa", 32) + ",100,0,0x1111111111111111111111111111111111111111,0x2222222222222222222222222222222222222222,5000,1595302464,1,\n" +
		"0x" + strings.Repeat("02", 32) + ",0x" + strings.Repeat("aa", 32) + ",100,1,0x1111111111111111111111111111111111111111,0x2222222222222222222222222222222222222222,7000,1595302464,0,\n" +
		"0x" + strings.Repeat("03", 32) + ",0x" + strings.Repeat("aa", 32) + ",100,2,0x2222222222222222222222222222222222222222,0x1111111111111111111111111111111111111111,0,1595302464,1,\n" +
		"0x" + strings.Repeat("04", 32) + ",0x" + strings.Repeat("aa", 32) + ",100,3,0x2222222222222222222222222222222222222222,,9,1595302464,1,0x3333333333333333333333333333333333333333\n" +
		"0x" + strings.Repeat("05", 32) + ",0x" + strings.Repeat("aa", 32) + ",100,4,0x2222222222222222222222222222222222222222,,9,1595302464,,\n"
	res, err := importFile(t, db, writeFile(t, "tx.csv", body), Transactions)
	if err != nil {
		t.Fatal(err)
	}
	want := Result{File: res.File, Format: Transactions, Read: 5, Added: 3, Skipped: 2, Failed: 1, NoRecipient: 1, Zero: 1}
	if res != want {
		t.Fatalf("got %+v, want %+v", res, want)
	}
	ts, err := db.CachedTransfers(ctx, chains.Query{Chain: chains.Ethereum, Asset: chains.NativeAsset(chains.Ethereum),
		Address: chains.MustParseAddress("0x2222222222222222222222222222222222222222"), To: chains.Latest})
	if err != nil || len(ts) != 3 {
		t.Fatalf("got %v, %v; want 3 transfers", ts, err)
	}
	if ts[0].TxIndex != 0 || ts[1].TxIndex != 2 || ts[2].TxIndex != 3 || ts[1].Amount.IsZero() != true || ts[2].To.Hex() != "0x3333333333333333333333333333333333333333" {
		t.Fatalf("stored %+v", ts)
	}
	if !ts[0].Time.Equal(time.Unix(1595302464, 0)) {
		t.Errorf("time %v, want 1595302464", ts[0].Time)
	}
	b, ok, err := db.BlockOf(ctx, chains.Ethereum, 100)
	if err != nil || !ok || b.Hash[0] != 0xaa || b.Time.Unix() != 1595302464 {
		t.Fatalf("block 100: %+v %v %v", b, ok, err)
	}
}

func TestRealTransactions(t *testing.T) {
	p := shareddata.Path(t, "ethereum-etl", "transactions_03300000_03399999_small.csv.gz")
	db := openTemp(t)
	res, err := importFile(t, db, p, Transactions)
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 19999 || res.Added+res.Skipped != res.Read {
		t.Fatalf("got %+v; want 19,999 rows (20,000 lines with the header), each added or skipped", res)
	}
	again, err := importFile(t, db, p, Transactions)
	if err != nil || again.Added != 0 {
		t.Fatalf("second import: %+v, %v; want 0 added", again, err)
	}
}

func TestTokensContractsAndNonFungible(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	const nft, erc20, other = "0x06012c8cf97bead5deae237070f9587f8e7a266d", "0xdac17f958d2ee523a2206206994597c13d831ec7", "0x4444444444444444444444444444444444444444"
	tok := "address,symbol,name,decimals,total_supply\n" + nft + ",CK,CryptoKitties,,\n" + erc20 + ",USDT,Tether USD,6,1\n"
	res, err := importFile(t, db, writeFile(t, "tokens.csv", tok), Tokens)
	if err != nil || res.Read != 2 || res.Added != 2 || res.NonFungible != 1 {
		t.Fatalf("tokens: %+v, %v", res, err)
	}
	con := "address,bytecode,is_erc20,is_erc721\n" + other + ",0x60,False,True\n" + erc20 + ",0x60,True,False\n"
	if res, err = importFile(t, db, writeFile(t, "contracts.csv", con), Contracts); err != nil || res.Added != 2 || res.NonFungible != 1 {
		t.Fatalf("contracts: %+v, %v", res, err)
	}
	if c, known, err := db.KnownContract(ctx, chains.Ethereum, chains.MustParseAddress(erc20)); err != nil || !known || !c {
		t.Fatalf("known contract: %v %v %v", c, known, err)
	}
	tx := "0x" + strings.Repeat("ab", 32)
	tt := "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n" +
		nft + "," + other + "," + other + ",1," + tx + ",0,1\n" +
		other + "," + other + "," + other + ",1," + tx + ",1,1\n" +
		erc20 + "," + other + "," + other + ",1," + tx + ",2,1\n"
	res, err = importFile(t, db, writeFile(t, "tt.csv", tt), TokenTransfers)
	if err != nil || res.Added != 1 || res.Skipped != 2 || res.NonFungible != 2 {
		t.Fatalf("token transfers: %+v, %v; want the two ERC-721 rows skipped", res, err)
	}
	a, kind, ok, err := db.AssetMeta(ctx, chains.USDTEthereum)
	if err != nil || !ok || kind != "erc20" || a.Symbol != "USDT" || a.Decimals != 6 {
		t.Fatalf("USDT meta: %+v %q %v %v", a, kind, ok, err)
	}
}

func TestBlocks(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	body := "number,hash,parent_hash,timestamp\n15320500,0x" + strings.Repeat("cd", 32) + ",0x00,1660000000\n15320501,0x" + strings.Repeat("ce", 32) + ",0x00,2022-08-09T00:00:13Z\n"
	res, err := importFile(t, db, writeFile(t, "blocks.csv", body), Blocks)
	if err != nil || res.Added != 2 {
		t.Fatalf("blocks: %+v, %v", res, err)
	}
	b, ok, err := db.BlockOf(ctx, chains.Ethereum, 15320501)
	if err != nil || !ok || b.Time.Unix() != 1660003213 || b.Hash[0] != 0xce {
		t.Fatalf("block: %+v %v %v", b, ok, err)
	}
	p, err := db.Provenance(ctx)
	if err != nil || len(p) != 1 || p[0].Block != 15320501 || p[0].Detail != "blocks.csv" || !p[0].Retrieved.Equal(importTime) {
		t.Fatalf("provenance: %+v, %v", p, err)
	}
	if res, err = importFile(t, db, writeFile(t, "blocks.csv", body), Blocks); err != nil || res.Added != 0 {
		t.Fatalf("again: %+v, %v", res, err)
	}
}

func TestBadOptions(t *testing.T) {
	db := openTemp(t)
	p := writeFile(t, "x.csv", "a\n")
	var ie *chains.InputError
	if _, err := importPath(context.Background(), db, p, Options{Chain: chains.Ethereum, Format: "nope"}); !errors.As(err, &ie) {
		t.Errorf("unknown format: got %v, want an input error", err)
	}
	if _, err := importPath(context.Background(), db, p, Options{Chain: chains.Tron, Format: TokenTransfers}); !errors.As(err, &ie) {
		t.Errorf("tron: got %v, want an input error", err)
	}
	if _, err := importPath(context.Background(), db, p+".missing", Options{Chain: chains.Ethereum, Format: TokenTransfers}); !errors.As(err, &ie) {
		t.Errorf("missing file: got %v, want an input error", err)
	}
}
