package emulate

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// ExplorerOptions configure an emulated Etherscan v2 API. The zero value
// is Etherscan's free tier with any non-empty API key accepted.
type ExplorerOptions struct {
	// Key is the API key required; "" accepts any non-empty key.
	Key string
	// Rate is the most requests per second (default 3, Etherscan's free
	// tier); -1 for no limit.
	Rate int
	// MaxOffset is the largest page size (default 1,000) and Window the
	// largest page × offset (default 10,000).
	MaxOffset, Window int
	// Now is the clock of the rate limit; nil for time.Now.
	Now func() time.Time
}

// Explorer is an emulated Etherscan v2 API at /v2/api (and /api): account
// tokentx, txlist and txlistinternal, the proxy module and
// getblocknobytime. It is safe for concurrent use.
type Explorer struct {
	ds  *Dataset
	o   ExplorerOptions
	rpc *RPC

	mu     sync.Mutex
	recent []time.Time // times of the last accepted requests
	counts map[string]int64
	total  int64
	refuse int64
}

var _ http.Handler = (*Explorer)(nil)

// NewExplorer returns an explorer serving ds.
func NewExplorer(ds *Dataset, o ExplorerOptions) *Explorer {
	if o.Rate == 0 {
		o.Rate = 3
	}
	if o.MaxOffset <= 0 {
		o.MaxOffset = 1000
	}
	if o.Window <= 0 {
		o.Window = 10_000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Explorer{ds: ds, o: o, rpc: NewRPC(ds, Behaviour{}), counts: map[string]int64{}}
}

// Start serves e on 127.0.0.1 at a free port; the API is URL + "/v2/api".
func (e *Explorer) Start() (*Server, error) { return Serve(e) }

// Counts returns the requests served so far by action (proxy calls by
// their method name), refused ones excluded.
func (e *Explorer) Counts() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.counts)
}

// Total is the number of requests served so far, refused ones excluded.
func (e *Explorer) Total() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.total
}

// RateLimited is the number of requests refused with "Max rate limit reached".
func (e *Explorer) RateLimited() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refuse
}

type apiResponse struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Result  any    `json:"result"`
}

func notOK(result string) apiResponse {
	return apiResponse{Status: "0", Message: "NOTOK", Result: result}
}

// admit applies the rate limit: at most Rate requests in any second.
func (e *Explorer) admit() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.o.Rate < 0 {
		return true
	}
	now := e.o.Now()
	keep := e.recent[:0]
	for _, t := range e.recent {
		if now.Sub(t) < time.Second {
			keep = append(keep, t)
		}
	}
	e.recent = keep
	if len(e.recent) >= e.o.Rate {
		e.refuse++
		return false
	}
	e.recent = append(e.recent, now)
	return true
}

func (e *Explorer) count(action string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.counts[action]++
	e.total++
}

// ServeHTTP answers one API request.
func (e *Explorer) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/v2/api" && req.URL.Path != "/api" {
		http.NotFound(w, req)
		return
	}
	q := req.URL.Query()
	out := e.answer(q.Get)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func (e *Explorer) answer(get func(string) string) any {
	switch {
	case get("chainid") == "":
		return notOK("Missing or unsupported chainid parameter (required for v2 api), please see https://api.etherscan.io/v2/chainlist for the list of supported chainids")
	case get("chainid") != "1":
		return notOK("Invalid chainid parameter (not supported by this endpoint)")
	case get("apikey") == "":
		return notOK("Missing/Invalid API Key")
	case e.o.Key != "" && get("apikey") != e.o.Key:
		return notOK("Invalid API Key")
	}
	if !e.admit() {
		return notOK("Max rate limit reached")
	}
	module, action := get("module"), get("action")
	switch module {
	case "account":
		switch action {
		case "tokentx", "txlist", "txlistinternal":
			e.count(action)
			return e.account(action, get)
		}
	case "proxy":
		switch action {
		case "eth_blockNumber", "eth_getBlockByNumber", "eth_getCode", "eth_getTransactionReceipt", "eth_getTransactionByHash":
			e.count(action)
			return e.proxy(action, get)
		}
	case "block":
		if action == "getblocknobytime" {
			e.count(action)
			return e.blockByTime(get)
		}
	default:
		return notOK("Error! Missing Or invalid Module name")
	}
	return notOK("Error! Missing Or invalid Action name")
}

// tokenRow is a tokentx row, every field a string as Etherscan writes it.
type tokenRow struct {
	BlockNumber       string `json:"blockNumber"`
	TimeStamp         string `json:"timeStamp"`
	Hash              string `json:"hash"`
	Nonce             string `json:"nonce"`
	BlockHash         string `json:"blockHash"`
	From              string `json:"from"`
	ContractAddress   string `json:"contractAddress"`
	To                string `json:"to"`
	Value             string `json:"value"`
	TokenName         string `json:"tokenName"`
	TokenSymbol       string `json:"tokenSymbol"`
	TokenDecimal      string `json:"tokenDecimal"`
	TransactionIndex  string `json:"transactionIndex"`
	Gas               string `json:"gas"`
	GasPrice          string `json:"gasPrice"`
	GasUsed           string `json:"gasUsed"`
	CumulativeGasUsed string `json:"cumulativeGasUsed"`
	Input             string `json:"input"`
	Confirmations     string `json:"confirmations"`
}

// txRow is a txlist row.
type txRow struct {
	BlockNumber       string `json:"blockNumber"`
	BlockHash         string `json:"blockHash"`
	TimeStamp         string `json:"timeStamp"`
	Hash              string `json:"hash"`
	Nonce             string `json:"nonce"`
	TransactionIndex  string `json:"transactionIndex"`
	From              string `json:"from"`
	To                string `json:"to"`
	Value             string `json:"value"`
	Gas               string `json:"gas"`
	GasPrice          string `json:"gasPrice"`
	Input             string `json:"input"`
	MethodID          string `json:"methodId"`
	FunctionName      string `json:"functionName"`
	ContractAddress   string `json:"contractAddress"`
	CumulativeGasUsed string `json:"cumulativeGasUsed"`
	TxReceiptStatus   string `json:"txreceipt_status"`
	GasUsed           string `json:"gasUsed"`
	Confirmations     string `json:"confirmations"`
	IsError           string `json:"isError"`
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }

func parseAddr(s string) (common.Address, bool) {
	if s == "" {
		return common.Address{}, false
	}
	if !common.IsHexAddress(s) {
		return common.Address{}, false
	}
	return common.HexToAddress(s), true
}

func (e *Explorer) account(action string, get func(string) string) any {
	addr, hasAddr := parseAddr(get("address"))
	if get("address") != "" && !hasAddr {
		return notOK("Error! Invalid address format")
	}
	contract, hasContract := parseAddr(get("contractaddress"))
	if get("contractaddress") != "" && !hasContract {
		return notOK("Error! Invalid contractAddress format")
	}
	if !hasAddr && (action != "tokentx" || !hasContract) {
		return notOK("Error! Invalid address format")
	}
	start, end := uint64(0), e.ds.Head
	if s := get("startblock"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return notOK("Error! Invalid startblock")
		}
		start = n
	}
	if s := get("endblock"); s != "" && s != "latest" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return notOK("Error! Invalid endblock")
		}
		end = n
	}
	page, offset := 1, 0
	if s := get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return notOK("Error! Invalid page")
		}
		page = max(n, 1)
	}
	if s := get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return notOK("Error! Invalid offset")
		}
		offset = n
	}
	window := "Result window is too large, PageNo x Offset size must be less than or equal to 10000"
	if offset > e.o.MaxOffset || page*max(offset, 1) > e.o.Window {
		return notOK(window)
	}
	if offset == 0 { // no page size: the first 10,000 records
		page, offset = 1, e.o.Window
	}
	desc := strings.EqualFold(get("sort"), "desc")

	var rows []any
	switch action {
	case "tokentx":
		var idx []int
		if hasAddr {
			idx = e.ds.byAddr[addr]
		} else if contract == e.ds.Token.Address {
			idx = make([]int, len(e.ds.Transfers))
			for i := range idx {
				idx[i] = i
			}
		}
		for _, i := range idx {
			t := e.ds.Transfers[i]
			if t.Block < start || t.Block > end || (hasContract && contract != t.Token) {
				continue
			}
			rows = append(rows, e.tokenRow(t))
		}
	case "txlist":
		for i := range e.ds.Txs {
			tx := &e.ds.Txs[i]
			if tx.Block < start || tx.Block > end || (tx.From != addr && tx.To != addr) {
				continue
			}
			rows = append(rows, e.txRow(tx))
		}
	}
	if desc {
		slices.Reverse(rows)
	}
	lo := (page - 1) * offset
	if lo >= len(rows) {
		return apiResponse{Status: "0", Message: "No transactions found", Result: []any{}}
	}
	return apiResponse{Status: "1", Message: "OK", Result: rows[lo:min(lo+offset, len(rows))]}
}

func (e *Explorer) tokenRow(t Transfer) tokenRow {
	tx, _ := e.ds.Tx(t.TxHash)
	return tokenRow{
		BlockNumber: u64(t.Block), TimeStamp: strconv.FormatInt(t.Time.Unix(), 10), Hash: t.TxHash.Hex(),
		Nonce: u64(tx.Nonce), BlockHash: e.ds.BlockHash(t.Block).Hex(), From: lower(t.From), ContractAddress: lower(t.Token),
		To: lower(t.To), Value: t.Value.String(), TokenName: e.ds.Token.Name, TokenSymbol: e.ds.Token.Symbol,
		TokenDecimal: strconv.Itoa(e.ds.Token.Decimals), TransactionIndex: strconv.FormatUint(uint64(t.TxIndex), 10),
		Gas: strconv.Itoa(gasLimit), GasPrice: strconv.Itoa(baseFee + tip), GasUsed: strconv.Itoa(gasUsed),
		CumulativeGasUsed: strconv.Itoa(gasUsed * int(tx.Index+1)), Input: "deprecated", Confirmations: u64(e.ds.Head - t.Block),
	}
}

func (e *Explorer) txRow(tx *Tx) txRow {
	return txRow{
		BlockNumber: u64(tx.Block), BlockHash: e.ds.BlockHash(tx.Block).Hex(), TimeStamp: strconv.FormatInt(BlockTime(tx.Block).Unix(), 10),
		Hash: tx.Hash.Hex(), Nonce: u64(tx.Nonce), TransactionIndex: strconv.FormatUint(uint64(tx.Index), 10),
		From: lower(tx.From), To: lower(tx.To), Value: "0", Gas: strconv.Itoa(gasLimit), GasPrice: strconv.Itoa(baseFee + tip),
		Input: hexutil.Encode(tx.Input), MethodID: hexutil.Encode(tx.Input[:4]), CumulativeGasUsed: strconv.Itoa(gasUsed * int(tx.Index+1)),
		TxReceiptStatus: "1", GasUsed: strconv.Itoa(gasUsed), Confirmations: u64(e.ds.Head - tx.Block), IsError: "0",
	}
}

// proxy answers the proxy module with JSON-RPC shaped bodies.
func (e *Explorer) proxy(action string, get func(string) string) any {
	var params []any
	switch action {
	case "eth_getBlockByNumber":
		params = []any{get("tag"), get("boolean") == "true"}
	case "eth_getCode":
		tag := get("tag")
		if tag == "" {
			tag = "latest"
		}
		params = []any{get("address"), tag}
	case "eth_getTransactionReceipt", "eth_getTransactionByHash":
		params = []any{get("txhash")}
	default:
		params = []any{}
	}
	raw, _ := json.Marshal(params)
	res, err := e.rpc.dispatch(action, raw)
	id := json.RawMessage("1")
	if s := get("id"); s != "" {
		if _, err := strconv.Atoi(s); err == nil {
			id = json.RawMessage(s)
		}
	}
	if err != nil {
		re, ok := err.(*rpcError)
		if !ok {
			re = &rpcError{Code: -32000, Message: err.Error()}
		}
		return rpcResponse{Version: "2.0", ID: id, Error: re}
	}
	if res == nil {
		res = json.RawMessage("null")
	}
	return rpcResponse{Version: "2.0", ID: id, Result: res}
}

// blockByTime answers getblocknobytime.
func (e *Explorer) blockByTime(get func(string) string) any {
	ts, err := strconv.ParseInt(get("timestamp"), 10, 64)
	if err != nil || ts < 0 {
		return notOK("Error! Invalid timestamp")
	}
	closest := get("closest")
	if closest != "before" && closest != "after" {
		return notOK("Error! Invalid closest parameter, must be before or after")
	}
	// Blocks are BlockSeconds apart: n = BaseBlock + (ts - BaseTime) / BlockSeconds.
	off := ts - BaseTime
	var n int64
	if closest == "before" {
		n = int64(BaseBlock) + floorDiv(off, BlockSeconds)
	} else {
		n = int64(BaseBlock) - floorDiv(-off, BlockSeconds)
	}
	if n < 0 || uint64(n) > e.ds.Head {
		return notOK("Error! No closest block found")
	}
	return apiResponse{Status: "1", Message: "OK", Result: fmt.Sprint(n)}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
