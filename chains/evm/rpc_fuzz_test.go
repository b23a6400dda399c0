package evm_test

// Fuzz targets for the JSON-RPC answers a Source reads. Each target serves
// the fuzz input from a JSON-RPC endpoint on 127.0.0.1 and calls the
// Source's public methods as a caller does, with retries off so that one
// iteration is a handful of loopback requests. Whatever the answers, a
// call either fails (never showing the provider key of the endpoint's URL)
// or returns what the contract of chains.Source promises, derived from the
// answers and nothing else.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/internal/sourcetest"
)

// fzKey stands for a provider key in the endpoint's path; no error may
// show it.
const fzKey = "fz0123456789abcdef0123"

// fzHTTP keeps loopback connections open across iterations, so that
// thousands of iterations do not run out of ports.
var fzHTTP = &http.Transport{MaxIdleConnsPerHost: 64}

// fzCall is one JSON-RPC call as the endpoint reads it.
type fzCall struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// param returns the raw JSON of parameter i, or null.
func (c fzCall) param(i int) []byte {
	if i < len(c.Params) {
		return c.Params[i]
	}
	return []byte("null")
}

// block reads parameter i as a hex block number.
func (c fzCall) block(i int) (uint64, bool) {
	var n hexutil.Uint64
	if json.Unmarshal(c.param(i), &n) != nil {
		return 0, false
	}
	return uint64(n), true
}

// filter reads the range of an eth_getLogs or trace_filter filter.
func (c fzCall) filter() (from, to uint64, ok bool) {
	var f struct {
		FromBlock, ToBlock hexutil.Uint64
	}
	if json.Unmarshal(c.param(0), &f) != nil {
		return 0, 0, false
	}
	return uint64(f.FromBlock), uint64(f.ToBlock), true
}

// fzServed is one answer the endpoint sent for a call.
type fzServed struct {
	call fzCall
	msg  []byte
}

// fzNode is a JSON-RPC endpoint on 127.0.0.1 whose answers the current
// fuzz input decides: answer gives the response message to one call, in
// which "$id" stands for the call's id; batch, when set, the whole answer
// to a batch. It keeps what it served until the next set.
type fzNode struct {
	url string

	mu     sync.Mutex
	answer func(c fzCall) []byte
	batch  func(cs []fzCall) []byte
	served []fzServed
	// bodies and batches are the whole batch answers given by batch and
	// the calls they answered.
	bodies  [][]byte
	batches [][]fzCall
	gen     int // counts sets, so that a request of an earlier input is not kept
}

func newFzNode(f *testing.F) *fzNode {
	n := &fzNode{}
	srv := httptest.NewServer(n)
	f.Cleanup(srv.Close)
	n.url = srv.URL + "/v3/" + fzKey
	return n
}

func (n *fzNode) set(answer func(fzCall) []byte, batch func([]fzCall) []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.answer, n.batch, n.served, n.bodies, n.batches = answer, batch, nil, nil, nil
	n.gen++
}

// sent returns the messages served for method.
func (n *fzNode) sent(method string) []fzServed {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []fzServed
	for _, s := range n.served {
		if s.call.Method == method {
			out = append(out, s)
		}
	}
	return out
}

func (n *fzNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	n.mu.Lock()
	answer, batch, gen := n.answer, n.batch, n.gen
	n.mu.Unlock()
	message := func(c fzCall) []byte {
		m := bytes.ReplaceAll(answer(c), []byte("$id"), c.ID)
		n.mu.Lock()
		if n.gen == gen {
			n.served = append(n.served, fzServed{c, m})
		}
		n.mu.Unlock()
		return m
	}
	var out []byte
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		var cs []fzCall
		if err := json.Unmarshal(t, &cs); err != nil {
			http.Error(w, "bad batch", http.StatusBadRequest)
			return
		}
		if batch != nil {
			out = batch(cs)
			n.mu.Lock()
			if n.gen == gen {
				n.bodies, n.batches = append(n.bodies, out), append(n.batches, cs)
			}
			n.mu.Unlock()
		} else {
			out = append(out, '[')
			for i, c := range cs {
				if i > 0 {
					out = append(out, ',')
				}
				out = append(out, message(c)...)
			}
			out = append(out, ']')
		}
	} else {
		var c fzCall
		if err := json.Unmarshal(body, &c); err != nil {
			http.Error(w, "bad call", http.StatusBadRequest)
			return
		}
		out = message(c)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
}

// fzShared returns the recorded mainnet answers under the shared test
// data folder's rpc-fixtures/ethereum-etl-resources/dir whose names
// contain method, for seeds; none where the folder is absent (a fresh
// clone).
func fzShared(dir, method string) [][]byte {
	root, _ := filepath.Abs(".")
	for ; ; root = filepath.Dir(root) {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		if root == filepath.Dir(root) {
			return nil
		}
	}
	names, _ := filepath.Glob(filepath.Join(root, "..", "shared", "data", "rpc-fixtures", "ethereum-etl-resources", dir, "*"+method+"*.json"))
	var out [][]byte
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil && len(b) < 16<<10 {
			out = append(out, b)
		}
	}
	return out
}

// fzResult is a response message with result v (raw JSON).
func fzResult(v string) []byte { return []byte(`{"jsonrpc":"2.0","id":$id,"result":` + v + `}`) }

// fzNoMethod is geth's answer to a method it does not serve.
var fzNoMethod = []byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":-32601,"message":"the method does not exist/is not available"}}`)

// fzDial returns a Source on the endpoint with retries off; the caller
// closes it.
func fzDial(t *testing.T, n *fzNode, native string) *evm.Source {
	t.Helper()
	s, err := evm.Dial(context.Background(), n.url, chains.Ethereum,
		evm.Options{Transport: evm.TransportOptions{Retries: -1}, HTTPBase: fzHTTP, Native: native, MaxTraceBlocks: 16})
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

// fzCheckErr fails when err shows the provider key.
func fzCheckErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), fzKey) {
		t.Fatalf("error shows the key: %v", err)
	}
}

// Values of the fake chain: block n has hash fzHash(n) and time fzTime(n).
var (
	fzVictim = chains.MustParseAddress("0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c")
	fzOther  = chains.MustParseAddress("0x28c6c06298d514db089934071355e5743bf21d60")
	fzTx1    = chains.MustParseTxHash("0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2")
	fzTx2    = chains.MustParseTxHash("0xcea6f89720cc1d2f46cc7a935463ae0b99dd5fad9c91bb7357de5421511cee49")
)

func fzHash(n uint64) common.Hash { return common.BigToHash(new(big.Int).SetUint64(0xb10c0000 + n)) }
func fzTime(n uint64) uint64      { return 1_600_000_000 + 12*n }

// fzHeader answers eth_getBlockByNumber for the block asked, with the
// fake chain's hash and time and the given transactions.
func fzHeader(c fzCall, txs ...chains.TxHash) []byte {
	n, ok := c.block(0)
	if !ok {
		return fzResult("null")
	}
	list, _ := json.Marshal(txs)
	return fzResult(fmt.Sprintf(`{"number":"%s","hash":"%s","timestamp":"%s","transactions":%s}`,
		hexutil.EncodeUint64(n), fzHash(n).Hex(), hexutil.EncodeUint64(fzTime(n)), list))
}

// fzTemplate fills in a template for call c: "$num" is the block asked (as
// its JSON parameter), "$n" the same in decimal, "$hash" its hash in the
// fake chain; for a filter "$from" and "$to" are its range.
func fzTemplate(tmpl []byte, c fzCall) []byte {
	if !bytes.Contains(tmpl, []byte("$")) {
		return tmpl
	}
	var n uint64
	if b, ok := c.block(0); ok {
		n = b
	}
	from, to, isFilter := c.filter()
	if isFilter {
		n = from
	}
	r := strings.NewReplacer(
		"$num", strconv.Quote(hexutil.EncodeUint64(n)),
		"$n", strconv.FormatUint(n, 10),
		"$hash", strconv.Quote(fzHash(n).Hex()),
		"$from", strconv.Quote(hexutil.EncodeUint64(from)),
		"$to", strconv.Quote(hexutil.EncodeUint64(to)),
	)
	return []byte(r.Replace(string(tmpl)))
}

// fzHeaderMsgTime returns the block time a served eth_getBlockByNumber
// message gives for block n.
func fzHeaderMsgTime(n *fzNode, block uint64) (time.Time, bool) {
	for _, s := range n.sent("eth_getBlockByNumber") {
		var m struct {
			Result *struct {
				Number    hexutil.Uint64 `json:"number"`
				Timestamp hexutil.Uint64 `json:"timestamp"`
			} `json:"result"`
		}
		if json.Unmarshal(s.msg, &m) == nil && m.Result != nil && uint64(m.Result.Number) == block {
			return time.Unix(int64(m.Result.Timestamp), 0).UTC(), true
		}
	}
	return time.Time{}, false
}

// fzCheckHistory checks what Transfers returned for q against the
// contract of chains.Source (sourcetest.CheckTransfers).
func fzCheckHistory(t *testing.T, ts []chains.Transfer, q chains.Query, head uint64) {
	t.Helper()
	sourcetest.CheckTransfers(t, ts, q, head)
}

// A real mainnet USDT Transfer log in the shape nodes answer it, moved to
// block 0x64 of the fake chain and from the victim.
const fzUSDTLog = `{"address":"0xdac17f958d2ee523a2206206994597c13d831ec7",` +
	`"topics":["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",` +
	`"0x0000000000000000000000005a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c",` +
	`"0x00000000000000000000000028c6c06298d514db089934071355e5743bf21d60"],` +
	`"data":"0x0000000000000000000000000000000000000000000000000000000002f6c73a",` +
	`"blockNumber":"0x64","blockHash":"0x00000000000000000000000000000000000000000000000000000000b10c0064",` +
	`"transactionHash":"0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2",` +
	`"transactionIndex":"0x3","logIndex":"0x2","removed":false}`

// FuzzRPCLogs serves eth_getLogs and eth_getBlockByNumber answers to a
// token history (Transfers): every transfer returned must come from a
// Transfer log the node sent, with the time of its block's header; every
// such log of the asset that touches the address must be returned, once.
func FuzzRPCLogs(f *testing.F) {
	header := []byte(`{"jsonrpc":"2.0","id":$id,"result":{"number":$num,"hash":$hash,"timestamp":"0x5f5e1000","parentHash":"0x246edb4b351d93c27926f4649bcf6c24366e2a7c7c718dc9158eea20c03bc6ae","transactions":[]}}`)
	other := strings.NewReplacer(`"0x2"`, `"0x3"`, "dac17f958d2ee523a2206206994597c13d831ec7", "a0b86991c6218b36c1d19d4a2e9eb0ce3606eb48").Replace(fzUSDTLog)
	self := strings.Replace(fzUSDTLog, "28c6c06298d514db089934071355e5743bf21d60", "5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c", 1)
	removed := strings.Replace(strings.Replace(fzUSDTLog, `"removed":false`, `"removed":true`, 1), `"0x2"`, `"0x7"`, 1)
	nft := strings.Replace(fzUSDTLog, `"data":"0x0000000000000000000000000000000000000000000000000000000002f6c73a"`,
		`"data":"0x"`, 1)
	f.Add(fzResult("["+fzUSDTLog+"]"), header)
	f.Add(fzResult("["+fzUSDTLog+","+other+","+removed+","+nft+"]"), header)
	f.Add(fzResult("["+strings.Replace(self, `"0x2"`, `"0x9"`, 1)+","+fzUSDTLog+"]"), header)
	f.Add(fzResult("[]"), header)
	f.Add(fzResult("null"), []byte(`{"jsonrpc":"2.0","id":$id,"result":null}`))
	f.Add(fzResult("["+fzUSDTLog+"]"), []byte(`{"jsonrpc":"2.0","id":$id,"result":{"number":"0x65","hash":$hash,"timestamp":"0x1"}}`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":-32005,"message":"query returned more than 10000 results. Try with this block range [0x64, 0x70]."}}`), header)
	f.Add([]byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":-32000,"message":"project fz0123456789abcdef0123 is over its daily limit"}}`), header)
	f.Add([]byte(`{"jsonrpc":"2.0","id":$id,"result":[`+strings.Replace(fzUSDTLog, `"0x64"`, `"0x200"`, 1)+`]}`), header)
	f.Add([]byte(`{"jsonrpc":"2.0","id":$id,"result":[{"address":"0x12"}]`), header)
	for _, b := range fzShared("test_export_token_transfers_job/block_with_transfers", "eth_getFilterLogs") {
		f.Add(b, header)
	}
	n := newFzNode(f)
	q := chains.Query{Chain: chains.Ethereum, Address: fzVictim, Asset: chains.USDTEthereum, From: 100, To: 200}
	const head = 150
	f.Fuzz(func(t *testing.T, logs, header []byte) {
		n.set(func(c fzCall) []byte {
			switch c.Method {
			case "eth_chainId":
				return fzResult(`"0x1"`)
			case "eth_blockNumber":
				return fzResult(`"0x96"`)
			case "eth_getLogs":
				return logs
			case "eth_getBlockByNumber":
				return fzTemplate(header, c)
			}
			return fzNoMethod
		}, nil)
		s := fzDial(t, n, "")
		defer s.Close()
		ts, err := s.Transfers(fzContext(t), q)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		fzCheckHistory(t, ts, q, head)
		var sent []chains.Transfer
		for _, m := range n.sent("eth_getLogs") {
			var r struct{ Result []evm.Log }
			if json.Unmarshal(m.msg, &r) != nil {
				t.Fatalf("Transfers accepted an eth_getLogs answer that does not decode: %s", m.msg)
			}
			for _, l := range r.Result {
				if d, ok := evm.DecodeTransfer(chains.Ethereum, l); ok {
					sent = append(sent, d)
				}
			}
		}
		got := map[chains.TransferKey]chains.Transfer{}
		for _, tr := range ts {
			got[tr.Key()] = tr
			i := slices.IndexFunc(sent, func(d chains.Transfer) bool {
				return d.Key() == tr.Key() && d.Block == tr.Block && d.From == tr.From && d.To == tr.To && d.Amount.Cmp(tr.Amount) == 0
			})
			if i < 0 {
				t.Fatalf("transfer %+v is no Transfer log the node sent", tr)
			}
			if want, ok := fzHeaderMsgTime(n, tr.Block); !ok || !tr.Time.Equal(want) {
				t.Fatalf("transfer in block %d at %v; the header says %v (found %v)", tr.Block, tr.Time, want, ok)
			}
		}
		for _, d := range sent {
			if d.Asset == q.Asset && (d.From == q.Address || d.To == q.Address) {
				if _, ok := got[d.Key()]; !ok {
					t.Fatalf("the node sent %+v, Transfers left it out", d)
				}
			}
		}
	})
}

// FuzzRPCHeaders serves whole batch answers to eth_getBlockByNumber
// (Headers): in any order, with elements missing, repeated, null or
// failed. "$id0", "$id1" and "$id2" stand for the ids of the three calls.
// A header returned is the one the node sent for that block under that
// call's id; a batch missing one is an error.
func FuzzRPCHeaders(f *testing.F) {
	h := func(i int, n uint64) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":$id%d,"result":{"number":"%s","hash":"%s","timestamp":"%s","miner":"0x0000000000000000000000000000000000000000"}}`,
			i, hexutil.EncodeUint64(n), fzHash(n).Hex(), hexutil.EncodeUint64(fzTime(n)))
	}
	f.Add([]byte("[" + h(0, 5) + "," + h(1, 6) + "," + h(2, 7) + "]"))
	f.Add([]byte("[" + h(2, 7) + "," + h(0, 5) + "," + h(1, 6) + "]"))
	f.Add([]byte("[" + h(0, 5) + "," + h(0, 9) + "," + h(1, 6) + "," + h(2, 7) + "]"))
	f.Add([]byte("[" + h(0, 5) + "," + h(1, 6) + "]"))
	f.Add([]byte("[" + h(0, 5) + `,{"jsonrpc":"2.0","id":$id1,"result":null},` + h(2, 7) + "]"))
	f.Add([]byte("[" + h(0, 5) + `,{"jsonrpc":"2.0","id":$id1,"error":{"code":-32000,"message":"header not found"}},` + h(2, 7) + "]"))
	f.Add([]byte("[" + h(0, 5) + "," + h(1, 8) + "," + h(2, 7) + "]"))
	f.Add([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32600,"message":"batch too large"}}`))
	n := newFzNode(f)
	blocks := []uint64{5, 6, 7}
	f.Fuzz(func(t *testing.T, batch []byte) {
		n.set(func(c fzCall) []byte {
			if c.Method == "eth_chainId" {
				return fzResult(`"0x1"`)
			}
			return fzNoMethod
		}, func(cs []fzCall) []byte {
			out := batch
			for i := len(cs) - 1; i >= 0; i-- {
				out = bytes.ReplaceAll(out, []byte("$id"+strconv.Itoa(i)), cs[i].ID)
			}
			return out
		})
		s := fzDial(t, n, "")
		defer s.Close()
		hs, err := s.Headers(fzContext(t), chains.Ethereum, blocks)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		if len(hs) != len(blocks) {
			t.Fatalf("%d headers for %d blocks", len(hs), len(blocks))
		}
		n.mu.Lock()
		body, calls := n.bodies[len(n.bodies)-1], n.batches[len(n.batches)-1]
		n.mu.Unlock()
		if len(calls) != len(blocks) {
			t.Fatalf("a batch of %d calls for %d blocks", len(calls), len(blocks))
		}
		// Decoded as the rpc client does: the whole batch, then only the
		// result of the first element under each call's id.
		var msgs []struct{ ID, Result json.RawMessage }
		if err := json.Unmarshal(body, &msgs); err != nil {
			t.Fatalf("Headers accepted a batch answer that does not decode: %v", err)
		}
		for i, hd := range hs {
			if hd.Number != blocks[i] || hd.Time.Location() != time.UTC {
				t.Fatalf("header %d: %+v for block %d", i, hd, blocks[i])
			}
			j := slices.IndexFunc(msgs, func(m struct{ ID, Result json.RawMessage }) bool { return bytes.Equal(m.ID, calls[i].ID) })
			var r *struct {
				Hash      common.Hash
				Timestamp hexutil.Uint64
			}
			if j < 0 || json.Unmarshal(msgs[j].Result, &r) != nil || r == nil {
				t.Fatalf("header %d returned, the node sent none for its id %s", i, calls[i].ID)
			}
			if hd.Hash != r.Hash || !hd.Time.Equal(time.Unix(int64(r.Timestamp), 0)) {
				t.Fatalf("header %d: %+v, the node sent hash %s time %d", i, hd, r.Hash, r.Timestamp)
			}
		}
		if h, err := s.BlockHash(fzContext(t), chains.Ethereum, blocks[0]); err != nil || h != hs[0].Hash {
			t.Fatalf("BlockHash(%d) = %x, %v; Headers gave %s", blocks[0], h, err, hs[0].Hash)
		}
	})
}
