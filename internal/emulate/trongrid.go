package emulate

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"freezetrace/chains"
)

// TronGridOptions say how an emulated TronGrid behaves.
type TronGridOptions struct {
	// Rate is the most requests per second served (a burst of as many is
	// allowed); beyond it the answer is HTTP 429 with Retry-After: 1, as
	// TronGrid limits a key (15 a second without one). 0 for no limit.
	Rate float64
	// Now is the clock of the rate limit; nil for time.Now.
	Now func() time.Time
}

// TronGrid is an emulated TronGrid serving a TronDataset: the /v1 listings
// (an account's TRC-20 transfers and transactions, a contract's events,
// newest first unless asked otherwise, at most 200 a page, paged by
// meta.fingerprint) and java-tron's /wallet and /walletsolidity APIs
// (blocks, transactions, receipts, a block's receipts, contracts, constant
// calls: name, symbol, decimals, totalSupply, balanceOf and the issuers'
// isBlackListed, getBlackListStatus and isBlacklisted). /walletsolidity and
// only_confirmed answer for the confirmed head, /wallet for the node's
// newest block. It counts requests by endpoint. It is safe for concurrent
// use.
type TronGrid struct {
	o       TronGridOptions
	limiter *bucket

	mu sync.RWMutex // guards ds
	ds *TronDataset

	cmu      sync.Mutex
	counts   map[string]int64
	calls    map[string]int64
	served   atomic.Int64
	requests atomic.Int64
	limited  atomic.Int64
}

var _ http.Handler = (*TronGrid)(nil)

// NewTronGrid returns a TronGrid serving ds, which it changes only
// through Freeze and Destroy.
func NewTronGrid(ds *TronDataset, o TronGridOptions) *TronGrid {
	g := &TronGrid{o: o, ds: ds, counts: map[string]int64{}, calls: map[string]int64{}}
	if o.Rate > 0 {
		g.limiter = newBucket(o.Rate, o.Now)
	}
	return g
}

// Start serves g on 127.0.0.1 at a free port; the Server's URL is the API
// root (TronGrid's https://api.trongrid.io).
func (g *TronGrid) Start() (*Server, error) { return Serve(g) }

// Counts returns the requests served so far by endpoint: the path, with
// the address of a /v1 path as {a} or {c} ("/v1/accounts/{a}/transactions/trc20").
// Rate-limited requests are not counted.
func (g *TronGrid) Counts() map[string]int64 {
	g.cmu.Lock()
	defer g.cmu.Unlock()
	return maps.Clone(g.counts)
}

// Calls returns the constant calls served so far by path and function
// ("/walletsolidity/triggerconstantcontract balanceOf(address)").
func (g *TronGrid) Calls() map[string]int64 {
	g.cmu.Lock()
	defer g.cmu.Unlock()
	return maps.Clone(g.calls)
}

// Total is the number of requests served so far.
func (g *TronGrid) Total() int64 { return g.served.Load() }

// Requests is the number of requests received so far, refused ones
// included.
func (g *TronGrid) Requests() int64 { return g.requests.Load() }

// Limited is the number of requests refused with 429.
func (g *TronGrid) Limited() int64 { return g.limited.Load() }

// Freeze has token's issuer freeze user in confirmed block n, by a
// transaction of its own (Tether's addBlackList emitting AddedBlackList,
// Circle's blacklist emitting Blacklisted); from then on the blacklist
// getters answer true. user must send none of token after n.
func (g *TronGrid) Freeze(token, user chains.Address, n uint64) (TronFreeze, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ds.freeze(token, user, n, false)
}

// Destroy has Tether destroy the frozen balance of user in block n
// (destroyBlackFunds, emitting DestroyedBlackFunds): balanceOf answers 0
// from then on.
func (g *TronGrid) Destroy(token, user chains.Address, n uint64) (TronFreeze, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ds.freeze(token, user, n, true)
}

// route names a request's endpoint, with the address of a /v1 path.
func route(path string) (pattern, addr string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 4 && parts[0] == "v1" && parts[1] == "accounts" && parts[3] == "transactions":
		return "/v1/accounts/{a}/" + strings.Join(parts[3:], "/"), parts[2]
	case len(parts) == 4 && parts[0] == "v1" && parts[1] == "contracts":
		return "/v1/contracts/{c}/" + parts[3], parts[2]
	}
	return path, ""
}

// ServeHTTP answers one request.
func (g *TronGrid) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	g.requests.Add(1)
	if g.limiter != nil && !g.limiter.take() {
		g.limited.Add(1)
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"Error": fmt.Sprintf("too many requests: more than %g a second", g.o.Rate)})
		return
	}
	pattern, addr := route(req.URL.Path)
	g.served.Add(1)
	g.cmu.Lock()
	g.counts[pattern]++
	g.cmu.Unlock()
	g.mu.RLock()
	defer g.mu.RUnlock()
	if strings.HasPrefix(pattern, "/v1/") {
		if req.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, v1Error("use GET", http.StatusMethodNotAllowed))
			return
		}
		status, out := g.v1(req, pattern, addr)
		writeJSON(w, status, out)
		return
	}
	body, err := params(req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"Error": err.Error()})
		return
	}
	api, method, _ := strings.Cut(strings.TrimPrefix(pattern, "/"), "/")
	var state uint64
	switch api {
	case "wallet":
		state = g.ds.Latest()
	case "walletsolidity":
		state = g.ds.Head
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"Error": "no such endpoint: " + pattern})
		return
	}
	out, ok := g.node(method, body, state, pattern)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"Error": "no such endpoint: " + pattern})
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func v1Error(msg string, status int) map[string]any {
	return map[string]any{"success": false, "error": msg, "statusCode": status}
}

// params is a /wallet request's parameters: its JSON body, or for GET its
// query.
func params(req *http.Request) (map[string]any, error) {
	out := map[string]any{}
	if req.Method == http.MethodGet {
		for k, v := range req.URL.Query() {
			out[k] = v[0]
		}
		return out, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("invalid JSON body: %v", err)
	}
	return out, nil
}

// node answers java-tron's /wallet and /walletsolidity endpoints for the
// state at block state; ok is false for an endpoint it lacks.
func (g *TronGrid) node(method string, body map[string]any, state uint64, pattern string) (any, bool) {
	d := g.ds
	switch method {
	case "getnowblock":
		return d.blockJSON(state, true), true
	case "getblock":
		n, ok := state, true
		if v, has := body["id_or_num"]; has {
			n, ok = blockArg(v)
		}
		detail, _ := body["detail"].(bool)
		if s, isStr := body["detail"].(string); isStr {
			detail = s == "true"
		}
		if !ok || n > state {
			return map[string]any{}, true
		}
		return d.blockJSON(n, detail), true
	case "getblockbynum":
		n, ok := jsonNumber(body["num"])
		if !ok || n > state {
			return map[string]any{}, true
		}
		return d.blockJSON(n, true), true
	case "gettransactionbyid", "gettransactioninfobyid":
		h, err := chains.ParseTxHash(fmt.Sprint(body["value"]))
		tx := d.txs[h]
		if err != nil || tx == nil || tx.block > state {
			return map[string]any{}, true
		}
		if method == "gettransactionbyid" {
			return d.txJSON(tx), true
		}
		return d.txInfoJSON(tx), true
	case "gettransactioninfobyblocknum":
		n, ok := jsonNumber(body["num"])
		list := []any{}
		if ok && n <= state {
			for _, tx := range d.blocks[n] {
				list = append(list, d.txInfoJSON(tx))
			}
		}
		return list, true
	case "getcontract":
		a, err := chains.Tron.ParseAddress(fmt.Sprint(body["value"]))
		if err != nil || !d.hasCode(a) {
			return map[string]any{}, true
		}
		name := d.token(a).Name
		if name == "" {
			name = "Contract"
		}
		return map[string]any{"bytecode": "608060405234801561001057600080fd5b50", "contract_address": hex41(a), "name": name,
			"origin_address": hex41(d.Issuer), "consume_user_resource_percent": 100, "origin_energy_limit": 10_000_000,
			"abi": map[string]any{}}, true
	case "triggerconstantcontract":
		out, sel := d.constant(body, state)
		g.cmu.Lock()
		g.calls[pattern+" "+sel]++
		g.cmu.Unlock()
		return out, true
	}
	return nil, false
}

// blockArg reads getblock's id_or_num: a number, or a block id.
func blockArg(v any) (uint64, bool) {
	s := fmt.Sprint(v)
	if len(s) == 64 {
		b, err := hex.DecodeString(s)
		if err != nil {
			return 0, false
		}
		n := new(big.Int).SetBytes(b[:8]).Uint64()
		return n, blockID(n) == strings.ToLower(s)
	}
	return jsonNumber(v)
}

func (d *TronDataset) hasCode(a chains.Address) bool {
	return d.token(a).Address == a && !a.IsZero() || slices.Contains(d.Contracts, a)
}

// constant answers a constant call on the state at block state, and names
// the function called.
func (d *TronDataset) constant(body map[string]any, state uint64) (map[string]any, string) {
	visible := body["visible"] == true
	c, err := chains.Tron.ParseAddress(fmt.Sprint(body["contract_address"]))
	if err != nil {
		return refused("OTHER_ERROR", "class java.lang.IllegalArgumentException : invalid contract_address", visible), ""
	}
	if !d.hasCode(c) {
		return refused("CONTRACT_VALIDATE_ERROR", "Smart contract is not exist.", visible), ""
	}
	sel, _ := body["function_selector"].(string)
	param, _ := body["parameter"].(string)
	if sel == "" {
		data, _ := body["data"].(string)
		sel, param = d.selectorOf(data), data[min(8, len(data)):]
	}
	tok := d.token(c)
	if tok.Address != c {
		return constantAnswer(body, "", true, visible), sel
	}
	arg := func() (chains.Address, bool) {
		b, err := hex.DecodeString(param)
		if err != nil || len(b) != 32 || strings.Trim(string(b[:11]), "\x00") != "" || (b[11] != 0 && b[11] != 0x41) {
			return chains.Address{}, false
		}
		a, err := chains.AddressFromSlice(chains.FamilyTRON, b[12:])
		return a, err == nil
	}
	var res string
	switch {
	case sel == "name()":
		res = abiStringHex(tok.Name)
	case sel == "symbol()":
		res = abiStringHex(tok.Symbol)
	case sel == "decimals()":
		res = wordHex(big.NewInt(int64(tok.Decimals)))
	case sel == "totalSupply()":
		res = wordHex(d.supply(c, state))
	case sel == "balanceOf(address)",
		tok.Issuer == "Tether" && (sel == "isBlackListed(address)" || sel == "getBlackListStatus(address)"),
		tok.Issuer == "Circle" && sel == "isBlacklisted(address)":
		a, ok := arg()
		if !ok {
			return refused("OTHER_ERROR", "class java.lang.IllegalArgumentException : bad parameter", visible), sel
		}
		if sel == "balanceOf(address)" {
			res = wordHex(d.Balance(c, a, state))
		} else if d.Frozen(c, a, state) {
			res = wordHex(big.NewInt(1))
		} else {
			res = wordHex(new(big.Int))
		}
	default:
		return constantAnswer(body, "", true, visible), sel
	}
	return constantAnswer(body, res, false, visible), sel
}

// constantSigs are the functions the tokens answer.
var constantSigs = []string{"name()", "symbol()", "decimals()", "totalSupply()", "balanceOf(address)",
	"isBlackListed(address)", "getBlackListStatus(address)", "isBlacklisted(address)"}

// selectorOf names the function whose selector begins data.
func (d *TronDataset) selectorOf(data string) string {
	for _, sig := range constantSigs {
		if strings.HasPrefix(strings.ToLower(data), selector(sig)) {
			return sig
		}
	}
	return "0x" + data[:min(8, len(data))]
}

// supply is token's total supply at block n: minted less burnt and
// destroyed.
func (d *TronDataset) supply(token chains.Address, n uint64) *big.Int {
	v := new(big.Int)
	for _, t := range d.Transfers {
		if t.Token != token || t.Block > n {
			continue
		}
		if t.From.IsNull() {
			v.Add(v, t.Value)
		}
		if t.To.IsNull() {
			v.Sub(v, t.Value)
		}
	}
	for _, f := range d.Freezes {
		if f.Token == token && f.Destroyed != nil && f.Block <= n {
			v.Sub(v, f.Destroyed)
		}
	}
	return v
}

// v1 answers TronGrid's /v1 listings.
func (g *TronGrid) v1(req *http.Request, pattern, who string) (int, any) {
	d := g.ds
	q := req.URL.Query()
	switch pattern {
	case "/v1/accounts/{a}/transactions/trc20", "/v1/accounts/{a}/transactions", "/v1/contracts/{c}/events":
	default:
		return http.StatusNotFound, v1Error("no such endpoint: "+pattern, http.StatusNotFound)
	}
	a, err := chains.Tron.ParseAddress(who)
	if err != nil {
		return http.StatusBadRequest, v1Error("invalid address: "+who, http.StatusBadRequest)
	}
	upTo := d.Latest()
	if q.Get("only_confirmed") == "true" {
		upTo = d.Head
	}
	lo, hi, err := timeWindow(q, "min_timestamp", "max_timestamp")
	if pattern == "/v1/contracts/{c}/events" {
		lo, hi, err = timeWindow(q, "min_block_timestamp", "max_block_timestamp")
	}
	if err != nil {
		return http.StatusBadRequest, v1Error(err.Error(), http.StatusBadRequest)
	}
	asc := false
	switch q.Get("order_by") {
	case "", "block_timestamp,desc", "timestamp,desc":
	case "block_timestamp,asc", "timestamp,asc":
		asc = true
	default:
		return http.StatusBadRequest, v1Error("invalid order_by: "+q.Get("order_by"), http.StatusBadRequest)
	}
	in := func(n uint64) bool {
		ms := d.BlockTime(n).UnixMilli()
		return n <= upTo && ms >= lo && ms <= hi
	}
	var items []func() map[string]any // chain order
	switch pattern {
	case "/v1/accounts/{a}/transactions/trc20":
		var token chains.Address
		if s := q.Get("contract_address"); s != "" {
			if token, err = chains.Tron.ParseAddress(s); err != nil {
				return http.StatusBadRequest, v1Error("invalid contract_address: "+s, http.StatusBadRequest)
			}
		}
		for _, i := range d.byAddr[a] {
			t := d.Transfers[i]
			if !in(t.Block) || (!token.IsZero() && t.Token != token) ||
				(q.Get("only_to") == "true" && t.To != a) || (q.Get("only_from") == "true" && t.From != a) {
				continue
			}
			items = append(items, func() map[string]any { return d.trc20JSON(t) })
		}
	case "/v1/accounts/{a}/transactions":
		for _, n := range sortedBlocks(d.blocks) {
			for _, tx := range d.blocks[n] {
				if in(n) && (tx.owner == a || (!tx.call && tx.to == a)) {
					items = append(items, func() map[string]any { return d.txJSON(tx) })
				}
			}
		}
	case "/v1/contracts/{c}/events":
		name := q.Get("event_name")
		block, byBlock := uint64(0), q.Get("block_number") != ""
		if byBlock {
			if block, err = strconv.ParseUint(q.Get("block_number"), 10, 64); err != nil {
				return http.StatusBadRequest, v1Error("invalid block_number", http.StatusBadRequest)
			}
		}
		for _, ev := range d.events[a] {
			if !in(ev.tx.block) || (name != "" && ev.tx.logs[ev.log].name != name) || (byBlock && ev.tx.block != block) {
				continue
			}
			items = append(items, func() map[string]any { return d.eventJSON(ev) })
		}
	}
	if !asc {
		slices.Reverse(items)
	}
	return g.page(req, items)
}

// timeWindow reads an inclusive millisecond window.
func timeWindow(q url.Values, minKey, maxKey string) (lo, hi int64, err error) {
	lo, hi = 0, 1<<62
	for _, f := range []struct {
		key string
		dst *int64
	}{{minKey, &lo}, {maxKey, &hi}} {
		if s := q.Get(f.key); s != "" {
			if *f.dst, err = strconv.ParseInt(s, 10, 64); err != nil {
				return 0, 0, fmt.Errorf("invalid %s: %q", f.key, s)
			}
		}
	}
	return lo, hi, nil
}

// page cuts one page out of items by limit (20 by default, at most 200)
// and fingerprint. Like TronGrid, a full page carries a fingerprint (and a
// next link) even when nothing follows; the next page is then empty.
func (g *TronGrid) page(req *http.Request, items []func() map[string]any) (int, any) {
	q := req.URL.Query()
	limit := 20
	if s := q.Get("limit"); s != "" {
		var err error
		if limit, err = strconv.Atoi(s); err != nil || limit < 1 || limit > 200 {
			return http.StatusBadRequest, v1Error("limit must be between 1 and 200", http.StatusBadRequest)
		}
	}
	off := 0
	if fp := q.Get("fingerprint"); fp != "" {
		b, err := base64.RawURLEncoding.DecodeString(fp)
		if err == nil {
			off, err = strconv.Atoi(strings.TrimPrefix(string(b), "emulate:"))
		}
		if err != nil || off < 0 || off > len(items) {
			return http.StatusBadRequest, v1Error("invalid fingerprint", http.StatusBadRequest)
		}
	}
	end := min(off+limit, len(items))
	data := make([]map[string]any, 0, end-off)
	for _, item := range items[off:end] {
		data = append(data, item())
	}
	meta := map[string]any{"at": g.ds.BlockTime(g.ds.Latest()).UnixMilli(), "page_size": len(data)}
	if len(data) == limit {
		fp := base64.RawURLEncoding.EncodeToString([]byte("emulate:" + strconv.Itoa(end)))
		next := url.Values{}
		maps.Copy(next, q)
		next.Set("fingerprint", fp)
		meta["fingerprint"] = fp
		meta["links"] = map[string]any{"next": "http://" + req.Host + req.URL.Path + "?" + next.Encode()}
	}
	return http.StatusOK, map[string]any{"data": data, "success": true, "meta": meta}
}
