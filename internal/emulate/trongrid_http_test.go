package emulate

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/tron"
)

// tronCall sends one request and decodes the answer.
func tronCall(t *testing.T, method, url, body string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 && b[0] == '[' {
		var list []any
		if err := json.Unmarshal(b, &list); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
		out = map[string]any{"list": list}
	} else if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: %v: %s", method, url, err, b)
	}
	return resp.StatusCode, resp.Header, out
}

func number(t *testing.T, m map[string]any) uint64 {
	t.Helper()
	raw, ok := m["block_header"].(map[string]any)["raw_data"].(map[string]any)["number"].(float64)
	if !ok {
		t.Fatalf("no block number in %v", m)
	}
	return uint64(raw)
}

// TestTronGridAPI checks the shapes and limits the adapter relies on, by
// plain HTTP.
func TestTronGridAPI(t *testing.T) {
	d := loadTron(t)
	stash := frozenTron(t)
	g, url := startTron(t, d, TronGridOptions{})
	frozeIn := d.Head - 50
	f, err := g.Freeze(chains.USDTTron.Contract, stash, frozeIn)
	if err != nil {
		t.Fatal(err)
	}
	pool := d.Transfers[len(d.Transfers)-12].From // the pool: ten transfers
	list := url + "/v1/accounts/" + pool.String() + "/transactions/trc20?only_confirmed=true&contract_address=" + chains.USDTTron.Contract.String()
	t.Run("Paging", func(t *testing.T) {
		for _, tc := range []struct {
			limit int
			pages []int // page sizes, the last one without a fingerprint
		}{{3, []int{3, 3, 3, 1}}, {5, []int{5, 5, 0}}, {200, []int{10}}} {
			next, fps := list+"&limit="+strconv.Itoa(tc.limit), map[string]bool{}
			var sizes []int
			var last int64 = 1 << 62
			for next != "" {
				code, _, p := tronCall(t, http.MethodGet, next, "")
				if code != http.StatusOK || p["success"] != true {
					t.Fatalf("limit %d: %d %v", tc.limit, code, p)
				}
				data := p["data"].([]any)
				sizes = append(sizes, len(data))
				for _, it := range data {
					ms := int64(it.(map[string]any)["block_timestamp"].(float64))
					if ms > last {
						t.Errorf("limit %d: not newest first", tc.limit)
					}
					last = ms
				}
				meta := p["meta"].(map[string]any)
				fp, _ := meta["fingerprint"].(string)
				if fp == "" {
					next = ""
					continue
				}
				if fps[fp] {
					t.Fatalf("fingerprint %q repeated", fp)
				}
				fps[fp] = true
				next = meta["links"].(map[string]any)["next"].(string)
			}
			if !slices.Equal(sizes, tc.pages) {
				t.Errorf("limit %d: pages of %v, want %v", tc.limit, sizes, tc.pages)
			}
		}
		for _, bad := range []string{"&limit=201", "&limit=0", "&limit=5&fingerprint=nope", "&min_timestamp=x"} {
			if code, _, p := tronCall(t, http.MethodGet, list+bad, ""); code != http.StatusBadRequest || p["success"] != false {
				t.Errorf("%s: %d %v; want 400 with success false", bad, code, p)
			}
		}
		if code, _, _ := tronCall(t, http.MethodPost, list, "{}"); code != http.StatusMethodNotAllowed {
			t.Errorf("POST to a listing: %d, want 405", code)
		}
	})
	t.Run("Blocks", func(t *testing.T) {
		for _, tc := range []struct {
			path, body string
			want       uint64 // 0: an empty answer
		}{
			{"/walletsolidity/getnowblock", "", d.Head},
			{"/wallet/getnowblock", "", d.Latest()},
			{"/wallet/getblock", `{"id_or_num":"` + strconv.FormatUint(d.Head+5, 10) + `","detail":false}`, d.Head + 5},
			{"/walletsolidity/getblock", `{"id_or_num":"` + strconv.FormatUint(d.Head+5, 10) + `"}`, 0},
			{"/wallet/getblock", `{"id_or_num":"` + strconv.FormatUint(d.Latest()+1, 10) + `"}`, 0},
			{"/wallet/getblock", `{"id_or_num":"` + blockID(frozeIn) + `"}`, frozeIn},
			{"/wallet/getblockbynum", `{"num":` + strconv.FormatUint(frozeIn, 10) + `}`, frozeIn},
		} {
			code, _, b := tronCall(t, http.MethodPost, url+tc.path, tc.body)
			if code != http.StatusOK || (tc.want == 0) != (len(b) == 0) || (tc.want != 0 && number(t, b) != tc.want) {
				t.Errorf("%s %s: %d %v; want block %d", tc.path, tc.body, code, b, tc.want)
			}
		}
		_, _, b := tronCall(t, http.MethodPost, url+"/wallet/getblock", `{"id_or_num":"`+strconv.FormatUint(frozeIn, 10)+`","detail":true}`)
		if txs, _ := b["transactions"].([]any); len(txs) != 1 || txs[0].(map[string]any)["txID"] != hexID(f.Tx) {
			t.Errorf("freezing block's transactions: %v, want the freeze %s", b["transactions"], hexID(f.Tx))
		}
		_, _, r := tronCall(t, http.MethodPost, url+"/wallet/gettransactioninfobyblocknum", `{"num":`+strconv.FormatUint(frozeIn-1, 10)+`}`)
		if l, ok := r["list"].([]any); !ok || len(l) != 0 {
			t.Errorf("receipts of an empty block: %v, want []", r)
		}
		_, _, r = tronCall(t, http.MethodPost, url+"/wallet/gettransactioninfobyid", `{"value":"`+hexID(f.Tx)+`"}`)
		logs, _ := r["log"].([]any)
		if r["blockNumber"] != float64(frozeIn) || len(logs) != 1 || logs[0].(map[string]any)["data"] != tronWord(stash) {
			t.Errorf("freeze receipt %v: want block %d and one AddedBlackList log with the user as data", r, frozeIn)
		}
	})
	t.Run("Constant", func(t *testing.T) {
		call := func(path, contract, sel, param string, visible bool) map[string]any {
			b, _ := json.Marshal(map[string]any{"owner_address": contract, "contract_address": contract,
				"function_selector": sel, "parameter": param, "visible": visible})
			code, _, out := tronCall(t, http.MethodPost, url+path, string(b))
			if code != http.StatusOK {
				t.Fatalf("%s %s: %d", path, sel, code)
			}
			return out
		}
		word := func(out map[string]any) string {
			r, _ := out["constant_result"].([]any)
			if len(r) != 1 {
				return "none"
			}
			return r[0].(string)
		}
		usdt := chains.USDTTron.Contract.String()
		for _, path := range []string{"/wallet/triggerconstantcontract", "/walletsolidity/triggerconstantcontract"} {
			for _, sel := range []string{"isBlackListed(address)", "getBlackListStatus(address)"} {
				if w := word(call(path, usdt, sel, tronWord(stash), true)); w != wordHex(bigOne) {
					t.Errorf("%s %s: %s, want true", path, sel, w)
				}
				if w := word(call(path, usdt, sel, tronWord(pool), true)); w != wordHex(bigZero) {
					t.Errorf("%s %s of another: %s, want false", path, sel, w)
				}
			}
			if w := word(call(path, hex41(chains.USDTTron.Contract), "balanceOf(address)", tronWord(stash), false)); w != wordHex(d.Balance(chains.USDTTron.Contract, stash, d.Head)) {
				t.Errorf("%s balanceOf: %s", path, w)
			}
		}
		if r := call(solidity, chains.USDCTron.Contract.String(), "isBlacklisted(address)", tronWord(stash), true); word(r) != wordHex(bigZero) {
			t.Errorf("USDC isBlacklisted: %v", r)
		}
		refusedCode := func(out map[string]any) string { c, _ := out["result"].(map[string]any)["code"].(string); return c }
		if c := refusedCode(call(solidity, stash.String(), "balanceOf(address)", tronWord(stash), true)); c != "CONTRACT_VALIDATE_ERROR" {
			t.Errorf("call on a wallet: code %q", c)
		}
		if c := refusedCode(call(solidity, usdt, "balanceOf(address)", "zz", true)); c != "OTHER_ERROR" {
			t.Errorf("bad parameter: code %q", c)
		}
		r := call(solidity, usdt, "isBlacklisted(address)", tronWord(stash), true) // Circle's getter, not Tether's
		ret, _ := r["transaction"].(map[string]any)["ret"].([]any)
		if len(ret) != 1 || ret[0].(map[string]any)["ret"] != "FAILED" || r["result"].(map[string]any)["message"] != "REVERT opcode executed" {
			t.Errorf("missing function: %v, want a revert", r)
		}
	})
	t.Run("Events", func(t *testing.T) {
		if _, err := g.Destroy(chains.USDTTron.Contract, stash, frozeIn+3); err != nil {
			t.Fatal(err)
		}
		base := url + "/v1/contracts/" + chains.USDTTron.Contract.String() + "/events?only_confirmed=true&limit=200"
		_, _, p := tronCall(t, http.MethodGet, base+"&event_name=AddedBlackList&order_by=block_timestamp,asc", "")
		data := p["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("AddedBlackList events: %v", p)
		}
		ev := data[0].(map[string]any)
		res := ev["result"].(map[string]any)
		if ev["transaction_id"] != hexID(f.Tx) || ev["block_number"] != float64(frozeIn) || res["_user"] != "0x"+hex20(stash) || res["0"] != res["_user"] {
			t.Errorf("AddedBlackList event %v", ev)
		}
		_, _, p = tronCall(t, http.MethodGet, base+"&event_name=DestroyedBlackFunds", "")
		data = p["data"].([]any)
		if len(data) != 1 || data[0].(map[string]any)["result"].(map[string]any)["_balance"] != "9000000000" {
			t.Errorf("DestroyedBlackFunds events: %v", p)
		}
		_, _, p = tronCall(t, http.MethodGet, base+"&event_name=Transfer&min_block_timestamp="+strconv.FormatInt(d.BlockTime(frozeIn).UnixMilli(), 10), "")
		if data = p["data"].([]any); len(data) != 0 {
			t.Errorf("Transfer events after the freeze: %v, want none", data)
		}
	})
	if code, _, _ := tronCall(t, http.MethodPost, url+"/wallet/nosuchthing", "{}"); code != http.StatusNotFound {
		t.Errorf("unknown endpoint: %d, want 404", code)
	}
	if code, _, p := tronCall(t, http.MethodGet, url+"/v1/accounts/"+stash.String(), ""); code != http.StatusNotFound || p["success"] != false {
		t.Errorf("unserved listing: %d %v, want 404", code, p)
	}
}

const solidity = "/walletsolidity/triggerconstantcontract"

var bigOne, bigZero = big.NewInt(1), new(big.Int)

// TestTronGridRateLimit: beyond the rate, 429 with Retry-After; the
// adapter retries through it and gets the same answers.
func TestTronGridRateLimit(t *testing.T) {
	d := loadTron(t)
	var mu sync.Mutex
	now := time.Unix(1714608000, 0)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(100 * time.Millisecond)
		return now
	}
	g, url := startTron(t, d, TronGridOptions{Rate: 2, Now: clock})
	refusals := 0
	for range 6 {
		code, h, p := tronCall(t, http.MethodPost, url+"/walletsolidity/getnowblock", "")
		if code == http.StatusTooManyRequests {
			refusals++
			if h.Get("Retry-After") != "1" || p["Error"] == nil {
				t.Errorf("429 with Retry-After %q and %v", h.Get("Retry-After"), p)
			}
		}
	}
	if refusals == 0 || g.Limited() != int64(refusals) {
		t.Fatalf("%d refusals, %d counted; want some, all counted", refusals, g.Limited())
	}
	src := tronSource(t, url, tron.Options{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, MaxRetries: 50})
	addr := d.Transfers[len(d.Transfers)-12].From
	got, err := src.Transfers(context.Background(), chains.Query{Chain: chains.Tron, Address: addr, Asset: chains.USDTTron, To: chains.Latest})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(d.byAddr[addr]); len(got) != n {
		t.Errorf("%d transfers through the rate limit, want %d", len(got), n)
	}
	if src.Requests() != g.Requests()-6 || g.Limited() == int64(refusals) {
		t.Errorf("the adapter sent %d requests, the emulator received %d after the first 6 and refused %d of them: want retries after 429s",
			src.Requests(), g.Requests()-6, g.Limited()-int64(refusals))
	}
}
