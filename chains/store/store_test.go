package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
)

var (
	alice = chains.MustParseAddress("0x1111111111111111111111111111111111111111")
	bob   = chains.MustParseAddress("0x2222222222222222222222222222222222222222")
	carol = chains.MustParseAddress("0x3333333333333333333333333333333333333333")
	usdt  = chains.USDTEthereum
)

func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "ft.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func txh(n int) chains.TxHash {
	var h chains.TxHash
	h[0], h[30], h[31] = 0xab, byte(n>>8), byte(n)
	return h
}

func tr(n int, block uint64, pos uint32, from, to chains.Address, amount uint64) chains.Transfer {
	return chains.Transfer{Chain: chains.Ethereum, Tx: txh(n), Position: pos, Block: block,
		Time: time.Unix(1_600_000_000+int64(block)*12, 0).UTC(), From: from, To: to, Asset: usdt, Amount: chains.NewAmount(amount)}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ft.db")
	for i := 0; i < 2; i++ {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := db.SchemaVersion(ctx)
		if err != nil || v != 11 {
			t.Fatalf("schema version: got %d, %v; want 11", v, err)
		}
		db.Close()
	}
	t.Run("OddPath", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "case files #1?")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "ft 100%.db")
		db, err := Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("database not at %s: %v", p, err)
		}
	})
	t.Run("ErrMemory", func(t *testing.T) {
		if _, err := Open(ctx, ":memory:"); err == nil {
			t.Fatal("Open(:memory:) succeeded; want an error")
		}
	})
}

func TestPutTransfersIdempotent(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	noTime := tr(3, 12, 0, bob, alice, 0)
	noTime.Time = time.Time{}
	in := []chains.Transfer{tr(1, 10, 5, alice, bob, 1500), tr(2, 10, 2, bob, alice, 700), noTime, tr(4, 11, 0, carol, bob, 9)}
	n, err := db.PutTransfers(ctx, in)
	if err != nil || n != 4 {
		t.Fatalf("first put: added %d, %v; want 4", n, err)
	}
	n, err = db.PutTransfers(ctx, in)
	if err != nil || n != 0 {
		t.Fatalf("second put: added %d, %v; want 0", n, err)
	}
	blockTime := time.Unix(1_700_000_000, 0).UTC()
	if _, _, err := db.PutBlocks(ctx, []Block{{Chain: chains.Ethereum, Number: 12, Time: blockTime}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.CachedTransfers(ctx, chains.Query{Chain: chains.Ethereum, Address: alice, Asset: usdt, From: 0, To: chains.Latest})
	if err != nil {
		t.Fatal(err)
	}
	wantTime := noTime
	wantTime.Time = blockTime
	want := []chains.Transfer{in[1], in[0], wantTime}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if got[0].From.Family() != chains.FamilyEVM {
		t.Errorf("family: got %v, want evm", got[0].From.Family())
	}
	got, err = db.CachedTransfers(ctx, chains.Query{Chain: chains.Ethereum, Address: alice, Asset: usdt, From: 11, To: 12})
	if err != nil || len(got) != 1 || got[0].Tx != noTime.Tx {
		t.Fatalf("range 11-12: got %v, %v; want only tx 3", got, err)
	}
	s, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tables[0] != (TableRows{"transfers", 4}) {
		t.Errorf("stats: got %+v, want 4 transfers", s.Tables[0])
	}
	if len(s.Chains) != 1 || s.Chains[0].MinBlock != 10 || s.Chains[0].MaxBlock != 12 || s.Chains[0].Transfers != 4 {
		t.Errorf("chain stats: got %+v", s.Chains)
	}
	if len(s.Assets) != 1 || s.Assets[0].Zero != 1 || s.Assets[0].Transfers != 4 {
		t.Errorf("asset stats: got %+v", s.Assets)
	}
}

func TestTransfersQueryUsesIndexes(t *testing.T) {
	db := openTemp(t)
	all := queryPlan(t, db, transferSelect+`WHERE t.asset = ? AND t.from_id = `+addressID+` AND t.block BETWEEN ? AND ?
		UNION `+transferSelect+`WHERE t.asset = ? AND t.to_id = `+addressID+` AND t.block BETWEEN ? AND ?`,
		"ethereum", 1, []byte{1}, 0, 10, "ethereum", 1, []byte{1}, 0, 10)
	for _, want := range []string{
		"SEARCH t USING INDEX transfers_from (from_id=? AND asset=? AND block>? AND block<?)",
		"SEARCH t USING INDEX transfers_to (to_id=? AND asset=? AND block>? AND block<?)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("plan lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "SCAN t") {
		t.Errorf("plan scans the transfers table:\n%s", all)
	}
}

// queryPlan is SQLite's plan for q, one step a line.
func queryPlan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.sql.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}

// TestConcurrentWriters writes one file from two independent pools at once.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ft.db")
	const writers, batches, per = 2, 20, 300
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			db, err := Open(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			for b := 0; b < batches; b++ {
				ts := make([]chains.Transfer, per)
				for i := range ts {
					n := (w*batches+b)*per + i
					ts[i] = tr(n, uint64(n), uint32(w), alice, bob, uint64(n))
				}
				if _, err := db.PutTransfers(ctx, ts); err != nil {
					errs <- fmt.Errorf("writer %d batch %d: %w", w, b, err)
					return
				}
				// A read between writes, as a trace running beside an import does.
				if _, err := db.Stats(ctx); err != nil {
					errs <- fmt.Errorf("writer %d read: %w", w, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM transfers`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != writers*batches*per {
		t.Fatalf("got %d rows, want %d", n, writers*batches*per)
	}
}

func TestLabels(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	asset := usdt
	ls := []chains.Label{
		{Chain: chains.Ethereum, Address: alice, Entity: "Binance", Category: chains.CategoryExchange, Source: "tagpack b", Confidence: 50},
		{Chain: chains.Ethereum, Address: alice, Entity: "Binance", Category: chains.CategoryDeposit, Source: "heuristic", Confidence: 80,
			Heuristic: "deposit-sweep", Evidence: []chains.TxHash{txh(1), txh(2)}, Date: "2024-01-02", Note: "swept"},
		{Chain: chains.Ethereum, Address: alice, Entity: "OFAC", Category: chains.CategorySanctioned, Source: "ofac usdt", Confidence: 80, Asset: &asset},
		{Chain: chains.Tron, Address: alice.In(chains.FamilyTRON), Entity: "Other chain", Category: chains.CategoryScam, Source: "x", Confidence: 100},
	}
	n, err := db.PutLabels(ctx, ls)
	if err != nil || n != 4 {
		t.Fatalf("put labels: %d, %v; want 4", n, err)
	}
	if n, err = db.PutLabels(ctx, ls); err != nil || n != 0 {
		t.Fatalf("second put: %d, %v; want 0", n, err)
	}
	got, err := db.Labels(ctx, chains.Ethereum, alice)
	if err != nil {
		t.Fatal(err)
	}
	want := []chains.Label{ls[1], ls[2], ls[0]}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	none, err := db.Labels(ctx, chains.Ethereum, bob)
	if err != nil || none == nil || len(none) != 0 {
		t.Fatalf("unlabeled: got %v, %v; want an empty slice", none, err)
	}
	counts, err := db.LabelStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCounts := []LabelCount{
		{chains.Ethereum, chains.CategoryDeposit, 1}, {chains.Ethereum, chains.CategoryExchange, 1},
		{chains.Ethereum, chains.CategorySanctioned, 1}, {chains.Tron, chains.CategoryScam, 1},
	}
	if !reflect.DeepEqual(counts, wantCounts) {
		t.Fatalf("label stats: got %+v, want %+v", counts, wantCounts)
	}
}

func TestReorgForgetsBlock(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	err := db.update(ctx, func(b *Batch) error {
		if _, _, err := b.PutBlocks(ctx, []Block{{Chain: chains.Ethereum, Number: 10, Hash: [32]byte{1}, Time: time.Unix(100, 0)}, {Chain: chains.Ethereum, Number: 11, Hash: [32]byte{2}, Time: time.Unix(112, 0)}}); err != nil {
			return err
		}
		if _, err := b.PutTransfers(ctx, []chains.Transfer{tr(1, 10, 0, alice, bob, 1), tr(2, 11, 0, alice, bob, 2)}); err != nil {
			return err
		}
		return b.AddCoverage(ctx, alice, usdt, 5, 20, "rpc", time.Unix(200, 0))
	})
	if err != nil {
		t.Fatal(err)
	}
	added, reorged, err := db.PutBlocks(ctx, []Block{{Chain: chains.Ethereum, Number: 10, Hash: [32]byte{1}, Time: time.Unix(100, 0)}})
	if err != nil || added != 0 || reorged != 0 {
		t.Fatalf("same hash: added %d reorged %d, %v; want 0 0", added, reorged, err)
	}
	added, reorged, err = db.PutBlocks(ctx, []Block{{Chain: chains.Ethereum, Number: 11, Hash: [32]byte{9}, Time: time.Unix(112, 0)}})
	if err != nil || added != 0 || reorged != 1 {
		t.Fatalf("new hash: added %d reorged %d, %v; want 0 1", added, reorged, err)
	}
	got, err := db.CachedTransfers(ctx, chains.Query{Chain: chains.Ethereum, Address: alice, Asset: usdt, To: chains.Latest})
	if err != nil || len(got) != 1 || got[0].Block != 10 {
		t.Fatalf("after reorg: got %v, %v; want only block 10's transfer", got, err)
	}
	cov, err := db.Coverage(ctx, alice, usdt)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Range{{5, 10}, {12, 20}}; !reflect.DeepEqual(cov, want) {
		t.Fatalf("coverage after reorg: got %v, want %v", cov, want)
	}
	coverageSourcesAgree(t, db)
	// A reorg of a range's last block lowers the newest covered block.
	if _, _, err := db.PutBlocks(ctx, []Block{{Chain: chains.Ethereum, Number: 20, Hash: [32]byte{7}, Time: time.Unix(340, 0)}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.PutBlocks(ctx, []Block{{Chain: chains.Ethereum, Number: 20, Hash: [32]byte{8}, Time: time.Unix(340, 0)}}); err != nil {
		t.Fatal(err)
	}
	coverageSourcesAgree(t, db)
	b, ok, err := db.BlockOf(ctx, chains.Ethereum, 11)
	if err != nil || !ok || b.Hash != ([32]byte{9}) {
		t.Fatalf("block 11: got %+v %v %v; want the new hash", b, ok, err)
	}
}

func TestImportIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	info := ImportInfo{Chain: chains.Ethereum, File: "/data/a.csv", Format: "etl-token-transfers", Time: time.Unix(1000, 0), ExpectedRows: 1 << 20}
	im, err := db.BeginImport(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.PutTransfers(ctx, []chains.Transfer{tr(1, 10, 0, alice, bob, 1)}); err != nil {
		t.Fatal(err)
	}
	im.Rollback()
	s, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Tables[0].Rows != 0 {
		t.Fatalf("rolled-back import left %d transfers", s.Tables[0].Rows)
	}
	if n := indexCount(t, db); n != 3 {
		t.Fatalf("after rollback: %d transfer indexes, want 3", n)
	}
	im, err = db.BeginImport(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	if n := indexCount(t, db); n != 3 {
		t.Fatalf("another connection sees %d transfer indexes during a bulk load, want 3", n)
	}
	if _, err := im.PutTransfers(ctx, []chains.Transfer{tr(1, 10, 0, alice, bob, 1), tr(2, 17, 0, bob, carol, 1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(ctx, ImportCounts{Read: 2, Added: 2}); err != nil {
		t.Fatal(err)
	}
	if n := indexCount(t, db); n != 3 {
		t.Fatalf("after bulk load: %d transfer indexes, want 3", n)
	}
	// A second bulk load repeating a stored row and one of its own.
	im, err = db.BeginImport(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.PutTransfers(ctx, []chains.Transfer{tr(2, 17, 0, bob, carol, 1), tr(3, 12, 0, carol, alice, 5), tr(3, 12, 0, carol, alice, 5)}); err != nil {
		t.Fatal(err)
	}
	c, err := im.Commit(ctx, ImportCounts{Read: 3, Added: 3})
	if err != nil || c.Added != 1 || im.Duplicates() != 2 {
		t.Fatalf("bulk load with duplicates: %+v, %d duplicates, %v; want 1 added, 2 duplicates", c, im.Duplicates(), err)
	}
	if s, _ := db.Stats(ctx); s.Tables[0].Rows != 3 {
		t.Fatalf("after bulk load with duplicates: %d transfers, want 3", s.Tables[0].Rows)
	}
	p, err := db.Provenance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []chains.Provenance{{Chain: chains.Ethereum, Source: ImportSource, Block: 17, Retrieved: time.Unix(1000, 0).UTC(), Detail: "a.csv"}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("provenance: got %+v, want %+v", p, want)
	}
}

func indexCount(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'transfers' AND name LIKE 'transfers_%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGaps(t *testing.T) {
	for _, tc := range []struct {
		cov      []Range
		from, to uint64
		want     []Range
	}{
		{nil, 0, 10, []Range{{0, 10}}},
		{[]Range{{0, 10}}, 0, 10, nil},
		{[]Range{{3, 5}}, 0, 10, []Range{{0, 2}, {6, 10}}},
		{[]Range{{0, 2}, {8, 20}}, 1, 9, []Range{{3, 7}}},
		{[]Range{{12, 20}}, 0, 10, []Range{{0, 10}}},
	} {
		if got := gaps(mergeRanges(tc.cov), tc.from, tc.to); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("gaps(%v, %d, %d) = %v, want %v", tc.cov, tc.from, tc.to, got, tc.want)
		}
	}
	if got, want := mergeRanges([]Range{{0, 2}, {3, 5}, {4, 4}, {7, 9}}), []Range{{0, 5}, {7, 9}}; !reflect.DeepEqual(got, want) {
		t.Errorf("mergeRanges: got %v, want %v", got, want)
	}
}

// TestBulkLoadRestoresPragmas checks that the sorter settings used while a
// bulk load's indexes are built do not outlive it on the pooled connection.
func TestBulkLoadRestoresPragmas(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	db.sql.SetMaxOpenConns(1) // every statement below runs on one connection
	pragmas := func() map[string]string {
		got := map[string]string{}
		for _, p := range sorterPragmas {
			var v string
			if err := db.sql.QueryRowContext(ctx, `PRAGMA `+p.name).Scan(&v); err != nil {
				t.Fatal(err)
			}
			got[p.name] = v
		}
		return got
	}
	want := pragmas()
	if want["temp_store"] != "2" || want["cache_size"] != "-65536" {
		t.Fatalf("DSN settings: got %v, want temp_store 2 (memory) and cache_size -65536", want)
	}
	for _, dup := range []bool{false, true} {
		im, err := db.BeginImport(ctx, ImportInfo{Chain: chains.Ethereum, File: "a.csv", Format: "etl-token-transfers", Time: time.Unix(1000, 0), ExpectedRows: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		ts := []chains.Transfer{tr(1, 10, 0, alice, bob, 1), tr(2, 11, 0, bob, carol, 2)}
		if dup {
			ts = append(ts, ts[0]) // the duplicate path rebuilds twice
		}
		if _, err := im.PutTransfers(ctx, ts); err != nil {
			t.Fatal(err)
		}
		if _, err := im.Commit(ctx, ImportCounts{Read: len(ts), Added: len(ts)}); err != nil {
			t.Fatal(err)
		}
		if got := pragmas(); !reflect.DeepEqual(got, want) {
			t.Errorf("after bulk load (duplicates %v): got %v, want %v", dup, got, want)
		}
	}
	if n := indexCount(t, db); n != 3 {
		t.Fatalf("%d transfer indexes, want 3", n)
	}
	t.Run("Applied", func(t *testing.T) {
		b, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Rollback()
		restore, err := b.tuneSorter(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range sorterPragmas {
			var v string
			if err := b.tx.QueryRowContext(ctx, `PRAGMA `+p.name).Scan(&v); err != nil {
				t.Fatal(err)
			}
			if want := map[string]string{"FILE": "1"}[p.value]; v != p.value && v != want {
				t.Errorf("while tuned: %s = %s, want %s", p.name, v, p.value)
			}
		}
		if err := restore(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPutTransfersShapes stores chunks whose tx_index and time are all
// zero, all set and mixed (each takes another INSERT statement) and reads
// the columns back.
func TestPutTransfersShapes(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	var ts []chains.Transfer
	for i := 0; i < 3*transfersPerInsert; i++ {
		x := tr(i, 100+uint64(i), 0, alice, bob, uint64(i))
		x.Time, x.TxIndex = time.Time{}, 0
		switch chunk := i / transfersPerInsert; {
		case chunk == 1, chunk == 2 && i%2 == 1: // the mixed chunk starts with a zero row
			x.Time, x.TxIndex = time.Unix(1_600_000_000+int64(i), 0).UTC(), uint32(i)
		}
		ts = append(ts, x)
	}
	if n, err := db.PutTransfers(ctx, ts); err != nil || n != len(ts) {
		t.Fatalf("put: %d, %v; want %d", n, err, len(ts))
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT tx_index, time, block, amount FROM transfers ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	i := 0
	for ; rows.Next(); i++ {
		var txi, blk int64
		var tm *int64
		var amt string
		if err := rows.Scan(&txi, &tm, &blk, &amt); err != nil {
			t.Fatal(err)
		}
		want := ts[i]
		gotTime := time.Time{}
		if tm != nil {
			gotTime = time.Unix(*tm, 0).UTC()
		}
		if uint32(txi) != want.TxIndex || !gotTime.Equal(want.Time) || uint64(blk) != want.Block || amt != want.Amount.String() {
			t.Errorf("row %d: got tx_index %d, time %v, block %d, amount %s; want %d, %v, %d, %s",
				i, txi, gotTime, blk, amt, want.TxIndex, want.Time, want.Block, want.Amount)
		}
	}
	if i != len(ts) {
		t.Fatalf("read %d rows, want %d", i, len(ts))
	}
}

// coverageSourcesAgree checks the kept per-source summary against the
// coverage table it summarises.
func coverageSourcesAgree(t *testing.T, db *DB) {
	t.Helper()
	read := func(q string) string {
		rows, err := db.sql.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var ch, src string
			var blk, at int64
			if err := rows.Scan(&ch, &src, &blk, &at); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s %s %d %d\n", ch, src, blk, at)
		}
		return b.String()
	}
	kept := read(`SELECT chain, source, max_block, retrieved_at FROM coverage_sources ORDER BY chain, source`)
	want := read(`SELECT a.chain, c.source, max(c.to_block), max(c.retrieved_at) FROM coverage c JOIN assets a ON a.id = c.asset GROUP BY a.chain, c.source ORDER BY a.chain, c.source`)
	if kept != want || want == "" {
		t.Fatalf("coverage_sources:\n%s\nwant (from coverage):\n%s", kept, want)
	}
}
