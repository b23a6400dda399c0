package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
)

// Open a database, store two transfers and read them back through the
// offline Source view, as the trace engine does.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "freezetrace-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.Open(ctx, filepath.Join(dir, "freezetrace.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	victim := chains.MustParseAddress("0x1111111111111111111111111111111111111111")
	scam := chains.MustParseAddress("0x2222222222222222222222222222222222222222")
	pay := chains.Transfer{Chain: chains.Ethereum, Tx: chains.TxHash{1}, Block: 100, Time: time.Unix(1_700_000_000, 0).UTC(),
		From: victim, To: scam, Asset: chains.USDTEthereum, Amount: chains.NewAmount(2_500_000_000)}
	added, err := db.PutTransfers(ctx, []chains.Transfer{pay, pay})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("added", added)

	ts, err := db.Source().Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: scam, Asset: chains.USDTEthereum, To: chains.Latest})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range ts {
		fmt.Println(t.Block, t.From, "→", t.To, t.Amount.FormatFixed(6, 2), "USDT")
	}
	// Output:
	// added 1
	// 100 0x1111111111111111111111111111111111111111 → 0x2222222222222222222222222222222222222222 2,500.00 USDT
}
