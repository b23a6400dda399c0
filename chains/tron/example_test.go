package tron_test

import (
	"fmt"
	"strings"

	"freezetrace/chains"
	"freezetrace/chains/tron"
)

func ExampleReadTronscan() {
	export := `transaction_id,block,block_ts,from_address,to_address,quant,contract_address,tokenAbbr,tokenDecimal
c1f1d8d0c8a7a9e2b4f3c6d5e8f7a6b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5,62258698,1717419792000,TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj,TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t,2500000000,TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t,USDT,6
`
	ts, assets, err := tron.ReadTronscan(strings.NewReader(export), "export.csv", tron.ExportOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range ts {
		fmt.Println(t.Block, t.Time.Format("2006-01-02 15:04:05"), t.From, "→", t.To, t.Amount.Format(assets[0].Decimals), assets[0].Symbol)
	}
	// Output:
	// 62258698 2024-06-03 13:03:12 TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj → TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t 2500 USDT
}

func ExampleSource() {
	// A TronGrid source: the key is optional; BaseURL may point at a
	// mirror or a self-hosted node.
	src, err := tron.New(tron.Options{APIKey: "your-trongrid-key", RateLimit: 10})
	if err != nil {
		fmt.Println(err)
		return
	}
	var _ chains.Source = src
	fmt.Println(src.Name())
	// Output:
	// trongrid https://api.trongrid.io
}
