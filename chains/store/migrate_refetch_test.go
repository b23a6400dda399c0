package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigrateRefetch: 0011 forgets what an upstream fetched of WETH
// ledgers and TRX ledgers, and of whole transactions, so that the legs
// newer readings add are fetched; coverage from file imports and of other
// assets stays.
func TestMigrateRefetch(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v10.db")
	writeOldSchema(t, path, 10)
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	weth := []byte{0xc0, 0x2a, 0xaa, 0x39, 0xb2, 0x23, 0xfe, 0x8d, 0x0a, 0x0e, 0x5c, 0x4f, 0x27, 0xea, 0xd9, 0x08, 0x3c, 0x75, 0x6c, 0xc2}
	usdtBytes := usdt.Contract.Bytes()
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO assets (id, chain, contract, kind) VALUES (1, 'ethereum', ?, 'erc20'), (2, 'tron', X'', 'native'), (3, 'ethereum', ?, 'erc20')`, []any{weth, usdtBytes[:]}},
		{`INSERT INTO coverage (asset, address, from_block, to_block, source, retrieved_at) VALUES
		  (1, X'01', 0, 9, 'rpc https://node', 1), (1, X'02', 0, 9, 'file import', 1),
		  (2, X'03', 0, 9, 'trongrid https://api.trongrid.io', 1), (3, X'04', 0, 9, 'rpc https://node', 1)`, nil},
		{`INSERT INTO tx_coverage (chain, tx, source, retrieved_at) VALUES ('ethereum', X'aa', 'rpc https://node', 1), ('ethereum', X'bb', 'file import', 1)`, nil},
	} {
		if _, err := old.Exec(st.sql, st.args...); err != nil {
			t.Fatalf("%.40s: %v", st.sql, err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cov, txs string
	if err := db.sql.QueryRow(`SELECT group_concat(hex(address), ',') FROM (SELECT address FROM coverage ORDER BY address)`).Scan(&cov); err != nil {
		t.Fatal(err)
	}
	if err := db.sql.QueryRow(`SELECT group_concat(hex(tx), ',') FROM tx_coverage`).Scan(&txs); err != nil {
		t.Fatal(err)
	}
	if cov != "02,04" || txs != "BB" {
		t.Errorf("coverage kept for %s and transactions %s; want 02,04 (the import and USDT) and BB (the import)", cov, txs)
	}
}
