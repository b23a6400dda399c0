package explorer_test

// Fuzz targets for the answers of an Etherscan-compatible API. Each target
// serves the fuzz input from an API on 127.0.0.1 and calls the Source's
// public methods as a caller does, with retries and the rate limit off.
// Whatever the answers, a call either fails (never showing the API key) or
// returns what the contract of chains.Source promises, derived from the
// answers.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
	"freezetrace/chains/explorer"
	"freezetrace/internal/sourcetest"
)

// fzKey is the API key; no error may show it.
const fzKey = "FZKEY0123456789ABCDEF0123456789AB"

// fzHTTP keeps loopback connections open across iterations.
var fzHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 20 * time.Second}

// fzServed is one answer the API sent.
type fzServed struct {
	q    url.Values
	body []byte
}

// fzAPI is an explorer API on 127.0.0.1 whose answers the current fuzz
// input decides; it keeps what it served until the next set.
type fzAPI struct {
	url string

	mu     sync.Mutex
	answer func(q url.Values) []byte
	served []fzServed
	gen    int // counts sets, so that a request of an earlier input is not kept
}

func newFzAPI(f *testing.F) *fzAPI {
	a := &fzAPI{}
	srv := httptest.NewServer(a)
	f.Cleanup(srv.Close)
	a.url = srv.URL + "/v2/api"
	return a
}

func (a *fzAPI) set(answer func(url.Values) []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.answer, a.served = answer, nil
	a.gen++
}

func (a *fzAPI) sent(action string) []fzServed {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []fzServed
	for _, s := range a.served {
		if s.q.Get("action") == action {
			out = append(out, s)
		}
	}
	return out
}

func (a *fzAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a.mu.Lock()
	answer, gen := a.answer, a.gen
	a.mu.Unlock()
	body := answer(q)
	a.mu.Lock()
	if a.gen == gen {
		a.served = append(a.served, fzServed{q, body})
	}
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// fzFill fills in "$page", "$start" and "$tx" from the request.
func fzFill(tmpl []byte, q url.Values) []byte {
	if !bytes.Contains(tmpl, []byte("$")) {
		return tmpl
	}
	return []byte(strings.NewReplacer("$page", q.Get("page"), "$start", q.Get("startblock"), "$tx", q.Get("txhash")).Replace(string(tmpl)))
}

func fzTime(n uint64) int64 { return 1_600_000_000 + 12*int64(n) }

// fzProxy answers the proxy module's calls of the fake chain: head 150,
// block n at fzTime(n), transactions at index 3 of block 100.
func fzProxy(q url.Values) ([]byte, bool) {
	switch q.Get("action") {
	case "eth_blockNumber":
		return []byte(`{"jsonrpc":"2.0","id":83,"result":"0x96"}`), true
	case "eth_getBlockByNumber":
		n, err := hexutil.DecodeUint64(q.Get("tag"))
		if err != nil {
			return []byte(`{"jsonrpc":"2.0","id":1,"result":null}`), true
		}
		return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":1,"result":{"number":"%s","timestamp":"%s","hash":"0x%064x"}}`,
			hexutil.EncodeUint64(n), hexutil.EncodeUint64(uint64(fzTime(n))), n), true
	}
	return nil, false
}

func fzSource(t *testing.T, a *fzAPI, o explorer.Options) *explorer.Source {
	t.Helper()
	o.BaseURL, o.APIKey, o.Rate, o.Retries, o.HTTPClient = a.url, fzKey, -1, -1, fzHTTP
	s, err := explorer.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func fzContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func fzCheckErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), fzKey) {
		t.Fatalf("error shows the API key: %v", err)
	}
}

// fzRows returns the rows of the served answers to action, each field as
// text.
func fzRows(a *fzAPI, action string) []map[string]string {
	var out []map[string]string
	for _, s := range a.sent(action) {
		d := json.NewDecoder(bytes.NewReader(s.body))
		d.UseNumber()
		var ans struct{ Result []map[string]any }
		if d.Decode(&ans) != nil {
			continue
		}
		for _, r := range ans.Result {
			m := map[string]string{}
			for k, v := range r {
				if v != nil {
					m[k] = fmt.Sprint(v)
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// fzFromRow reports whether some row says what tr says, read as the
// explorer's fields are read: its transaction, block, parties and amount.
func fzFromRow(rows []map[string]string, tr chains.Transfer) bool {
	return slices.ContainsFunc(rows, func(r map[string]string) bool {
		h, err := chains.ParseTxHash(r["hash"])
		if err != nil || h != tr.Tx {
			return false
		}
		if b, err := strconv.ParseUint(r["blockNumber"], 10, 64); err != nil || b != tr.Block {
			return false
		}
		if v, err := chains.ParseAmount(r["value"]); err != nil || v.Cmp(tr.Amount) != 0 {
			return false
		}
		to := r["to"]
		if to == "" {
			to = r["contractAddress"]
		}
		from, err1 := chains.Ethereum.ParseAddress(strings.ToLower(r["from"]))
		dest, err2 := chains.Ethereum.ParseAddress(strings.ToLower(to))
		return err1 == nil && err2 == nil && from == tr.From && dest == tr.To
	})
}

// fzCheckHistory checks what Transfers returned for q against the
// contract of chains.Source (sourcetest.CheckTransfers).
func fzCheckHistory(t *testing.T, ts []chains.Transfer, q chains.Query, head uint64) {
	t.Helper()
	sourcetest.CheckTransfers(t, ts, q, head)
}

var (
	fzVictim = chains.MustParseAddress("0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c")
	fzOther  = "0x28c6c06298d514db089934071355e5743bf21d60"
	fzTx1    = "0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2"
	fzTx2    = "0xcea6f89720cc1d2f46cc7a935463ae0b99dd5fad9c91bb7357de5421511cee49"
)

// fzTokenRow is a tokentx row as Etherscan writes it.
func fzTokenRow(block uint64, hash, from, to, value string, txIndex int) string {
	return fmt.Sprintf(`{"blockNumber":"%d","timeStamp":"%d","hash":"%s","nonce":"7","blockHash":"0x%064x","from":"%s",`+
		`"contractAddress":"0xdac17f958d2ee523a2206206994597c13d831ec7","to":"%s","value":"%s","tokenName":"Tether USD","tokenSymbol":"USDT",`+
		`"tokenDecimal":"6","transactionIndex":"%d","gas":"94813","gasPrice":"8000000000","gasUsed":"63209","cumulativeGasUsed":"1234567",`+
		`"input":"deprecated","confirmations":"50"}`, block, fzTime(block), hash, block, from, to, value, txIndex)
}

func fzOK(rows ...string) []byte {
	return []byte(`{"status":"1","message":"OK","result":[` + strings.Join(rows, ",") + `]}`)
}

// FuzzExplorerTokens serves tokentx answers ("$page" and "$start" are the
// page and startblock asked) to a USDT history read two rows a page with a
// result window of four: every transfer returned is a row the explorer
// sent, touching the address, in the range, placed by the explorer-order
// rule (transactionIndex×10,000 + rank).
func FuzzExplorerTokens(f *testing.F) {
	v := fzVictim.Hex()
	f.Add(fzOK(fzTokenRow(100, fzTx1, v, fzOther, "1500000", 3)))
	f.Add(fzOK(fzTokenRow(100, fzTx1, v, fzOther, "1500000", 3), fzTokenRow(120, fzTx2, fzOther, v, "0", 0)))
	f.Add(fzOK(fzTokenRow(100, fzTx1, v, fzOther, "1500000", 3), fzTokenRow(100, fzTx1, v, v, "2", 3)))
	f.Add([]byte(`{"status":"1","message":"OK","result":[` + fzTokenRow(100, fzTx1, v, fzOther, "1", 3) + `,` +
		strings.Replace(fzTokenRow(100, fzTx2, v, fzOther, "1", 3), `"blockNumber":"100"`, `"blockNumber":"$start"`, 1) + `]}`))
	f.Add([]byte(`{"status":"0","message":"No transactions found","result":[]}`))
	f.Add([]byte(`{"status":"0","message":"NOTOK","result":"Invalid API Key FZKEY0123456789ABCDEF0123456789AB"}`))
	f.Add([]byte(`{"status":"0","message":"Result window is too large, PageNo x Offset size must be less than or equal to 10000","result":null}`))
	f.Add(fzOK(strings.Replace(fzTokenRow(100, fzTx1, v, fzOther, "1500000", 3), `"value":"1500000"`, `"value":1500000`, 1)))
	f.Add(fzOK(fzTokenRow(200, fzTx1, v, fzOther, "1", 3)))
	a := newFzAPI(f)
	q := chains.Query{Chain: chains.Ethereum, Address: fzVictim, Asset: chains.USDTEthereum, From: 100, To: 200}
	f.Fuzz(func(t *testing.T, answer []byte) {
		a.set(func(qv url.Values) []byte {
			if b, ok := fzProxy(qv); ok {
				return b
			}
			return fzFill(answer, qv)
		})
		s := fzSource(t, a, explorer.Options{PageSize: 2, MaxWindow: 4})
		ts, err := s.Transfers(fzContext(t), q)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		fzCheckHistory(t, ts, q, 150)
		rows := fzRows(a, "tokentx")
		for _, tr := range ts {
			if !fzFromRow(rows, tr) {
				t.Fatalf("transfer %+v is no row the explorer sent", tr)
			}
			if tr.Position/10000 != tr.TxIndex {
				t.Fatalf("position %d of a transfer at transaction index %d", tr.Position, tr.TxIndex)
			}
		}
	})
}

// FuzzExplorerNative serves txlist and txlistinternal answers to an ether
// history: every transfer returned is a row the explorer sent, of a
// transaction that did not fail, touching the address, in the range.
func FuzzExplorerNative(f *testing.F) {
	v := fzVictim.Hex()
	tx := func(block uint64, hash, from, to, value, isError string) string {
		return fmt.Sprintf(`{"blockNumber":"%d","timeStamp":"%d","hash":"%s","nonce":"1","transactionIndex":"3","from":"%s","to":"%s","value":"%s",`+
			`"gas":"21000","gasPrice":"1000000000","isError":"%s","txreceipt_status":"1","input":"0x","contractAddress":"","gasUsed":"21000","functionName":""}`,
			block, fzTime(block), hash, from, to, value, isError)
	}
	internal := func(block uint64, hash, from, to, value, traceID string) string {
		return fmt.Sprintf(`{"blockNumber":"%d","timeStamp":"%d","hash":"%s","from":"%s","to":"%s","value":"%s","contractAddress":"","input":"",`+
			`"type":"call","gas":"2300","gasUsed":"0","traceId":"%s","isError":"0","errCode":""}`, block, fzTime(block), hash, from, to, value, traceID)
	}
	none := []byte(`{"status":"0","message":"No transactions found","result":[]}`)
	f.Add(fzOK(tx(100, fzTx1, v, fzOther, "100000000000000000", "0")), none)
	f.Add(fzOK(tx(100, fzTx1, v, fzOther, "1", "1")), fzOK(internal(110, fzTx2, fzOther, v, "5", "0_1")))
	f.Add(none, fzOK(internal(110, fzTx2, fzOther, v, "5", "0"), internal(110, fzTx2, fzOther, v, "6", "1")))
	f.Add(none, fzOK(strings.Replace(internal(110, fzTx2, fzOther, v, "5", "0"), `"type":"call"`, `"type":"delegatecall"`, 1)))
	f.Add(fzOK(strings.Replace(tx(100, fzTx1, v, "", "0", "0"), `"contractAddress":""`, `"contractAddress":"0xdac17f958d2ee523a2206206994597c13d831ec7"`, 1)), none)
	a := newFzAPI(f)
	q := chains.Query{Chain: chains.Ethereum, Address: fzVictim, Asset: chains.NativeAsset(chains.Ethereum), From: 100, To: 200}
	f.Fuzz(func(t *testing.T, txlist, internals []byte) {
		a.set(func(qv url.Values) []byte {
			if b, ok := fzProxy(qv); ok {
				return b
			}
			switch qv.Get("action") {
			case "txlist":
				return fzFill(txlist, qv)
			case "txlistinternal":
				return fzFill(internals, qv)
			case "eth_getTransactionByHash":
				return []byte(`{"jsonrpc":"2.0","id":1,"result":{"blockNumber":"0x6e","from":"` + fzOther + `","to":"` + v + `","value":"0x0","transactionIndex":"0x3","hash":"` + qv.Get("txhash") + `"}}`)
			}
			return []byte(`{"status":"0","message":"NOTOK","result":"Error! Missing Or invalid Action name"}`)
		})
		s := fzSource(t, a, explorer.Options{})
		ts, err := s.Transfers(fzContext(t), q)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		fzCheckHistory(t, ts, q, 150)
		rows := append(fzRows(a, "txlist"), fzRows(a, "txlistinternal")...)
		for _, tr := range ts {
			if !fzFromRow(rows, tr) {
				t.Fatalf("transfer %+v is no row the explorer sent", tr)
			}
		}
	})
}

// FuzzExplorerTx serves the proxy module's receipt and transaction and the
// txlistinternal answer ("$tx" is the hash asked for) to TxTransfers, with
// receipt positions (exact) or explorer-order ones: every transfer returned
// belongs to the transaction asked for, each once, in the receipt's block
// at that block's time. TxEvents then answers events of that transaction
// in log order, from the receipt TxTransfers read when it succeeded.
func FuzzExplorerTx(f *testing.F) {
	receipt := `{"jsonrpc":"2.0","id":1,"result":{"blockHash":"0x0000000000000000000000000000000000000000000000000000000000000064","blockNumber":"0x64",` +
		`"contractAddress":null,"cumulativeGasUsed":"0x1b4a1","from":"` + fzVictim.Hex() + `","gasUsed":"0xb48f","logs":[{"address":"0xdac17f958d2ee523a2206206994597c13d831ec7",` +
		`"topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef","0x0000000000000000000000005a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c",` +
		`"0x00000000000000000000000028c6c06298d514db089934071355e5743bf21d60"],"data":"0x0000000000000000000000000000000000000000000000000000000002f6c73a",` +
		`"blockNumber":"0x64","transactionHash":"$tx","transactionIndex":"0x3","logIndex":"0x2","removed":false}],"status":"0x1",` +
		`"to":"0xdac17f958d2ee523a2206206994597c13d831ec7","transactionHash":"$tx","transactionIndex":"0x3"}}`
	tx := `{"jsonrpc":"2.0","id":1,"result":{"blockNumber":"0x64","from":"` + fzVictim.Hex() + `","to":"0xdac17f958d2ee523a2206206994597c13d831ec7",` +
		`"value":"0x0","transactionIndex":"0x3","hash":"$tx","input":"0xa9059cbb"}}`
	none := `{"status":"0","message":"No transactions found","result":[]}`
	// A Uniswap V2 Swap and a WETH9 Withdrawal after the Transfer log.
	swap := strings.Replace(receipt, `}],"status"`, `},{"address":"0x00000000000000000000000000000000000009a1",`+
		`"topics":["0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822","0x0000000000000000000000005a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c",`+
		`"0x0000000000000000000000005a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c"],"data":"0x`+strings.Repeat("0", 63)+"1"+strings.Repeat("0", 128)+strings.Repeat("0", 63)+"1"+`",`+
		`"logIndex":"0x3","removed":false},{"address":"0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",`+
		`"topics":["0x7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65","0x0000000000000000000000005a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c"],`+
		`"data":"0x`+strings.Repeat("0", 63)+"1"+`","logIndex":"0x4","removed":false}],"status"`, 1)
	internal := `{"status":"1","message":"OK","result":[{"blockNumber":"100","timeStamp":"1600001200","from":"0xdac17f958d2ee523a2206206994597c13d831ec7",` +
		`"to":"` + fzOther + `","value":"7","contractAddress":"","input":"","type":"call","gas":"2300","gasUsed":"0","isError":"0","errCode":""}]}`
	for _, exact := range []bool{false, true} {
		f.Add([]byte(receipt), []byte(tx), []byte(none), exact)
		f.Add([]byte(receipt), []byte(tx), []byte(internal), exact)
		f.Add([]byte(swap), []byte(tx), []byte(internal), exact)
		f.Add([]byte(strings.Replace(receipt, `"status":"0x1"`, `"status":"0x0"`, 1)), []byte(tx), []byte(none), exact)
		f.Add([]byte(`{"jsonrpc":"2.0","id":1,"result":null}`), []byte(tx), []byte(none), exact)
		f.Add([]byte(receipt), []byte(`{"jsonrpc":"2.0","id":1,"result":{"blockNumber":null}}`), []byte(none), exact)
	}
	a := newFzAPI(f)
	asked := chains.MustParseTxHash(fzTx1)
	f.Fuzz(func(t *testing.T, receipt, tx, internal []byte, exact bool) {
		a.set(func(qv url.Values) []byte {
			if b, ok := fzProxy(qv); ok {
				return b
			}
			switch qv.Get("action") {
			case "eth_getTransactionReceipt":
				return fzFill(receipt, qv)
			case "eth_getTransactionByHash":
				return fzFill(tx, qv)
			case "txlistinternal":
				return fzFill(internal, qv)
			}
			return []byte(`{"status":"0","message":"NOTOK","result":"Error! Missing Or invalid Action name"}`)
		})
		s := fzSource(t, a, explorer.Options{ExactPositions: exact})
		ts, err := s.TxTransfers(fzContext(t), chains.Ethereum, asked)
		fzCheckErr(t, err)
		fzCheckEvents(t, s, asked)
		if err != nil {
			return
		}
		if n := len(a.sent("eth_getTransactionReceipt")); n != 1 {
			t.Fatalf("%d receipt requests for TxTransfers and TxEvents of one transaction, want 1", n)
		}
		var rc struct {
			Result struct{ BlockNumber hexutil.Uint64 }
		}
		if json.Unmarshal(fzFill(receipt, url.Values{"txhash": {fzTx1}}), &rc) != nil {
			t.Fatalf("transfers from a receipt that does not decode")
		}
		if !slices.IsSortedFunc(ts, chains.Compare) {
			t.Fatalf("transfers not in canonical order: %+v", ts)
		}
		seen := map[chains.TransferKey]bool{}
		for _, tr := range ts {
			switch {
			case tr.Tx != asked || tr.Chain != chains.Ethereum || tr.Asset.Chain != chains.Ethereum:
				t.Fatalf("TxTransfers(%s) returned %+v", fzTx1, tr)
			case seen[tr.Key()]:
				t.Fatalf("transfer twice: %+v", tr)
			case tr.Block != uint64(rc.Result.BlockNumber):
				t.Fatalf("transfer in block %d, the receipt's block is %d", tr.Block, uint64(rc.Result.BlockNumber))
			case !tr.Time.Equal(time.Unix(fzTime(tr.Block), 0)) || tr.Time.Location() != time.UTC:
				t.Fatalf("transfer in block %d at %v, the block's time is %d", tr.Block, tr.Time, fzTime(tr.Block))
			case tr.Amount.Big().BitLen() > 256:
				t.Fatalf("amount %s", tr.Amount)
			}
			seen[tr.Key()] = true
		}
	})
}

// fzCheckEvents asks s for the events of tx: events of tx, in log order,
// each once, of known kinds; an empty slice rather than nil.
func fzCheckEvents(t *testing.T, s *explorer.Source, tx chains.TxHash) {
	t.Helper()
	events, err := s.TxEvents(fzContext(t), chains.Ethereum, tx)
	fzCheckErr(t, err)
	if err != nil {
		return
	}
	if events == nil {
		t.Fatal("TxEvents: nil, want a slice")
	}
	for i, e := range events {
		switch {
		case e.Tx != tx || e.Chain != chains.Ethereum:
			t.Fatalf("TxEvents(%s) returned %+v", tx, e)
		case i > 0 && e.Position <= events[i-1].Position:
			t.Fatalf("event %d at position %d after position %d", i, e.Position, events[i-1].Position)
		case !slices.Contains(chains.EventKinds, e.Kind):
			t.Fatalf("event of unknown kind %+v", e)
		}
	}
}

// FuzzExplorerBlocks serves the answers to eth_blockNumber (Head),
// eth_getBlockByNumber (BlockTime of block 100) and getblocknobytime
// (BlockAt): each returns what the answer said, or an error.
func FuzzExplorerBlocks(f *testing.F) {
	f.Add([]byte(`{"jsonrpc":"2.0","id":83,"result":"0x1312d10"}`), []byte(`{"jsonrpc":"2.0","id":1,"result":{"number":"0x64","timestamp":"0x5f5e14b0"}}`), []byte(`{"status":"1","message":"OK","result":"100"}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":83,"result":null}`), []byte(`{"jsonrpc":"2.0","id":1,"result":{"number":"0x65","timestamp":"0x1"}}`), []byte(`{"status":"1","message":"OK","result":100}`))
	f.Add([]byte(`{"status":"0","message":"NOTOK","result":"Max rate limit reached"}`), []byte(`{"jsonrpc":"2.0","id":1,"result":null}`), []byte(`{"status":"0","message":"NOTOK","result":"Error! No closest block found"}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":83,"error":{"code":-32005,"message":"limit"}}`), []byte(`{"jsonrpc":"2.0","id":1,"result":"0x"}`), []byte(`{"status":"1","message":"OK","result":"-1"}`))
	a := newFzAPI(f)
	at := time.Unix(1_600_001_200, 0).UTC()
	f.Fuzz(func(t *testing.T, head, block, byTime []byte) {
		a.set(func(qv url.Values) []byte {
			switch qv.Get("action") {
			case "eth_blockNumber":
				return head
			case "eth_getBlockByNumber":
				return block
			case "getblocknobytime":
				return byTime
			}
			return []byte(`{"status":"0","message":"NOTOK","result":"Error! Missing Or invalid Action name"}`)
		})
		s := fzSource(t, a, explorer.Options{})
		ctx := fzContext(t)
		h, err := s.Head(ctx, chains.Ethereum)
		fzCheckErr(t, err)
		if err == nil {
			var r struct{ Result hexutil.Uint64 }
			if json.Unmarshal(head, &r) != nil || uint64(r.Result) != h {
				t.Fatalf("head %d from %s", h, head)
			}
		}
		bt, err := s.BlockTime(ctx, chains.Ethereum, 100)
		fzCheckErr(t, err)
		if err == nil {
			var r struct {
				Result struct{ Number, Timestamp hexutil.Uint64 }
			}
			if json.Unmarshal(block, &r) != nil || r.Result.Number != 100 || !bt.Equal(time.Unix(int64(r.Result.Timestamp), 0)) || bt.Location() != time.UTC {
				t.Fatalf("block 100 at %v from %s", bt, block)
			}
		}
		n, err := s.BlockAt(ctx, chains.Ethereum, at)
		fzCheckErr(t, err)
		if err == nil {
			d := json.NewDecoder(bytes.NewReader(byTime))
			d.UseNumber()
			var r struct{ Result any }
			if d.Decode(&r) != nil {
				t.Fatalf("block %d from %s", n, byTime)
			}
			if w, ok := new(big.Int).SetString(fmt.Sprint(r.Result), 10); !ok || !w.IsUint64() || w.Uint64() != n {
				t.Fatalf("block %d from %s", n, byTime)
			}
		}
	})
}
