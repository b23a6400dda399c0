package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
)

var (
	_ chains.Source      = (*Source)(nil)
	_ chains.BlockFinder = (*Source)(nil)
	_ chains.HeadReader  = (*Source)(nil)
	_ chains.BlockHasher = (*Source)(nil)
)

// Options configure a Source. The zero value works against most nodes.
type Options struct {
	Transport TransportOptions

	// MaxRange is the widest eth_getLogs (and trace_filter) block range
	// ever asked for; 0, the default, sets no limit of our own, so that the
	// first call asks for the whole range and the provider decides. Below
	// it the range adapts to the provider's refusals: a block cap the
	// provider names is kept for the Source's lifetime, a hinted range is
	// used for the next window, and "too many results" halves the window;
	// after a few successes in a row the range doubles again.
	MaxRange uint64
	// BatchSize is the most calls sent in one JSON-RPC batch (default 50).
	BatchSize int
	// TraceCacheBlocks is how many traced blocks are kept in memory
	// (default 4,096), so that tracing many addresses over the same blocks
	// traces each block once.
	TraceCacheBlocks int
	// MaxTraceBlocks bounds how many blocks a native-coin history may trace
	// with debug_traceBlockByNumber (default 20,000); longer ranges fail
	// with a message saying so instead of running for hours.
	MaxTraceBlocks uint64
	// Native chooses how native transfers are found: "" (ask the node what
	// it offers), "trace" (trace_filter + trace_block) or "debug"
	// (debug_traceBlockByNumber with the callTracer).
	Native string
	// NoBalances makes Balance answer ErrUnsupported, as a node without
	// archive state does, so that callers rebuild opening balances from
	// transfer history: the answer an imported export gives, and one a
	// cache can hold.
	NoBalances bool
	// HeadTTL: a head read less than HeadTTL ago is reused instead of
	// asking again (a trace asks for it with every history); 0 asks every
	// time.
	HeadTTL time.Duration
	// FinalDepth is how far below the head a block is taken as final: what
	// this Source read of such a block (its hash, under the traces of a
	// native history; a transaction's receipt) is reused for the Source's
	// lifetime instead of read again. Blocks nearer the head are read
	// again every time, so that a reorg there is seen. 0 means the blocks
	// of FinalWindow on the chain (finalDepth). A caller that caches only
	// below a confirmation depth passes that depth: it trusts no less.
	FinalDepth uint64
	// HTTPBase is the round tripper under the retrying Transport; nil for
	// http.DefaultTransport.
	HTTPBase http.RoundTripper
	// Wrappers are the native-coin wrappers (WETH9-like contracts, which
	// log no Transfer when they mint or burn) whose Deposit and Withdrawal
	// events count as transfers of their token and as wraps and unwraps
	// (see evmlog.DecodeWrap); nil means evmlog.DefaultWrappers(chain), an
	// empty slice none.
	Wrappers []chains.Address
}

// FinalWindow is how long a block must have been on the chain before a
// Source with no FinalDepth takes it as final: Ethereum's beacon chain
// finalizes a block within two to three epochs (12.8 to 19.2 minutes)
// when healthy, the rollups once their batch is final on Ethereum, and
// Polygon's deepest reorg (157 blocks, 2023) took about five minutes. The
// depth is the blocks the chain can make in that time at its fastest
// (chains.Chain.BlocksIn: 150 on Ethereum, 900 on Polygon), so that
// missed slots only make it longer in time, and never below
// minFinalDepth.
const FinalWindow = 30 * time.Minute

// minFinalDepth is the least default FinalDepth: two epochs of slots.
const minFinalDepth = 64

// Source is a chains.Source over one EVM chain's JSON-RPC endpoint. It is
// safe for concurrent use.
type Source struct {
	chain     chains.Chain
	url       string // secret; only ever shown through Redact
	client    *rpc.Client
	transport *Transport
	opts      Options
	wrappers  []chains.Address // Options.Wrappers, defaults applied
	calls     atomic.Int64
	queries   atomic.Int64
	blocks    atomic.Int64

	mu     sync.Mutex
	span   uint64 // current eth_getLogs range, before MaxRange and cap
	cap    uint64 // the block cap the node named, 0 if none (see span.go)
	streak int    // eth_getLogs windows in a row that succeeded
	// trSpan, trCap and trStreak are the same for trace_filter, whose
	// limits are a provider's own (Infura: 100 blocks; eth_getLogs: none
	// but 10,000 results): a cap learnt on one never narrows the other.
	trSpan, trCap uint64
	trStreak      int
	native        string // resolved native method: "trace", "debug" or "none"
	checked       bool   // the chain id was checked
	traced        traceCache
	// receipts holds receipts of final blocks by transaction (see
	// receipts.go).
	receipts receiptCache
	// head and headAt are the last head read and when (see HeadTTL).
	head   uint64
	headAt time.Time
	// headers holds the headers fetched so far (bounded), so that a block
	// shared by several addresses' transfers is fetched once.
	headers map[uint64]Header
	// recent holds the block hashes of the last headers fetched with
	// transfers; BlockHash answers each once from it (see BlockHash).
	recent map[uint64]common.Hash
}

// Dial prepares a source for the JSON-RPC endpoint rawURL. It sends nothing:
// the first call checks that the node serves chain (a chain-id mismatch is
// an input error naming both chains) and every later call relies on it.
func Dial(ctx context.Context, rawURL string, chain chains.Chain, o Options) (*Source, error) {
	if chain.Family() != chains.FamilyEVM {
		return nil, chains.Invalid(fmt.Errorf("chain %s is not an EVM chain", chain))
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 50
	}
	if o.MaxTraceBlocks == 0 {
		o.MaxTraceBlocks = 20000
	}
	switch o.Native {
	case "", "trace", "debug":
	default:
		return nil, chains.Invalid(fmt.Errorf("native method %q: want trace or debug", o.Native))
	}
	if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, chains.Invalid(fmt.Errorf("rpc URL %s: want http:// or https://", Redact(rawURL)))
	}
	tr := NewTransport(o.HTTPBase, o.Transport)
	c, err := rpc.DialOptions(ctx, rawURL, rpc.WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		return nil, chains.Invalid(fmt.Errorf("rpc %s: %w", Redact(rawURL), scrub(err, rawURL)))
	}
	if o.TraceCacheBlocks <= 0 {
		o.TraceCacheBlocks = 4096
	}
	wrappers := o.Wrappers
	if wrappers == nil {
		wrappers = evmlog.DefaultWrappers(chain)
	}
	return &Source{chain: chain, url: rawURL, client: c, transport: tr, opts: o, wrappers: wrappers, span: unbounded, native: o.Native,
		recent: map[uint64]common.Hash{}, headers: map[uint64]Header{}, traced: traceCache{limit: o.TraceCacheBlocks},
		trSpan: unbounded, receipts: receiptCache{limit: receiptCacheSize}}, nil
}

// ready checks, once it succeeds, that the node serves the chain asked for.
// Dial makes no request, so a run answered from the cache sends nothing.
func (s *Source) ready(ctx context.Context) error {
	s.mu.Lock()
	done := s.checked
	s.mu.Unlock()
	if done {
		return nil
	}
	var id hexutil.Big
	if err := s.call(ctx, &id, "eth_chainId"); err != nil {
		return fmt.Errorf("rpc %s: chain id: %w", s.Endpoint(), err)
	}
	if got := (*big.Int)(&id); !got.IsUint64() || got.Uint64() != s.chain.ID() {
		return chains.Invalid(fmt.Errorf("rpc %s serves chain id %s%s, not %s (chain id %d): check --rpc and --chain",
			s.Endpoint(), got, knownChain(got), s.chain, s.chain.ID()))
	}
	s.mu.Lock()
	s.checked = true
	s.mu.Unlock()
	return nil
}

func knownChain(id *big.Int) string {
	for _, c := range chains.Chains() {
		if id.IsUint64() && c.ID() == id.Uint64() {
			return " (" + string(c) + ")"
		}
	}
	return ""
}

// Close releases the connection.
func (s *Source) Close() { s.client.Close() }

// Chain is the chain this source serves.
func (s *Source) Chain() chains.Chain { return s.chain }

// Endpoint is the URL with its secrets redacted, for provenance and logs.
func (s *Source) Endpoint() string { return Redact(s.url) }

// Stats returns what the source has sent so far.
func (s *Source) Stats() Stats {
	return Stats{Requests: s.transport.Requests(), Retries: s.transport.Retries(), Calls: s.calls.Load(),
		Queries: s.queries.Load(), Blocks: s.blocks.Load()}
}

func (s *Source) check(ctx context.Context, chain chains.Chain) error {
	if chain != s.chain {
		return fmt.Errorf("%w: this rpc source serves %s, not %s", chains.ErrUnsupported, s.chain, chain)
	}
	return s.ready(ctx)
}

// call makes one JSON-RPC call.
func (s *Source) call(ctx context.Context, result any, method string, args ...any) error {
	s.calls.Add(1)
	if err := s.client.CallContext(ctx, result, method, args...); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return scrub(fmt.Errorf("%s: %w", method, err), s.url)
	}
	return nil
}

// batch sends elems in batches of BatchSize and fails on the first element
// error, so that a caller never sees part of an answer.
func (s *Source) batch(ctx context.Context, elems []rpc.BatchElem) error {
	for i := 0; i < len(elems); i += s.opts.BatchSize {
		part := elems[i:min(i+s.opts.BatchSize, len(elems))]
		s.calls.Add(int64(len(part)))
		if err := s.client.BatchCallContext(ctx, part); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return scrub(fmt.Errorf("batch of %d: %w", len(part), err), s.url)
		}
		for _, e := range part {
			if e.Error != nil {
				return scrub(fmt.Errorf("%s %v: %w", e.Method, e.Args, e.Error), s.url)
			}
		}
	}
	return nil
}

// Head returns the number of the newest block. The store uses it with a
// confirmation depth to cache only blocks that will not change.
func (s *Source) Head(ctx context.Context, chain chains.Chain) (uint64, error) {
	if err := s.check(ctx, chain); err != nil {
		return 0, err
	}
	if s.opts.HeadTTL > 0 {
		s.mu.Lock()
		h, at := s.head, s.headAt
		s.mu.Unlock()
		if !at.IsZero() && time.Since(at) < s.opts.HeadTTL {
			return h, nil
		}
	}
	var n hexutil.Uint64
	if err := s.call(ctx, &n, "eth_blockNumber"); err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.head, s.headAt = uint64(n), time.Now()
	s.mu.Unlock()
	return uint64(n), nil
}

// knownHead is the last head read (see Head), 0 before the first: a
// head read earlier is never above the chain's, so a block final under
// it is final now.
func (s *Source) knownHead() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.head
}

// finalDepth is Options.FinalDepth, or the blocks of FinalWindow on the
// chain (at least minFinalDepth).
func (s *Source) finalDepth() uint64 {
	if s.opts.FinalDepth > 0 {
		return s.opts.FinalDepth
	}
	return max(s.chain.BlocksIn(FinalWindow), minFinalDepth)
}

// final reports whether block lies at least finalDepth below head; never
// when no head is known (0).
func (s *Source) final(block, head uint64) bool {
	d := s.finalDepth()
	return head >= d && block <= head-d
}

// Header is what a source knows of a block: number, hash and time.
type Header struct {
	Number uint64
	Hash   common.Hash
	Time   time.Time // UTC
}

type rpcHeader struct {
	Number    hexutil.Uint64 `json:"number"`
	Hash      common.Hash    `json:"hash"`
	Timestamp hexutil.Uint64 `json:"timestamp"`
}

// Headers returns the headers of blocks, fetched in batches, in the order
// asked. A block the node does not have is an ErrNotFound error.
func (s *Source) Headers(ctx context.Context, chain chains.Chain, blocks []uint64) ([]Header, error) {
	if err := s.check(ctx, chain); err != nil {
		return nil, err
	}
	res := make([]*rpcHeader, len(blocks))
	elems := make([]rpc.BatchElem, len(blocks))
	for i, b := range blocks {
		elems[i] = rpc.BatchElem{Method: "eth_getBlockByNumber", Args: []any{hexutil.Uint64(b), false}, Result: &res[i]}
	}
	if err := s.batch(ctx, elems); err != nil {
		return nil, fmt.Errorf("block headers: %w", err)
	}
	out := make([]Header, len(blocks))
	for i, h := range res {
		if h == nil {
			return nil, fmt.Errorf("block %d: %w", blocks[i], chains.ErrNotFound)
		}
		if uint64(h.Number) != blocks[i] {
			return nil, fmt.Errorf("asked for block %d, node answered block %d", blocks[i], uint64(h.Number))
		}
		out[i] = Header{Number: blocks[i], Hash: h.Hash, Time: h.blockTime()}
	}
	s.keepHeaders(out)
	return out, nil
}

// BlockHash returns the hash of a block, for reorg checks: from the
// headers this Source has fetched (checked against the logs that named
// them), else from the node.
func (s *Source) BlockHash(ctx context.Context, chain chains.Chain, block uint64) ([32]byte, error) {
	s.mu.Lock()
	h, ok := s.recent[block]
	delete(s.recent, block)
	if hd, cached := s.headers[block]; cached && !ok {
		h, ok = hd.Hash, true
	}
	s.mu.Unlock()
	if ok && chain == s.chain {
		return h, nil
	}
	hs, err := s.Headers(ctx, chain, []uint64{block})
	if err != nil {
		return [32]byte{}, err
	}
	return hs[0].Hash, nil
}

// BlockTime returns the time of a block.
func (s *Source) BlockTime(ctx context.Context, chain chains.Chain, block uint64) (time.Time, error) {
	hs, err := s.Headers(ctx, chain, []uint64{block})
	if err != nil {
		return time.Time{}, err
	}
	return hs[0].Time, nil
}

// BlockAt returns the first block whose time is at or after t, by binary
// search over block times (about log2(head) calls). ErrNotFound when every
// block is older than t.
func (s *Source) BlockAt(ctx context.Context, chain chains.Chain, t time.Time) (uint64, error) {
	head, err := s.Head(ctx, chain)
	if err != nil {
		return 0, err
	}
	lo, err := chains.FirstBlockAt(ctx, 0, head, t, func(ctx context.Context, n uint64) (time.Time, error) {
		return s.BlockTime(ctx, chain, n)
	})
	if err != nil {
		return 0, err
	}
	if lo > head {
		return 0, fmt.Errorf("no block at or after %s (head %d): %w", t.UTC().Format(time.RFC3339), head, chains.ErrNotFound)
	}
	return lo, nil
}

// IsContract reports whether addr holds code now.
func (s *Source) IsContract(ctx context.Context, chain chains.Chain, addr chains.Address) (bool, error) {
	if err := s.check(ctx, chain); err != nil {
		return false, err
	}
	var code hexutil.Bytes
	if err := s.call(ctx, &code, "eth_getCode", common.Address(addr.Bytes()), "latest"); err != nil {
		return false, err
	}
	return len(code) > 0, nil
}

// Balance returns addr's balance of asset at the end of block: eth_getBalance
// for the native coin, balanceOf for a token. ErrUnsupported when the node
// has pruned that block's state (not an archive node).
func (s *Source) Balance(ctx context.Context, chain chains.Chain, addr chains.Address, asset chains.AssetID, block uint64) (chains.Amount, error) {
	if s.opts.NoBalances {
		return chains.Amount{}, fmt.Errorf("balance of %s at block %d: %w (balances are turned off)", addr, block, chains.ErrUnsupported)
	}
	if err := s.check(ctx, chain); err != nil {
		return chains.Amount{}, err
	}
	a := common.Address(addr.Bytes())
	var v *big.Int
	if asset.IsNative() {
		var b hexutil.Big
		if err := s.call(ctx, &b, "eth_getBalance", a, hexutil.Uint64(block)); err != nil {
			return chains.Amount{}, stateErr(block, err)
		}
		v = (*big.Int)(&b)
	} else {
		data := append(common.FromHex("0x70a08231"), common.LeftPadBytes(a[:], 32)...)
		var out hexutil.Bytes
		if err := s.call(ctx, &out, "eth_call", callArgs(asset.Contract, data), hexutil.Uint64(block)); err != nil {
			return chains.Amount{}, stateErr(block, err)
		}
		if len(out) != 32 {
			return chains.Amount{}, fmt.Errorf("balanceOf %s on %s at block %d: %d bytes returned, want 32", addr, asset.Contract, block, len(out))
		}
		v = new(big.Int).SetBytes(out)
	}
	return chains.AmountFromBig(v)
}

func callArgs(to chains.Address, data []byte) map[string]any {
	return map[string]any{"to": common.Address(to.Bytes()), "data": hexutil.Bytes(data)}
}

// stateErr turns the nodes' ways of saying "that state is pruned" into
// ErrUnsupported.
func stateErr(block uint64, err error) error {
	m := strings.ToLower(err.Error())
	for _, s := range []string{"missing trie node", "historical state", "state not available", "state is not available",
		"pruned", "required historical", "archive", "state histories haven't been fully indexed"} {
		if strings.Contains(m, s) {
			return fmt.Errorf("state at block %d (needs an archive node): %w: %v", block, chains.ErrUnsupported, err)
		}
	}
	return err
}

// rpcCode returns the JSON-RPC error code in err's chain, or 0.
func rpcCode(err error) int {
	var re rpc.Error
	if errors.As(err, &re) {
		return re.ErrorCode()
	}
	return 0
}
