package labels_test

import (
	"fmt"
	"strings"

	"freezetrace/chains/labels"
)

func ExampleParseCSV() {
	in := "chain,address,entity,category,source\n" +
		"tron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,Binance,exchange,case notes 2025-01\n" +
		"ethereum,0x12,Nobody,scam\n"
	res, err := labels.ParseCSV(strings.NewReader(in), "mine.csv", labels.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range res.Labels {
		fmt.Println(l.Chain, l.Address, l.Entity, l.Category, l.Source)
	}
	for _, b := range res.Bad {
		fmt.Println("bad:", b)
	}
	// Output:
	// tron TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9 Binance exchange case notes 2025-01
	// bad: mine.csv:3: ethereum address: not an EVM address: "0x12": want 40 hex digits, got 2
}
