package evm_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
	"freezetrace/chains/evm"
)

// fzDecode decodes the result of the last message served for method into
// v; false when there is none or it does not decode.
func fzDecode(n *fzNode, method string, match func(fzCall) bool, v any) bool {
	ms := n.sent(method)
	for i := len(ms) - 1; i >= 0; i-- {
		if match != nil && !match(ms[i].call) {
			continue
		}
		var m struct{ Result json.RawMessage }
		if json.Unmarshal(ms[i].msg, &m) != nil || m.Result == nil {
			return false
		}
		return json.Unmarshal(m.Result, v) == nil
	}
	return false
}

// fzSelector reports whether an eth_call calls the function with selector sel.
func fzSelector(sel string) func(fzCall) bool {
	return func(c fzCall) bool {
		var a struct {
			Data  hexutil.Bytes `json:"data"`
			Input hexutil.Bytes `json:"input"`
		}
		if json.Unmarshal(c.param(0), &a) != nil {
			return false
		}
		return strings.HasPrefix(hexutil.Encode(append(a.Data, a.Input...)), sel)
	}
}

// The ABI answers of a real token: USDT's symbol() and decimals().
const (
	fzSymbolUSDT = `"0x0000000000000000000000000000000000000000000000000000000000000020` +
		`0000000000000000000000000000000000000000000000000000000000000004` +
		`5553445400000000000000000000000000000000000000000000000000000000"`
	fzWord6 = `"0x0000000000000000000000000000000000000000000000000000000000000006"`
)

// FuzzRPCCall serves eth_call, eth_getBalance and eth_getCode answers to
// Balance (of a token, mode 0; of ether, mode 1), Asset (mode 2: a is
// symbol()'s answer, b decimals()') and IsContract (mode 3, a is
// eth_getCode's). A balance is the word or quantity the node sent, a
// token's decimals the word decimals() returned, its symbol printable
// text, and an address is a contract exactly when the node sent code.
func FuzzRPCCall(f *testing.F) {
	f.Add(fzResult(`"0x00000000000000000000000000000000000000000000000000000002540be400"`), []byte(nil), uint8(0))
	f.Add(fzResult(`"0x"`), []byte(nil), uint8(0))
	f.Add(fzResult(`"0x0000000000000000000000000000000000000000000000000000000000000001ff"`), []byte(nil), uint8(0))
	f.Add([]byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":-32000,"message":"missing trie node 1b5e0b7c (path ) state 0x1b5e is not available"}}`), []byte(nil), uint8(0))
	f.Add([]byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":3,"message":"execution reverted","data":"0x"}}`), []byte(nil), uint8(0))
	f.Add(fzResult(`"0x1bc16d674ec80000"`), []byte(nil), uint8(1))
	f.Add(fzResult(`"0x"`), []byte(nil), uint8(1))
	f.Add(fzResult(`"-0x1"`), []byte(nil), uint8(1))
	f.Add(fzResult(fzSymbolUSDT), fzResult(fzWord6), uint8(2))
	f.Add(fzResult(`"0x4d4b520000000000000000000000000000000000000000000000000000000000"`), fzResult(`"0x0000000000000000000000000000000000000000000000000000000000000012"`), uint8(2))
	f.Add(fzResult(`"0x"`), fzResult(`"0x0000000000000000000000000000000000000000000000000000000000000100"`), uint8(2))
	f.Add([]byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":3,"message":"execution reverted"}}`), fzResult(fzWord6), uint8(2))
	f.Add(fzResult(`"0x6080604052"`), []byte(nil), uint8(3))
	f.Add(fzResult(`"0x"`), []byte(nil), uint8(3))
	f.Add(fzResult(`null`), []byte(nil), uint8(3))
	for _, b := range fzShared("test_stream/blocks_2112234_2112234", "eth_call") {
		f.Add(b, b, uint8(0))
	}
	n := newFzNode(f)
	token := chains.USDTEthereum
	f.Fuzz(func(t *testing.T, a, b []byte, mode uint8) {
		mode %= 4
		n.set(func(c fzCall) []byte {
			switch c.Method {
			case "eth_chainId":
				return fzResult(`"0x1"`)
			case "eth_getBalance":
				return a
			case "eth_getCode":
				if mode == 3 {
					return a
				}
				return fzResult(`"0x6080604052"`)
			case "eth_call":
				if fzSelector("0x313ce567")(c) {
					return b
				}
				return a
			}
			return fzNoMethod
		}, nil)
		s := fzDial(t, n, "")
		defer s.Close()
		ctx := fzContext(t)
		switch mode {
		case 0, 1:
			asset := token
			method := "eth_call"
			if mode == 1 {
				asset, method = chains.NativeAsset(chains.Ethereum), "eth_getBalance"
			}
			got, err := s.Balance(ctx, chains.Ethereum, fzVictim, asset, 100)
			fzCheckErr(t, err)
			if err != nil {
				return
			}
			var want *big.Int
			if mode == 0 {
				var w hexutil.Bytes
				if !fzDecode(n, method, nil, &w) || len(w) != 32 {
					t.Fatalf("balance %s from an answer that is not one word", got)
				}
				want = new(big.Int).SetBytes(w)
			} else {
				var v hexutil.Big
				if !fzDecode(n, method, nil, &v) {
					t.Fatalf("balance %s from an answer that is not a quantity", got)
				}
				want = v.ToInt()
			}
			if got.Big().Cmp(want) != 0 || got.Big().Sign() < 0 {
				t.Fatalf("balance %s, the node answered %s", got, want)
			}
		case 2:
			got, err := s.Asset(ctx, token)
			fzCheckErr(t, err)
			if err != nil {
				return
			}
			var dec hexutil.Bytes
			if !fzDecode(n, "eth_call", fzSelector("0x313ce567"), &dec) || len(dec) < 32 {
				t.Fatalf("asset %+v from a decimals() answer that is not a word", got)
			}
			if want := new(big.Int).SetBytes(dec[:32]); !want.IsUint64() || uint64(got.Decimals) != want.Uint64() {
				t.Fatalf("decimals %d, decimals() returned %s", got.Decimals, want)
			}
			if got.ID != token || !utf8.ValidString(got.Symbol) || strings.ContainsFunc(got.Symbol, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("asset %+v", got)
			}
			var sym hexutil.Bytes
			if fzDecode(n, "eth_call", fzSelector("0x95d89b41"), &sym) && got.Symbol != evm.DecodeSymbol(sym) && got.Symbol != "" {
				t.Fatalf("symbol %q, symbol() returned %x", got.Symbol, sym)
			}
		case 3:
			got, err := s.IsContract(ctx, chains.Ethereum, fzVictim)
			fzCheckErr(t, err)
			if err != nil {
				return
			}
			var code hexutil.Bytes
			fzDecode(n, "eth_getCode", nil, &code)
			if got != (len(code) > 0) {
				t.Fatalf("IsContract = %v for code %x", got, code)
			}
		}
	})
}

// fzWord is an ABI bool.
func fzWord(v bool) string {
	if v {
		return strconv.Quote("0x" + strings.Repeat("0", 63) + "1")
	}
	return strconv.Quote("0x" + strings.Repeat("0", 64))
}

// fzAddrWord is an address as a 32-byte ABI word, without 0x.
func fzAddrWord(a chains.Address) string { return fmt.Sprintf("%064s", a.Hex()[2:]) }

// FuzzRPCFreeze serves eth_getLogs answers (and, with fuzzCall, eth_call
// answers) to FreezeStatus of Tether's USDT at block 180, searched from
// block 100, on a node whose isBlackListed turns true at block freezeAt.
// "$word" in a call answer is that bool at the block asked; "$from" and
// "$to" in a log answer are the filter's range. A freezing transaction
// returned is an AddedBlackList log of the address the node sent for its
// block, with that block's time; with the node's own eth_call answers the
// status and the freezing block are the ones the chain says.
func FuzzRPCFreeze(f *testing.F) {
	added := crypto.Keccak256Hash([]byte("AddedBlackList(address)")).Hex()
	destroyed := crypto.Keccak256Hash([]byte("DestroyedBlackFunds(address,uint256)")).Hex()
	who := fzAddrWord(fzVictim)
	event := func(topic, data string) string {
		return `{"address":"0xdac17f958d2ee523a2206206994597c13d831ec7","topics":["` + topic + `"],"data":"0x` + data +
			`","blockNumber":$from,"blockHash":"0x00000000000000000000000000000000000000000000000000000000b10c0064",` +
			`"transactionHash":"0xcea6f89720cc1d2f46cc7a935463ae0b99dd5fad9c91bb7357de5421511cee49","transactionIndex":"0x0","logIndex":"0x5","removed":false}`
	}
	call := fzResult("$word")
	f.Add(fzResult("["+event(added, who)+"]"), call, uint8(120), false)
	f.Add(fzResult("["+event(added, who)+","+event(destroyed, who+fmt.Sprintf("%064x", 1_000_000_000))+"]"), call, uint8(150), false)
	f.Add(fzResult("[]"), call, uint8(90), false)
	f.Add(fzResult("[]"), call, uint8(200), false)
	f.Add(fzResult("["+event(added, fzAddrWord(fzOther))+"]"), call, uint8(101), false)
	f.Add(fzResult("["+strings.Replace(event(added, who), "$from", `"0x1"`, 1)+"]"), call, uint8(130), false)
	f.Add(fzResult("["+event(added, who)+"]"), fzResult(`"0x0000000000000000000000000000000000000000000000000000000000000002"`), uint8(130), true)
	f.Add(fzResult("["+event(added, who)+"]"), []byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":-32000,"message":"missing trie node abc (path ) state is not available"}}`), uint8(130), true)
	f.Add(fzResult("["+event(added, who)+"]"), []byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":3,"message":"execution reverted"}}`), uint8(130), true)
	f.Add([]byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":-32602,"message":"exceed maximum block range: 5"}}`), call, uint8(130), false)
	n := newFzNode(f)
	const block, since, head = 180, 100, 200
	f.Fuzz(func(t *testing.T, logs, callAnswer []byte, freezeAt uint8, fuzzCall bool) {
		frozenAt := uint64(freezeAt)
		n.set(func(c fzCall) []byte {
			switch c.Method {
			case "eth_chainId":
				return fzResult(`"0x1"`)
			case "eth_blockNumber":
				return fzResult(`"0xc8"`)
			case "eth_getBlockByNumber":
				return fzHeader(c)
			case "eth_getLogs":
				return fzTemplate(logs, c)
			case "eth_call":
				b, ok := c.block(1)
				word := []byte(fzWord(ok && b >= frozenAt))
				if !fuzzCall {
					return bytes.ReplaceAll(call, []byte("$word"), word)
				}
				return bytes.ReplaceAll(callAnswer, []byte("$word"), word)
			}
			return fzNoMethod
		}, nil)
		s := fzDial(t, n, "")
		defer s.Close()
		fr, err := s.FreezeStatus(fzContext(t), chains.USDTEthereum, fzVictim, block, since)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		switch {
		case fr.Issuer != "Tether":
			t.Fatalf("issuer %q", fr.Issuer)
		case fr.Block != block && (fr.Block != head || fr.Note == ""):
			t.Fatalf("status at block %d, asked for %d (note %q)", fr.Block, block, fr.Note)
		case !fr.Frozen && (!fr.Tx.IsZero() || fr.TxBlock != 0 || !fr.TxTime.IsZero() || fr.Destroyed != nil):
			t.Fatalf("not frozen, yet %+v", fr)
		case fr.Destroyed != nil && fr.Destroyed.Big().Sign() < 0:
			t.Fatalf("destroyed %s", fr.Destroyed)
		}
		if !fr.Tx.IsZero() {
			if fr.TxBlock < since || fr.TxBlock > fr.Block || !fr.TxTime.Equal(time.Unix(int64(fzTime(fr.TxBlock)), 0)) {
				t.Fatalf("freezing tx in block %d at %v: outside %d-%d or not the block's time", fr.TxBlock, fr.TxTime, since, fr.Block)
			}
			var ls []evm.Log
			fzDecode(n, "eth_getLogs", func(c fzCall) bool {
				from, to, ok := c.filter()
				return ok && from == fr.TxBlock && to == fr.TxBlock
			}, &ls)
			if !slices.ContainsFunc(ls, func(l evm.Log) bool {
				return chains.TxHash(l.TxHash) == fr.Tx && !l.Removed && len(l.Topics) > 0 && l.Topics[0].Hex() == added &&
					len(l.Data) == 32 && common.BytesToHash(l.Data) == common.HexToHash(who) && uint64(l.BlockNumber) == fr.TxBlock
			}) {
				t.Fatalf("freezing tx %s is no AddedBlackList log of %s the node sent for block %d", fr.Tx, fzVictim, fr.TxBlock)
			}
		}
		if fuzzCall {
			return
		}
		if fr.Block != block || fr.Frozen != (frozenAt <= block) {
			t.Fatalf("frozen from block %d: status %+v", frozenAt, fr)
		}
		if !fr.Tx.IsZero() && fr.TxBlock != max(frozenAt, since) {
			t.Fatalf("frozen from block %d, searched from %d: freezing block %d", frozenAt, since, fr.TxBlock)
		}
		if fr.Frozen && fr.Tx.IsZero() && fr.TxBlock == 0 && fr.Note == "" {
			t.Fatalf("frozen without a transaction and without a note: %+v", fr)
		}
	})
}

// A real receipt's shape (mainnet, a USDT transfer), in block 0x64 of
// the fake chain; "$tx" is the hash asked for.
var fzReceipt = `{"jsonrpc":"2.0","id":$id,"result":{"blockHash":"0x00000000000000000000000000000000000000000000000000000000b10c0064",` +
	`"blockNumber":"0x64","contractAddress":null,"cumulativeGasUsed":"0x1b4a1","effectiveGasPrice":"0x4a817c800",` +
	`"from":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","gasUsed":"0xb48f","logs":[` + fzReceiptLog + `],` +
	`"status":"0x1","to":"0xdac17f958d2ee523a2206206994597c13d831ec7","transactionHash":$tx,"transactionIndex":"0x3","type":"0x2"}}`

// fzReceiptLog is fzUSDTLog in the receipt of the transaction asked for.
var fzReceiptLog = strings.Replace(fzUSDTLog, `"0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2"`, "$tx", 1)

const fzTxAnswer = `{"jsonrpc":"2.0","id":$id,"result":{"blockHash":"0x00000000000000000000000000000000000000000000000000000000b10c0064",` +
	`"blockNumber":"0x64","from":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","gas":"0x186a0","hash":$tx,"input":"0x",` +
	`"nonce":"0x9","to":"0x28c6c06298d514db089934071355e5743bf21d60","transactionIndex":"0x3","value":"0x16345785d8a0000"}}`

// FuzzRPCReceipts serves receipts, transactions and call traces to
// TokenTransfersOf (mode 0, a batch of two receipts) and TxTransfers
// (mode 1 with debug_traceTransaction, mode 2 with trace_transaction,
// mode 3 on a node without traces, where trace is eth_getCode's answer):
// every transfer returned belongs to the transaction asked for, each once,
// in its block at that block's time.
func FuzzRPCReceipts(f *testing.F) {
	call := fzResult(`{"type":"CALL","from":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","to":"0x28c6c06298d514db089934071355e5743bf21d60",` +
		`"value":"0x16345785d8a0000","gas":"0x186a0","gasUsed":"0x5208","input":"0x","calls":[{"type":"CALL","from":"0x28c6c06298d514db089934071355e5743bf21d60",` +
		`"to":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","value":"0x1","error":"execution reverted"}]}`)
	parity := fzResult(`[{"action":{"callType":"call","from":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","gas":"0x0","input":"0x",` +
		`"to":"0x28c6c06298d514db089934071355e5743bf21d60","value":"0x16345785d8a0000"},"blockHash":"0x00000000000000000000000000000000000000000000000000000000b10c0064",` +
		`"blockNumber":100,"result":{"gasUsed":"0x0","output":"0x"},"subtraces":0,"traceAddress":[],"transactionHash":"0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2",` +
		`"transactionPosition":3,"type":"call"}]`)
	for mode := range uint8(4) {
		trace := [...][]byte{call, call, parity, fzResult(`"0x"`)}[mode]
		f.Add([]byte(fzReceipt), []byte(fzTxAnswer), trace, mode)
		f.Add([]byte(strings.Replace(fzReceipt, `"status":"0x1"`, `"status":"0x0"`, 1)), []byte(fzTxAnswer), trace, mode)
		f.Add([]byte(strings.Replace(fzReceipt, `"logs":[`+fzReceiptLog+`]`, `"logs":[`+fzReceiptLog+`,`+strings.Replace(fzReceiptLog, `"0x2"`, `"0x3"`, 1)+`]`, 1)), []byte(fzTxAnswer), trace, mode)
		f.Add(fzResult("null"), []byte(fzTxAnswer), trace, mode)
		f.Add([]byte(fzReceipt), fzResult("null"), trace, mode)
		f.Add([]byte(fzReceipt), []byte(fzTxAnswer), []byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":-32000,"message":"required historical state unavailable"}}`), mode)
		for _, b := range fzShared("test_export_receipts_job/receipts_with_logs", "eth_getTransactionReceipt") {
			f.Add(b, []byte(fzTxAnswer), trace, mode)
		}
	}
	n := newFzNode(f)
	f.Fuzz(func(t *testing.T, receipt, tx, trace []byte, mode uint8) {
		mode %= 4
		withTx := func(tmpl []byte, c fzCall) []byte { return bytes.ReplaceAll(tmpl, []byte("$tx"), c.param(0)) }
		n.set(func(c fzCall) []byte {
			switch c.Method {
			case "eth_chainId":
				return fzResult(`"0x1"`)
			case "eth_getBlockByNumber":
				return fzHeader(c)
			case "eth_getTransactionReceipt":
				return withTx(receipt, c)
			case "eth_getTransactionByHash":
				return withTx(tx, c)
			case "debug_traceTransaction", "trace_transaction":
				return withTx(trace, c)
			case "eth_getCode":
				return trace
			}
			return fzNoMethod
		}, nil)
		s := fzDial(t, n, [...]string{"", "debug", "trace", ""}[mode])
		defer s.Close()
		ctx := fzContext(t)
		if mode == 0 {
			asked := []chains.TxHash{fzTx1, fzTx2}
			m, err := s.TokenTransfersOf(ctx, chains.Ethereum, asked)
			fzCheckErr(t, err)
			if err != nil {
				return
			}
			if len(m) != len(asked) {
				t.Fatalf("%d answers for %d transactions", len(m), len(asked))
			}
			for _, h := range asked {
				ts, ok := m[h]
				if !ok {
					t.Fatalf("no answer for %s", h)
				}
				seen := map[chains.TransferKey]bool{}
				for _, tr := range ts {
					if tr.Tx != h || tr.Chain != chains.Ethereum || tr.Asset.Chain != chains.Ethereum || tr.Asset.IsNative() ||
						tr.Amount.Big().BitLen() > 256 || seen[tr.Key()] {
						t.Fatalf("transfers of %s: %+v", h, tr)
					}
					seen[tr.Key()] = true
				}
			}
			return
		}
		ts, err := s.TxTransfers(ctx, chains.Ethereum, fzTx1)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		var rc struct {
			BlockNumber hexutil.Uint64
			Logs        []evm.Log
		}
		if !fzDecode(n, "eth_getTransactionReceipt", nil, &rc) {
			t.Fatalf("transfers from a receipt that does not decode")
		}
		if !slices.IsSortedFunc(ts, chains.Compare) {
			t.Fatalf("transfers not in canonical order: %+v", ts)
		}
		seen := map[chains.TransferKey]bool{}
		for _, tr := range ts {
			switch {
			case tr.Tx != fzTx1:
				t.Fatalf("TxTransfers(%s) returned a transfer of %s: %+v", fzTx1, tr.Tx, tr)
			case seen[tr.Key()]:
				t.Fatalf("transfer twice: %+v", tr)
			case tr.Block != uint64(rc.BlockNumber):
				t.Fatalf("transfer in block %d, the receipt's block is %d", tr.Block, uint64(rc.BlockNumber))
			case !tr.Time.Equal(time.Unix(int64(fzTime(tr.Block)), 0)) || tr.Time.Location() != time.UTC:
				t.Fatalf("transfer in block %d at %v, the block's time is %d", tr.Block, tr.Time, fzTime(tr.Block))
			case tr.Asset.IsNative() && tr.Amount.IsZero():
				t.Fatalf("native transfer of nothing: %+v", tr)
			case tr.Amount.Big().BitLen() > 256:
				t.Fatalf("amount %s", tr.Amount)
			}
			seen[tr.Key()] = true
			if !tr.Asset.IsNative() && !slices.ContainsFunc(rc.Logs, func(l evm.Log) bool {
				d, ok := evm.DecodeTransfer(chains.Ethereum, l)
				return ok && d.Key() == tr.Key() && d.Amount.Cmp(tr.Amount) == 0 && d.From == tr.From && d.To == tr.To
			}) {
				t.Fatalf("token transfer %+v is no log of the receipt", tr)
			}
		}
	})
}

// FuzzRPCNative serves headers and call traces to a native history
// (Transfers of ether) over blocks 100-103, traced with
// debug_traceBlockByHash (even modes) or trace_filter and trace_block (odd
// modes). "$num", "$n" and "$hash" in an answer are the block asked. Every
// transfer returned moves a positive value to or from the address in one
// of the blocks, at its header's time; with the callTracer, its
// transaction is the one the header lists at its index.
func FuzzRPCNative(f *testing.F) {
	// Block n's one transaction is 0x00…0n (n in decimal digits).
	header := fzResult(`{"number":$num,"hash":$hash,"timestamp":"0x5f5e1000","transactions":["0x` + strings.Repeat("0", 61) + `$n"]}`)
	frame := `{"type":"CALL","from":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","to":"0x28c6c06298d514db089934071355e5743bf21d60","value":"0x16345785d8a0000",` +
		`"calls":[{"type":"DELEGATECALL","from":"0x28c6c06298d514db089934071355e5743bf21d60","to":"0xdac17f958d2ee523a2206206994597c13d831ec7","value":"0x5"},` +
		`{"type":"CALL","from":"0x28c6c06298d514db089934071355e5743bf21d60","to":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","value":"0x7"}]}`
	debug := fzResult(`[{"txHash":"0x` + strings.Repeat("0", 61) + `$n","result":` + frame + `}]`)
	parity := fzResult(`[{"action":{"callType":"call","from":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","to":"0x28c6c06298d514db089934071355e5743bf21d60","value":"0x16345785d8a0000"},` +
		`"blockHash":$hash,"blockNumber":$n,"result":{"output":"0x"},"subtraces":1,"traceAddress":[],` +
		`"transactionHash":"0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2","transactionPosition":0,"type":"call"},` +
		`{"action":{"address":"0x28c6c06298d514db089934071355e5743bf21d60","refundAddress":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","balance":"0x9"},` +
		`"blockHash":$hash,"blockNumber":$n,"traceAddress":[0],"transactionHash":"0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2","transactionPosition":0,"type":"suicide"},` +
		`{"action":{"author":"0x5a0b54d5dc17e0aadc383d2db43b0a0d3e029c4c","rewardType":"block","value":"0x1bc16d674ec80000"},"blockHash":$hash,"blockNumber":$n,"traceAddress":[],"type":"reward"}]`)
	f.Add(header, debug, uint8(0))
	f.Add(header, fzResult("[]"), uint8(0))
	f.Add(header, fzResult(`[{"error":"execution timeout"}]`), uint8(0))
	f.Add(fzResult(`{"number":$num,"hash":$hash,"timestamp":"0x5f5e1000","transactions":[]}`), fzResult("[]"), uint8(0))
	f.Add(header, parity, uint8(1))
	f.Add(header, fzResult("[]"), uint8(1))
	f.Add(header, []byte(`{"jsonrpc":"2.0","id":$id,"error":{"code":-32602,"message":"exceed maximum block range: 2"}}`), uint8(1))
	n := newFzNode(f)
	q := chains.Query{Chain: chains.Ethereum, Address: fzVictim, Asset: chains.NativeAsset(chains.Ethereum), From: 100, To: 103}
	f.Fuzz(func(t *testing.T, header, traces []byte, mode uint8) {
		native := [...]string{"debug", "trace"}[mode%2]
		n.set(func(c fzCall) []byte {
			switch c.Method {
			case "eth_chainId":
				return fzResult(`"0x1"`)
			case "eth_blockNumber":
				return fzResult(`"0x96"`)
			case "eth_getBlockByNumber":
				return fzTemplate(header, c)
			case "debug_traceBlockByHash", "trace_block", "trace_filter":
				if c.Method == "debug_traceBlockByHash" {
					var h common.Hash
					_ = json.Unmarshal(c.param(0), &h)
					num := new(big.Int).SetBytes(h[:]).Uint64() - 0xb10c0000
					c.Params = []json.RawMessage{[]byte(strconv.Quote(hexutil.EncodeUint64(num)))}
				}
				return fzTemplate(traces, c)
			}
			return fzNoMethod
		}, nil)
		s := fzDial(t, n, native)
		defer s.Close()
		ts, err := s.Transfers(fzContext(t), q)
		fzCheckErr(t, err)
		if err != nil {
			return
		}
		fzCheckHistory(t, ts, q, 150)
		for _, tr := range ts {
			if tr.Amount.IsZero() {
				t.Fatalf("native transfer of nothing: %+v", tr)
			}
			if want, ok := fzHeaderMsgTime(n, tr.Block); !ok || !tr.Time.Equal(want) {
				t.Fatalf("transfer in block %d at %v; the header says %v (found %v)", tr.Block, tr.Time, want, ok)
			}
			if native != "debug" {
				continue
			}
			var h struct{ Transactions []common.Hash }
			fzDecode(n, "eth_getBlockByNumber", func(c fzCall) bool { b, ok := c.block(0); return ok && b == tr.Block }, &h)
			if int(tr.TxIndex) >= len(h.Transactions) || chains.TxHash(h.Transactions[tr.TxIndex]) != tr.Tx {
				t.Fatalf("transfer %+v: the header of block %d lists %v", tr, tr.Block, h.Transactions)
			}
		}
	})
}
