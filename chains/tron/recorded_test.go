package tron_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/tron"
)

// TestRecordedAccountTransactions decodes a page of
// /v1/accounts/{a}/transactions holding two mainnet TRX transfers of
// TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj (41 05cc…d57a), every field as
// TronGrid returns it.
func TestRecordedAccountTransactions(t *testing.T) {
	page, err := os.ReadFile("testdata/trongrid_account_transactions.json")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/accounts/{a}/transactions", func(w http.ResponseWriter, r *http.Request) {
		w.Write(page)
	})
	mux.HandleFunc("POST /walletsolidity/getnowblock", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"blockID":"0000000003b5fe2c2b9d0f2e4d8cbb1f1a4f1d1a0ab4c1c2d3e4f5a6b7c8d9e0","block_header":{"raw_data":{"number":62258732,"txTrieRoot":"00","witness_address":"41aa","parentHash":"00","version":30,"timestamp":1717419894000},"witness_signature":"00"}}`))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s, err := tron.New(tron.Options{BaseURL: srv.URL, RateLimit: -1, NoTxIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	account := chains.MustParseAddress("4105cc125604448afeb6867eb688efb7e80411d57a")
	got, err := s.Transfers(context.Background(), chains.Query{Chain: chains.Tron, Address: account, Asset: trx, To: chains.Latest})
	if err != nil {
		t.Fatal(err)
	}
	want := []chains.Transfer{
		{
			Chain: chains.Tron, Tx: chains.MustParseTxHash("b0b68ea41e7b46f06196ea0ff47837afe821f985eb966a4915eb3809ac893461"),
			Block: 62258673, Time: time.UnixMilli(1717419717000).UTC(),
			From: account, To: chains.MustParseAddress("41f03c5fb459d4f746ff01692b940c5a8a01480db1"),
			Asset: trx, Amount: chains.NewAmount(100_000000),
		},
		{
			Chain: chains.Tron, Tx: chains.MustParseTxHash("47086db397eac45d2fe7dacedcb6f77267d6895dce645210e495e64f8a2a7910"),
			Block: 62258698, Time: time.UnixMilli(1717419792000).UTC(),
			From: chains.MustParseAddress("419b3281a60ab7a44f351ef2896c653f134972ad22"), To: account,
			Asset: trx, Amount: chains.NewAmount(5),
		},
	}
	sameTransfers(t, got, want)
	if account.String() != "TAVrrARNdnjHgCGMQYeQV7hv4PSu7mVsMj" {
		t.Errorf("account shows as %s", account)
	}
}
