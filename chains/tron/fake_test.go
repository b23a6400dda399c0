package tron_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
)

// fakeGrid is a TronGrid stand-in on 127.0.0.1. It holds a small chain built
// from transfers and answers the endpoints the tron package calls, in the
// shapes TronGrid and java-tron answer them (extra fields included).
type fakeGrid struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	blockTime map[uint64]int64 // ms
	head      uint64
	txs       map[string]*fakeTx
	tokens    map[chains.Address]fakeToken
	contracts map[chains.Address]bool
	hits      map[string]int // path pattern → requests
	keys      map[string]int // API key header values seen
	// sorted lists every transaction newest first, byBlock in block order;
	// both are rebuilt after a change (nil).
	sorted  []*fakeTx
	byBlock map[uint64][]*fakeTx
	// old makes the node lack /wallet/getblock, as before java-tron 4.7.2;
	// noListing makes it lack /wallet/gettransactioninfobyblocknum.
	old, noListing bool
	// fault, when set, may answer a request instead of the fake; it returns
	// true when it did.
	fault func(w http.ResponseWriter, r *http.Request) bool
	// freeze holds the issuer state and events of fake_freeze_test.go.
	freeze freezeState
}

type fakeToken struct {
	symbol   string
	decimals int
}

type fakeTx struct {
	id     string
	block  uint64
	index  uint32         // in its block
	owner  chains.Address // signer
	trx    *chains.Transfer
	call   *chains.Transfer // TRX sent as call_value to a contract
	logs   []fakeLog
	failed bool
	// internal are the TRX moves of its internal transactions
	// (fake_swap_test.go).
	internal []fakeInternal
}

type fakeLog struct {
	other    bool // an event that is not a Transfer
	contract chains.Address
	from, to chains.Address
	value    *big.Int
	raw      *rawLog // when set, the event's topics and data as served
}

// newFakeGrid serves the given transfers. Native transfers become
// TransferContract transactions; token transfers become Transfer events at
// index Position of their transaction's log (gaps are filled with Approval
// events). head is the confirmed head; block n has time times[n].
func newFakeGrid(t *testing.T, times map[uint64]time.Time, head uint64, ts []chains.Transfer) *fakeGrid {
	t.Helper()
	g := &fakeGrid{
		t:         t,
		blockTime: make(map[uint64]int64),
		head:      head,
		txs:       make(map[string]*fakeTx),
		tokens:    make(map[chains.Address]fakeToken),
		contracts: make(map[chains.Address]bool),
		hits:      make(map[string]int),
		keys:      make(map[string]int),
	}
	for n, tm := range times {
		g.blockTime[n] = tm.UnixMilli()
	}
	for _, tr := range ts {
		g.add(tr)
	}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGrid) add(tr chains.Transfer) {
	id := hex.EncodeToString(tr.Tx[:])
	tx := g.txs[id]
	if tx == nil {
		tx = &fakeTx{id: id, block: tr.Block, index: tr.TxIndex, owner: tr.From}
		g.txs[id] = tx
		g.sorted, g.byBlock = nil, nil
	}
	if tr.Block != tx.block {
		g.t.Fatalf("fake: tx %s in two blocks", id)
	}
	if _, ok := g.blockTime[tr.Block]; !ok {
		g.t.Fatalf("fake: block %d has no time", tr.Block)
	}
	if tr.Asset.IsNative() {
		c := tr
		tx.trx = &c
		return
	}
	g.contracts[tr.Asset.Contract] = true
	for len(tx.logs) <= int(tr.Position) {
		tx.logs = append(tx.logs, fakeLog{other: true, contract: tr.Asset.Contract, from: tr.From, to: tr.To, value: new(big.Int)})
	}
	tx.logs[tr.Position] = fakeLog{contract: tr.Asset.Contract, from: tr.From, to: tr.To, value: tr.Amount.Big()}
}

func (g *fakeGrid) url() string { return g.srv.URL }

func (g *fakeGrid) count(pattern string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.hits[pattern]
}

func (g *fakeGrid) total() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for _, v := range g.hits {
		n += v
	}
	return n
}

func (g *fakeGrid) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.keys[r.Header.Get("TRON-PRO-API-KEY")]++
	fault, old, noListing := g.fault, g.old, g.noListing
	g.mu.Unlock()
	pattern := r.URL.Path
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) >= 3 && parts[0] == "v1" && parts[1] == "accounts" {
		pattern = "/v1/accounts/{a}/" + strings.Join(parts[3:], "/")
	}
	if len(parts) == 4 && parts[0] == "v1" && parts[1] == "contracts" {
		pattern = "/v1/contracts/{c}/" + parts[3]
	}
	g.mu.Lock()
	g.hits[pattern]++
	g.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	var body map[string]any
	if r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var out any
	switch pattern {
	case "/v1/accounts/{a}/transactions/trc20":
		out = g.trc20(w, r, parts[2])
	case "/v1/accounts/{a}/transactions":
		out = g.accountTxs(w, r, parts[2])
	case "/walletsolidity/getnowblock":
		out = g.block(g.head)
	case "/wallet/getblock", "/wallet/getblockbynum":
		n, err := strconv.ParseUint(fmt.Sprint(body["id_or_num"]), 10, 64)
		detail, ok := body["detail"].(bool)
		if pattern == "/wallet/getblockbynum" {
			var num float64
			num, ok = body["num"].(float64)
			n, detail, err = uint64(num), true, nil
		} else if old {
			http.Error(w, `{"Error":"not found"}`, http.StatusNotFound)
			return
		}
		if err != nil || !ok {
			http.Error(w, "bad getblock", http.StatusBadRequest)
			return
		}
		b := g.block(n)
		if detail && len(b) > 0 {
			var list []any
			for _, tx := range g.inBlock(n) {
				list = append(list, g.txJSON(tx))
			}
			if len(list) > 0 {
				b["transactions"] = list
			}
		}
		out = b
	case "/wallet/gettransactioninfobyid":
		out = g.txInfo(fmt.Sprint(body["value"]))
	case "/wallet/gettransactioninfobyblocknum":
		num, ok := body["num"].(float64)
		if noListing {
			http.Error(w, `{"Error":"not found"}`, http.StatusNotFound)
			return
		}
		if !ok {
			http.Error(w, "bad num", http.StatusBadRequest)
			return
		}
		// java-tron answers an array, [] for a block without transactions.
		list := []any{}
		for _, tx := range g.inBlock(uint64(num)) {
			list = append(list, g.txInfo(tx.id))
		}
		out = list
	case "/wallet/gettransactionbyid":
		if tx := g.txs[fmt.Sprint(body["value"])]; tx != nil {
			out = g.txJSON(tx)
		} else {
			out = map[string]any{}
		}
	case "/wallet/getcontract":
		a, err := chains.Tron.ParseAddress(fmt.Sprint(body["value"]))
		if err == nil && g.contracts[a] {
			out = map[string]any{"bytecode": "6080604052", "contract_address": body["value"], "name": "Token", "origin_address": "41" + strings.Repeat("11", 20)}
		} else {
			out = map[string]any{}
		}
	case "/wallet/triggerconstantcontract", "/walletsolidity/triggerconstantcontract":
		out = g.constant(body)
	case "/v1/contracts/{c}/events":
		out = g.events(w, r, parts[2])
	default:
		http.Error(w, `{"Error":"not found"}`, http.StatusNotFound)
		return
	}
	if out == nil {
		return // the handler wrote an error
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (g *fakeGrid) block(n uint64) map[string]any {
	ms, ok := g.blockTime[n]
	if !ok || n > g.head+20 {
		return map[string]any{}
	}
	return map[string]any{
		"blockID": fmt.Sprintf("%016x%048x", n, n),
		"block_header": map[string]any{
			"raw_data": map[string]any{
				"number": n, "timestamp": ms, "txTrieRoot": strings.Repeat("0", 64),
				"witness_address": "41" + strings.Repeat("22", 20), "parentHash": strings.Repeat("0", 64), "version": 30,
			},
			"witness_signature": strings.Repeat("ab", 65),
		},
	}
}

// window reads min_timestamp/max_timestamp (inclusive, as TronGrid does).
func window(r *http.Request) (lo, hi int64) {
	lo, hi = 0, 1<<62
	if v := r.URL.Query().Get("min_timestamp"); v != "" {
		lo, _ = strconv.ParseInt(v, 10, 64)
	}
	if v := r.URL.Query().Get("max_timestamp"); v != "" {
		hi, _ = strconv.ParseInt(v, 10, 64)
	}
	return lo, hi
}

// paginate cuts n items, item(i) being the i-th, by limit and fingerprint;
// TronGrid answers newest first.
func paginate(w http.ResponseWriter, r *http.Request, n int, item func(int) map[string]any) any {
	q := r.URL.Query()
	if q.Get("only_confirmed") != "true" {
		http.Error(w, `{"success":false,"error":"want only_confirmed"}`, http.StatusBadRequest)
		return nil
	}
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > 200 {
		http.Error(w, `{"success":false,"error":"bad limit"}`, http.StatusBadRequest)
		return nil
	}
	off := 0
	if fp := q.Get("fingerprint"); fp != "" {
		b, err := base64.RawURLEncoding.DecodeString(fp)
		if err == nil {
			off, err = strconv.Atoi(strings.TrimPrefix(string(b), "off:"))
		}
		if err != nil || off > n {
			http.Error(w, `{"success":false,"error":"bad fingerprint"}`, http.StatusBadRequest)
			return nil
		}
	}
	end := min(off+limit, n)
	meta := map[string]any{"at": int64(1700000000000), "page_size": end - off}
	if end-off == limit {
		// Like TronGrid, a full page carries a fingerprint even when nothing
		// follows: the next page is then empty.
		meta["fingerprint"] = base64.RawURLEncoding.EncodeToString([]byte("off:" + strconv.Itoa(end)))
		meta["links"] = map[string]any{"next": "https://api.trongrid.io/v1/…"}
	}
	data := make([]map[string]any, 0, end-off)
	for i := off; i < end; i++ {
		data = append(data, item(i))
	}
	return map[string]any{"data": data, "success": true, "meta": meta}
}

func (g *fakeGrid) sortedTxs() []*fakeTx {
	if g.sorted != nil {
		return g.sorted
	}
	out := make([]*fakeTx, 0, len(g.txs))
	for _, tx := range g.txs {
		out = append(out, tx)
	}
	// Newest first, as TronGrid lists.
	sort.Slice(out, func(i, j int) bool {
		if out[i].block != out[j].block {
			return out[i].block > out[j].block
		}
		return out[i].id < out[j].id
	})
	g.sorted = out
	return out
}

// inBlock lists the transactions of block n in block order.
func (g *fakeGrid) inBlock(n uint64) []*fakeTx {
	if g.byBlock == nil {
		g.byBlock = make(map[uint64][]*fakeTx)
		for _, tx := range g.txs {
			g.byBlock[tx.block] = append(g.byBlock[tx.block], tx)
		}
		for _, in := range g.byBlock {
			sort.Slice(in, func(i, j int) bool { return in[i].index < in[j].index })
		}
	}
	return g.byBlock[n]
}

// newestFirst returns the part of sortedTxs whose block times are in
// [lo, hi].
func (g *fakeGrid) newestFirst(lo, hi int64) []*fakeTx {
	all := g.sortedTxs()
	i := sort.Search(len(all), func(i int) bool { return g.blockTime[all[i].block] <= hi })
	j := sort.Search(len(all), func(j int) bool { return g.blockTime[all[j].block] < lo })
	return all[i:max(i, j)]
}

func (g *fakeGrid) trc20(w http.ResponseWriter, r *http.Request, who string) any {
	addr, err := chains.Tron.ParseAddress(who)
	if err != nil {
		http.Error(w, `{"success":false,"error":"bad address"}`, http.StatusBadRequest)
		return nil
	}
	var contract chains.Address
	if c := r.URL.Query().Get("contract_address"); c != "" {
		contract, _ = chains.Tron.ParseAddress(c)
	}
	lo, hi := window(r)
	type ref struct {
		tx *fakeTx
		l  int
	}
	var items []ref
	for _, tx := range g.newestFirst(lo, hi) {
		if tx.failed {
			continue
		}
		for i, l := range tx.logs {
			if l.other || (l.from != addr && l.to != addr) || (!contract.IsZero() && l.contract != contract) {
				continue
			}
			items = append(items, ref{tx, i})
		}
	}
	return paginate(w, r, len(items), func(i int) map[string]any {
		tx, l := items[i].tx, items[i].tx.logs[items[i].l]
		tok := g.tokens[l.contract]
		return map[string]any{
			"transaction_id": tx.id,
			"token_info": map[string]any{
				"symbol": tok.symbol, "address": l.contract.String(), "decimals": tok.decimals, "name": tok.symbol + " token",
			},
			"block_timestamp": g.blockTime[tx.block],
			"from":            l.from.String(),
			"to":              l.to.String(),
			"type":            "Transfer",
			"value":           l.value.String(),
		}
	})
}

func (g *fakeGrid) accountTxs(w http.ResponseWriter, r *http.Request, who string) any {
	addr, err := chains.Tron.ParseAddress(who)
	if err != nil {
		http.Error(w, `{"success":false,"error":"bad address"}`, http.StatusBadRequest)
		return nil
	}
	if r.URL.Query().Get("search_internal") != "true" {
		http.Error(w, `{"success":false,"error":"want search_internal=true"}`, http.StatusBadRequest)
		return nil
	}
	lo, hi := window(r)
	var items []func() map[string]any
	for _, tx := range g.newestFirst(lo, hi) {
		related := tx.owner == addr
		if tx.trx != nil && (tx.trx.From == addr || tx.trx.To == addr) {
			related = true
		}
		if tx.call != nil && (tx.call.From == addr || tx.call.To == addr) {
			related = true
		}
		if related {
			items = append(items, func() map[string]any { return g.txJSON(tx) })
		}
		items = append(items, g.internalRows(tx, addr)...)
	}
	return paginate(w, r, len(items), func(i int) map[string]any { return items[i]() })
}

// txJSON is a transaction as /v1/accounts/{a}/transactions and
// /wallet/gettransactionbyid give it.
func (g *fakeGrid) txJSON(tx *fakeTx) map[string]any {
	ret := "SUCCESS"
	if tx.failed {
		ret = "REVERT"
	}
	var contract map[string]any
	switch {
	case tx.trx != nil:
		contract = map[string]any{
			"parameter": map[string]any{
				"value": map[string]any{
					"amount":        json.Number(tx.trx.Amount.String()),
					"owner_address": "41" + hexOf(tx.trx.From),
					"to_address":    "41" + hexOf(tx.trx.To),
				},
				"type_url": "type.googleapis.com/protocol.TransferContract",
			},
			"type": "TransferContract",
		}
	default:
		target := chains.Address{}
		callValue := "0"
		if len(tx.logs) > 0 {
			target = tx.logs[0].contract
		}
		if tx.call != nil {
			target, callValue = tx.call.To, tx.call.Amount.String()
		}
		contract = map[string]any{
			"parameter": map[string]any{
				"value": map[string]any{
					"data":             "a9059cbb" + strings.Repeat("0", 128),
					"owner_address":    "41" + hexOf(tx.owner),
					"contract_address": "41" + hexOf(target),
					"call_value":       json.Number(callValue),
				},
				"type_url": "type.googleapis.com/protocol.TriggerSmartContract",
			},
			"type": "TriggerSmartContract",
		}
	}
	return map[string]any{
		"ret":             []any{map[string]any{"contractRet": ret, "fee": 0}},
		"signature":       []any{strings.Repeat("cd", 65)},
		"txID":            tx.id,
		"net_usage":       268,
		"raw_data_hex":    "0a02",
		"net_fee":         0,
		"energy_value":    0,
		"blockNumber":     tx.block,
		"block_timestamp": g.blockTime[tx.block],
		"energy_fee":      0,
		"energy_usage":    0,
		"raw_data": map[string]any{
			"contract":        []any{contract},
			"ref_block_bytes": "6d1b", "ref_block_hash": "8fc1b4a8bb0e7a4f",
			"expiration": g.blockTime[tx.block] + 60000, "timestamp": g.blockTime[tx.block] - 1000,
		},
		"internal_transactions": []any{},
	}
}

func (g *fakeGrid) txInfo(id string) any {
	tx := g.txs[id]
	if tx == nil {
		return map[string]any{}
	}
	out := map[string]any{
		"id":             tx.id,
		"fee":            345000,
		"blockNumber":    tx.block,
		"blockTimeStamp": g.blockTime[tx.block],
		"receipt":        map[string]any{"net_usage": 268},
	}
	if tx.trx != nil {
		return out
	}
	rec := out["receipt"].(map[string]any)
	rec["energy_usage_total"] = 14650
	rec["result"] = "SUCCESS"
	out["contractResult"] = []any{strings.Repeat("0", 63) + "1"}
	if tx.failed {
		rec["result"] = "REVERT"
		out["result"] = "FAILED"
		out["resMessage"] = "5452414e534645525f4641494c4544"
		return out
	}
	var logs []any
	for _, l := range tx.logs {
		if l.raw != nil {
			logs = append(logs, map[string]any{"address": hexOf(l.contract), "topics": l.raw.topics, "data": l.raw.data})
			continue
		}
		topic0 := "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
		if l.other {
			topic0 = "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925" // Approval
		}
		logs = append(logs, map[string]any{
			"address": hexOf(l.contract),
			"topics":  []any{topic0, strings.Repeat("0", 24) + hexOf(l.from), strings.Repeat("0", 24) + hexOf(l.to)},
			"data":    fmt.Sprintf("%064x", l.value),
		})
	}
	out["log"] = logs
	if len(tx.internal) > 0 {
		out["internal_transactions"] = g.internalJSON(tx)
	}
	return out
}

func hexOf(a chains.Address) string {
	b := a.Bytes()
	return hex.EncodeToString(b[:])
}

// addCall adds a TriggerSmartContract transaction that sends tr.Amount TRX
// as call_value to the contract tr.To.
func (g *fakeGrid) addCall(tr chains.Transfer) {
	g.mu.Lock()
	defer g.mu.Unlock()
	c := tr
	g.txs[hex.EncodeToString(tr.Tx[:])] = &fakeTx{id: hex.EncodeToString(tr.Tx[:]), block: tr.Block, index: tr.TxIndex, owner: tr.From, call: &c}
	g.sorted, g.byBlock = nil, nil
	g.contracts[tr.To] = true
}

// fail marks a transaction as reverted.
func (g *fakeGrid) fail(tx chains.TxHash) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.txs[hex.EncodeToString(tx[:])].failed = true
}

// setFault installs a fault injector.
func (g *fakeGrid) setFault(f func(w http.ResponseWriter, r *http.Request) bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fault = f
}

// setNoListing makes the node lack /wallet/gettransactioninfobyblocknum.
func (g *fakeGrid) setNoListing() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.noListing = true
}

// counts returns the requests per path pattern.
func (g *fakeGrid) counts() map[string]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.hits)
}

// setOld makes the node lack /wallet/getblock.
func (g *fakeGrid) setOld() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.old = true
}

// keyCount is how many requests carried key in the API key header.
func (g *fakeGrid) keyCount(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.keys[key]
}
