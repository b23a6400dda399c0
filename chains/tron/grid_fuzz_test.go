package tron_test

// Fuzz targets for the TronGrid and java-tron answers a Source reads. Each
// target serves the fuzz input from an API on 127.0.0.1 and calls the
// Source's public methods as a caller does, with retries and the rate
// limit off. The fake chain behind the answers the input does not decide
// has block n at time fzMs(n), with id fzBlockID(n), holding one
// transaction, fzTxID(n). Whatever the answers, a call either fails
// (never showing the API key) or returns what the contract of
// chains.Source promises, derived from the answers.

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/tron"
	"freezetrace/internal/sourcetest"
)

// fzKey is the API key; no error may show it.
const fzKey = "fz-key-0123456789abcdef"

// fzHTTP keeps loopback connections open across iterations.
var fzHTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 20 * time.Second}

const fzHead = 1900

func fzMs(n uint64) int64           { return 1_700_000_000_000 + 3000*int64(n) }
func fzBlockID(n uint64) string     { return fmt.Sprintf("%064x", 0xb10c0000+n) }
func fzTxID(n uint64) string        { return fmt.Sprintf("%064x", n) }
func fzHex(a chains.Address) string { b := a.Bytes(); return hex.EncodeToString(b[:]) }

var (
	fzVictim = chains.MustParseAddress("TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9")
	fzOther  = chains.MustParseAddress("TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR")
)

// fzServed is one answer the API sent.
type fzServed struct {
	path string
	req  map[string]any // the POST body
	body []byte
}

// fzGrid is a TronGrid-compatible API on 127.0.0.1 whose answers to some
// endpoints the current fuzz input decides: answer returns the body for a
// request (path pattern as fakeGrid names them, POST body decoded), nil
// for a 404. It keeps what it served until the next set.
type fzGrid struct {
	url string

	mu     sync.Mutex
	answer func(path string, req map[string]any) []byte
	served []fzServed
	gen    int // counts sets, so that a request of an earlier input is not kept
}

func newFzGrid(f *testing.F) *fzGrid {
	g := &fzGrid{}
	srv := httptest.NewServer(g)
	f.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

func (g *fzGrid) set(answer func(string, map[string]any) []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.answer, g.served = answer, nil
	g.gen++
}

func (g *fzGrid) sent(path string) []fzServed {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []fzServed
	for _, s := range g.served {
		if s.path == path {
			out = append(out, s)
		}
	}
	return out
}

func (g *fzGrid) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "v1" && parts[1] == "accounts":
		path = "/v1/accounts/{a}/" + strings.Join(parts[3:], "/")
	case len(parts) == 4 && parts[0] == "v1" && parts[1] == "contracts":
		path = "/v1/contracts/{c}/" + parts[3]
	}
	var req map[string]any
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&req); err != nil {
			http.Error(w, `{"Error":"bad json"}`, http.StatusBadRequest)
			return
		}
	}
	g.mu.Lock()
	answer, gen := g.answer, g.gen
	g.mu.Unlock()
	body := answer(path, req)
	if body == nil {
		http.Error(w, `{"Error":"not found"}`, http.StatusNotFound)
		return
	}
	g.mu.Lock()
	if g.gen == gen {
		g.served = append(g.served, fzServed{path, req, body})
	}
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// fzNum reads a block number from a request field.
func fzNum(req map[string]any, key string) (uint64, bool) {
	n, err := strconv.ParseUint(fmt.Sprint(req[key]), 10, 64)
	return n, err == nil
}

// fzBlock is the fake chain's answer to getnowblock and getblock for
// block n, with its transaction when detail is set.
func fzBlock(n uint64, detail bool) []byte {
	txs := ""
	if detail {
		txs = fmt.Sprintf(`,"transactions":[{"txID":"%s","ret":[{"contractRet":"SUCCESS"}]}]`, fzTxID(n))
	}
	return fmt.Appendf(nil, `{"blockID":"%s","block_header":{"raw_data":{"number":%d,"timestamp":%d,"witness_address":"41%s"}}%s}`,
		fzBlockID(n), n, fzMs(n), strings.Repeat("11", 20), txs)
}

// fzChain answers the endpoints of the fake chain itself: the head and
// the blocks.
func fzChain(path string, req map[string]any) ([]byte, bool) {
	switch path {
	case "/walletsolidity/getnowblock":
		return fzBlock(fzHead, false), true
	case "/wallet/getblock":
		n, ok := fzNum(req, "id_or_num")
		if !ok || n > fzHead+20 {
			return []byte("{}"), true
		}
		return fzBlock(n, req["detail"] == true), true
	case "/wallet/getblockbynum":
		n, ok := fzNum(req, "num")
		if !ok || n > fzHead+20 {
			return []byte("{}"), true
		}
		return fzBlock(n, true), true
	}
	return nil, false
}

// fzFill fills in a template for a request about block n: "$num" is n,
// "$ms" its time, "$tx" its transaction's id.
func fzFill(tmpl []byte, n uint64) []byte {
	if !bytes.Contains(tmpl, []byte("$")) {
		return tmpl
	}
	return []byte(strings.NewReplacer("$num", strconv.FormatUint(n, 10), "$ms", strconv.FormatInt(fzMs(n), 10),
		"$tx", fzTxID(n)).Replace(string(tmpl)))
}

// fzTxBlock is the block of a transaction of the fake chain, from its id.
func fzTxBlock(id string) uint64 {
	b, ok := new(big.Int).SetString(id, 16)
	if !ok || !b.IsUint64() {
		return 0
	}
	return b.Uint64()
}

func fzSource(t *testing.T, g *fzGrid, noIdx bool) *tron.Source {
	t.Helper()
	s, err := tron.New(tron.Options{BaseURL: g.url, APIKey: fzKey, RateLimit: -1, MaxRetries: -1, Workers: 2,
		NoTxIndex: noIdx, HTTPClient: fzHTTP})
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

// fzCheckHistory checks what Transfers returned for q against the
// contract of chains.Source (sourcetest.CheckTransfers).
func fzCheckHistory(t *testing.T, ts []chains.Transfer, q chains.Query) {
	t.Helper()
	sourcetest.CheckTransfers(t, ts, q, fzHead)
}

// fzListed returns the transaction ids the served listings named under key.
func fzListed(g *fzGrid, path, key string) map[chains.TxHash]bool {
	out := map[chains.TxHash]bool{}
	for _, s := range g.sent(path) {
		var p struct{ Data []map[string]json.RawMessage }
		if json.Unmarshal(s.body, &p) != nil {
			continue
		}
		for _, it := range p.Data {
			var id string
			if json.Unmarshal(it[key], &id) == nil {
				if h, err := chains.ParseTxHash(id); err == nil {
					out[h] = true
				}
			}
		}
	}
	return out
}

// fzIndexOK reports whether tx at index i is what a served block listing
// (or, failing that, the fake chain's block) says of block n.
func fzIndexOK(g *fzGrid, n uint64, tx chains.TxHash, i uint32) bool {
	if i == 0 && tx == chains.MustParseTxHash(fzTxID(n)) {
		return true
	}
	for _, s := range g.sent("/wallet/gettransactioninfobyblocknum") {
		if m, ok := fzNum(s.req, "num"); !ok || m != n {
			continue
		}
		var infos []struct{ ID string }
		if json.Unmarshal(s.body, &infos) == nil && int(i) < len(infos) {
			if h, err := chains.ParseTxHash(infos[i].ID); err == nil && h == tx {
				return true
			}
		}
	}
	return false
}

// fzTransferLog is a TRC-20 Transfer event as java-tron writes it in a
// receipt.
func fzTransferLog(token, from, to chains.Address, amount uint64) string {
	return fmt.Sprintf(`{"address":"%s","topics":["ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef","%064s","%064s"],"data":"%064x"}`,
		fzHex(token), fzHex(from), fzHex(to), amount)
}

// fzReceipt is a receipt of the fake chain's transaction in block $num.
func fzReceipt(logs ...string) string {
	return `{"id":"$tx","fee":345000,"blockNumber":$num,"blockTimeStamp":$ms,"contractResult":[""],"contract_address":"41a614f803b6fd780986a42c78ec9c7f77e6ded13c",` +
		`"receipt":{"energy_usage_total":14650,"net_usage":345,"result":"SUCCESS"},"log":[` + strings.Join(logs, ",") + `]}`
}

// fzTRC20Item is an entry of the TRC-20 listing for block n's transaction.
func fzTRC20Item(n uint64, from, to chains.Address, value string) string {
	return fmt.Sprintf(`{"transaction_id":"%s","token_info":{"symbol":"USDT","address":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t","decimals":6,"name":"Tether USD"},`+
		`"block_timestamp":%d,"from":"%s","to":"%s","type":"Transfer","value":"%s"}`, fzTxID(n), fzMs(n), from, to, value)
}

// FuzzGridTRC20 serves the TRC-20 listing, the per-block receipt listings
// ("$num", "$ms" and "$tx" stand for the block asked; an empty template is
// a node without the endpoint) and receipts by id to a USDT history
// (Transfers): every transfer returned was listed, touches the address,
// lies in the range, and carries its transaction's index in its block.
func FuzzGridTRC20(f *testing.F) {
	usdt := chains.USDTTron.Contract
	page := func(items ...string) []byte {
		return []byte(`{"data":[` + strings.Join(items, ",") + `],"success":true,"meta":{"at":1700005700000,"page_size":` + strconv.Itoa(len(items)) + `}}`)
	}
	list := []byte("[" + fzReceipt(fzTransferLog(usdt, fzVictim, fzOther, 1_500_000)) + "]")
	info := []byte(fzReceipt(fzTransferLog(usdt, fzVictim, fzOther, 1_500_000)))
	f.Add(page(fzTRC20Item(1500, fzVictim, fzOther, "1500000")), list, info, false)
	f.Add(page(fzTRC20Item(1500, fzVictim, fzOther, "1500000")), list, info, true)
	f.Add(page(fzTRC20Item(1500, fzVictim, fzOther, "1500000"), fzTRC20Item(1200, fzOther, fzVictim, "7")), list, info, false)
	f.Add(page(fzTRC20Item(1500, fzVictim, fzOther, "1500000")), []byte{}, info, false)
	f.Add(page(fzTRC20Item(1500, fzVictim, fzOther, "1500000")), []byte("{}"), info, false)
	f.Add(page(fzTRC20Item(1500, fzVictim, fzOther, "1500000")),
		[]byte("["+fzReceipt(fzTransferLog(usdt, fzOther, fzOther, 9), fzTransferLog(usdt, fzVictim, fzVictim, 3))+"]"), info, false)
	f.Add(page(fzTRC20Item(1500, fzVictim, fzOther, "1500000")), []byte(`[{"id":"$tx","blockNumber":$num,"result":"FAILED","receipt":{"result":"REVERT"},"log":[]}]`), info, false)
	f.Add(page(fzTRC20Item(2500, fzVictim, fzOther, "1")), list, info, false)
	f.Add([]byte(`{"data":[],"success":true,"meta":{"fingerprint":"abc","page_size":0}}`), list, info, false)
	f.Add([]byte(`{"data":[`+fzTRC20Item(1500, fzVictim, fzOther, "1")+`],"success":true,"meta":{"fingerprint":"abc","page_size":1}}`), list, info, false)
	g := newFzGrid(f)
	q := chains.Query{Chain: chains.Tron, Address: fzVictim, Asset: chains.USDTTron, From: 1000, To: 2000}
	f.Fuzz(func(t *testing.T, listing, receipts, info []byte, noIdx bool) {
		g.set(func(path string, req map[string]any) []byte {
			if b, ok := fzChain(path, req); ok {
				return b
			}
			switch path {
			case "/v1/accounts/{a}/transactions/trc20":
				return listing
			case "/wallet/gettransactioninfobyblocknum":
				n, _ := fzNum(req, "num")
				if len(receipts) == 0 {
					return nil
				}
				return fzFill(receipts, n)
			case "/wallet/gettransactioninfobyid":
				return fzFill(info, fzTxBlock(fmt.Sprint(req["value"])))
			}
			return nil
		})
		s := fzSource(t, g, noIdx)
		ts, err := s.Transfers(fzContext(t), q)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		fzCheckHistory(t, ts, q)
		listed := fzListed(g, "/v1/accounts/{a}/transactions/trc20", "transaction_id")
		for _, tr := range ts {
			if !listed[tr.Tx] {
				t.Fatalf("transfer %+v of a transaction the listing did not name", tr)
			}
			if noIdx && tr.TxIndex != 0 {
				t.Fatalf("NoTxIndex, yet index %d", tr.TxIndex)
			}
			if !noIdx && !fzIndexOK(g, tr.Block, tr.Tx, tr.TxIndex) {
				t.Fatalf("transfer %+v: not at that index in its block", tr)
			}
		}
	})
}

// fzTRXItem is a TransferContract transaction of block n as the account
// listing gives it.
func fzTRXItem(n uint64, from, to chains.Address, amount int64, ret string) string {
	return fmt.Sprintf(`{"ret":[{"contractRet":"%s","fee":0}],"txID":"%s","blockNumber":%d,"block_timestamp":%d,"net_usage":268,`+
		`"raw_data":{"contract":[{"parameter":{"value":{"amount":%d,"owner_address":"41%s","to_address":"41%s"},"type_url":"type.googleapis.com/protocol.TransferContract"},"type":"TransferContract"}],`+
		`"expiration":1700000060000,"timestamp":1700000000000}}`, ret, fzTxID(n), n, fzMs(n), amount, fzHex(from), fzHex(to))
}

// FuzzGridTRX serves the account's transaction listing and the per-block
// receipt listings to a TRX history: every transfer returned is a
// successful listed transaction's own TRX or the TRX of an internal
// transaction the listing named, touching the address, in the range, at
// its index in its block.
func FuzzGridTRX(f *testing.F) {
	page := func(items ...string) []byte {
		return []byte(`{"data":[` + strings.Join(items, ",") + `],"success":true,"meta":{"at":1700005700000,"page_size":` + strconv.Itoa(len(items)) + `}}`)
	}
	list := []byte(`[{"id":"$tx","blockNumber":$num,"blockTimeStamp":$ms,"receipt":{"net_usage":268}}]`)
	f.Add(page(fzTRXItem(1500, fzVictim, fzOther, 25_000_000, "SUCCESS")), list)
	f.Add(page(fzTRXItem(1500, fzVictim, fzOther, 25_000_000, "SUCCESS"), fzTRXItem(1600, fzOther, fzVictim, 1, "SUCCESS")), []byte{})
	f.Add(page(fzTRXItem(1500, fzVictim, fzOther, 25_000_000, "REVERT"), fzTRXItem(1501, fzOther, fzOther, 5, "SUCCESS")), list)
	f.Add(page(fzTRXItem(1500, fzVictim, fzOther, -1, "SUCCESS")), list)
	f.Add(page(`{"internal_tx_id":"abc","data":{"call_value":{"_":5}}}`), list)
	// A swap's TRX payout: the listing names the transaction, its receipt
	// the internal transaction.
	f.Add(page(`{"internal_tx_id":"ab","tx_id":"`+fzTxID(1500)+`","block_timestamp":`+strconv.FormatInt(fzMs(1500), 10)+`,"data":{"call_value":{"_":5}}}`),
		[]byte(`[{"id":"$tx","blockNumber":$num,"blockTimeStamp":$ms,"receipt":{"result":"SUCCESS"},"internal_transactions":[`+
			`{"caller_address":"41`+fzHex(fzOther)+`","transferTo_address":"41`+fzHex(fzVictim)+`","callValueInfo":[{"callValue":5}],"note":"63616c6c"}]}]`))
	f.Add(page(fzTRXItem(999, fzVictim, fzOther, 3, "SUCCESS")), []byte("{}"))
	g := newFzGrid(f)
	q := chains.Query{Chain: chains.Tron, Address: fzVictim, Asset: chains.NativeAsset(chains.Tron), From: 1000, To: 2000}
	f.Fuzz(func(t *testing.T, listing, receipts []byte) {
		g.set(func(path string, req map[string]any) []byte {
			if b, ok := fzChain(path, req); ok {
				return b
			}
			switch path {
			case "/v1/accounts/{a}/transactions":
				return listing
			case "/wallet/gettransactioninfobyblocknum":
				n, _ := fzNum(req, "num")
				if len(receipts) == 0 {
					return nil
				}
				return fzFill(receipts, n)
			}
			return nil
		})
		s := fzSource(t, g, false)
		ts, err := s.Transfers(fzContext(t), q)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		fzCheckHistory(t, ts, q)
		listed := fzListed(g, "/v1/accounts/{a}/transactions", "txID")
		for h := range fzListed(g, "/v1/accounts/{a}/transactions", "tx_id") {
			listed[h] = true // named by an internal transaction's entry
		}
		for _, tr := range ts {
			if !listed[tr.Tx] || tr.Amount.Big().BitLen() > 64 {
				t.Fatalf("transfer %+v is no listed transaction's TRX", tr)
			}
			if !fzIndexOK(g, tr.Block, tr.Tx, tr.TxIndex) {
				t.Fatalf("transfer %+v: not at that index in its block", tr)
			}
		}
	})
}

// fzConstant is a triggerconstantcontract answer returning word (hex).
func fzConstant(word string) []byte {
	return []byte(`{"result":{"result":true},"energy_used":935,"constant_result":["` + word + `"],"transaction":{"ret":[{}],"visible":true,"txID":"ab"}}`)
}

// FuzzGridBalance serves the solidified balanceOf answer and the listing
// of later transfers to Balance of USDT at the head: the balance is never
// negative nor past uint256, and without later transfers it is the word
// the node returned.
func FuzzGridBalance(f *testing.F) {
	word := fmt.Sprintf("%064x", 2_500_000_000)
	empty := []byte(`{"data":[],"success":true,"meta":{"at":1700005700000,"page_size":0}}`)
	later := []byte(`{"data":[` + fzTRC20Item(1901, fzOther, fzVictim, "500000000") + `],"success":true,"meta":{"page_size":1}}`)
	f.Add(fzConstant(word), empty)
	f.Add(fzConstant(word), later)
	f.Add(fzConstant(fmt.Sprintf("%064x", 1)), later)
	f.Add([]byte(`{"result":{"code":"CONTRACT_VALIDATE_ERROR","message":"636f6e7472616374206e6f7420666f756e64"}}`), empty)
	f.Add([]byte(`{"result":{"result":true},"constant_result":["08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000047061757365000000000000000000000000000000000000000000000000000000"],"transaction":{"ret":[{"ret":"FAILED"}]}}`), empty)
	g := newFzGrid(f)
	f.Fuzz(func(t *testing.T, answer, listing []byte) {
		g.set(func(path string, req map[string]any) []byte {
			if b, ok := fzChain(path, req); ok {
				return b
			}
			switch path {
			case "/walletsolidity/triggerconstantcontract":
				return answer
			case "/v1/accounts/{a}/transactions/trc20":
				return listing
			}
			return nil
		})
		s := fzSource(t, g, false)
		ctx := fzContext(t)
		head, err := s.Head(ctx, chains.Tron)
		if err != nil || head != fzHead {
			t.Fatalf("head %d, %v", head, err)
		}
		bal, err := s.Balance(ctx, chains.Tron, fzVictim, chains.USDTTron, head)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		if bal.Big().Sign() < 0 || bal.Big().BitLen() > 256 {
			t.Fatalf("balance %s outside uint256", bal)
		}
		var r struct {
			ConstantResult []string `json:"constant_result"`
		}
		var p struct{ Data []json.RawMessage }
		if json.Unmarshal(answer, &r) != nil || len(r.ConstantResult) == 0 || json.Unmarshal(listing, &p) != nil {
			t.Fatalf("balance %s from answers that do not decode", bal)
		}
		if w, _ := new(big.Int).SetString(r.ConstantResult[0], 16); len(p.Data) == 0 && (w == nil || w.Cmp(bal.Big()) != 0) {
			t.Fatalf("balance %s, balanceOf returned %s and nothing followed", bal, r.ConstantResult[0])
		}
	})
}

// FuzzGridAsset serves the answers to decimals() and symbol() (Asset) and
// to getcontract (IsContract): decimals are what decimals() returned, a
// symbol is printable text, and an address is a contract exactly when the
// node named its bytecode or address.
func FuzzGridAsset(f *testing.F) {
	sym := "0000000000000000000000000000000000000000000000000000000000000020" +
		"0000000000000000000000000000000000000000000000000000000000000004" + hex.EncodeToString([]byte("USDT")) + strings.Repeat("0", 56)
	code := []byte(`{"bytecode":"6080604052","name":"TetherToken","origin_address":"41a614f803b6fd780986a42c78ec9c7f77e6ded13c","contract_address":"41a614f803b6fd780986a42c78ec9c7f77e6ded13c"}`)
	f.Add(fzConstant(fmt.Sprintf("%064x", 6)), fzConstant(sym), code)
	f.Add(fzConstant(fmt.Sprintf("%064x", 300)), fzConstant(sym), []byte("{}"))
	f.Add(fzConstant(""), fzConstant("55534454"), []byte(`{"contract_address":""}`))
	f.Add(fzConstant(fmt.Sprintf("%064x", 18)), fzConstant(hex.EncodeToString([]byte("E\x01O\nS"))+strings.Repeat("0", 54)), []byte(`{"bytecode":""}`))
	f.Add([]byte(`{"result":{"code":"OTHER_ERROR","message":"6e6f7420666f756e64"}}`), fzConstant(sym), []byte(`null`))
	g := newFzGrid(f)
	token := chains.AssetID{Chain: chains.Tron, Contract: fzOther}
	f.Fuzz(func(t *testing.T, decimals, symbol, contract []byte) {
		g.set(func(path string, req map[string]any) []byte {
			switch path {
			case "/wallet/triggerconstantcontract":
				if req["function_selector"] == "decimals()" {
					return decimals
				}
				return symbol
			case "/wallet/getcontract":
				return contract
			}
			return nil
		})
		s := fzSource(t, g, false)
		ctx := fzContext(t)
		isC, err := s.IsContract(ctx, chains.Tron, fzOther)
		fzCheckErr(t, err)
		if err == nil {
			var c struct {
				Bytecode        string `json:"bytecode"`
				ContractAddress string `json:"contract_address"`
			}
			if json.Unmarshal(contract, &c) != nil || isC != (c.Bytecode != "" || c.ContractAddress != "") {
				t.Fatalf("IsContract = %v for %s", isC, contract)
			}
		}
		a, err := s.Asset(ctx, token)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		var r struct {
			ConstantResult []string `json:"constant_result"`
		}
		if json.Unmarshal(decimals, &r) != nil || len(r.ConstantResult) == 0 {
			t.Fatalf("asset %+v from a decimals() answer that does not decode", a)
		}
		if d, ok := new(big.Int).SetString(r.ConstantResult[0], 16); !ok || !d.IsUint64() || d.Uint64() != uint64(a.Decimals) {
			t.Fatalf("decimals %d, decimals() returned %q", a.Decimals, r.ConstantResult[0])
		}
		if a.ID != token || strings.ContainsFunc(a.Symbol, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }) {
			t.Fatalf("asset %+v", a)
		}
	})
}

// fzEvent is an entry of the contract event listing.
func fzEvent(name string, n uint64, user chains.Address, extra string) string {
	return fmt.Sprintf(`{"block_number":%d,"block_timestamp":%d,"caller_contract_address":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t","contract_address":"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",`+
		`"event_index":0,"event_name":"%s","result":{"0":"0x%s","_user":"0x%s"%s},"result_type":{"_user":"address"},"event":"%s(address _user)","transaction_id":"%s"}`,
		n, fzMs(n), name, fzHex(user), fzHex(user), extra, name, fzTxID(n))
}

// fzEventItem is what FuzzGridFreeze reads of an event.
type fzEventItem struct {
	BlockNumber   uint64 `json:"block_number"`
	EventName     string `json:"event_name"`
	TransactionID string `json:"transaction_id"`
}

// FuzzGridFreeze serves the solidified isBlackListed answer ("$word" is
// frozen's bool; with fuzzCall the whole answer is the input's) and the
// event listing to FreezeStatus of USDT from block 1000: a freezing
// transaction returned is an AddedBlackList event of the address the
// listing gave, from block 1000 on; nothing but a frozen address has one
// or a destroyed balance; with the node's own answer the status is the
// bool it returned.
func FuzzGridFreeze(f *testing.F) {
	call := fzConstant("$word")
	page := func(items ...string) []byte {
		return []byte(`{"data":[` + strings.Join(items, ",") + `],"success":true,"meta":{"at":1700005700000,"page_size":` + strconv.Itoa(len(items)) + `}}`)
	}
	added := fzEvent("AddedBlackList", 1200, fzVictim, "")
	destroyed := fzEvent("DestroyedBlackFunds", 1300, fzVictim, `,"1":"1500000","_balance":"1500000"`)
	f.Add(page(added, destroyed), call, true, false)
	f.Add(page(added), call, false, false)
	f.Add(page(fzEvent("AddedBlackList", 900, fzVictim, ""), fzEvent("AddedBlackList", 1100, fzOther, "")), call, true, false)
	f.Add(page(), call, true, false)
	f.Add(page(strings.Replace(added, `"0x`+fzHex(fzVictim)+`"`, `"41`+fzHex(fzVictim)+`"`, 2)), call, true, false)
	f.Add(page(added, strings.Replace(destroyed, `"1500000"`, `"-5"`, 2)), call, true, false)
	f.Add([]byte(`{"data":[`+added+`],"success":true,"meta":{"fingerprint":"x"}}`), call, true, false)
	f.Add(page(added), fzConstant(fmt.Sprintf("%064x", 2)), true, true)
	f.Add(page(added), []byte(`{"result":{"result":true},"constant_result":[],"transaction":{"ret":[{"ret":"FAILED"}]}}`), true, true)
	g := newFzGrid(f)
	const since = 1000
	f.Fuzz(func(t *testing.T, events, answer []byte, frozen, fuzzCall bool) {
		word := fmt.Sprintf("%064x", 0)
		if frozen {
			word = fmt.Sprintf("%064x", 1)
		}
		g.set(func(path string, req map[string]any) []byte {
			if b, ok := fzChain(path, req); ok {
				return b
			}
			switch path {
			case "/walletsolidity/triggerconstantcontract":
				if fuzzCall {
					return bytes.ReplaceAll(answer, []byte("$word"), []byte(word))
				}
				return bytes.ReplaceAll(call, []byte("$word"), []byte(word))
			case "/v1/contracts/{c}/events":
				return events
			}
			return nil
		})
		s := fzSource(t, g, false)
		fr, err := s.FreezeStatus(fzContext(t), chains.USDTTron, fzVictim, chains.Latest, since)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		switch {
		case fr.Issuer != "Tether" || fr.Block < fzHead:
			t.Fatalf("status %+v", fr)
		case !fr.Frozen && (!fr.Tx.IsZero() || fr.TxBlock != 0 || fr.Destroyed != nil):
			t.Fatalf("not frozen, yet %+v", fr)
		case !fuzzCall && fr.Frozen != frozen:
			t.Fatalf("isBlackListed said %v, status %+v", frozen, fr)
		case fr.Destroyed != nil && fr.Destroyed.Big().Sign() < 0:
			t.Fatalf("destroyed %s", fr.Destroyed)
		}
		if fr.Tx.IsZero() {
			return
		}
		var p struct{ Data []fzEventItem }
		_ = json.Unmarshal(events, &p)
		if fr.TxBlock < since || !slices.ContainsFunc(p.Data, func(ev fzEventItem) bool {
			h, err := chains.ParseTxHash(ev.TransactionID)
			return err == nil && h == fr.Tx && ev.EventName == "AddedBlackList" && ev.BlockNumber == fr.TxBlock
		}) {
			t.Fatalf("freezing tx %s in block %d is no AddedBlackList event from block %d the listing gave", fr.Tx, fr.TxBlock, since)
		}
	})
}

// FuzzGridTx serves a receipt by id, the transaction by id and the block
// receipt listings ("$num", "$ms", "$tx": block 1500 and its transaction)
// to TxTransfers: every transfer returned belongs to the transaction asked
// for, each once, in the receipt's block, at the transaction's index there.
func FuzzGridTx(f *testing.F) {
	usdt := chains.USDTTron.Contract
	info := []byte(fzReceipt(fzTransferLog(usdt, fzVictim, fzOther, 1_500_000), fzTransferLog(fzOther, fzOther, fzVictim, 2)))
	tx := []byte(fzTRXItem(1500, fzVictim, fzOther, 1_000_000, "SUCCESS"))
	list := []byte("[" + string(info) + "]")
	f.Add(info, tx, list)
	f.Add(info, tx, []byte{})
	f.Add([]byte(`{"id":"$tx","blockNumber":$num,"blockTimeStamp":$ms,"result":"FAILED","receipt":{"result":"OUT_OF_ENERGY"},"log":[]}`), tx, list)
	f.Add([]byte("{}"), tx, list)
	f.Add(info, []byte("{}"), list)
	f.Add(info, []byte(strings.Replace(string(tx), "TransferContract", "TriggerSmartContract", 2)), list)
	f.Add([]byte(fzReceipt(fzTransferLog(usdt, fzVictim, fzOther, 1), fzTransferLog(usdt, fzVictim, fzOther, 1))), tx, list)
	g := newFzGrid(f)
	const block = 1500
	asked := chains.MustParseTxHash(fzTxID(block))
	f.Fuzz(func(t *testing.T, info, tx, receipts []byte) {
		g.set(func(path string, req map[string]any) []byte {
			if b, ok := fzChain(path, req); ok {
				return b
			}
			switch path {
			case "/wallet/gettransactioninfobyid":
				return fzFill(info, fzTxBlock(fmt.Sprint(req["value"])))
			case "/wallet/gettransactionbyid":
				return fzFill(tx, fzTxBlock(fmt.Sprint(req["value"])))
			case "/wallet/gettransactioninfobyblocknum":
				n, _ := fzNum(req, "num")
				if len(receipts) == 0 {
					return nil
				}
				return fzFill(receipts, n)
			}
			return nil
		})
		s := fzSource(t, g, false)
		ts, err := s.TxTransfers(fzContext(t), chains.Tron, asked)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		var r struct{ BlockNumber uint64 }
		if json.Unmarshal(fzFill(info, block), &r) != nil {
			t.Fatalf("transfers from a receipt that does not decode")
		}
		if !slices.IsSortedFunc(ts, chains.Compare) {
			t.Fatalf("transfers not in canonical order: %+v", ts)
		}
		seen := map[chains.TransferKey]bool{}
		for _, tr := range ts {
			switch {
			case tr.Tx != asked || tr.Chain != chains.Tron || tr.Asset.Chain != chains.Tron:
				t.Fatalf("TxTransfers(%s) returned %+v", fzTxID(block), tr)
			case seen[tr.Key()]:
				t.Fatalf("transfer twice: %+v", tr)
			case tr.Block != r.BlockNumber || tr.Time.Location() != time.UTC:
				t.Fatalf("transfer %+v, the receipt says block %d", tr, r.BlockNumber)
			case tr.From.Family() != chains.FamilyTRON || tr.To.Family() != chains.FamilyTRON || tr.Amount.Big().BitLen() > 256:
				t.Fatalf("transfer %+v", tr)
			case !fzIndexOK(g, tr.Block, tr.Tx, tr.TxIndex):
				t.Fatalf("transfer %+v: not at that index in its block", tr)
			}
			seen[tr.Key()] = true
		}
	})
}
