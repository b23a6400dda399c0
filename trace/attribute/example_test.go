package attribute_test

import (
	"context"
	"fmt"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace/attribute"
)

// A deposit address is recognised from its sweep into a labeled hot wallet.
func ExampleAttributor_Attribute() {
	hot := chains.MustParseAddress("0x28c6c06298d514db089934071355e5743bf21d60")
	dep := chains.MustParseAddress("0x00000000000000000000000000000000000000d1")
	payer := chains.MustParseAddress("0x00000000000000000000000000000000000000a1")
	t0 := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	src := mem.New(
		chains.Transfer{Chain: chains.Ethereum, Tx: chains.TxHash{1}, Block: 100, Time: t0, From: payer, To: dep,
			Asset: chains.USDTEthereum, Amount: chains.NewAmount(250_000_000)},
		chains.Transfer{Chain: chains.Ethereum, Tx: chains.TxHash{2}, Block: 200, Time: t0.Add(40 * time.Minute), From: dep, To: hot,
			Asset: chains.USDTEthereum, Amount: chains.NewAmount(250_000_000)},
	)
	src.AddLabel(chains.Label{Chain: chains.Ethereum, Address: hot, Entity: "Binance", Category: chains.CategoryExchange,
		Source: "exchange-wallets-binance.yaml", Confidence: 90})

	at, err := attribute.New(src, src, attribute.Options{}).Attribute(context.Background(), dep, chains.USDTEthereum, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(at.Category, at.Entity, chains.Ethereum.FormatTx(at.SweepTxs[0]))
	fmt.Println(at.Cluster.Members)
	// Output:
	// deposit Binance 0x0200000000000000000000000000000000000000000000000000000000000000
	// [0x00000000000000000000000000000000000000A1 0x00000000000000000000000000000000000000D1]
}
