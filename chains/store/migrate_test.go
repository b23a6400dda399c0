package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"freezetrace/chains"
)

// TestMigrateAddressIDs writes transfers as schema version 2 stored them,
// opens the file (which applies 0003) and reads the same transfers back;
// storing them again adds nothing, by either write path.
func TestMigrateAddressIDs(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	old.SetMaxOpenConns(1)
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version > 2 {
			continue
		}
		if _, err := old.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	usdtBytes := usdt.Contract.Bytes()
	if _, err := old.Exec(`INSERT INTO assets (id, chain, contract, symbol, decimals, kind) VALUES (1, 'ethereum', ?, 'USDT', 6, 'erc20')`, usdtBytes[:]); err != nil {
		t.Fatal(err)
	}
	hash := func(first byte, n int) chains.TxHash {
		var h chains.TxHash
		for i := range h {
			h[i] = byte(i*37 + n)
		}
		h[0] = first
		return h
	}
	big := chains.MustParseAmount("123456789012345678901234567890")
	in := []chains.Transfer{
		tr(1, 10, 5, alice, bob, 1500),
		tr(2, 10, 2, bob, alice, 0),
		tr(3, 11, 0, alice, carol, 9),
		tr(4, 12, 1, carol, alice, 1),
	}
	in[1].Tx = hash(0xff, 1) // the largest prefix
	in[2].Tx = hash(0x00, 2)
	in[2].Amount = big
	in[2].TxIndex = 7
	in[3].Time = time.Time{} // read from the block
	in = append(in, in[0])
	in[4].Position = 6 // same transaction, another log
	for i, tf := range in {
		from, to := tf.From.Bytes(), tf.To.Bytes()
		var tm any
		if !tf.Time.IsZero() {
			tm = tf.Time.Unix()
		}
		zero := 0
		if tf.Amount.IsZero() {
			zero = 1
		}
		if _, err := old.Exec(`INSERT INTO transfers (id, tx, asset, position, tx_index, block, time, from_addr, to_addr, amount, zero)
			VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)`, i+1, tf.Tx[:], tf.Position, tf.TxIndex, tf.Block, tm, from[:], to[:], tf.Amount.String(), zero); err != nil {
			t.Fatal(err)
		}
	}
	blockTime := time.Unix(1_700_000_000, 0).UTC()
	if _, err := old.Exec(`INSERT INTO blocks (chain, number, time) VALUES ('ethereum', 12, ?)`, blockTime.Unix()); err != nil {
		t.Fatal(err)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v != latestVersion(t) {
		t.Fatalf("schema version: got %d, %v; want %d", v, err, latestVersion(t))
	}
	want := slices.Clone(in)
	want[3].Time = blockTime
	for _, who := range []chains.Address{alice, bob, carol} {
		got, err := db.CachedTransfers(ctx, chains.Query{Chain: chains.Ethereum, Address: who, Asset: usdt, From: 0, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		var w []chains.Transfer
		for _, tf := range want {
			if tf.From == who || tf.To == who {
				w = append(w, tf)
			}
		}
		slices.SortFunc(w, chains.Compare)
		if !reflect.DeepEqual(got, w) {
			t.Errorf("transfers of %s:\ngot  %+v\nwant %+v", who, got, w)
		}
	}
	got, whole, err := db.CachedTxTransfers(ctx, chains.Ethereum, in[0].Tx)
	if err != nil || whole || len(got) != 2 || !reflect.DeepEqual(got[0], want[0]) || !reflect.DeepEqual(got[1], want[4]) {
		t.Errorf("transaction %s: got %+v, %v, %v", in[0].Tx, got, whole, err)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT tx, tx_prefix FROM transfers`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var tx []byte
		var p int64
		if err := rows.Scan(&tx, &p); err != nil {
			t.Fatal(err)
		}
		if w := txPrefix(chains.TxHash(tx)); p != w {
			t.Errorf("tx %x: tx_prefix %d, want %d", tx, p, w)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()

	if n, err := db.PutTransfers(ctx, in); err != nil || n != 0 {
		t.Errorf("put again: added %d, %v; want 0", n, err)
	}
	im, err := db.BeginImport(ctx, ImportInfo{Chain: chains.Ethereum, File: "again.csv", Format: "etl-token-transfers", Time: blockTime, ExpectedRows: bulkMinRows})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	fresh := tr(9, 13, 0, bob, carol, 5)
	if _, err := im.PutTransfers(ctx, append(slices.Clone(in), fresh)); err != nil {
		t.Fatal(err)
	}
	if len(im.b.dropped) == 0 {
		t.Fatal("import did not take the bulk path")
	}
	c, err := im.Commit(ctx, ImportCounts{Read: len(in) + 1, Added: len(in) + 1})
	if err != nil || c.Added != 1 {
		t.Errorf("bulk import again: added %d, %v; want 1", c.Added, err)
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM transfers`).Scan(&n); err != nil || n != len(in)+1 {
		t.Errorf("stored %d transfers (%v), want %d", n, err, len(in)+1)
	}
	var addrs int
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM addresses`).Scan(&addrs); err != nil || addrs != 3 {
		t.Errorf("stored %d addresses (%v), want 3", addrs, err)
	}
}
