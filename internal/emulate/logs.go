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

// resultCap is the most logs Infura and Alchemy return for one query.
const resultCap = 10_000

// logJSON is a log as nodes write it.
type logJSON struct {
	Address        common.Address `json:"address"`
	Topics         []common.Hash  `json:"topics"`
	Data           hexutil.Bytes  `json:"data"`
	BlockNumber    hexutil.Uint64 `json:"blockNumber"`
	TxHash         common.Hash    `json:"transactionHash"`
	TxIndex        hexutil.Uint   `json:"transactionIndex"`
	BlockHash      common.Hash    `json:"blockHash"`
	BlockTimestamp hexutil.Uint64 `json:"blockTimestamp"`
	Index          hexutil.Uint   `json:"logIndex"`
	Removed        bool           `json:"removed"`
}

func (d *Dataset) logJSON(i int) logJSON {
	l := d.Logs[i]
	data := l.Data
	if data == nil {
		data = []byte{}
	}
	return logJSON{Address: l.Address, Topics: l.Topics, Data: data, BlockNumber: hexutil.Uint64(l.Block),
		TxHash: l.TxHash, TxIndex: hexutil.Uint(l.TxIndex), BlockHash: d.BlockHash(l.Block),
		BlockTimestamp: hexutil.Uint64(BlockTime(l.Block).Unix()), Index: hexutil.Uint(l.LogIndex)}
}

// logIndex finds candidate logs quickly: by emitting contract and by the
// second and third topics. Every list holds indexes into Dataset.Logs in
// increasing order, which is block order.
type logIndex struct {
	byAddr   map[common.Address][]int
	byTopic1 map[common.Hash][]int
	byTopic2 map[common.Hash][]int
	byHash   map[common.Hash]uint64 // block hash to number, around the data
}

func (d *Dataset) logIndex() *logIndex { return d.logIdx }

func (d *Dataset) buildLogIndex() {
	x := &logIndex{byAddr: map[common.Address][]int{}, byTopic1: map[common.Hash][]int{}, byTopic2: map[common.Hash][]int{},
		byHash: map[common.Hash]uint64{}}
	for i, l := range d.Logs {
		x.byAddr[l.Address] = append(x.byAddr[l.Address], i)
		if len(l.Topics) > 1 {
			x.byTopic1[l.Topics[1]] = append(x.byTopic1[l.Topics[1]], i)
		}
		if len(l.Topics) > 2 {
			x.byTopic2[l.Topics[2]] = append(x.byTopic2[l.Topics[2]], i)
		}
	}
	lo := d.First - min(d.First, 10_000)
	for n := lo; n <= d.Head; n++ {
		x.byHash[d.BlockHash(n)] = n
	}
	d.logIdx = x
}

// filter is a parsed eth_getLogs filter.
type filter struct {
	from, to  uint64
	addresses []common.Address // empty for any
	topics    [][]common.Hash  // nil entry for any
}

func (f *filter) match(l *Log) bool {
	if len(f.addresses) > 0 && !slices.Contains(f.addresses, l.Address) {
		return false
	}
	if len(f.topics) > len(l.Topics) {
		return false
	}
	for i, want := range f.topics {
		if want != nil && !slices.Contains(want, l.Topics[i]) {
			return false
		}
	}
	return true
}

type filterArg struct {
	Address   json.RawMessage   `json:"address"`
	Topics    []json.RawMessage `json:"topics"`
	FromBlock json.RawMessage   `json:"fromBlock"`
	ToBlock   json.RawMessage   `json:"toBlock"`
	BlockHash *common.Hash      `json:"blockHash"`
}

func (r *RPC) parseFilter(params json.RawMessage) (*filter, error) {
	var args []filterArg
	if err := json.Unmarshal(params, &args); err != nil || len(args) != 1 {
		return nil, errInvalidParams("invalid argument 0: want one filter object")
	}
	a := args[0]
	f := &filter{}
	if a.BlockHash != nil {
		if a.FromBlock != nil || a.ToBlock != nil {
			return nil, errInvalidParams("invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other")
		}
		n, ok := r.ds.logIndex().byHash[*a.BlockHash]
		if !ok {
			return nil, &rpcError{Code: -32000, Message: "unknown block"}
		}
		f.from, f.to = n, n
	} else {
		var err error
		if f.from, err = r.blockTag(a.FromBlock); err != nil {
			return nil, err
		}
		if f.to, err = r.blockTag(a.ToBlock); err != nil {
			return nil, err
		}
		f.to = min(f.to, r.ds.Head)
		if f.from > f.to {
			return nil, &rpcError{Code: -32000, Message: "invalid block range"}
		}
	}
	if len(a.Address) > 0 && string(a.Address) != "null" {
		var one common.Address
		if err := json.Unmarshal(a.Address, &one); err == nil {
			f.addresses = []common.Address{one}
		} else if err := json.Unmarshal(a.Address, &f.addresses); err != nil {
			return nil, errInvalidParams("invalid argument 0: address: want an address or a list of addresses")
		}
	}
	for i, t := range a.Topics {
		var want []common.Hash
		var one common.Hash
		var many []*common.Hash
		switch {
		case len(t) == 0 || string(t) == "null":
		case json.Unmarshal(t, &one) == nil:
			want = []common.Hash{one}
		case json.Unmarshal(t, &many) == nil:
			for _, h := range many {
				if h == nil { // a null inside a list matches anything
					want = nil
					break
				}
				want = append(want, *h)
			}
		default:
			return nil, errInvalidParams(fmt.Sprintf("invalid argument 0: topic %d: want a hash, a list or null", i))
		}
		f.topics = append(f.topics, want)
	}
	return f, nil
}

// blockTag reads a block number or tag; a missing one is "latest".
func (r *RPC) blockTag(raw json.RawMessage) (uint64, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return r.ds.Head, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		var obj struct {
			BlockNumber *string      `json:"blockNumber"`
			BlockHash   *common.Hash `json:"blockHash"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return 0, errInvalidParams("invalid block number: " + string(raw))
		}
		if obj.BlockHash != nil {
			n, ok := r.ds.logIndex().byHash[*obj.BlockHash]
			if !ok {
				return 0, &rpcError{Code: -32000, Message: fmt.Sprintf("header for hash %s not found", obj.BlockHash.Hex())}
			}
			return n, nil
		}
		if obj.BlockNumber == nil {
			return 0, errInvalidParams("invalid block number: " + string(raw))
		}
		s = *obj.BlockNumber
	}
	switch s {
	case "latest", "pending", "safe", "finalized":
		return r.ds.Head, nil
	case "earliest":
		return 0, nil
	}
	if !strings.HasPrefix(s, "0x") && !strings.HasPrefix(s, "0X") {
		return 0, errInvalidParams(fmt.Sprintf("invalid block number %q: hex string without 0x prefix", s))
	}
	n, err := strconv.ParseUint(s[2:], 16, 64)
	if err != nil {
		return 0, errInvalidParams(fmt.Sprintf("invalid block number %q", s))
	}
	return n, nil
}

// candidates returns the indexes of logs that may match f, in order.
func (d *Dataset) candidates(f *filter) []int {
	x := d.logIndex()
	union := func(m map[common.Hash][]int, keys []common.Hash) []int {
		if len(keys) == 1 {
			return m[keys[0]]
		}
		var out []int
		for _, k := range keys {
			out = append(out, m[k]...)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	switch {
	case len(f.topics) > 1 && f.topics[1] != nil:
		return union(x.byTopic1, f.topics[1])
	case len(f.topics) > 2 && f.topics[2] != nil:
		return union(x.byTopic2, f.topics[2])
	case len(f.addresses) == 1:
		return x.byAddr[f.addresses[0]]
	}
	return nil // scan everything
}

// matches returns the indexes of the logs matching f, at most limit+1 of
// them when limit > 0.
func (d *Dataset) matches(f *filter, limit int) []int {
	cand := d.candidates(f)
	all := cand == nil
	n := len(d.Logs)
	if !all {
		n = len(cand)
	}
	at := func(k int) int {
		if all {
			return k
		}
		return cand[k]
	}
	// The first candidate whose block is at or after from.
	lo, hi := 0, n
	for lo < hi {
		mid := (lo + hi) / 2
		if d.Logs[at(mid)].Block < f.from {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	var out []int
	for k := lo; k < n; k++ {
		i := at(k)
		l := &d.Logs[i]
		if l.Block > f.to {
			break
		}
		if f.match(l) {
			out = append(out, i)
			if limit > 0 && len(out) > limit {
				break
			}
		}
	}
	return out
}

// getLogs answers eth_getLogs under the provider's limits.
func (r *RPC) getLogs(params json.RawMessage) (any, error) {
	f, err := r.parseFilter(params)
	if err != nil {
		return nil, err
	}
	width := f.to - f.from + 1
	switch r.b.Logs {
	case Cap2000Strict:
		if width > 2000 {
			return nil, &rpcError{Code: -32000, Message: "exceed maximum block range: 2000"}
		}
	case Cap10000:
		if width > 10_000 {
			return nil, &rpcError{Code: -32614, Message: "eth_getLogs is limited to a 10,000 range"}
		}
	}
	limit := 0
	if r.b.Logs == Infura || (r.b.Logs == Cap2000 && width > 2000) {
		limit = resultCap
	}
	ms := r.ds.matches(f, limit)
	if limit > 0 && len(ms) > limit {
		// The widest range from f.from whose results fit.
		end := r.ds.Logs[ms[limit]].Block - 1
		if end < f.from {
			end = f.from
		}
		if r.b.Logs == Infura {
			return nil, &rpcError{Code: -32005, Message: fmt.Sprintf(
				"query returned more than 10000 results. Try with this block range [0x%X, 0x%X].", f.from, end)}
		}
		end = min(max(end, f.from+1999), f.to)
		return nil, &rpcError{Code: -32602, Message: fmt.Sprintf("Log response size exceeded. You can make eth_getLogs requests with "+
			"up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in "+
			"the response. Based on your parameters, this block range should work: [0x%x, 0x%x]", f.from, end)}
	}
	out := make([]logJSON, len(ms))
	for k, i := range ms {
		out[k] = r.ds.logJSON(i)
	}
	return out, nil
}
