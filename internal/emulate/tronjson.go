package emulate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
)

// The answers of the TronGrid emulator, in the shapes TronGrid and
// java-tron give them (the fields chains/tron reads, and the usual others).

// hexID is a transaction id as TRON writes it: 64 hex digits, no 0x.
func hexID(h chains.TxHash) string { return hex.EncodeToString(h[:]) }

// hex20 is an address's 20 bytes in hex, as event logs carry it.
func hex20(a chains.Address) string {
	b := a.Bytes()
	return hex.EncodeToString(b[:])
}

// hex41 is an address as java-tron's /wallet API writes it without visible.
func hex41(a chains.Address) string { return "41" + hex20(a) }

// tronWord is an address as a 32-byte ABI word, in hex.
func tronWord(a chains.Address) string { return strings.Repeat("0", 24) + hex20(a) }

// blockID is block n's id: its number in the first 8 bytes, a hash after.
func blockID(n uint64) string {
	h := sha256.Sum256([]byte("freezetrace/emulate/tron/block/" + strconv.FormatUint(n, 10)))
	return fmt.Sprintf("%016x", n) + hex.EncodeToString(h[8:])
}

func (d *TronDataset) blockJSON(n uint64, detail bool) map[string]any {
	var parent string
	if n > 0 {
		parent = blockID(n - 1)
	} else {
		parent = strings.Repeat("0", 64)
	}
	ms := d.BlockTime(n).UnixMilli()
	b := map[string]any{
		"blockID": blockID(n),
		"block_header": map[string]any{
			"raw_data": map[string]any{
				"number": n, "timestamp": ms, "txTrieRoot": strings.Repeat("0", 64), "parentHash": parent,
				"witness_address": hex41(tronNamed(fmt.Sprintf("witness/%d", n%27))), "version": 31,
			},
			"witness_signature": strings.Repeat("ab", 65),
		},
	}
	if txs := d.blocks[n]; detail && len(txs) > 0 {
		list := make([]any, len(txs))
		for i, tx := range txs {
			list[i] = d.txJSON(tx)
		}
		b["transactions"] = list
	}
	return b
}

// txJSON is a transaction as /wallet/gettransactionbyid and
// /v1/accounts/{a}/transactions give it.
func (d *TronDataset) txJSON(tx *tronTx) map[string]any {
	ms := d.BlockTime(tx.block).UnixMilli()
	var contract map[string]any
	if tx.call {
		contract = map[string]any{
			"parameter": map[string]any{
				"value": map[string]any{
					"data":             d.callData(tx),
					"owner_address":    hex41(tx.owner),
					"contract_address": hex41(tx.to),
				},
				"type_url": "type.googleapis.com/protocol.TriggerSmartContract",
			},
			"type": "TriggerSmartContract",
		}
	} else {
		contract = map[string]any{
			"parameter": map[string]any{
				"value": map[string]any{
					"amount":        tx.trx,
					"owner_address": hex41(tx.owner),
					"to_address":    hex41(tx.to),
				},
				"type_url": "type.googleapis.com/protocol.TransferContract",
			},
			"type": "TransferContract",
		}
	}
	raw := map[string]any{
		"contract":        []any{contract},
		"ref_block_bytes": fmt.Sprintf("%04x", (tx.block-min(tx.block, 2))&0xffff),
		"ref_block_hash":  blockID(tx.block - min(tx.block, 2))[16:32],
		"expiration":      ms + 60_000,
		"timestamp":       ms - 1_000,
	}
	if tx.call {
		raw["fee_limit"] = 100_000_000
	}
	return map[string]any{
		"ret":                   []any{map[string]any{"contractRet": "SUCCESS", "fee": 0}},
		"signature":             []any{strings.Repeat("cd", 65)},
		"txID":                  hexID(tx.id),
		"net_usage":             0,
		"raw_data_hex":          "0a02" + fmt.Sprintf("%04x", tx.block&0xffff),
		"net_fee":               345_000,
		"energy_value":          0,
		"blockNumber":           tx.block,
		"block_timestamp":       ms,
		"energy_fee":            0,
		"energy_usage":          0,
		"energy_usage_total":    14_650,
		"raw_data":              raw,
		"internal_transactions": []any{},
	}
}

// callData is the input of a contract call: transfer(to, value) for a
// Transfer, the issuer's function for a freeze.
func (d *TronDataset) callData(tx *tronTx) string {
	if len(tx.logs) == 0 {
		return ""
	}
	l := tx.logs[len(tx.logs)-1]
	switch l.name {
	case "Transfer":
		if l.from.IsNull() {
			return selector("issue(uint256)") + fmt.Sprintf("%064x", l.value)
		}
		return selector("transfer(address,uint256)") + tronWord(l.to) + fmt.Sprintf("%064x", l.value)
	case "AddedBlackList":
		return selector("addBlackList(address)") + tronWord(l.from)
	case "Blacklisted":
		return selector("blacklist(address)") + tronWord(l.from)
	case "DestroyedBlackFunds":
		return selector("destroyBlackFunds(address)") + tronWord(l.from)
	}
	return ""
}

func selector(sig string) string { return hex.EncodeToString(crypto.Keccak256([]byte(sig))[:4]) }

func topic(sig string) string { return hex.EncodeToString(crypto.Keccak256([]byte(sig))) }

// eventSigs are each event's signature, for its topic, and as TronGrid's
// event listing writes it.
var eventSigs = map[string][2]string{
	"Transfer":            {"Transfer(address,address,uint256)", "Transfer(address indexed from, address indexed to, uint256 value)"},
	"Approval":            {"Approval(address,address,uint256)", "Approval(address indexed owner, address indexed spender, uint256 value)"},
	"AddedBlackList":      {"AddedBlackList(address)", "AddedBlackList(address _user)"},
	"DestroyedBlackFunds": {"DestroyedBlackFunds(address,uint256)", "DestroyedBlackFunds(address _blackListedUser, uint256 _balance)"},
	"Blacklisted":         {"Blacklisted(address)", "Blacklisted(address indexed _account)"},
}

// tronLogJSON is one entry of a receipt's log.
func tronLogJSON(l tronLog) map[string]any {
	t0 := topic(eventSigs[l.name][0])
	var topics []any
	var data string
	switch l.name {
	case "Transfer", "Approval":
		topics = []any{t0, tronWord(l.from), tronWord(l.to)}
		data = fmt.Sprintf("%064x", l.value)
	case "Blacklisted":
		topics = []any{t0, tronWord(l.from)}
	case "AddedBlackList":
		topics, data = []any{t0}, tronWord(l.from)
	case "DestroyedBlackFunds":
		topics, data = []any{t0}, tronWord(l.from)+fmt.Sprintf("%064x", l.value)
	}
	out := map[string]any{"address": hex20(l.contract), "topics": topics}
	if data != "" {
		out["data"] = data
	}
	return out
}

// txInfoJSON is a receipt as /wallet/gettransactioninfobyid and
// gettransactioninfobyblocknum give it.
func (d *TronDataset) txInfoJSON(tx *tronTx) map[string]any {
	out := map[string]any{
		"id":             hexID(tx.id),
		"fee":            345_000,
		"blockNumber":    tx.block,
		"blockTimeStamp": d.BlockTime(tx.block).UnixMilli(),
		"contractResult": []any{""},
		"receipt":        map[string]any{"net_fee": 345_000},
	}
	if !tx.call {
		return out
	}
	out["contract_address"] = hex41(tx.to)
	out["contractResult"] = []any{strings.Repeat("0", 63) + "1"}
	out["receipt"] = map[string]any{"energy_usage_total": 14_650, "net_fee": 345_000, "result": "SUCCESS", "energy_fee": 6_153_000}
	logs := make([]any, len(tx.logs))
	for i, l := range tx.logs {
		logs[i] = tronLogJSON(l)
	}
	if len(logs) > 0 {
		out["log"] = logs
	}
	return out
}

// trc20JSON is one entry of /v1/accounts/{a}/transactions/trc20.
func (d *TronDataset) trc20JSON(t TronTransfer) map[string]any {
	tok := d.token(t.Token)
	return map[string]any{
		"transaction_id": hexID(t.Tx),
		"token_info": map[string]any{
			"symbol": tok.Symbol, "address": t.Token.String(), "decimals": tok.Decimals, "name": tok.Name,
		},
		"block_timestamp": t.Time.UnixMilli(),
		"from":            t.From.String(),
		"to":              t.To.String(),
		"type":            "Transfer",
		"value":           t.Value.String(),
	}
}

// eventJSON is one entry of /v1/contracts/{c}/events: arguments by name
// and by position, addresses as 0x-prefixed hex, integers in decimal.
func (d *TronDataset) eventJSON(ev tronEventRef) map[string]any {
	l := ev.tx.logs[ev.log]
	hexOf := func(a chains.Address) string { return "0x" + hex20(a) }
	result, types := map[string]any{}, map[string]any{}
	arg := func(i int, name, typ, v string) {
		result[strconv.Itoa(i)], result[name], types[name] = v, v, typ
	}
	switch l.name {
	case "Transfer":
		arg(0, "from", "address", hexOf(l.from))
		arg(1, "to", "address", hexOf(l.to))
		arg(2, "value", "uint256", l.value.String())
	case "Approval":
		arg(0, "owner", "address", hexOf(l.from))
		arg(1, "spender", "address", hexOf(l.to))
		arg(2, "value", "uint256", l.value.String())
	case "AddedBlackList":
		arg(0, "_user", "address", hexOf(l.from))
	case "Blacklisted":
		arg(0, "_account", "address", hexOf(l.from))
	case "DestroyedBlackFunds":
		arg(0, "_blackListedUser", "address", hexOf(l.from))
		arg(1, "_balance", "uint256", l.value.String())
	}
	return map[string]any{
		"block_number":            ev.tx.block,
		"block_timestamp":         d.BlockTime(ev.tx.block).UnixMilli(),
		"caller_contract_address": l.contract.String(),
		"contract_address":        l.contract.String(),
		"event_index":             ev.log,
		"event_name":              l.name,
		"result":                  result,
		"result_type":             types,
		"event":                   eventSigs[l.name][1],
		"transaction_id":          hexID(ev.tx.id),
	}
}

// nodeText is a message as java-tron writes it: hex of UTF-8 text unless
// the request asked for visible addresses.
func nodeText(s string, visible bool) string {
	if visible {
		return s
	}
	return hex.EncodeToString([]byte(s))
}

// refused is a constant call java-tron refuses before running it.
func refused(code, msg string, visible bool) map[string]any {
	return map[string]any{"result": map[string]any{"code": code, "message": nodeText(msg, visible)}}
}

// constantAnswer is a TransactionExtention with the unsigned transaction
// java-tron builds for a constant call; failed marks a revert, res then
// being the revert data.
func constantAnswer(body map[string]any, res string, failed, visible bool) map[string]any {
	r := map[string]any{"result": true}
	status := map[string]any{}
	if failed {
		status["ret"] = "FAILED"
		r["message"] = nodeText("REVERT opcode executed", visible)
	}
	return map[string]any{
		"result":          r,
		"energy_used":     538,
		"constant_result": []any{res},
		"transaction": map[string]any{
			"ret":     []any{status},
			"visible": visible,
			"txID":    strings.Repeat("c1", 32),
			"raw_data": map[string]any{
				"contract": []any{map[string]any{
					"parameter": map[string]any{
						"value": map[string]any{
							"data":             fmt.Sprint(body["parameter"]),
							"owner_address":    body["owner_address"],
							"contract_address": body["contract_address"],
						},
						"type_url": "type.googleapis.com/protocol.TriggerSmartContract",
					},
					"type": "TriggerSmartContract",
				}},
				"ref_block_bytes": "28c0", "ref_block_hash": "9eabbe133123b34c",
				"expiration": 1767225660000, "timestamp": 1767225600000,
			},
			"raw_data_hex": "0a0228c0",
		},
	}
}

// abiStringHex is s ABI-encoded as a string return value, in hex.
func abiStringHex(s string) string {
	out := fmt.Sprintf("%064x%064x", 32, len(s)) + hex.EncodeToString([]byte(s))
	return out + strings.Repeat("0", (64-len(out)%64)%64)
}

// wordHex is v as one 32-byte word, in hex.
func wordHex(v *big.Int) string { return fmt.Sprintf("%064x", v) }

// jsonNumber reads a number a JSON body carries as a number or a string.
func jsonNumber(v any) (uint64, bool) {
	switch x := v.(type) {
	case float64:
		if x < 0 || x != float64(uint64(x)) {
			return 0, false
		}
		return uint64(x), true
	case json.Number:
		n, err := strconv.ParseUint(x.String(), 10, 64)
		return n, err == nil
	case string:
		n, err := strconv.ParseUint(x, 10, 64)
		return n, err == nil
	}
	return 0, false
}
