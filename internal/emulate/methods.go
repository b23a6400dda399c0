package emulate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// dispatch answers one call. A nil result is JSON null.
func (r *RPC) dispatch(method string, params json.RawMessage) (any, error) {
	switch method {
	case "eth_chainId":
		return "0x1", nil
	case "eth_blockNumber":
		return hexutil.Uint64(r.ds.Head), nil
	case "eth_getBlockByNumber":
		var args []json.RawMessage
		if err := json.Unmarshal(params, &args); err != nil || len(args) < 1 {
			return nil, errInvalidParams("missing value for required argument 0")
		}
		n, err := r.blockTag(args[0])
		if err != nil {
			return nil, err
		}
		return r.ds.blockJSON(n, len(args) > 1 && string(args[1]) == "true"), nil
	case "eth_getBlockByHash":
		var h common.Hash
		var full bool
		if err := positional(params, &h, &full); err != nil {
			return nil, err
		}
		n, ok := r.ds.logIndex().byHash[h]
		if !ok {
			return nil, nil
		}
		return r.ds.blockJSON(n, full), nil
	case "eth_getLogs":
		return r.getLogs(params)
	case "eth_call":
		return r.call(params)
	case "eth_getCode":
		var args []json.RawMessage
		var a common.Address
		if err := json.Unmarshal(params, &args); err != nil || len(args) < 1 || json.Unmarshal(args[0], &a) != nil {
			return nil, errInvalidParams("invalid argument 0: want an address")
		}
		if len(args) > 1 {
			n, err := r.blockTag(args[1])
			if err != nil {
				return nil, err
			}
			if n > r.ds.Head {
				return nil, &rpcError{Code: -32000, Message: "header not found"}
			}
		}
		return hexutil.Bytes(r.ds.code0(a)), nil
	case "eth_getTransactionByHash":
		var h common.Hash
		if err := positional(params, &h); err != nil {
			return nil, err
		}
		tx, ok := r.ds.Tx(h)
		if !ok {
			return nil, nil
		}
		return r.ds.txJSON(tx), nil
	case "eth_getTransactionReceipt":
		var h common.Hash
		if err := positional(params, &h); err != nil {
			return nil, err
		}
		tx, ok := r.ds.Tx(h)
		if !ok {
			return nil, nil
		}
		return r.ds.receiptJSON(tx), nil
	case "eth_getBalance":
		if r.ds.HasEther() {
			return r.getBalance(params)
		}
	case "debug_traceTransaction", "debug_traceBlockByNumber", "debug_traceBlockByHash":
		if !r.b.NoTraces {
			return r.trace(method, params)
		}
	case "trace_filter", "trace_block", "trace_transaction":
		if r.b.TraceAPI {
			return r.traceAPI(method, params)
		}
	}
	return nil, &rpcError{Code: -32601, Message: fmt.Sprintf("the method %s does not exist/is not available", method)}
}

// positional decodes params into dsts; missing trailing ones stay zero.
func positional(params json.RawMessage, dsts ...any) error {
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil {
		return errInvalidParams("invalid params: want an array")
	}
	if len(args) == 0 {
		return errInvalidParams("missing value for required argument 0")
	}
	for i, a := range args {
		if i >= len(dsts) {
			break
		}
		if err := json.Unmarshal(a, dsts[i]); err != nil {
			return errInvalidParams(fmt.Sprintf("invalid argument %d: %v", i, err))
		}
	}
	return nil
}

var (
	emptyRoot   = common.HexToHash("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
	emptyUncles = common.HexToHash("0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")
)

func (d *Dataset) root(kind string, n uint64) common.Hash {
	return crypto.Keccak256Hash([]byte(kind), d.BlockHash(n).Bytes())
}

// blockJSON is block n as eth_getBlockByNumber gives it; nil above the head.
func (d *Dataset) blockJSON(n uint64, full bool) map[string]any {
	h, ok := d.Header(n)
	if !ok {
		return nil
	}
	txs := d.BlockTxs(n)
	var bloom [256]byte
	list := make([]any, len(txs))
	txRoot, rcRoot := emptyRoot, emptyRoot
	for i, tx := range txs {
		if full {
			list[i] = d.txJSON(tx)
		} else {
			list[i] = tx.Hash
		}
		for _, li := range tx.Logs {
			addBloom(&bloom, d.Logs[li])
		}
	}
	if len(txs) > 0 {
		txRoot, rcRoot = d.root("transactions", n), d.root("receipts", n)
	}
	return map[string]any{
		"number": hexutil.Uint64(n), "hash": h.Hash, "parentHash": h.Parent, "timestamp": hexutil.Uint64(h.Time),
		"nonce": "0x0000000000000000", "sha3Uncles": emptyUncles, "logsBloom": hexutil.Bytes(bloom[:]),
		"transactionsRoot": txRoot, "stateRoot": d.root("state", n), "receiptsRoot": rcRoot,
		"miner": miner, "difficulty": "0x0", "totalDifficulty": "0xc70d815d562d3cfa955", "extraData": "0x6265617665726275696c642e6f7267",
		"size": hexutil.Uint64(600 + 180*len(txs)), "gasLimit": hexutil.Uint64(30_000_000), "gasUsed": hexutil.Uint64(gasUsed * len(txs)),
		"mixHash": d.root("mix", n), "baseFeePerGas": hexutil.Uint64(baseFee), "transactions": list, "uncles": []any{},
		"withdrawals": []any{}, "withdrawalsRoot": emptyRoot, "blobGasUsed": "0x0", "excessBlobGas": "0x0",
		"parentBeaconBlockRoot": d.root("beacon", n),
	}
}

func addBloom(b *[256]byte, l Log) {
	add := func(data []byte) {
		h := crypto.Keccak256(data)
		for i := 0; i < 6; i += 2 {
			bit := (uint(h[i])<<8 | uint(h[i+1])) & 2047
			b[256-1-bit/8] |= 1 << (bit % 8)
		}
	}
	add(l.Address[:])
	for _, t := range l.Topics {
		add(t[:])
	}
}

// signature returns deterministic r and s values below the curve order.
func signature(h common.Hash) (hexutil.Big, hexutil.Big) {
	r := crypto.Keccak256(h[:], []byte("r"))
	s := crypto.Keccak256(h[:], []byte("s"))
	r[0] &= 0x7f
	s[0] &= 0x3f
	return hexutil.Big(*new(big.Int).SetBytes(r)), hexutil.Big(*new(big.Int).SetBytes(s))
}

func (d *Dataset) txJSON(tx *Tx) map[string]any {
	r, s := signature(tx.Hash)
	yParity := hexutil.Uint64(tx.Hash[31] & 1)
	return map[string]any{
		"blockHash": d.BlockHash(tx.Block), "blockNumber": hexutil.Uint64(tx.Block), "hash": tx.Hash,
		"transactionIndex": hexutil.Uint64(tx.Index), "from": tx.From, "to": tx.To, "value": weiHex(tx.Value),
		"input": hexutil.Bytes(tx.Input), "nonce": hexutil.Uint64(tx.Nonce), "gas": hexutil.Uint64(gasLimit),
		"gasPrice": hexutil.Uint64(baseFee + tip), "maxFeePerGas": hexutil.Uint64(2 * baseFee), "maxPriorityFeePerGas": hexutil.Uint64(tip),
		"type": "0x2", "accessList": []any{}, "chainId": "0x1", "v": yParity, "yParity": yParity, "r": &r, "s": &s,
	}
}

func (d *Dataset) receiptJSON(tx *Tx) map[string]any {
	logs := make([]logJSON, len(tx.Logs))
	var bloom [256]byte
	for i, li := range tx.Logs {
		logs[i] = d.logJSON(li)
		addBloom(&bloom, d.Logs[li])
	}
	return map[string]any{
		"transactionHash": tx.Hash, "transactionIndex": hexutil.Uint64(tx.Index), "blockHash": d.BlockHash(tx.Block),
		"blockNumber": hexutil.Uint64(tx.Block), "from": tx.From, "to": tx.To, "contractAddress": nil,
		"cumulativeGasUsed": hexutil.Uint64(gasUsed * (tx.Index + 1)), "gasUsed": hexutil.Uint64(gasUsed),
		"effectiveGasPrice": hexutil.Uint64(baseFee + tip), "logs": logs, "logsBloom": hexutil.Bytes(bloom[:]),
		"status": "0x1", "type": "0x2",
	}
}

var (
	selBalanceOf   = []byte{0x70, 0xa0, 0x82, 0x31}
	selDecimals    = []byte{0x31, 0x3c, 0xe5, 0x67}
	selSymbol      = []byte{0x95, 0xd8, 0x9b, 0x41}
	selName        = []byte{0x06, 0xfd, 0xde, 0x03}
	selTotalSupply = []byte{0x18, 0x16, 0x0d, 0xdd}
	// Tether's freeze getters: nothing in the emulated case is frozen.
	selIsBlackListed      = []byte{0xe4, 0x7d, 0x60, 0x60}
	selGetBlackListStatus = []byte{0x59, 0xbf, 0x1a, 0xbe}
)

func abiString(s string) hexutil.Bytes {
	out := slices32(wordInt(32), wordInt(int64(len(s))))
	pad := make([]byte, (len(s)+31)/32*32)
	copy(pad, s)
	return append(out, pad...)
}

func slices32(a, b []byte) []byte { return append(append([]byte{}, a...), b...) }

var errReverted = &rpcError{Code: 3, Message: "execution reverted", Data: "0x"}

// call answers eth_call for the token's view functions at a block.
func (r *RPC) call(params json.RawMessage) (any, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil || len(args) < 1 {
		return nil, errInvalidParams("missing value for required argument 0")
	}
	var msg struct {
		To    *common.Address `json:"to"`
		Data  *hexutil.Bytes  `json:"data"`
		Input *hexutil.Bytes  `json:"input"`
	}
	if err := json.Unmarshal(args[0], &msg); err != nil {
		return nil, errInvalidParams("invalid argument 0: " + err.Error())
	}
	n := r.ds.Head
	if len(args) > 1 {
		var err error
		if n, err = r.blockTag(args[1]); err != nil {
			return nil, err
		}
	}
	if n > r.ds.Head {
		return nil, &rpcError{Code: -32000, Message: "header not found"}
	}
	var data []byte
	switch {
	case msg.Input != nil:
		data = *msg.Input
	case msg.Data != nil:
		data = *msg.Data
	}
	if msg.To == nil || !r.ds.IsContract(*msg.To) {
		return hexutil.Bytes{}, nil
	}
	if len(data) < 4 {
		return nil, errReverted
	}
	sel := data[:4]
	var tok *Token
	for i := range r.ds.Tokens {
		if r.ds.Tokens[i].Address == *msg.To {
			tok = &r.ds.Tokens[i]
		}
	}
	if tok == nil {
		return nil, errReverted
	}
	switch {
	case bytes.Equal(sel, selSymbol):
		return abiString(tok.Symbol), nil
	case bytes.Equal(sel, selName):
		return abiString(tok.Name), nil
	case bytes.Equal(sel, selDecimals) && tok.Decimals >= 0:
		return hexutil.Bytes(wordInt(int64(tok.Decimals))), nil
	case bytes.Equal(sel, selTotalSupply) && tok.Address == r.ds.Token.Address:
		if n < r.ds.First {
			return hexutil.Bytes(wordInt(0)), nil
		}
		return hexutil.Bytes(word(tok.TotalSupply.Bytes())), nil
	case bytes.Equal(sel, selBalanceOf) && tok.Address == r.ds.Token.Address:
		if len(data) < 36 {
			return nil, errReverted
		}
		a := common.BytesToAddress(data[16:36])
		return hexutil.Bytes(word(r.ds.Balance(a, n).Bytes())), nil
	case (bytes.Equal(sel, selIsBlackListed) || bytes.Equal(sel, selGetBlackListStatus)) && tok.Address == r.ds.Token.Address:
		if len(data) < 36 {
			return nil, errReverted
		}
		return hexutil.Bytes(wordInt(0)), nil
	}
	return nil, errReverted
}

// callFrame is go-ethereum's callTracer output.
type callFrame struct {
	Type    string         `json:"type"`
	From    common.Address `json:"from"`
	To      common.Address `json:"to"`
	Value   string         `json:"value"`
	Gas     hexutil.Uint64 `json:"gas"`
	GasUsed hexutil.Uint64 `json:"gasUsed"`
	Input   hexutil.Bytes  `json:"input"`
	Output  hexutil.Bytes  `json:"output"`
	Calls   []callFrame    `json:"calls,omitempty"`
}

func (d *Dataset) callFrame(tx *Tx) callFrame {
	if tx.scripted {
		return d.scriptFrame(tx)
	}
	ok := hexutil.Bytes(wordInt(1))
	root := callFrame{Type: "CALL", From: tx.From, To: tx.To, Value: "0x0", Gas: gasLimit - 21_000,
		GasUsed: gasUsed - 21_000, Input: tx.Input, Output: ok}
	if tx.To == d.Token.Address || tx.To == d.NFT {
		return root
	}
	for _, li := range tx.Logs { // the disperse contract pulls from the sender
		l := d.Logs[li]
		in := slices32(selTransferFrom, slices32(l.Topics[1][:], slices32(l.Topics[2][:], word(l.Data))))
		root.Calls = append(root.Calls, callFrame{Type: "CALL", From: tx.To, To: l.Address, Value: "0x0",
			Gas: 60_000, GasUsed: 20_000, Input: in, Output: ok})
	}
	return root
}

type txTrace struct {
	TxHash common.Hash `json:"txHash"`
	Result callFrame   `json:"result"`
}

// trace answers the debug API with the callTracer: a generated
// transaction is a call moving no ether, a scripted one has its value and
// internal calls (scriptFrame).
func (r *RPC) trace(method string, params json.RawMessage) (any, error) {
	var args []json.RawMessage
	if err := json.Unmarshal(params, &args); err != nil || len(args) < 1 {
		return nil, errInvalidParams("missing value for required argument 0")
	}
	var cfg struct {
		Tracer string `json:"tracer"`
	}
	if len(args) > 1 {
		json.Unmarshal(args[1], &cfg)
	}
	if cfg.Tracer != "callTracer" {
		return nil, &rpcError{Code: -32000, Message: "only the callTracer is available on this node"}
	}
	var n uint64
	switch method {
	case "debug_traceTransaction":
		var h common.Hash
		if err := json.Unmarshal(args[0], &h); err != nil {
			return nil, errInvalidParams("invalid argument 0: " + err.Error())
		}
		tx, ok := r.ds.Tx(h)
		if !ok {
			return nil, &rpcError{Code: -32000, Message: "transaction " + h.Hex() + " not found"}
		}
		return r.ds.callFrame(tx), nil
	case "debug_traceBlockByHash":
		var h common.Hash
		if err := json.Unmarshal(args[0], &h); err != nil {
			return nil, errInvalidParams("invalid argument 0: " + err.Error())
		}
		var ok bool
		if n, ok = r.ds.logIndex().byHash[h]; !ok {
			return nil, &rpcError{Code: -32000, Message: "block " + h.Hex() + " not found"}
		}
	default:
		var err error
		if n, err = r.blockTag(args[0]); err != nil {
			return nil, err
		}
		if n > r.ds.Head {
			return nil, &rpcError{Code: -32000, Message: fmt.Sprintf("block #%d not found", n)}
		}
		if n == 0 {
			return nil, &rpcError{Code: -32000, Message: "genesis is not traceable"}
		}
	}
	txs := r.ds.BlockTxs(n)
	out := make([]txTrace, len(txs))
	for i, tx := range txs {
		out[i] = txTrace{TxHash: tx.Hash, Result: r.ds.callFrame(tx)}
	}
	return out, nil
}
