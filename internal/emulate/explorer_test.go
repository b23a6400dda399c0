package emulate

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

type apiReply struct {
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Result  json.RawMessage `json:"result"`
}

func startExplorer(t *testing.T, o ExplorerOptions) (*Explorer, string) {
	t.Helper()
	e := NewExplorer(dataset(), o)
	s, err := e.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return e, s.URL + "/v2/api"
}

func apiGet(t *testing.T, url string) apiReply {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r apiReply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestExplorer(t *testing.T) {
	d := dataset()
	e, api := startExplorer(t, ExplorerOptions{Key: "K", Rate: -1})
	tokentx := func(addr string, page, offset int) string {
		return fmt.Sprintf("%s?chainid=1&module=account&action=tokentx&contractaddress=%s&address=%s&startblock=0&endblock=99999999&page=%d&offset=%d&sort=asc&apikey=K",
			api, USDT.Hex(), addr, page, offset)
	}
	t.Run("Pages", func(t *testing.T) {
		hot := d.HotWallet.Hex()
		var all []tokenRow
		for page := 1; page <= 10; page++ {
			r := apiGet(t, tokentx(hot, page, 1000))
			var rows []tokenRow
			if r.Status != "1" || r.Message != "OK" || json.Unmarshal(r.Result, &rows) != nil || len(rows) != 1000 {
				t.Fatalf("page %d: %s %s, %d rows", page, r.Status, r.Message, len(rows))
			}
			all = append(all, rows...)
		}
		want := d.TransfersOf(ChainAddress(d.HotWallet), 0, d.Head)
		for i, row := range all {
			w := want[i]
			if row.Hash != w.Tx.String() || row.BlockNumber != fmt.Sprint(w.Block) || row.Value != w.Amount.String() ||
				row.TimeStamp != fmt.Sprint(w.Time.Unix()) || row.TokenDecimal != "6" || row.TokenSymbol != "USDT" {
				t.Fatalf("row %d: got %+v, want %+v", i, row, w)
			}
		}
		r := apiGet(t, tokentx(hot, 11, 1000))
		if r.Status != "0" || r.Message != "NOTOK" || string(r.Result) != `"Result window is too large, PageNo x Offset size must be less than or equal to 10000"` {
			t.Errorf("page 11: got %s %s %s", r.Status, r.Message, r.Result)
		}
		if r := apiGet(t, tokentx(hot, 1, 1001)); r.Message != "NOTOK" {
			t.Errorf("offset 1001: got %s %s", r.Message, r.Result)
		}
	})
	t.Run("NoTransactions", func(t *testing.T) {
		r := apiGet(t, tokentx("0x000000000000000000000000000000000000dEaD", 1, 100))
		if r.Status != "0" || r.Message != "No transactions found" || string(r.Result) != "[]" {
			t.Errorf("got %s %s %s", r.Status, r.Message, r.Result)
		}
		r = apiGet(t, fmt.Sprintf("%s?chainid=1&module=account&action=txlistinternal&address=%s&apikey=K", api, d.Pools[0].Hex()))
		if r.Message != "No transactions found" {
			t.Errorf("txlistinternal: got %s %s", r.Message, r.Result)
		}
	})
	t.Run("Key", func(t *testing.T) {
		r := apiGet(t, fmt.Sprintf("%s?chainid=1&module=account&action=tokentx&address=%s&apikey=wrong", api, d.Pools[0].Hex()))
		if r.Status != "0" || r.Message != "NOTOK" || string(r.Result) != `"Invalid API Key"` {
			t.Errorf("wrong key: got %s %s %s", r.Status, r.Message, r.Result)
		}
	})
	t.Run("Proxy", func(t *testing.T) {
		resp, err := http.Get(fmt.Sprintf("%s?chainid=1&module=proxy&action=eth_getTransactionReceipt&txhash=%s&apikey=K", api, d.VictimPayments[0].Hex()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rc struct {
			Result struct {
				Logs []json.RawMessage `json:"logs"`
			} `json:"result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&rc); err != nil || len(rc.Result.Logs) != 1 {
			t.Errorf("proxy receipt: %d logs, %v", len(rc.Result.Logs), err)
		}
	})
	t.Run("BlockByTime", func(t *testing.T) {
		n := d.First + 500
		ts := BlockTime(n).Unix()
		for _, c := range []struct {
			ts      int64
			closest string
			want    uint64
		}{{ts, "before", n}, {ts, "after", n}, {ts + 5, "before", n}, {ts + 5, "after", n + 1}} {
			r := apiGet(t, fmt.Sprintf("%s?chainid=1&module=block&action=getblocknobytime&timestamp=%d&closest=%s&apikey=K", api, c.ts, c.closest))
			if string(r.Result) != fmt.Sprintf(`"%d"`, c.want) {
				t.Errorf("%d %s: got %s, want %d", c.ts, c.closest, r.Result, c.want)
			}
		}
	})
	if c := e.Counts(); c["tokentx"] < 12 || c["eth_getTransactionReceipt"] != 1 || c["getblocknobytime"] != 4 {
		t.Errorf("counts: %v", c)
	}
}

func TestExplorerRateLimit(t *testing.T) {
	now := time.Unix(5000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e, api := startExplorer(t, ExplorerOptions{Now: clock})
	url := api + "?chainid=1&module=proxy&action=eth_blockNumber&apikey=any"
	for i := range 3 {
		if r := apiGet(t, url); r.Message == "NOTOK" {
			t.Fatalf("request %d refused: %s", i, r.Result)
		}
	}
	r := apiGet(t, url)
	if r.Status != "0" || r.Message != "NOTOK" || string(r.Result) != `"Max rate limit reached"` {
		t.Fatalf("fourth request in a second: got %s %s %s", r.Status, r.Message, r.Result)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if r := apiGet(t, url); r.Message == "NOTOK" {
		t.Fatalf("after a second: refused: %s", r.Result)
	}
	if e.Total() != 4 || e.RateLimited() != 1 {
		t.Errorf("served %d, refused %d; want 4 and 1", e.Total(), e.RateLimited())
	}
}
