package etl

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"freezetrace/chains"
)

// maxCallDepth is the EVM's call depth limit: no trace address is longer.
const maxCallDepth = 1024

// traceRow is one row of a traces file.
type traceRow struct {
	addr      []int // trace_address; empty for the transaction's own call
	addrText  string
	typ       string // trace_type
	callType  string
	failed    bool // an error, or status 0
	subtraces int  // -1 when the file does not say
	txIndex   uint32
	from, to  chains.Address
	hasTo     bool
	value     chains.Amount
	line      int
}

// importTraces reads ethereum-etl's traces.csv into the native value
// transfers of internal calls, with the positions the JSON-RPC source
// gives them (chains/evm CallTransfers and ParityTransfers): a trace's
// position is its index in its transaction's traces in depth-first order
// (trace_address order: a call before its subcalls, subcalls in order),
// every trace counting, the transaction's own call being 0. A trace moves
// value when it is a CALL (call_type call), a create or a suicide, with a
// value above 0 and a recipient, and neither it nor a trace above it
// failed (an error, or status 0).
//
// The transaction's own call (trace_address empty, position 0) is not
// stored: its value is the transaction's own, which transactions.csv
// gives at the same position, so it is never counted twice. Traces of no
// transaction (block rewards) are skipped.
//
// Positions need all of a transaction's traces. ethereum-etl exports
// whole blocks; a file that holds part of a transaction's traces is
// refused where it shows: no top-level trace, a trace whose parent or
// earlier sibling is missing, or (when the file has subtraces) a trace
// with another number of subtraces than the file holds.
func importTraces(ctx context.Context, t *table, im Sink, res *Result) error {
	if err := t.need("transaction_hash", "transaction_index", "from_address", "to_address", "value", "trace_type", "trace_address", "block_number"); err != nil {
		return err
	}
	var lines []int
	batch := newBatcher(batchRows, func(ts []chains.Transfer) error {
		n, err := im.PutFileTransfers(ctx, ts, lines, true)
		lines = lines[:0]
		res.Added += n
		return err
	})
	var run blockRun
	var block blockRows[traceRow]
	flush := func() error {
		for _, g := range block.order {
			ts, ls, err := txTraces(t, block.block, g, res)
			if err != nil {
				return err
			}
			for i, tr := range ts {
				lines = append(lines, ls[i])
				if err := batch.add(tr); err != nil {
					return err
				}
			}
		}
		block.reset()
		return nil
	}
	err := t.each(res, func() error {
		n, err := t.uint("block_number", 63)
		if err != nil {
			return err
		}
		im.NoteBlock(n)
		if t.get("transaction_hash") == "" {
			res.Skipped++
			res.NoTx++
			return nil
		}
		tx, err := t.hash("transaction_hash")
		if err != nil {
			return err
		}
		r, err := readTrace(t)
		if err != nil {
			return err
		}
		ended, err := run.enter(t, n)
		if err != nil {
			return err
		}
		if ended {
			if err := flush(); err != nil {
				return err
			}
		}
		block.add(n, tx, r)
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return batch.flush()
}

// readTrace reads the current row of a traces file (one of a
// transaction).
func readTrace(t *table) (traceRow, error) {
	r := traceRow{line: t.line, subtraces: -1}
	var err error
	if r.addr, err = t.traceAddress("trace_address"); err != nil {
		return r, err
	}
	r.addrText = t.get("trace_address")
	r.typ, r.callType = strings.ToLower(t.get("trace_type")), strings.ToLower(t.get("call_type"))
	switch r.typ {
	case "call", "create", "suicide":
	default:
		return r, t.errf("trace_type: want call, create or suicide for a trace of a transaction, got %s", clip(t.get("trace_type")))
	}
	switch t.get("status") {
	case "0":
		r.failed = true
	case "1", "":
	default:
		return r, t.errf("status: want 0 or 1, got %s", clip(t.get("status")))
	}
	r.failed = r.failed || t.get("error") != ""
	if t.has("subtraces") && t.get("subtraces") != "" {
		n, err := t.uint("subtraces", 31)
		if err != nil {
			return r, err
		}
		r.subtraces = int(n)
	}
	txi, err := t.uint("transaction_index", 32)
	if err != nil {
		return r, err
	}
	r.txIndex = uint32(txi)
	if r.from, err = t.address("from_address"); err != nil {
		return r, err
	}
	if t.get("to_address") != "" {
		if r.to, err = t.address("to_address"); err != nil {
			return r, err
		}
		r.hasTo = true
	}
	r.value, err = t.amount("value")
	return r, err
}

// traceAddress reads a trace address: call indexes joined by commas,
// empty for the top-level call; no deeper than the EVM allows, counted
// before any index is parsed.
func (t *table) traceAddress(col string) ([]int, error) {
	v := t.get(col)
	if v == "" {
		return nil, nil
	}
	if n := strings.Count(v, ",") + 1; n > maxCallDepth {
		return nil, t.errf("%s: %d levels, deeper than the EVM's %d", col, n, maxCallDepth)
	}
	parts := strings.Split(v, ",")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 31)
		if err != nil {
			return nil, t.errf("%s: not call indexes joined by commas: %s", col, clip(v))
		}
		out[i] = int(n)
	}
	return out, nil
}

// txTraces returns the native transfers of one transaction's traces (and
// the line of each), or an error where the traces are not a whole call
// tree.
func txTraces(t *table, block uint64, g *txRows[traceRow], res *Result) ([]chains.Transfer, []int, error) {
	rows := slices.Clone(g.rows)
	slices.SortStableFunc(rows, func(a, b traceRow) int { return slices.Compare(a.addr, b.addr) })
	what := "transaction " + t.chain.FormatTx(g.tx)
	part := ": the file holds only part of the transaction's traces (export whole blocks)"
	// Drop repeated rows; a row differing from one at the same address is
	// an error.
	tree := rows[:0]
	for _, r := range rows {
		if n := len(tree); n > 0 && slices.Equal(tree[n-1].addr, r.addr) {
			if !sameTrace(tree[n-1], r) {
				return nil, nil, errAt(t, r.line, "%s: trace [%s] differs from the one at line %d", what, r.addrText, tree[n-1].line)
			}
			res.Skipped++
			res.Repeated++
			continue
		}
		tree = append(tree, r)
	}
	if len(tree[0].addr) != 0 {
		return nil, nil, errAt(t, tree[0].line, "%s: no top-level trace (empty trace_address)%s", what, part)
	}
	index := make(map[string]int, len(tree))
	children := make([]int, len(tree))
	failed := make([]bool, len(tree))
	var out []chains.Transfer
	var lines []int
	for i, r := range tree {
		key := addrKey(r.addr)
		index[key] = i
		failed[i] = r.failed
		if i > 0 {
			parent, ok := index[addrKey(r.addr[:len(r.addr)-1])]
			if !ok {
				return nil, nil, errAt(t, r.line, "%s: trace [%s] without its parent trace%s", what, r.addrText, part)
			}
			if last := r.addr[len(r.addr)-1]; last != children[parent] {
				return nil, nil, errAt(t, r.line, "%s: trace [%s] without the %d trace(s) before it under the same call%s", what, r.addrText, last-children[parent], part)
			}
			children[parent]++
			failed[i] = failed[i] || failed[parent]
		}
		if r.txIndex != tree[0].txIndex {
			return nil, nil, errAt(t, r.line, "%s: transaction_index %d here, %d at line %d", what, r.txIndex, tree[0].txIndex, tree[0].line)
		}
		tr, ok := traceTransfer(r, failed[i], res)
		if i == 0 && ok {
			res.Skipped++
			res.TopLevel++
			continue
		}
		if !ok {
			continue
		}
		tr.Chain, tr.Asset, tr.Tx, tr.Block, tr.Position = t.chain, chains.NativeAsset(t.chain), g.tx, block, uint32(i)
		out, lines = append(out, tr), append(lines, r.line)
	}
	for i, r := range tree {
		if r.subtraces >= 0 && r.subtraces != children[i] {
			return nil, nil, errAt(t, r.line, "%s: trace [%s] has %d subtraces, the file holds %d%s", what, r.addrText, r.subtraces, children[i], part)
		}
	}
	return out, lines, nil
}

// traceTransfer is the native transfer of trace r, whether it moves value
// (see importTraces), counting in res why it does not. Chain, asset, tx,
// block and position are the caller's to set.
func traceTransfer(r traceRow, failed bool, res *Result) (chains.Transfer, bool) {
	switch {
	case failed:
		res.Skipped++
		res.Failed++
		return chains.Transfer{}, false
	case r.value.IsZero() || (r.typ == "call" && r.callType != "call"):
		res.Skipped++
		res.NoValue++
		return chains.Transfer{}, false
	case !r.hasTo:
		res.Skipped++
		res.NoRecipient++
		return chains.Transfer{}, false
	}
	return chains.Transfer{From: r.from, To: r.to, Amount: r.value, TxIndex: r.txIndex}, true
}

func sameTrace(a, b traceRow) bool {
	return a.typ == b.typ && a.callType == b.callType && a.failed == b.failed && a.subtraces == b.subtraces &&
		a.txIndex == b.txIndex && a.from == b.from && a.to == b.to && a.hasTo == b.hasTo && a.value.Cmp(b.value) == 0
}

// addrKey is a trace address as a map key.
func addrKey(a []int) string {
	var b strings.Builder
	for _, n := range a {
		b.WriteString(strconv.Itoa(n))
		b.WriteByte(',')
	}
	return b.String()
}
