package etl

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
)

// Logs and traces are read a block at a time: their rows are grouped by
// transaction, and a transaction is stored once all its rows are read.
// ethereum-etl writes a block's rows together (it exports whole blocks);
// a block whose rows come back after another block's is refused, so that
// a transaction is never stored from part of its rows.

// maxTopics is the most topics an EVM log has (LOG0 to LOG4).
const maxTopics = 4

// blockRun tells when the rows of one block end.
type blockRun struct {
	cur     uint64
	line    int // where the current block's rows began
	started bool
	done    map[uint64][2]int // blocks whose rows ended: their first and last line
	last    int
}

// enter is called with each row's block n; it reports whether the rows of
// the block before ended (so that they are stored first), and fails when
// n's rows ended earlier in the file.
func (b *blockRun) enter(t *table, n uint64) (bool, error) {
	defer func() { b.last = t.line }()
	if b.started && n == b.cur {
		return false, nil
	}
	if lines, ok := b.done[n]; ok {
		return false, t.errf("block %d again, after its rows at lines %d-%d and other blocks': the rows of a block must be together, as ethereum-etl writes them", n, lines[0], lines[1])
	}
	ended := b.started
	if ended {
		if b.done == nil {
			b.done = map[uint64][2]int{}
		}
		b.done[b.cur] = [2]int{b.line, b.last}
	}
	b.cur, b.line, b.started = n, t.line, true
	return ended, nil
}

// logRow is one row of a logs file.
type logRow struct {
	log  evmlog.Log
	line int
}

// txRows are the rows of one transaction, in file order.
type txRows[R any] struct {
	tx   chains.TxHash
	rows []R
}

// blockRows collects a block's rows by transaction, in the order the
// transactions first appear.
type blockRows[R any] struct {
	block uint64
	order []*txRows[R]
	by    map[chains.TxHash]*txRows[R]
}

func (b *blockRows[R]) add(block uint64, tx chains.TxHash, r R) {
	b.block = block
	if b.by == nil {
		b.by = map[chains.TxHash]*txRows[R]{}
	}
	g := b.by[tx]
	if g == nil {
		g = &txRows[R]{tx: tx}
		b.by[tx] = g
		b.order = append(b.order, g)
	}
	g.rows = append(g.rows, r)
}

func (b *blockRows[R]) reset() { b.order, b.by = b.order[:0], nil }

// importLogs reads ethereum-etl's logs.csv: each transaction's logs are
// decoded (chains/evmlog) into its venue events, stored as every event of
// the transaction (one without any as known to have none), and the
// Deposit and Withdrawal logs of the chain's native-coin wrappers (WETH9
// on Ethereum) are stored as the token transfers WETH9 does not log as
// Transfers, as token_transfers.csv rows are.
//
// The logs of a transaction in the file are taken as all its logs:
// ethereum-etl reads them from the transaction's receipt, which holds
// them all, and exports whole blocks. A file cut from a larger one can
// still hold part of a transaction's logs; what can be seen of that is
// refused: a gap in a transaction's log indexes (they are consecutive in
// a receipt), a block's rows not together. Logs
// missing at the start or end of a transaction's run cannot be seen.
// Transactions that emitted no log are not in the file, so their events
// stay unknown.
func importLogs(ctx context.Context, t *table, im Sink, res *Result) error {
	if err := t.need("log_index", "transaction_hash", "block_number", "address", "data", "topics"); err != nil {
		return err
	}
	wrappers := evmlog.DefaultWrappers(t.chain)
	var lines []int
	wraps := newBatcher(batchRows, func(ts []chains.Transfer) error {
		_, err := im.PutFileTransfers(ctx, ts, lines, true)
		lines = lines[:0]
		return err
	})
	var run blockRun
	var block blockRows[logRow]
	flush := func() error {
		for _, g := range block.order {
			logs, logLines, err := txLogs(t, g, res)
			if err != nil {
				return err
			}
			evs, _ := evmlog.DecodeEvents(t.chain, wrappers, logs)
			n, err := im.PutFileTxEvents(ctx, t.chain, g.tx, evs, len(logs), g.rows[0].line)
			if err != nil {
				return err
			}
			res.Added += n
			res.Events += len(evs)
			for i, l := range logs {
				if tr, ok := evmlog.DecodeWrap(t.chain, wrappers, l); ok {
					res.Wraps++
					lines = append(lines, logLines[i])
					if err := wraps.add(tr); err != nil {
						return err
					}
				}
			}
		}
		block.reset()
		return nil
	}
	err := t.each(res, func() error {
		l, err := readLog(t)
		if err != nil {
			return err
		}
		ended, err := run.enter(t, l.Block)
		if err != nil {
			return err
		}
		if ended {
			if err := flush(); err != nil {
				return err
			}
		}
		im.NoteBlock(l.Block)
		block.add(l.Block, l.Tx, logRow{l, t.line})
		return nil
	})
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return wraps.flush()
}

// readLog reads the current row of a logs file.
func readLog(t *table) (evmlog.Log, error) {
	var l evmlog.Log
	tx, err := t.hash("transaction_hash")
	if err != nil {
		return l, err
	}
	l.Tx = tx
	if l.Block, err = t.uint("block_number", 63); err != nil {
		return l, err
	}
	if l.Index, err = t.uint("log_index", 32); err != nil {
		return l, err
	}
	a, err := t.address("address")
	if err != nil {
		return l, err
	}
	l.Address = common.Address(a.Bytes())
	if l.Data, err = t.hexData("data"); err != nil {
		return l, err
	}
	l.Topics, err = t.topics("topics")
	return l, err
}

// hexData reads 0x and an even number of hex digits (0x alone: none).
func (t *table) hexData(col string) ([]byte, error) {
	v := t.get(col)
	if !strings.HasPrefix(v, "0x") && !strings.HasPrefix(v, "0X") {
		return nil, t.errf("%s: want 0x and hex digits, got %s", col, clip(v))
	}
	if len(v)%2 != 0 {
		return nil, t.errf("%s: an odd number of hex digits (%d): %s", col, len(v)-2, clip(v))
	}
	b, err := hex.DecodeString(v[2:])
	if err != nil {
		return nil, t.errf("%s: not hex: %s", col, clip(v))
	}
	return b, nil
}

// topics reads a log's topics as ethereum-etl writes them: 32-byte hex
// words joined by commas, none for an empty field; at most maxTopics,
// counted before any is parsed.
func (t *table) topics(col string) ([]common.Hash, error) {
	v := t.get(col)
	if v == "" {
		return nil, nil
	}
	if n := strings.Count(v, ",") + 1; n > maxTopics {
		return nil, t.errf("%s: %d topics, but an EVM log has at most %d", col, n, maxTopics)
	}
	var out []common.Hash
	for i, w := range strings.Split(v, ",") {
		w = strings.TrimSpace(w)
		var h common.Hash
		if len(w) != 66 || (w[:2] != "0x" && w[:2] != "0X") {
			return nil, t.errf("%s: topic %d is not 0x and 64 hex digits: %s", col, i+1, clip(w))
		}
		if _, err := hex.Decode(h[:], []byte(w[2:])); err != nil {
			return nil, t.errf("%s: topic %d is not hex: %s", col, i+1, clip(w))
		}
		out = append(out, h)
	}
	return out, nil
}

// txLogs returns a transaction's logs in log order and the line of each,
// without rows that repeat an earlier one (counted), and fails at a row that gives another
// log at the same index, or at a gap in the indexes: the file would hold
// part of the transaction's logs.
func txLogs(t *table, g *txRows[logRow], res *Result) ([]evmlog.Log, []int, error) {
	rows := slices.Clone(g.rows)
	slices.SortStableFunc(rows, func(a, b logRow) int { return cmp.Compare(a.log.Index, b.log.Index) })
	out := make([]evmlog.Log, 0, len(rows))
	lines := make([]int, 0, len(rows))
	for i, r := range rows {
		if i > 0 {
			prev := rows[i-1]
			switch {
			case r.log.Index == prev.log.Index && sameLog(r.log, prev.log):
				res.Skipped++
				res.Repeated++
				continue
			case r.log.Index == prev.log.Index:
				return nil, nil, errAt(t, r.line, "log %d of transaction %s: another log than at line %d (address, topics or data differ)", r.log.Index, t.chain.FormatTx(g.tx), prev.line)
			case r.log.Index != prev.log.Index+1:
				return nil, nil, errAt(t, r.line, "transaction %s: logs %d and %d but none between: the file holds only part of the transaction's logs (export whole blocks)", t.chain.FormatTx(g.tx), prev.log.Index, r.log.Index)
			}
		}
		out, lines = append(out, r.log), append(lines, r.line)
	}
	return out, lines, nil
}

func sameLog(a, b evmlog.Log) bool {
	return a.Address == b.Address && slices.Equal(a.Topics, b.Topics) && bytes.Equal(a.Data, b.Data)
}

// errAt is errf for a row at another line than the current one.
func errAt(t *table, line int, format string, args ...any) error {
	cur := t.line
	t.line = line
	err := t.errf(format, args...)
	t.line = cur
	return err
}
