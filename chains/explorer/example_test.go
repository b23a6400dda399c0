package explorer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"freezetrace/chains"
	"freezetrace/chains/explorer"
)

// Read an address's USDT history from an Etherscan-compatible API. Here the
// API is a local stand-in answering two rows.
func ExampleSource_Transfers() {
	rows := []map[string]string{
		{"blockNumber": "20000001", "timeStamp": "1717200000", "hash": "0x" + fmt.Sprintf("%064x", 1),
			"from": "0x00000000000000000000000000000000000a11ce", "to": "0x0000000000000000000000000000000000000b0b",
			"contractAddress": "0xdac17f958d2ee523a2206206994597c13d831ec7", "value": "2500000000",
			"tokenSymbol": "USDT", "tokenDecimal": "6", "transactionIndex": "17"},
		{"blockNumber": "20000009", "timeStamp": "1717200096", "hash": "0x" + fmt.Sprintf("%064x", 2),
			"from": "0x0000000000000000000000000000000000000b0b", "to": "0x00000000000000000000000000000000000a11ce",
			"contractAddress": "0xdac17f958d2ee523a2206206994597c13d831ec7", "value": "0",
			"tokenSymbol": "USDT", "tokenDecimal": "6", "transactionIndex": "3"},
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("action") {
		case "eth_blockNumber":
			fmt.Fprint(w, `{"jsonrpc":"2.0","id":1,"result":"0x1312d10"}`)
		case "tokentx":
			json.NewEncoder(w).Encode(map[string]any{"status": "1", "message": "OK", "result": rows})
		}
	}))
	defer api.Close()

	src, err := explorer.New(explorer.Options{BaseURL: api.URL + "/v2/api", APIKey: "key", Chain: chains.Ethereum, Rate: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	ts, err := src.Transfers(context.Background(), chains.Query{
		Chain:   chains.Ethereum,
		Address: chains.MustParseAddress("0x00000000000000000000000000000000000a11ce"),
		Asset:   chains.USDTEthereum,
		From:    20_000_000,
		To:      chains.Latest,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range ts {
		fmt.Println(t.Block, t.Position, t.Amount.Format(6), t.Time.Format("2006-01-02 15:04"))
	}
	fmt.Println(src.PositionRule(), src.Requests())
	// Output:
	// 20000001 170000 2500 2024-06-01 00:00
	// 20000009 30000 0 2024-06-01 00:01
	// explorer order 2
}
