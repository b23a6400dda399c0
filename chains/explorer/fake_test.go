package explorer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
)

// vclock is a virtual clock shared by a Source (its rate limit and backoff)
// and the fake explorer (its rate measurement): sleeping advances it.
type vclock struct {
	mu    sync.Mutex
	t     time.Time
	slept time.Duration
}

func newClock() *vclock { return &vclock{t: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)} }

func (c *vclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *vclock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.mu.Lock()
		c.t = c.t.Add(d)
		c.slept += d
		c.mu.Unlock()
	}
	return ctx.Err()
}

// rec is one record the fake explorer holds.
type rec struct {
	action   string // tokentx, txlist or txlistinternal
	block    uint64
	hash     string
	from, to string // lowercase hex
	contract string // tokentx only
	fields   map[string]string
}

// fakeTx is what the proxy module knows of a transaction.
type fakeTx struct {
	hash    string
	block   uint64
	index   uint64
	from    string
	to      string
	value   string // hex
	logs    []map[string]any
	status  string
	missing bool
}

// fake is an Etherscan free tier: 1,000 rows per page, page × offset ≤
// window, rate requests per second measured on its own clock.
type fake struct {
	t      testing.TB
	clock  *vclock
	key    string
	head   uint64
	rate   int
	window int

	mu        sync.Mutex
	recs      []rec
	txs       map[string]*fakeTx
	accepted  []time.Time
	calls     map[string]int
	limited   int
	truncate  string // action answered with truncated JSON
	failures  []int  // HTTP statuses answered first, in order
	echoKey   bool   // the key error quotes the key
	windowErr int
}

func newFake(t testing.TB, clock *vclock) *fake {
	return &fake{t: t, clock: clock, key: "TESTKEY", head: 20_500_000, rate: 3, window: 10000,
		txs: map[string]*fakeTx{}, calls: map[string]int{}}
}

func (f *fake) serve() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(f.handle))
	f.t.Cleanup(srv.Close)
	return srv
}

func blockTime(b uint64) int64 { return 1_600_000_000 + int64(b-19_000_000)*12 }

func (f *fake) handle(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if len(f.failures) > 0 {
		code := f.failures[0]
		f.failures = f.failures[1:]
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(code)
		fmt.Fprint(w, "slow down")
		return
	}
	notok := func(msg string) {
		json.NewEncoder(w).Encode(map[string]any{"status": "0", "message": "NOTOK", "result": msg})
	}
	if q.Get("apikey") != f.key {
		if f.echoKey {
			notok("Invalid API Key " + q.Get("apikey"))
			return
		}
		notok("Invalid API Key")
		return
	}
	if q.Get("chainid") != "1" {
		notok("Missing or unsupported chainid parameter")
		return
	}
	now := f.clock.Now()
	if f.rate > 0 {
		n := 0
		for _, t := range f.accepted {
			if now.Sub(t) < time.Second {
				n++
			}
		}
		if n >= f.rate {
			f.limited++
			notok("Max rate limit reached")
			return
		}
		f.accepted = append(f.accepted, now)
	}
	action := q.Get("action")
	f.calls[action]++
	if action == f.truncate {
		fmt.Fprint(w, `{"status":"1","message":"OK","result":[{"blockNumber":"2000`)
		return
	}
	switch q.Get("module") {
	case "proxy":
		f.proxy(w, q)
	case "block":
		ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if ts > blockTime(f.head) {
			notok("Error! No closest block found")
			return
		}
		b := uint64(19_000_000)
		if ts > blockTime(b) {
			b += uint64((ts - blockTime(b) + 11) / 12)
		}
		json.NewEncoder(w).Encode(map[string]any{"status": "1", "message": "OK", "result": strconv.FormatUint(b, 10)})
	case "account":
		f.account(w, q, notok)
	default:
		notok("Error! Missing Or invalid Module name")
	}
}

func (f *fake) account(w http.ResponseWriter, q url.Values, notok func(string)) {
	page, _ := strconv.Atoi(q.Get("page"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if page == 0 {
		page = 1
	}
	if offset == 0 || offset > 1000 {
		offset = 1000
	}
	if page*offset > f.window {
		f.windowErr++
		notok("Result window is too large, PageNo x Offset size must be less than or equal to 10000")
		return
	}
	start, end := uint64(0), uint64(1<<62)
	if s := q.Get("startblock"); s != "" {
		start, _ = strconv.ParseUint(s, 10, 64)
	}
	if s := q.Get("endblock"); s != "" {
		end, _ = strconv.ParseUint(s, 10, 64)
	}
	addr := strings.ToLower(q.Get("address"))
	contract := strings.ToLower(q.Get("contractaddress"))
	txhash := strings.ToLower(q.Get("txhash"))
	var out []map[string]string
	for _, r := range f.recs {
		if r.action != q.Get("action") || r.block < start || r.block > end {
			continue
		}
		if addr != "" && r.from != addr && r.to != addr {
			continue
		}
		if contract != "" && r.contract != contract {
			continue
		}
		if txhash != "" && r.hash != txhash {
			continue
		}
		out = append(out, r.fields)
	}
	lo := min((page-1)*offset, len(out))
	hi := min(lo+offset, len(out))
	if lo == hi {
		json.NewEncoder(w).Encode(map[string]any{"status": "0", "message": "No transactions found", "result": []any{}})
		return
	}
	json.NewEncoder(w).Encode(map[string]any{"status": "1", "message": "OK", "result": out[lo:hi]})
}

func (f *fake) proxy(w http.ResponseWriter, q url.Values) {
	reply := func(v any) {
		json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": 1, "result": v})
	}
	hex := func(n uint64) string { return "0x" + strconv.FormatUint(n, 16) }
	switch q.Get("action") {
	case "eth_blockNumber":
		reply(hex(f.head))
	case "eth_getCode":
		if strings.HasSuffix(q.Get("address"), "c0de") {
			reply("0x6080")
			return
		}
		reply("0x")
	case "eth_getBlockByNumber":
		n, err := strconv.ParseUint(strings.TrimPrefix(q.Get("tag"), "0x"), 16, 64)
		if err != nil || n > f.head {
			reply(nil)
			return
		}
		reply(map[string]any{"number": hex(n), "timestamp": hex(uint64(blockTime(n)))})
	case "eth_getTransactionByHash", "eth_getTransactionReceipt":
		t := f.txs[strings.ToLower(q.Get("txhash"))]
		if t == nil || t.missing {
			reply(nil)
			return
		}
		if q.Get("action") == "eth_getTransactionByHash" {
			m := map[string]any{"hash": t.hash, "blockNumber": hex(t.block), "transactionIndex": hex(t.index),
				"from": t.from, "value": t.value}
			if t.to != "" {
				m["to"] = t.to
			}
			reply(m)
			return
		}
		logs := t.logs
		if logs == nil {
			logs = []map[string]any{}
		}
		reply(map[string]any{"transactionHash": t.hash, "blockNumber": hex(t.block), "transactionIndex": hex(t.index),
			"status": t.status, "logs": logs})
	default:
		reply(nil)
	}
}

// addr returns a deterministic lowercase address.
func addr(n uint64) string { return fmt.Sprintf("0x%040x", n) }

// txHash returns a deterministic lowercase transaction hash.
func txHash(n uint64) string { return fmt.Sprintf("0x%064x", n) }

const usdtHex = "0xdac17f958d2ee523a2206206994597c13d831ec7"

var (
	victim = addr(0xa11ce)
	usdt   = chains.AssetID{Chain: chains.Ethereum, Contract: chains.MustParseAddress(usdtHex)}
)

// tokenRow builds a tokentx record.
func tokenRow(block uint64, hash string, txIndex int, from, to, contract, value string) rec {
	return rec{action: "tokentx", block: block, hash: hash, from: from, to: to, contract: contract, fields: map[string]string{
		"blockNumber": strconv.FormatUint(block, 10), "timeStamp": strconv.FormatInt(blockTime(block), 10),
		"hash": hash, "nonce": "1", "blockHash": txHash(block), "from": from, "contractAddress": contract, "to": to,
		"value": value, "tokenName": "Tether USD", "tokenSymbol": "USDT", "tokenDecimal": "6",
		"transactionIndex": strconv.Itoa(txIndex), "gas": "60000", "gasPrice": "1", "gasUsed": "50000",
		"cumulativeGasUsed": "1", "input": "deprecated", "confirmations": "100",
	}}
}

// history generates n tokentx rows of the victim's address in canonical
// order, most blocks holding one to three rows and, near every thousandth
// row, a block of 40 to 79 rows (several multi-transfer transactions among
// them), so that pages and windows end inside shared blocks. Rows of other
// tokens and of other addresses are mixed in and must be filtered out.
func history(n int) (mine []rec, all []rec) {
	block := uint64(20_000_000)
	var hashN uint64 = 1
	for len(mine) < n {
		size := 1 + int(block%3)
		if len(mine)%1000 > 980 || len(mine)%1000 < 3 {
			size = 40 + int(block%40)
		}
		txIndex := 0
		for i := 0; i < size && len(mine) < n; {
			hash := txHash(hashN)
			hashN++
			per := 1 + i%3 // one to three transfers in this transaction
			for k := 0; k < per && i < size && len(mine) < n; k++ {
				from, to := victim, addr(uint64(1000+i))
				if (i+k)%2 == 1 {
					from, to = to, from
				}
				r := tokenRow(block, hash, txIndex, from, to, usdtHex, strconv.Itoa(1+i*7+k))
				mine = append(mine, r)
				all = append(all, r)
				i++
			}
			all = append(all, tokenRow(block, hash, txIndex, addr(5), addr(6), usdtHex, "9"))
			txIndex++
		}
		all = append(all, tokenRow(block, txHash(1<<40+block), txIndex, victim, addr(7), addr(0xbad), "5"))
		block += 1 + block%4
	}
	return mine, all
}

// truth is what Transfers must return for rows under the explorer-order rule.
func truth(t testing.TB, rows []rec) []chains.Transfer {
	t.Helper()
	out := make([]chains.Transfer, 0, len(rows))
	k := map[string]uint32{}
	for _, r := range rows {
		idx, _ := strconv.Atoi(r.fields["transactionIndex"])
		out = append(out, chains.Transfer{
			Chain: chains.Ethereum, Tx: chains.MustParseTxHash(r.hash), Block: r.block,
			Time:     time.Unix(blockTime(r.block), 0).UTC(),
			TxIndex:  uint32(idx),
			Position: uint32(idx)*10000 + k[r.hash],
			From:     chains.MustParseAddress(r.from), To: chains.MustParseAddress(r.to),
			Asset:  chains.AssetID{Chain: chains.Ethereum, Contract: chains.MustParseAddress(r.contract)},
			Amount: chains.MustParseAmount(r.fields["value"]),
		})
		k[r.hash]++
	}
	slices.SortStableFunc(out, chains.Compare)
	return out
}

// expectedPages is the number of list requests the sliding-window paging
// needs for rows in the given blocks: each full window is read whole, then
// the next one starts at the first row of the window's last block.
func expectedPages(blocks []uint64, page, window int) int {
	n, i := 0, 0
	per := window / page
	for {
		rest := len(blocks) - i
		if rest < per*page {
			return n + rest/page + 1
		}
		n += per
		last := blocks[i+per*page-1]
		j, _ := slices.BinarySearch(blocks[i:], last)
		i += j
	}
}

func newSource(t testing.TB, srv *httptest.Server, clock *vclock, o Options) *Source {
	t.Helper()
	o.BaseURL = srv.URL + "/v2/api"
	if o.APIKey == "" {
		o.APIKey = "TESTKEY"
	}
	o.HTTPClient = srv.Client()
	o.Clock, o.Sleep = clock.Now, clock.Sleep
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
