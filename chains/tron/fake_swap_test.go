package tron_test

import (
	"encoding/hex"

	"freezetrace/chains"
)

// What the fake grid serves of contract calls beyond TRC-20 transfers:
// events of any shape (a DEX pair's Swap, WTRX's Withdrawal) and internal
// transactions, in the receipt (gettransactioninfobyid and the per-block
// listing) and, for internal transactions, as the entries that the
// account listing adds with search_internal=true.

// rawLog is an event as the receipt's log carries it.
type rawLog struct {
	topics []string // topic0 first, bare hex
	data   string   // bare hex
}

// fakeInternal is one internal transaction: value sun (0 for a plain
// call) from a contract to an address.
type fakeInternal struct {
	from, to chains.Address
	value    uint64
	rejected bool
}

// addRawLog puts an event emitted by contract at index pos of
// transaction tx's log, which must exist already; gaps are filled with
// Approval events, as add does.
func (g *fakeGrid) addRawLog(tx chains.TxHash, pos int, contract chains.Address, l rawLog) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ftx := g.mustTx(tx)
	for len(ftx.logs) <= pos {
		ftx.logs = append(ftx.logs, fakeLog{other: true, contract: contract})
	}
	ftx.logs[pos] = fakeLog{other: true, contract: contract, raw: &l}
	g.contracts[contract] = true
}

// addInternal appends internal transactions to transaction tx.
func (g *fakeGrid) addInternal(tx chains.TxHash, in ...fakeInternal) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ftx := g.mustTx(tx)
	ftx.internal = append(ftx.internal, in...)
}

// setCall makes transaction tx a TriggerSmartContract call of contract by
// its owner, sending value sun.
func (g *fakeGrid) setCall(tx chains.TxHash, contract chains.Address, value uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ftx := g.mustTx(tx)
	ftx.call = &chains.Transfer{Chain: chains.Tron, Tx: tx, Block: ftx.block, From: ftx.owner, To: contract,
		Asset: chains.NativeAsset(chains.Tron), Amount: chains.NewAmount(value)}
	g.contracts[contract] = true
}

func (g *fakeGrid) mustTx(tx chains.TxHash) *fakeTx {
	ftx := g.txs[hex.EncodeToString(tx[:])]
	if ftx == nil {
		g.t.Fatalf("fake: no transaction %x", tx)
	}
	return ftx
}

// internalJSON is the receipt's internal_transactions, as java-tron writes
// them: addresses in 41-hex, the note in hex ("call"), callValueInfo
// holding an empty object for a call without value.
func (g *fakeGrid) internalJSON(tx *fakeTx) []any {
	out := make([]any, 0, len(tx.internal))
	for i, in := range tx.internal {
		value := map[string]any{}
		if in.value > 0 {
			value["callValue"] = in.value
		}
		m := map[string]any{
			"hash":               hex.EncodeToString([]byte{byte(i)}) + tx.id[2:],
			"caller_address":     "41" + hexOf(in.from),
			"transferTo_address": "41" + hexOf(in.to),
			"callValueInfo":      []any{value},
			"note":               hex.EncodeToString([]byte("call")),
		}
		if in.rejected {
			m["rejected"] = true
		}
		out = append(out, m)
	}
	return out
}

// internalRows are the account listing's entries for the internal
// transactions of tx that touch addr.
func (g *fakeGrid) internalRows(tx *fakeTx, addr chains.Address) []func() map[string]any {
	if tx.failed {
		return nil
	}
	var out []func() map[string]any
	for i, in := range tx.internal {
		if in.from != addr && in.to != addr {
			continue
		}
		out = append(out, func() map[string]any {
			return map[string]any{
				"internal_tx_id":  hex.EncodeToString([]byte{byte(i)}) + tx.id[2:],
				"tx_id":           tx.id,
				"block_timestamp": g.blockTime[tx.block],
				"from_address":    "41" + hexOf(in.from),
				"to_address":      "41" + hexOf(in.to),
				"data": map[string]any{
					"note":       hex.EncodeToString([]byte("call")),
					"rejected":   in.rejected,
					"call_value": map[string]any{"_": in.value},
				},
			}
		})
	}
	return out
}
