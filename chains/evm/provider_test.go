package evm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"freezetrace/chains"
	"freezetrace/chains/transport"
)

// refusal is how a fake provider turns an eth_getLogs call down: a JSON-RPC
// error (code, msg) or, with status set, an HTTP status.
type refusal struct {
	status int
	code   int
	msg    string
}

// logCall is one eth_getLogs call a provider saw.
type logCall struct {
	from, to uint64
	address  common.Address
	topics   []*common.Hash // nil: any
	results  int
	refused  bool
}

func (c logCall) width() uint64 { return c.to - c.from + 1 }

// provider is a JSON-RPC fake on 127.0.0.1 serving Transfer logs at real
// mainnet heights, whose eth_getLogs limits follow a given provider's
// behaviour (refuse is called with the logs the filter matches).
type provider struct {
	head   uint64
	logs   []Log // sorted by block, then log index
	refuse func(from, to uint64, matched []Log) *refusal

	mu       sync.Mutex
	requests int
	methods  map[string]int
	calls    []logCall
}

func newProvider(t *testing.T, head uint64, logs []Log, refuse func(from, to uint64, matched []Log) *refusal) (*provider, *Source) {
	t.Helper()
	slices.SortFunc(logs, func(a, b Log) int {
		if a.BlockNumber != b.BlockNumber {
			return int(a.BlockNumber) - int(b.BlockNumber)
		}
		return int(a.Index) - int(b.Index)
	})
	p := &provider{head: head, logs: logs, refuse: refuse, methods: map[string]int{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	s, err := Dial(context.Background(), srv.URL, chains.Ethereum, Options{Transport: TransportOptions{Retries: -1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return p, s
}

type rpcCall struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

func (p *provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var reqs []rpcCall
	batch := len(body) > 0 && body[0] == '['
	if batch {
		json.Unmarshal(body, &reqs)
	} else {
		reqs = make([]rpcCall, 1)
		json.Unmarshal(body, &reqs[0])
	}
	p.mu.Lock()
	p.requests++
	p.mu.Unlock()
	var out []map[string]any
	for _, q := range reqs {
		m := map[string]any{"jsonrpc": "2.0", "id": q.ID}
		p.mu.Lock()
		p.methods[q.Method]++
		p.mu.Unlock()
		switch q.Method {
		case "eth_chainId":
			m["result"] = "0x1"
		case "eth_blockNumber":
			m["result"] = hexutil.Uint64(p.head)
		case "eth_getBlockByNumber":
			var b hexutil.Uint64
			json.Unmarshal(q.Params[0], &b)
			m["result"] = map[string]any{"number": b, "hash": blockHash(uint64(b)), "timestamp": hexutil.Uint64(blockUnix(uint64(b)))}
		case "eth_getLogs":
			res, ref := p.getLogs(q.Params[0])
			if ref != nil && ref.status != 0 {
				http.Error(w, ref.msg, ref.status)
				return
			}
			if ref != nil {
				m["error"] = map[string]any{"code": ref.code, "message": ref.msg}
			} else {
				m["result"] = res
			}
		default:
			m["error"] = map[string]any{"code": -32601, "message": "the method " + q.Method + " does not exist/is not available"}
		}
		out = append(out, m)
	}
	w.Header().Set("Content-Type", "application/json")
	if batch {
		json.NewEncoder(w).Encode(out)
	} else {
		json.NewEncoder(w).Encode(out[0])
	}
}

func blockUnix(b uint64) uint64 { return 1_438_269_973 + 12*b }

func (p *provider) getLogs(raw json.RawMessage) ([]Log, *refusal) {
	var f struct {
		Address   common.Address    `json:"address"`
		Topics    []json.RawMessage `json:"topics"`
		FromBlock hexutil.Uint64    `json:"fromBlock"`
		ToBlock   hexutil.Uint64    `json:"toBlock"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, &refusal{code: -32602, msg: err.Error()}
	}
	c := logCall{from: uint64(f.FromBlock), to: uint64(f.ToBlock), address: f.Address}
	for _, t := range f.Topics {
		if string(t) == "null" {
			c.topics = append(c.topics, nil)
			continue
		}
		var h common.Hash
		json.Unmarshal(t, &h)
		c.topics = append(c.topics, &h)
	}
	lo := sort.Search(len(p.logs), func(i int) bool { return uint64(p.logs[i].BlockNumber) >= c.from })
	matched := []Log{}
	for _, l := range p.logs[lo:] {
		if uint64(l.BlockNumber) > c.to {
			break
		}
		if l.Address == c.address && topicsMatch(l.Topics, c.topics) {
			matched = append(matched, l)
		}
	}
	var ref *refusal
	if p.refuse != nil {
		ref = p.refuse(c.from, c.to, matched)
	}
	c.refused = ref != nil
	if ref == nil {
		c.results = len(matched)
	}
	p.mu.Lock()
	p.calls = append(p.calls, c)
	p.mu.Unlock()
	return matched, ref
}

func topicsMatch(have []common.Hash, want []*common.Hash) bool {
	for i, w := range want {
		if w != nil && (i >= len(have) || have[i] != *w) {
			return false
		}
	}
	return true
}

// logCalls returns the eth_getLogs calls seen so far and how many of them
// were refused.
func (p *provider) logCalls() (calls []logCall, refused int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.calls {
		if c.refused {
			refused++
		}
	}
	return slices.Clone(p.calls), refused
}

func (p *provider) count() (requests int, methods map[string]int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests, maps.Clone(p.methods)
}

// firstRefused is the index of the first refused call, -1 if none.
func firstRefused(calls []logCall) int {
	return slices.IndexFunc(calls, func(c logCall) bool { return c.refused })
}

var (
	usdc  = common.HexToAddress("0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
	other = common.HexToAddress("0xdac17f958d2ee523a2206206994597c13d831ec7")
	alice = common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	bob   = common.HexToAddress("0x0000000000000000000000000000000000000b0b")
	carol = common.HexToAddress("0x00000000000000000000000000000000000ca201")
)

const (
	firstBlock = 20_000_000
	lastBlock  = 20_100_000
	chainHead  = 20_200_000
)

func evmAddr(a common.Address) chains.Address { return chains.NewAddress(chains.FamilyEVM, a) }

func tokenID(a common.Address) chains.AssetID {
	return chains.AssetID{Chain: chains.Ethereum, Contract: evmAddr(a)}
}

// transferLog is the Transfer log of amount token units from → to, the
// idx-th log of block.
func transferLog(token, from, to common.Address, block, idx, amount uint64) Log {
	return Log{
		Address: token, Topics: []common.Hash{TransferTopic, common.BytesToHash(from[:]), common.BytesToHash(to[:])},
		Data: common.BigToHash(new(big.Int).SetUint64(amount)).Bytes(), BlockNumber: hexutil.Uint64(block),
		BlockHash: blockHash(block), TxHash: common.BigToHash(new(big.Int).SetUint64(block<<16 | idx)), Index: hexutil.Uint64(idx),
	}
}

// wanted decodes the logs a query should return, stamped and in order.
func wanted(t *testing.T, logs []Log, keep func(chains.Transfer) bool) []chains.Transfer {
	t.Helper()
	var out []chains.Transfer
	for _, l := range logs {
		tr, ok := DecodeTransfer(chains.Ethereum, l)
		if !ok {
			t.Fatalf("log %+v does not decode", l)
		}
		if keep(tr) {
			tr.Time = time.Unix(int64(blockUnix(tr.Block)), 0).UTC()
			out = append(out, tr)
		}
	}
	slices.SortFunc(out, chains.Compare)
	return out
}

// same fails unless got holds exactly want, each transfer once.
func same(t *testing.T, what string, got, want []chains.Transfer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d transfers, want %d", what, len(got), len(want))
	}
	seen := map[chains.TransferKey]bool{}
	for i := range got {
		g, w := got[i], want[i]
		if seen[g.Key()] {
			t.Fatalf("%s: transfer %s/%d returned twice", what, g.Tx, g.Position)
		}
		seen[g.Key()] = true
		if g.Key() != w.Key() || g.Block != w.Block || !g.Time.Equal(w.Time) || g.From != w.From || g.To != w.To ||
			g.Asset != w.Asset || g.Amount.Cmp(w.Amount) != 0 {
			t.Fatalf("%s: transfer %d: got %+v, want %+v", what, i, g, w)
		}
	}
}

func touches(a common.Address, token common.Address) func(chains.Transfer) bool {
	return func(tr chains.Transfer) bool {
		return tr.Asset == tokenID(token) && (tr.From == evmAddr(a) || tr.To == evmAddr(a))
	}
}

func history(t *testing.T, s *Source, a common.Address, from, to uint64) []chains.Transfer {
	t.Helper()
	got, err := s.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: evmAddr(a), Asset: tokenID(usdc), From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// sparseLogs: a few transfers of alice, bob and carol spread over the
// range, plus the same pairs in another token.
func sparseLogs() []Log {
	var ls []Log
	for i, b := range []uint64{firstBlock, firstBlock + 12_345, 20_050_000, 20_077_777, lastBlock, lastBlock + 1} {
		ls = append(ls,
			transferLog(usdc, alice, bob, b, 0, uint64(100+i)),
			transferLog(usdc, bob, alice, b, 1, uint64(200+i)),
			transferLog(usdc, carol, bob, b, 2, uint64(300+i)),
			transferLog(usdc, alice, carol, b, 3, uint64(400+i)),
			transferLog(other, alice, bob, b, 4, uint64(500+i)))
	}
	return ls
}

// denseLogs: 30,000 transfers to bob, ten in every fourth block from
// firstBlock on, then none to lastBlock; a few of alice's too.
func denseLogs() []Log {
	var ls []Log
	for k := uint64(0); k < 3000; k++ {
		for i := uint64(0); i < 10; i++ {
			ls = append(ls, transferLog(usdc, carol, bob, firstBlock+4*k, i, k*10+i+1))
		}
	}
	return append(ls, transferLog(usdc, alice, carol, 20_090_000, 0, 7), transferLog(usdc, carol, alice, lastBlock, 0, 8))
}

// fitting returns the last block b such that [from, b] holds at most n of
// the matched logs, as providers compute their hints.
func fitting(from uint64, matched []Log, n int) uint64 {
	if len(matched) <= n {
		return uint64(matched[len(matched)-1].BlockNumber)
	}
	return max(uint64(matched[n].BlockNumber)-1, from)
}

func TestAnyRangeProvider(t *testing.T) {
	logs := sparseLogs()
	p, s := newProvider(t, chainHead, logs, nil)
	got := history(t, s, alice, firstBlock, lastBlock)
	same(t, "alice", got, wanted(t, logs, func(tr chains.Transfer) bool {
		return touches(alice, usdc)(tr) && tr.Block <= lastBlock
	}))
	calls, refused := p.logCalls()
	if len(calls) != 2 || refused != 0 {
		t.Fatalf("%d eth_getLogs calls, %d refused; want 2 (sent, received), none refused", len(calls), refused)
	}
	for _, c := range calls {
		if c.from != firstBlock || c.to != lastBlock {
			t.Errorf("eth_getLogs over %d-%d, want the whole %d-%d", c.from, c.to, firstBlock, lastBlock)
		}
	}
	reqs, methods := p.count()
	// eth_chainId, eth_blockNumber, two eth_getLogs, one batch of headers.
	if reqs != 5 || methods["eth_getBlockByNumber"] != 5 {
		t.Errorf("%d HTTP requests %v, want 5 with the 5 headers in one batch", reqs, methods)
	}
	if s.Requests() != int64(reqs) {
		t.Errorf("Requests() = %d, the provider saw %d", s.Requests(), reqs)
	}
}

func TestMaxRangeIsACeiling(t *testing.T) {
	logs := sparseLogs()
	p := &provider{head: chainHead, logs: logs, methods: map[string]int{}}
	srv := httptest.NewServer(p)
	defer srv.Close()
	s, err := Dial(context.Background(), srv.URL, chains.Ethereum, Options{MaxRange: 30_000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	same(t, "bob", history(t, s, bob, firstBlock, lastBlock), wanted(t, logs, func(tr chains.Transfer) bool {
		return touches(bob, usdc)(tr) && tr.Block <= lastBlock
	}))
	calls, _ := p.logCalls()
	// 100,001 blocks in windows of at most 30,000: 4 windows per filter.
	if len(calls) != 8 {
		t.Errorf("%d eth_getLogs calls, want 8", len(calls))
	}
	for _, c := range calls {
		if c.width() > 30_000 {
			t.Errorf("window %d-%d wider than MaxRange", c.from, c.to)
		}
	}
}

func TestInfuraResultHint(t *testing.T) {
	logs := denseLogs()
	p, s := newProvider(t, chainHead, logs, func(from, to uint64, matched []Log) *refusal {
		if len(matched) > 10_000 {
			return &refusal{code: -32005, msg: fmt.Sprintf("query returned more than 10000 results. Try with this block range [0x%X, 0x%X].", from, fitting(from, matched, 10_000))}
		}
		return nil
	})
	same(t, "bob", history(t, s, bob, firstBlock, lastBlock), wanted(t, logs, touches(bob, usdc)))
	calls, refused := p.logCalls()
	// bob sends nothing: the sent filter is answered over the whole range;
	// the received one is refused once, over the whole range too.
	i := firstRefused(calls)
	if refused != 1 || i != 1 || calls[0].width() != lastBlock-firstBlock+1 || calls[1].width() != lastBlock-firstBlock+1 {
		t.Fatalf("calls %+v: want the sent filter answered and the received one refused, both over the whole range", calls[:min(len(calls), 3)])
	}
	// The hint [20000000, 20003999] holds exactly 10,000 results.
	if c := calls[i+1]; c.from != firstBlock || c.to != firstBlock+3_999 || c.results != 10_000 {
		t.Errorf("call after the hint: %d-%d with %d results, want %d-%d with 10000", c.from, c.to, c.results, firstBlock, firstBlock+3_999)
	}
	wider := false
	for _, c := range calls[i+2:] {
		wider = wider || c.width() > 4_000
	}
	if !wider {
		t.Error("the span never grew past the hinted range")
	}
	if s.cap != 0 {
		t.Errorf("a result-count hint was learnt as a %d-block cap", s.cap)
	}
	t.Logf("%d eth_getLogs calls, %d refused", len(calls), refused)
}

func TestAlchemyResultHintIsNotABlockCap(t *testing.T) {
	logs := denseLogs()
	p, s := newProvider(t, chainHead, logs, func(from, to uint64, matched []Log) *refusal {
		if len(matched) > 10_000 {
			return &refusal{code: -32602, msg: fmt.Sprintf("Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x%x, 0x%x]", from, fitting(from, matched, 10_000))}
		}
		return nil
	})
	same(t, "bob", history(t, s, bob, firstBlock, lastBlock), wanted(t, logs, touches(bob, usdc)))
	calls, refused := p.logCalls()
	i := firstRefused(calls)
	if refused != 1 || i < 0 {
		t.Fatalf("%d refused calls, want 1", refused)
	}
	if c := calls[i+1]; c.width() != 4_000 {
		t.Errorf("call after the hint spans %d blocks, want the hinted 4000 (not a 2000 cap)", c.width())
	}
	if s.cap != 0 {
		t.Errorf("learnt a %d-block cap from a result-size message", s.cap)
	}
}

func TestLearnedBlockCaps(t *testing.T) {
	for _, c := range []struct {
		name     string
		cap      uint64
		from, to uint64
		code     int
		msg      func(from, to uint64) string
	}{
		{"Geth2000", 2_000, firstBlock, lastBlock, -32602, func(uint64, uint64) string { return "exceed maximum block range 2000" }},
		{"BSC5000", 5_000, firstBlock, lastBlock, -32000, func(uint64, uint64) string { return "exceed maximum block range: 5000" }},
		{"QuickNode10000", 10_000, firstBlock, lastBlock, -32614, func(uint64, uint64) string { return "eth_getLogs is limited to a 10,000 range" }},
		{"QuickNodeFree5", 5, firstBlock, firstBlock + 99, -32614, func(uint64, uint64) string { return "eth_getLogs is limited to a 5 range" }},
		{"AlchemyFree10", 10, lastBlock - 199, lastBlock, -32600, func(from, _ uint64) string {
			return fmt.Sprintf("Under the Free tier plan, you can make eth_getLogs requests with up to a 10 block range. Based on your parameters, this block range should work: [0x%x, 0x%x]", from, from+9)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs := sparseLogs()
			p, s := newProvider(t, chainHead, logs, func(from, to uint64, _ []Log) *refusal {
				if to-from+1 > c.cap {
					return &refusal{code: c.code, msg: c.msg(from, to)}
				}
				return nil
			})
			// Three addresses, two filters each, on one Source.
			for _, a := range []common.Address{alice, bob, carol} {
				same(t, a.Hex(), history(t, s, a, c.from, c.to), wanted(t, logs, func(tr chains.Transfer) bool {
					return touches(a, usdc)(tr) && tr.Block >= c.from && tr.Block <= c.to
				}))
			}
			calls, refused := p.logCalls()
			if refused != 1 || !calls[0].refused {
				t.Fatalf("%d refused calls, want 1 (the first)", refused)
			}
			n := c.to - c.from + 1
			windows := int((n + c.cap - 1) / c.cap)
			if len(calls) != 1+6*windows {
				t.Errorf("%d eth_getLogs calls, want %d (1 refused + 6 filters × %d windows)", len(calls), 1+6*windows, windows)
			}
			for _, k := range calls[1:] {
				if k.width() > c.cap {
					t.Fatalf("window %d-%d exceeds the learnt %d-block cap", k.from, k.to, c.cap)
				}
			}
			if s.cap != c.cap {
				t.Errorf("learnt cap %d, want %d", s.cap, c.cap)
			}
			t.Logf("%d eth_getLogs calls", len(calls))
		})
	}
}

func TestGenericResultLimits(t *testing.T) {
	for _, c := range []struct {
		name string
		r    refusal
	}{
		{"MoreThanResults", refusal{code: -32005, msg: "query returned more than 10000 results"}},
		{"ResponseSize", refusal{code: -32602, msg: "response size exceeded"}},
		{"QueryTimeout", refusal{code: -32000, msg: "Query timeout exceeded. Consider reducing your block range."}},
		{"HTTP413", refusal{status: http.StatusRequestEntityTooLarge, msg: "request entity too large"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			logs := denseLogs()
			p, s := newProvider(t, chainHead, logs, func(from, to uint64, matched []Log) *refusal {
				if len(matched) > 10_000 {
					return &c.r
				}
				return nil
			})
			same(t, "bob", history(t, s, bob, firstBlock, lastBlock), wanted(t, logs, touches(bob, usdc)))
			calls, refused := p.logCalls()
			// Halving 100,001 blocks reaches ≤ 10,000 results after 5 refusals.
			if refused < 5 || refused > 10 {
				t.Errorf("%d refused calls, want 5 to 10", refused)
			}
			for _, k := range calls {
				if !k.refused && k.results > 10_000 {
					t.Errorf("window %d-%d answered %d results", k.from, k.to, k.results)
				}
			}
			if s.cap != 0 {
				t.Errorf("learnt a %d-block cap from %q", s.cap, c.r.msg)
			}
		})
	}
}

func TestTransfersBetween(t *testing.T) {
	logs := sparseLogs()
	q := chains.PairQuery{Chain: chains.Ethereum, Asset: tokenID(usdc), From: evmAddr(alice), To: evmAddr(bob), FromBlock: firstBlock, ToBlock: chains.Latest}
	want := wanted(t, logs, func(tr chains.Transfer) bool {
		return tr.Asset == tokenID(usdc) && tr.From == evmAddr(alice) && tr.To == evmAddr(bob)
	})
	if len(want) != 6 {
		t.Fatalf("%d alice→bob transfers in the fixture, want 6", len(want))
	}
	t.Run("OK", func(t *testing.T) {
		p, s := newProvider(t, chainHead, logs, nil)
		got, err := s.TransfersBetween(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "alice→bob", got, want)
		calls, _ := p.logCalls()
		if len(calls) != 1 {
			t.Fatalf("%d eth_getLogs calls, want 1", len(calls))
		}
		c := calls[0]
		a, b := common.BytesToHash(alice[:]), common.BytesToHash(bob[:])
		if c.address != usdc || len(c.topics) != 3 || c.topics[0] == nil || *c.topics[0] != TransferTopic ||
			c.topics[1] == nil || *c.topics[1] != a || c.topics[2] == nil || *c.topics[2] != b {
			t.Errorf("filter %+v, want address %s topics [Transfer, alice, bob]", c, usdc)
		}
		if c.from != firstBlock || c.to != chainHead {
			t.Errorf("range %d-%d, want %d-%d (the head)", c.from, c.to, firstBlock, chainHead)
		}
		if reqs, _ := p.count(); s.Requests() != int64(reqs) || reqs != 4 {
			t.Errorf("Requests() = %d, provider saw %d; want 4 (chain id, head, logs, headers)", s.Requests(), reqs)
		}
	})
	t.Run("SplitAsDemanded", func(t *testing.T) {
		p, s := newProvider(t, chainHead, logs, func(from, to uint64, _ []Log) *refusal {
			if to-from+1 > 10_000 {
				return &refusal{code: -32614, msg: "eth_getLogs is limited to a 10,000 range"}
			}
			return nil
		})
		got, err := s.TransfersBetween(context.Background(), chains.PairQuery{Chain: q.Chain, Asset: q.Asset, From: q.From, To: q.To, FromBlock: firstBlock, ToBlock: lastBlock})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "alice→bob", got, want[:5])
		calls, refused := p.logCalls()
		if refused != 1 || len(calls) != 1+11 {
			t.Errorf("%d eth_getLogs calls, %d refused; want 12, 1", len(calls), refused)
		}
	})
	t.Run("ErrUnsupported", func(t *testing.T) {
		p, s := newProvider(t, chainHead, logs, nil)
		native := q
		native.Asset = chains.NativeAsset(chains.Ethereum)
		_, err := s.TransfersBetween(context.Background(), native)
		if !errors.Is(err, chains.ErrUnsupported) {
			t.Errorf("got %v, want ErrUnsupported", err)
		}
		if reqs, _ := p.count(); reqs != 0 {
			t.Errorf("%d requests sent for an unsupported question", reqs)
		}
	})
}

// TestShrinkReadsProviders: each provider's exact message, refusing the
// window [20000000, 20100000], gives the next span and the learnt cap.
func TestShrinkReadsProviders(t *testing.T) {
	const from, to = 20_000_000, 20_100_000
	for _, c := range []struct {
		name      string
		code      int
		msg       string
		span, cap uint64
	}{
		{"InfuraHint", -32005, "query returned more than 10000 results. Try with this block range [0x1312D00, 0x1312F3A].", 0x1312F3A - 0x1312D00 + 1, 0},
		{"AlchemyResultHint", -32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x1312d00, 0x13134cf]", 0x13134cf - 0x1312d00 + 1, 0},
		{"AlchemyResultNoHint", -32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response.", 50_000, 0},
		{"AlchemyFreeTier", -32600, "Under the Free tier plan, you can make eth_getLogs requests with up to a 10 block range. Based on your parameters, this block range should work: [0x1312d00, 0x1312d09]", 10, 10},
		{"QuickNode", -32614, "eth_getLogs is limited to a 10,000 range", 10_000, 10_000},
		{"QuickNodeFree", -32614, "eth_getLogs is limited to a 5 range", 5, 5},
		{"BSC", -32000, "exceed maximum block range: 5000", 5_000, 5_000},
		{"Geth", -32602, "exceed maximum block range 50", 50, 50},
		{"MoreThan", -32005, "query returned more than 10000 results", 50_000, 0},
		{"ResponseSize", -32000, "response size exceeded", 50_000, 0},
		{"QueryTimeout", -32000, "Query timeout exceeded", 50_000, 0},
		{"HintElsewhere", -32005, "query returned more than 10000 results. Try with this block range [0x1, 0x2].", 50_000, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &Source{span: unbounded}
			if !s.shrink(rpcErr{c.code, c.msg}, from, to) {
				t.Fatal("refusal not read as a range error")
			}
			if s.span != c.span || s.cap != c.cap {
				t.Errorf("span %d cap %d, want %d and %d", s.span, s.cap, c.span, c.cap)
			}
		})
	}
	t.Run("CapOnlyNarrows", func(t *testing.T) {
		s := &Source{span: unbounded, cap: 50}
		s.shrink(rpcErr{-32000, "exceed maximum block range: 5000"}, 1, 10_000)
		if s.cap != 50 {
			t.Errorf("cap %d after a wider cap was named, want 50 kept", s.cap)
		}
	})
	t.Run("HTTP413", func(t *testing.T) {
		if !tooMuch(rpcHTTPErr(http.StatusRequestEntityTooLarge)) {
			t.Error("413 not read as too much")
		}
	})
	// A rate refusal names "Too Many Requests" or "limit exceeded", but
	// halving the range would only ask more often: it is no range error,
	// whether the node's HTTP error or the retrying transport's.
	t.Run("HTTP429", func(t *testing.T) {
		for _, err := range []error{
			rpcHTTPErr(http.StatusTooManyRequests),
			&transport.StatusError{Code: http.StatusTooManyRequests, Body: "rate limit exceeded"},
			fmt.Errorf("eth_getLogs: %w", &transport.StatusError{Code: http.StatusTooManyRequests, Body: "Too Many Requests"}),
		} {
			if tooMuch(err) {
				t.Errorf("%v read as too much", err)
			}
			s := &Source{span: unbounded}
			if s.shrink(err, 1, 10_000) {
				t.Errorf("%v shrank the span", err)
			}
		}
	})
}

type rpcErr struct {
	code int
	msg  string
}

func (e rpcErr) Error() string  { return e.msg }
func (e rpcErr) ErrorCode() int { return e.code }

func rpcHTTPErr(status int) error {
	return fmt.Errorf("eth_getLogs: %w", rpc.HTTPError{StatusCode: status, Status: http.StatusText(status)})
}
