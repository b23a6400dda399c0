package emulate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

var (
	sharedOnce sync.Once
	shared     *Dataset
)

// dataset is the default dataset, generated once for the package's tests.
func dataset() *Dataset {
	sharedOnce.Do(func() { shared = Generate(1, Options{}) })
	return shared
}

func startRPC(t *testing.T, b Behaviour) (*RPC, string) {
	t.Helper()
	r := NewRPC(dataset(), b)
	s, err := r.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return r, s.URL
}

// post sends a raw JSON-RPC body and decodes the answer.
func post(t *testing.T, url, body string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type rpcReply struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

func getLogsBody(from, to uint64, topics string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"address":"%s","fromBlock":"0x%x","toBlock":"0x%x","topics":%s}]}`,
		USDT.Hex(), from, to, topics)
}

func toHot(d *Dataset) string {
	return fmt.Sprintf(`["%s",null,"%s"]`, TransferTopic.Hex(), common.BytesToHash(d.HotWallet[:]).Hex())
}

func TestEthclient(t *testing.T) {
	d := dataset()
	_, url := startRPC(t, Behaviour{})
	ctx := context.Background()
	c, err := ethclient.DialContext(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	t.Run("ChainAndHead", func(t *testing.T) {
		id, err := c.ChainID(ctx)
		if err != nil || id.Int64() != 1 {
			t.Fatalf("chain id: got %v, %v, want 1", id, err)
		}
		head, err := c.BlockNumber(ctx)
		if err != nil || head != d.Head {
			t.Fatalf("head: got %d, %v, want %d", head, err, d.Head)
		}
	})
	t.Run("HeaderByNumber", func(t *testing.T) {
		n := d.Transfers[100].Block
		h, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := d.Header(n)
		if h.Number.Uint64() != n || h.Time != want.Time || h.ParentHash != want.Parent {
			t.Errorf("header %d: got number %d time %d parent %s, want time %d parent %s", n, h.Number, h.Time, h.ParentHash.Hex(), want.Time, want.Parent.Hex())
		}
		if _, err := c.HeaderByNumber(ctx, new(big.Int).SetUint64(d.Head+1)); err != ethereum.NotFound {
			t.Errorf("header above the head: got %v, want NotFound", err)
		}
	})
	t.Run("FilterLogs", func(t *testing.T) {
		coll := d.Collections[3]
		q := ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(d.First), ToBlock: new(big.Int).SetUint64(d.Last),
			Addresses: []common.Address{USDT}, Topics: [][]common.Hash{{TransferTopic}, nil, {common.BytesToHash(coll[:])}}}
		logs, err := c.FilterLogs(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var want []Transfer
		for _, tr := range d.Transfers {
			if tr.To == coll {
				want = append(want, tr)
			}
		}
		if len(logs) != len(want) || len(want) == 0 {
			t.Fatalf("logs to %s: got %d, want %d", coll.Hex(), len(logs), len(want))
		}
		for i, l := range logs {
			if l.TxHash != want[i].TxHash || l.Index != want[i].LogIndex || new(big.Int).SetBytes(l.Data).Cmp(want[i].Value) != 0 {
				t.Errorf("log %d: got %s/%d, want %s/%d", i, l.TxHash.Hex(), l.Index, want[i].TxHash.Hex(), want[i].LogIndex)
			}
		}
	})
	t.Run("BalanceOfAtBlock", func(t *testing.T) {
		pool := d.Pools[0]
		data := append(common.FromHex("0x70a08231"), common.LeftPadBytes(pool[:], 32)...)
		for _, n := range []uint64{d.First - 1, d.First + 8000, d.First + 15000, d.Last} {
			out, err := c.CallContract(ctx, ethereum.CallMsg{To: &USDT, Data: data}, new(big.Int).SetUint64(n))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := new(big.Int).SetBytes(out), d.Balance(pool, n); got.Cmp(want) != 0 {
				t.Errorf("balanceOf(pool) at %d: got %s, want %s", n, got, want)
			}
		}
	})
	t.Run("Receipt", func(t *testing.T) {
		h := d.VictimPayments[0]
		rc, err := c.TransactionReceipt(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		tx, _ := d.Tx(h)
		if rc.Status != 1 || len(rc.Logs) != 1 || rc.BlockNumber.Uint64() != tx.Block || rc.Logs[0].TxHash != h {
			t.Errorf("receipt of %s: status %d, %d logs, block %d", h.Hex(), rc.Status, len(rc.Logs), rc.BlockNumber)
		}
		if _, _, err := c.TransactionByHash(ctx, h); err != nil {
			t.Errorf("transaction by hash: %v", err)
		}
		code, err := c.CodeAt(ctx, USDT, nil)
		if err != nil || len(code) == 0 {
			t.Errorf("code of USDT: %x, %v", code, err)
		}
		if code, _ := c.CodeAt(ctx, d.Pools[0], nil); len(code) != 0 {
			t.Errorf("code of a wallet: %x, want none", code)
		}
	})
}

func TestLogLimits(t *testing.T) {
	d := dataset()
	full := getLogsBody(d.First, d.Last, toHot(d))
	// The first 10,001 inflows of the hot wallet decide the hinted range.
	var inflows []Transfer
	for _, tr := range d.Transfers {
		if tr.To == d.HotWallet {
			inflows = append(inflows, tr)
		}
	}
	end := inflows[resultCap].Block - 1
	for _, tc := range []struct {
		name    string
		b       LogLimit
		body    string
		code    int
		message string
	}{
		{"Infura", Infura, full, -32005, fmt.Sprintf("query returned more than 10000 results. Try with this block range [0x%X, 0x%X].", d.First, end)},
		{"Cap2000", Cap2000, full, -32602, fmt.Sprintf("Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x%x, 0x%x]", d.First, end)},
		{"Cap2000Strict", Cap2000Strict, getLogsBody(d.First, d.First+2000, `[]`), -32000, "exceed maximum block range: 2000"},
		{"Cap10000", Cap10000, getLogsBody(d.First, d.First+10_000, `[]`), -32614, "eth_getLogs is limited to a 10,000 range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, url := startRPC(t, Behaviour{Logs: tc.b})
			_, _, body := post(t, url, tc.body)
			var r rpcReply
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			if r.Error == nil || r.Error.Code != tc.code || r.Error.Message != tc.message {
				t.Fatalf("got %s\nwant code %d message %q", body, tc.code, tc.message)
			}
		})
	}
	t.Run("HintedRangeFits", func(t *testing.T) {
		_, url := startRPC(t, Behaviour{Logs: Infura})
		_, _, body := post(t, url, getLogsBody(d.First, end, toHot(d)))
		var r rpcReply
		var logs []json.RawMessage
		if json.Unmarshal(body, &r); r.Error != nil || json.Unmarshal(r.Result, &logs) != nil || len(logs) > resultCap || len(logs) < resultCap-100 {
			t.Fatalf("hinted range: %d logs, error %v", len(logs), r.Error)
		}
	})
	t.Run("Cap2000ServesSparseWideRanges", func(t *testing.T) {
		_, url := startRPC(t, Behaviour{Logs: Cap2000})
		coll := d.Collections[0]
		_, _, body := post(t, url, getLogsBody(d.First, d.Last, fmt.Sprintf(`["%s",null,"%s"]`, TransferTopic.Hex(), common.BytesToHash(coll[:]).Hex())))
		var r rpcReply
		if json.Unmarshal(body, &r); r.Error != nil {
			t.Fatalf("sparse wide range refused: %v", r.Error)
		}
	})
	t.Run("Cap2000StrictServes2000", func(t *testing.T) {
		_, url := startRPC(t, Behaviour{Logs: Cap2000Strict})
		_, _, body := post(t, url, getLogsBody(d.First, d.First+1999, `[]`))
		var r rpcReply
		if json.Unmarshal(body, &r); r.Error != nil {
			t.Fatalf("2,000 blocks refused: %v", r.Error)
		}
	})
}

func TestBatchCountsAndRate(t *testing.T) {
	d := dataset()
	t.Run("Batch", func(t *testing.T) {
		r, url := startRPC(t, Behaviour{})
		_, _, body := post(t, url, `[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"eth_blockNumber"},{"jsonrpc":"2.0","id":3,"method":"eth_getBalance","params":["0x0000000000000000000000000000000000000001","latest"]}]`)
		var rs []rpcReply
		if err := json.Unmarshal(body, &rs); err != nil || len(rs) != 3 {
			t.Fatalf("batch answer %s: %v", body, err)
		}
		if string(rs[0].Result) != `"0x1"` || string(rs[1].Result) != fmt.Sprintf(`"0x%x"`, d.Head) {
			t.Errorf("batch results: %s, %s", rs[0].Result, rs[1].Result)
		}
		if rs[2].Error == nil || rs[2].Error.Code != -32601 {
			t.Errorf("unknown method: got %s, want -32601", body)
		}
		if r.Total() != 3 || r.Requests() != 1 || r.Counts()["eth_chainId"] != 1 || r.Counts()["eth_getBalance"] != 1 {
			t.Errorf("counts: total %d requests %d by method %v", r.Total(), r.Requests(), r.Counts())
		}
	})
	t.Run("RateLimit", func(t *testing.T) {
		now := time.Unix(1000, 0)
		var mu sync.Mutex
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		r, url := startRPC(t, Behaviour{Rate: 2, Now: clock})
		body := `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`
		for i := range 2 {
			if code, _, _ := post(t, url, body); code != 200 {
				t.Fatalf("request %d: status %d", i, code)
			}
		}
		code, hdr, _ := post(t, url, body)
		if code != http.StatusTooManyRequests || hdr.Get("Retry-After") != "1" {
			t.Fatalf("third request in a second: status %d Retry-After %q, want 429 and 1", code, hdr.Get("Retry-After"))
		}
		mu.Lock()
		now = now.Add(time.Second)
		mu.Unlock()
		if code, _, _ := post(t, url, body); code != 200 {
			t.Fatalf("after a second: status %d", code)
		}
		if r.Requests() != 4 || r.Limited() != 1 || r.Total() != 3 {
			t.Errorf("requests %d limited %d calls %d, want 4, 1, 3", r.Requests(), r.Limited(), r.Total())
		}
	})
}
