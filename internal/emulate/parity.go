package emulate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// The parity trace API (trace_filter, trace_block, trace_transaction), as
// Erigon and OpenEthereum serve it and Infura offers it on mainnet, built
// from the same call frames as the callTracer's (callFrame): one trace per
// frame, depth-first, each with its traceAddress (the path of child
// indexes from the transaction's own frame) and subtraces. The blocks are
// post-merge: there are no reward traces.

// parityTrace is one localized trace.
type parityTrace struct {
	Type         string         `json:"type"`
	Action       parityAction   `json:"action"`
	Result       *parityResult  `json:"result"`
	Subtraces    int            `json:"subtraces"`
	TraceAddress []int          `json:"traceAddress"`
	BlockHash    common.Hash    `json:"blockHash"`
	BlockNumber  uint64         `json:"blockNumber"`
	TxHash       common.Hash    `json:"transactionHash"`
	TxPosition   uint           `json:"transactionPosition"`
	from, to     common.Address // for trace_filter's address match
}

type parityAction struct {
	CallType string         `json:"callType"`
	From     common.Address `json:"from"`
	To       common.Address `json:"to"`
	Value    string         `json:"value"`
	Gas      hexutil.Uint64 `json:"gas"`
	Input    hexutil.Bytes  `json:"input"`
}

type parityResult struct {
	GasUsed hexutil.Uint64 `json:"gasUsed"`
	Output  hexutil.Bytes  `json:"output"`
}

// parityTraces is tx's traces, its own frame first, then its internal
// calls depth-first.
func (d *Dataset) parityTraces(tx *Tx) []parityTrace {
	var out []parityTrace
	var walk func(f *callFrame, addr []int)
	walk = func(f *callFrame, addr []int) {
		out = append(out, parityTrace{
			Type: "call",
			Action: parityAction{CallType: strings.ToLower(f.Type), From: f.From, To: f.To, Value: f.Value, Gas: f.Gas,
				Input: nonNil(f.Input)},
			Result:    &parityResult{GasUsed: f.GasUsed, Output: nonNil(f.Output)},
			Subtraces: len(f.Calls), TraceAddress: slices.Clone(addr),
			BlockHash: d.BlockHash(tx.Block), BlockNumber: tx.Block, TxHash: tx.Hash, TxPosition: tx.Index,
			from: f.From, to: f.To,
		})
		for i := range f.Calls {
			walk(&f.Calls[i], append(addr, i))
		}
	}
	root := d.callFrame(tx)
	walk(&root, []int{})
	return out
}

func nonNil(b hexutil.Bytes) hexutil.Bytes {
	if b == nil {
		return hexutil.Bytes{}
	}
	return b
}

// blockTraces is every trace of block n's transactions, in order.
func (d *Dataset) blockTraces(n uint64) []parityTrace {
	out := []parityTrace{}
	for _, tx := range d.BlockTxs(n) {
		out = append(out, d.parityTraces(tx)...)
	}
	return out
}

// traceFilter is a parsed trace_filter filter object.
type traceFilter struct {
	from, to     uint64
	fromAddr     []common.Address
	toAddr       []common.Address
	intersection bool
	after, count uint64
}

// match is Erigon's and reth's rule: an empty list matches any address;
// with both lists set a trace matches either (mode "union", the default)
// or both ("intersection", OpenEthereum's only rule).
func (f *traceFilter) match(t *parityTrace) bool {
	inFrom, inTo := slices.Contains(f.fromAddr, t.from), slices.Contains(f.toAddr, t.to)
	switch {
	case len(f.fromAddr) == 0 && len(f.toAddr) == 0:
		return true
	case len(f.toAddr) == 0:
		return inFrom
	case len(f.fromAddr) == 0:
		return inTo
	case f.intersection:
		return inFrom && inTo
	}
	return inFrom || inTo
}

// parseTraceFilter reads trace_filter's one argument: fromBlock (default
// 0) and toBlock (default the head) as numbers or tags, fromAddress and
// toAddress as address lists, mode, and after and count as numbers or hex
// quantities (count's default is no limit).
func (r *RPC) parseTraceFilter(params json.RawMessage) (*traceFilter, error) {
	var args []struct {
		FromBlock   json.RawMessage  `json:"fromBlock"`
		ToBlock     json.RawMessage  `json:"toBlock"`
		FromAddress []common.Address `json:"fromAddress"`
		ToAddress   []common.Address `json:"toAddress"`
		Mode        string           `json:"mode"`
		After       json.RawMessage  `json:"after"`
		Count       json.RawMessage  `json:"count"`
	}
	if err := json.Unmarshal(params, &args); err != nil || len(args) != 1 {
		return nil, errInvalidParams("invalid argument 0: want one filter object")
	}
	a := args[0]
	f := &traceFilter{fromAddr: a.FromAddress, toAddr: a.ToAddress, count: ^uint64(0)}
	var err error
	if len(a.FromBlock) > 0 && string(a.FromBlock) != "null" {
		if f.from, err = r.blockTag(a.FromBlock); err != nil {
			return nil, err
		}
	}
	if f.to, err = r.blockTag(a.ToBlock); err != nil {
		return nil, err
	}
	switch a.Mode {
	case "", "union":
	case "intersection":
		f.intersection = true
	default:
		return nil, errInvalidParams(fmt.Sprintf("invalid argument 0: mode %q: want union or intersection", a.Mode))
	}
	if f.after, err = quantity(a.After, 0); err != nil {
		return nil, errInvalidParams("invalid argument 0: after: " + err.Error())
	}
	if f.count, err = quantity(a.Count, f.count); err != nil {
		return nil, errInvalidParams("invalid argument 0: count: " + err.Error())
	}
	return f, nil
}

// quantity reads a JSON number or a hex string; def when absent.
func quantity(raw json.RawMessage, def uint64) (uint64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return def, nil
	}
	var n uint64
	if err := json.Unmarshal(raw, &n); err == nil {
		return n, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || !strings.HasPrefix(s, "0x") {
		return 0, fmt.Errorf("want a number, got %s", raw)
	}
	return strconv.ParseUint(s[2:], 16, 64)
}

// traceFilter answers trace_filter: the matching traces of [from, to] in
// order, the first after skipped, at most count returned. A range past
// the head is refused, as reth does, and one wider than the provider's
// TraceRange too.
func (r *RPC) traceFilter(params json.RawMessage) (any, error) {
	f, err := r.parseTraceFilter(params)
	if err != nil {
		return nil, err
	}
	switch {
	case f.to > r.ds.Head:
		return nil, &rpcError{Code: -32000, Message: fmt.Sprintf("header not found: block %d", f.to)}
	case f.from > f.to:
		return nil, errInvalidParams("invalid parameters: fromBlock cannot be greater than toBlock")
	case r.b.TraceRange > 0 && f.to-f.from+1 > r.b.TraceRange:
		return nil, errInvalidParams(fmt.Sprintf("trace_filter is limited to a %d block range", r.b.TraceRange))
	}
	out := []parityTrace{}
	seen := uint64(0)
	for n := max(f.from, 1); n <= f.to && uint64(len(out)) < f.count; n++ {
		for _, tx := range r.ds.BlockTxs(n) {
			for _, t := range r.ds.parityTraces(tx) {
				if !f.match(&t) {
					continue
				}
				if seen++; seen > f.after && uint64(len(out)) < f.count {
					out = append(out, t)
				}
			}
		}
	}
	return out, nil
}

// traceAPI answers trace_block (null past the head) and trace_transaction
// (null for an unknown transaction), and trace_filter.
func (r *RPC) traceAPI(method string, params json.RawMessage) (any, error) {
	switch method {
	case "trace_filter":
		return r.traceFilter(params)
	case "trace_block":
		var args []json.RawMessage
		if err := json.Unmarshal(params, &args); err != nil || len(args) < 1 {
			return nil, errInvalidParams("missing value for required argument 0")
		}
		n, err := r.blockTag(args[0])
		if err != nil {
			return nil, err
		}
		if n > r.ds.Head {
			return nil, nil
		}
		return r.ds.blockTraces(n), nil
	default: // trace_transaction
		var h common.Hash
		if err := positional(params, &h); err != nil {
			return nil, err
		}
		tx, ok := r.ds.Tx(h)
		if !ok {
			return nil, nil
		}
		return r.ds.parityTraces(tx), nil
	}
}
