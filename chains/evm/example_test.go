package evm_test

import (
	"context"
	"fmt"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/internal/devchain"
)

// Fetch an address's USDT history from a node. Here the node is a dev chain
// with a 50-block eth_getLogs cap; the source narrows its ranges to it.
func ExampleSource_Transfers() {
	ctx := context.Background()
	c, played, err := devchain.Run(ctx, devchain.Config{RangeLimit: 50}, devchain.PigButcher())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	src, err := evm.Dial(ctx, c.URL, chains.Ethereum, evm.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	usdt := played.Tokens["usdt"]
	ts, err := src.Transfers(ctx, chains.Query{
		Chain: chains.Ethereum, Address: played.Actors["collect-1"], Asset: usdt.ID, From: 0, To: chains.Latest,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range ts {
		dir := "in "
		if t.From == played.Actors["collect-1"] {
			dir = "out"
		}
		fmt.Printf("block %d %s %s USDT\n", t.Block, dir, t.Amount.FormatFixed(usdt.Decimals, 2))
	}
	// Output:
	// block 42 in  3,000.00 USDT
	// block 73 in  7,000.00 USDT
	// block 99 out 4,000.00 USDT
	// block 99 out 6,000.00 USDT
}
