package evm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"golang.org/x/sync/errgroup"

	"freezetrace/chains"
)

// CallFrame is one frame of go-ethereum's callTracer output.
type CallFrame struct {
	Type  string          `json:"type"`
	From  common.Address  `json:"from"`
	To    *common.Address `json:"to"`
	Value *hexutil.Big    `json:"value"`
	Error string          `json:"error"`
	Calls []CallFrame     `json:"calls"`
}

// TxTrace is one element of debug_traceBlockByNumber's answer.
type TxTrace struct {
	TxHash *common.Hash `json:"txHash"`
	Result *CallFrame   `json:"result"`
	Error  string       `json:"error"`
}

// CallTransfers lists the native transfers of one traced transaction: every
// frame that moved a non-zero value by CALL, CREATE, CREATE2 or
// SELFDESTRUCT and did not revert (nor sit under a frame that reverted).
// Position is the frame's depth-first index, the transaction's own frame
// being 0; DELEGATECALL, STATICCALL and CALLCODE frames move nothing but
// still count for positions. Block, Time and Tx are left for the caller.
func CallTransfers(chain chains.Chain, txIndex uint32, root CallFrame) []chains.Transfer {
	var out []chains.Transfer
	pos := uint32(0)
	var walk func(f *CallFrame, reverted bool)
	walk = func(f *CallFrame, reverted bool) {
		me := pos
		pos++
		reverted = reverted || f.Error != ""
		if !reverted && movesValue(f.Type) && f.Value != nil && f.To != nil && f.Value.ToInt().Sign() > 0 {
			amt, err := chains.AmountFromBig(f.Value.ToInt())
			if err == nil {
				out = append(out, chains.Transfer{
					Chain: chain, Position: me, TxIndex: txIndex,
					From: chains.NewAddress(chains.FamilyEVM, f.From), To: chains.NewAddress(chains.FamilyEVM, *f.To),
					Asset: chains.NativeAsset(chain), Amount: amt,
				})
			}
		}
		for i := range f.Calls {
			walk(&f.Calls[i], reverted)
		}
	}
	walk(&root, false)
	return out
}

func movesValue(typ string) bool {
	switch strings.ToUpper(typ) {
	case "CALL", "CREATE", "CREATE2", "SELFDESTRUCT":
		return true
	}
	return false
}

// ParityTrace is one element of trace_block / trace_filter / trace_transaction.
type ParityTrace struct {
	Type   string `json:"type"`
	Action struct {
		CallType      string          `json:"callType"`
		From          common.Address  `json:"from"`
		To            *common.Address `json:"to"`
		Value         *hexutil.Big    `json:"value"`
		Address       common.Address  `json:"address"`       // suicide
		RefundAddress common.Address  `json:"refundAddress"` // suicide
		Balance       *hexutil.Big    `json:"balance"`       // suicide
	} `json:"action"`
	Result *struct {
		Address *common.Address `json:"address"` // create
	} `json:"result"`
	Error        string       `json:"error"`
	TraceAddress []int        `json:"traceAddress"`
	BlockNumber  uint64       `json:"blockNumber"`
	BlockHash    common.Hash  `json:"blockHash"`
	TxHash       *common.Hash `json:"transactionHash"`
	TxPosition   *uint32      `json:"transactionPosition"`
}

// ParityTransfers lists the native transfers in the traces of one block as
// trace_block returns them (every trace of every transaction, depth-first),
// with the same rules and positions as CallTransfers. Time is left unset.
func ParityTransfers(chain chains.Chain, traces []ParityTrace) ([]chains.Transfer, error) {
	var out []chains.Transfer
	pos := map[common.Hash]uint32{}
	var revertedAt [][]int // trace addresses of failed traces in the current tx
	var cur common.Hash
	for _, t := range traces {
		if t.TxHash == nil || t.TxPosition == nil {
			continue // block and uncle rewards
		}
		if *t.TxHash != cur {
			cur, revertedAt = *t.TxHash, nil
		}
		me := pos[cur]
		pos[cur]++
		reverted := t.Error != ""
		for _, ra := range revertedAt {
			if len(ra) <= len(t.TraceAddress) && slices.Equal(ra, t.TraceAddress[:len(ra)]) {
				reverted = true
			}
		}
		if t.Error != "" {
			revertedAt = append(revertedAt, t.TraceAddress)
		}
		if reverted {
			continue
		}
		var from common.Address
		var to *common.Address
		var value *hexutil.Big
		switch t.Type {
		case "call":
			if t.Action.CallType != "call" {
				continue
			}
			from, to, value = t.Action.From, t.Action.To, t.Action.Value
		case "create":
			if t.Result == nil {
				continue
			}
			from, to, value = t.Action.From, t.Result.Address, t.Action.Value
		case "suicide":
			ra := t.Action.RefundAddress
			from, to, value = t.Action.Address, &ra, t.Action.Balance
		default:
			continue
		}
		if to == nil || value == nil || value.ToInt().Sign() <= 0 {
			continue
		}
		amt, err := chains.AmountFromBig(value.ToInt())
		if err != nil {
			return nil, err
		}
		out = append(out, chains.Transfer{
			Chain: chain, Tx: chains.TxHash(cur), Position: me, TxIndex: *t.TxPosition, Block: t.BlockNumber,
			From: chains.NewAddress(chains.FamilyEVM, from), To: chains.NewAddress(chains.FamilyEVM, *to),
			Asset: chains.NativeAsset(chain), Amount: amt,
		})
	}
	return out, nil
}

var callTracer = map[string]any{"tracer": "callTracer"}

// blockTxs is eth_getBlockByNumber(n, false).
type blockTxs struct {
	rpcHeader
	Transactions []common.Hash `json:"transactions"`
}

// nativeTransfers traces every block of [from, to] and keeps the transfers
// that touch addr.
func (s *Source) nativeTransfers(ctx context.Context, addr chains.Address, from, to uint64) ([]chains.Transfer, error) {
	// The genesis block has no transactions (its allocations are not
	// transfers) and nodes refuse to trace it.
	from = max(from, 1)
	if from > to {
		return nil, nil
	}
	method, err := s.nativeMethod(ctx, from)
	if err != nil {
		return nil, err
	}
	var out []chains.Transfer
	switch method {
	case "trace":
		out, err = s.nativeByTraceFilter(ctx, addr, from, to)
	default:
		if n := to - from + 1; n > s.opts.MaxTraceBlocks {
			return nil, fmt.Errorf("native %s history of %s over %d blocks (%d-%d) means one debug_traceBlockByNumber call per block, more than the limit of %d: narrow the time window, raise the limit, or use a node with trace_filter",
				s.chain.Native().Symbol, addr, n, from, to, s.opts.MaxTraceBlocks)
		}
		blocks := make([]uint64, 0, to-from+1)
		for b := from; b <= to; b++ {
			blocks = append(blocks, b)
		}
		out, err = s.traceBlocks(ctx, addr, blocks, "debug")
	}
	if err != nil {
		return nil, fmt.Errorf("native transfers of %s in blocks %d-%d: %w", addr, from, to, err)
	}
	slices.SortFunc(out, chains.Compare)
	return out, nil
}

// traceBlocks returns the native transfers in blocks that touch addr
// (every transfer when addr is zero). A block traced before and known
// final (see traceCache) is answered from the trace cache alone; the
// headers of the others come first, in batches; then only the blocks not
// already traced under the same hash are traced, a few batches at a time,
// by hash where the method allows it. A block whose header was read at
// final depth is marked final for the next history.
func (s *Source) traceBlocks(ctx context.Context, addr chains.Address, blocks []uint64, method string) ([]chains.Transfer, error) {
	head := s.knownHead()
	known := make(map[uint64][]chains.Transfer)
	hashes := make(map[uint64]common.Hash)
	var ask []uint64
	for _, b := range blocks {
		if h, ts, ok := s.traced.finalBlock(b); ok {
			known[b], hashes[b] = ts, h
		} else {
			ask = append(ask, b)
		}
	}
	heads, err := s.blockHeads(ctx, ask)
	if err != nil {
		return nil, err
	}
	var todo []*blockTxs
	for _, h := range heads {
		if _, ok := s.traced.get(h.Hash); !ok {
			todo = append(todo, h)
		}
	}
	per := max(s.opts.BatchSize/2, 1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(s.transport.opts.Concurrency, 1))
	for i := 0; i < len(todo); i += per {
		chunk := todo[i:min(i+per, len(todo))]
		g.Go(func() error { return s.traceChunk(gctx, chunk, method) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, h := range heads {
		ts, ok := s.traced.get(h.Hash)
		if !ok {
			return nil, fmt.Errorf("block %d: traces lost", uint64(h.Number))
		}
		known[uint64(h.Number)], hashes[uint64(h.Number)] = ts, h.Hash
		if s.final(uint64(h.Number), head) {
			s.traced.markFinal(uint64(h.Number), h.Hash)
		}
	}
	var out []chains.Transfer
	for _, b := range blocks {
		kept := 0
		for _, t := range known[b] {
			if addr.IsZero() || t.From == addr || t.To == addr {
				out = append(out, t)
				kept++
			}
		}
		if kept > 0 {
			s.remember([]Header{{Number: b, Hash: hashes[b], Time: out[len(out)-1].Time}})
		}
	}
	return out, nil
}

// blockHeads reads the headers of blocks, with their transaction hashes,
// in batches, checking that each is the block asked for.
func (s *Source) blockHeads(ctx context.Context, blocks []uint64) ([]*blockTxs, error) {
	heads := make([]*blockTxs, len(blocks))
	elems := make([]rpc.BatchElem, len(blocks))
	for i, b := range blocks {
		elems[i] = rpc.BatchElem{Method: "eth_getBlockByNumber", Args: []any{hexutil.Uint64(b), false}, Result: &heads[i]}
	}
	if err := s.batch(ctx, elems); err != nil {
		return nil, err
	}
	for i, h := range heads {
		if h == nil {
			return nil, fmt.Errorf("block %d: %w", blocks[i], chains.ErrNotFound)
		}
		if uint64(h.Number) != blocks[i] {
			return nil, fmt.Errorf("asked for block %d, node answered block %d", blocks[i], uint64(h.Number))
		}
	}
	return heads, nil
}

// traceChunk traces the blocks of heads in one batch and keeps every native
// transfer of each in the trace cache under its hash.
func (s *Source) traceChunk(ctx context.Context, heads []*blockTxs, method string) error {
	debug := make([][]TxTrace, len(heads))
	parity := make([][]ParityTrace, len(heads))
	elems := make([]rpc.BatchElem, len(heads))
	for i, h := range heads {
		if method == "trace" {
			elems[i] = rpc.BatchElem{Method: "trace_block", Args: []any{h.Number}, Result: &parity[i]}
		} else {
			elems[i] = rpc.BatchElem{Method: "debug_traceBlockByHash", Args: []any{h.Hash, callTracer}, Result: &debug[i]}
		}
	}
	if err := s.batch(ctx, elems); err != nil {
		return err
	}
	for i, h := range heads {
		b, t := uint64(h.Number), h.blockTime()
		var ts []chains.Transfer
		if method == "trace" {
			var err error
			if ts, err = ParityTransfers(s.chain, parity[i]); err != nil {
				return fmt.Errorf("block %d: %w", b, err)
			}
			for _, p := range parity[i] {
				if p.TxHash != nil && p.BlockHash != h.Hash {
					return fmt.Errorf("block %d: trace says hash %s, header says %s: %w", b, p.BlockHash.Hex(), h.Hash.Hex(), ErrReorg)
				}
			}
		} else {
			if len(debug[i]) != len(h.Transactions) {
				return fmt.Errorf("block %d: %d traces for %d transactions: %w", b, len(debug[i]), len(h.Transactions), ErrReorg)
			}
			for j, tt := range debug[i] {
				if tt.Error != "" || tt.Result == nil {
					return fmt.Errorf("block %d tx %d: tracer failed: %s", b, j, tt.Error)
				}
				if tt.TxHash != nil && *tt.TxHash != h.Transactions[j] {
					return fmt.Errorf("block %d tx %d: trace of %s, header lists %s: %w", b, j, tt.TxHash.Hex(), h.Transactions[j].Hex(), ErrReorg)
				}
				for _, c := range CallTransfers(s.chain, uint32(j), *tt.Result) {
					c.Tx = chains.TxHash(h.Transactions[j])
					ts = append(ts, c)
				}
			}
		}
		for k := range ts {
			ts[k].Block, ts[k].Time = b, t
		}
		s.traced.put(b, h.Hash, ts)
	}
	return nil
}

// nativeByTraceFilter asks trace_filter which blocks touch addr, then traces
// those blocks whole so that positions count every frame.
func (s *Source) nativeByTraceFilter(ctx context.Context, addr chains.Address, from, to uint64) ([]chains.Transfer, error) {
	a := common.Address(addr.Bytes())
	blockSet := map[uint64]bool{}
	for _, key := range []string{"fromAddress", "toAddress"} {
		err := s.rangedIn(ctx, s.traceWindow(), from, to, func(lo, hi uint64) error {
			var ts []ParityTrace
			f := map[string]any{"fromBlock": hexutil.Uint64(lo), "toBlock": hexutil.Uint64(hi), key: []common.Address{a}}
			if err := s.call(ctx, &ts, "trace_filter", f); err != nil {
				return err
			}
			for _, t := range ts {
				if t.TxHash != nil {
					blockSet[t.BlockNumber] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	blocks := make([]uint64, 0, len(blockSet))
	for b := range blockSet {
		blocks = append(blocks, b)
	}
	slices.Sort(blocks)
	return s.traceBlocks(ctx, addr, blocks, "trace")
}

// nativeMethod finds out, once, how this node gives call traces.
func (s *Source) nativeMethod(ctx context.Context, probe uint64) (string, error) {
	s.mu.Lock()
	m := s.native
	s.mu.Unlock()
	if m == "" {
		var raw json.RawMessage
		f := map[string]any{"fromBlock": hexutil.Uint64(probe), "toBlock": hexutil.Uint64(probe), "fromAddress": []common.Address{{}}}
		err := s.call(ctx, &raw, "trace_filter", f)
		switch {
		case err == nil:
			m = "trace"
		case ctx.Err() != nil:
			return "", ctx.Err()
		case !missingMethod(err):
			return "", fmt.Errorf("probe trace_filter: %w", err)
		default:
			err = s.call(ctx, &raw, "debug_traceBlockByNumber", hexutil.Uint64(probe), callTracer)
			switch {
			case err == nil:
				m = "debug"
			case ctx.Err() != nil:
				return "", ctx.Err()
			case missingMethod(err):
				m = "none"
			default:
				return "", fmt.Errorf("probe debug_traceBlockByNumber: %w", stateErr(probe, err))
			}
		}
		s.mu.Lock()
		s.native = m
		s.mu.Unlock()
	}
	if m == "none" {
		return "", fmt.Errorf("%w: native %s transfers need call traces, and the node at %s offers neither trace_filter nor debug_traceBlockByNumber with the callTracer: use a node with the debug or trace API (geth --http.api eth,debug; Erigon; Nethermind) or a provider's trace add-on",
			chains.ErrUnsupported, s.chain.Native().Symbol, s.Endpoint())
	}
	return m, nil
}

// missingMethod reports whether err says the node lacks the method.
func missingMethod(err error) bool {
	if rpcCode(err) == -32601 {
		return true
	}
	var he rpc.HTTPError
	if errors.As(err, &he) && (he.StatusCode == 404 || he.StatusCode == 405) {
		return true
	}
	m := strings.ToLower(err.Error())
	for _, s := range []string{"method not found", "does not exist", "not supported", "unsupported method", "not enabled", "method not allowed"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func (h *rpcHeader) blockTime() time.Time { return time.Unix(int64(h.Timestamp), 0).UTC() }
