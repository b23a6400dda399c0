package store

import (
	"context"
	"testing"
	"time"

	"freezetrace/chains"
)

// TestImportTxEvents: a file's events of a transaction are stored with the
// mark that the transaction is known, in the import's transaction; the
// same events again in the file are repeated rows, in a later import
// stored rows; other events in the file are an error naming both lines,
// events that are not the transaction's an input error naming the line.
func TestImportTxEvents(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	tx := chains.TxHash{7}
	pair := chains.MustParseAddress("0x0d4a11d5eeaac28ec3f61d100daf4d40471f1852")
	swap := []chains.TxEvent{{Chain: chains.Ethereum, Tx: tx, Block: 20, Position: 4, Contract: pair, Kind: chains.EventUniswapV2Swap}}
	info := ImportInfo{Chain: chains.Ethereum, File: "logs.csv", Format: "etl-logs", Time: time.Unix(1000, 0)}
	run := func(put func(im *Import) error) (ImportCounts, error) {
		im, err := db.BeginImport(ctx, info)
		if err != nil {
			t.Fatal(err)
		}
		defer im.Rollback()
		if err := put(im); err != nil {
			return ImportCounts{}, err
		}
		return im.Commit(ctx, ImportCounts{Read: 6})
	}
	c, err := run(func(im *Import) error {
		if n, err := im.PutFileTxEvents(ctx, chains.Ethereum, tx, swap, 3, 2); err != nil || n != 3 {
			t.Errorf("first put: %d, %v; want 3 rows new", n, err)
		}
		n, err := im.PutFileTxEvents(ctx, chains.Ethereum, tx, swap, 3, 5)
		if n != 0 {
			t.Errorf("second put: %d new, want 0", n)
		}
		return err
	})
	if err != nil || c.Repeated != 3 || c.Stored != 0 {
		t.Fatalf("got %+v, %v; want 3 repeated", c, err)
	}
	if evs, known, err := db.CachedTxEvents(ctx, chains.Ethereum, tx); err != nil || !known || len(evs) != 1 || evs[0] != swap[0] {
		t.Fatalf("stored %+v %v %v", evs, known, err)
	}
	if c, err := run(func(im *Import) error { _, err := im.PutFileTxEvents(ctx, chains.Ethereum, tx, swap, 3, 2); return err }); err != nil || c.Stored != 3 {
		t.Errorf("later import: %+v, %v; want 3 stored", c, err)
	}
	_, err = run(func(im *Import) error {
		if _, err := im.PutFileTxEvents(ctx, chains.Ethereum, chains.TxHash{8}, nil, 1, 2); err != nil {
			return err
		}
		_, err := im.PutFileTxEvents(ctx, chains.Ethereum, chains.TxHash{8}, swap[:0:0], 1, 9)
		if err != nil {
			return err
		}
		other := []chains.TxEvent{{Chain: chains.Ethereum, Tx: chains.TxHash{8}, Block: 20, Position: 9, Contract: pair, Kind: chains.EventUniswapV2Swap}}
		_, err = im.PutFileTxEvents(ctx, chains.Ethereum, chains.TxHash{8}, other, 1, 11)
		return err
	})
	wantInputError(t, err, "logs.csv:11: events of transaction", ": uniswap_v2_swap by "+pair.String()+" at 9 here, none at line 2")
	_, err = run(func(im *Import) error {
		_, err := im.PutFileTxEvents(ctx, chains.Ethereum, chains.TxHash{9}, swap, 3, 4)
		return err
	})
	wantInputError(t, err, "logs.csv:4: events of transaction", ": an event at position 4 of transaction")
}
