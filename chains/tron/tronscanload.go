package tron

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"freezetrace/chains"
)

// FileSink is where ImportTronscan stores an export: the store's import,
// which compares each row with what it holds (see etl.Sink).
type FileSink interface {
	PutFileAssets(ctx context.Context, as []chains.Asset, lines []int) (int, error)
	PutFileTransfers(ctx context.Context, ts []chains.Transfer, lines []int, txIndexKnown bool) (int, error)
}

// ExportResult are the figures of one export ImportTronscan read.
type ExportResult struct {
	Read     int // data rows (CSV) or items (JSON)
	Added    int // transfers the sink had not stored before
	Skipped  int // rows of failed, unconfirmed or non-transfer events
	Repeated int // rows repeating an earlier row's transfer identically
}

// ImportTronscan reads an export (see ReadTronscan) and puts its assets and
// transfers into sink with the line each came from, so that the sink's
// errors name them. Transactions' indexes are compared with stored ones
// only when every row gives one.
func ImportTronscan(ctx context.Context, r io.Reader, name string, o ExportOptions, sink FileSink) (ExportResult, error) {
	b, cnt, err := readTronscan(r, name, o)
	if err != nil {
		return ExportResult{}, err
	}
	ranked, err := b.rank()
	if err != nil {
		return ExportResult{}, err
	}
	order := make([]int, len(ranked))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int { return chains.Compare(ranked[x], ranked[y]) })
	ts := make([]chains.Transfer, len(order))
	lines := make([]int, len(order))
	for k, i := range order {
		ts[k], lines[k] = ranked[i], b.lines[i]
	}
	_, as, err := b.finish()
	if err != nil {
		return ExportResult{}, err
	}
	res := ExportResult{Read: cnt.rows, Skipped: cnt.skipped, Repeated: cnt.rows - cnt.skipped - len(ts)}
	if len(as) > 0 {
		alines := make([]int, len(as))
		for i, a := range as {
			alines[i] = b.decAt[a.ID]
		}
		if _, err := sink.PutFileAssets(ctx, as, alines); err != nil {
			return res, err
		}
	}
	kept := cnt.rows - cnt.skipped
	res.Added, err = sink.PutFileTransfers(ctx, ts, lines, kept > 0 && cnt.txIndex == kept)
	return res, err
}

// conflict describes how the row at line contradicts the earlier row that
// gave the same transfer (identified as exportBuilder.keep does), naming
// both values; nil when that is not why the row was refused.
func (b *exportBuilder) conflict(line int, r row) error {
	t, err := b.transfer(line, r, func(string, ...any) error { return errors.New("") })
	if err != nil {
		return nil
	}
	id := fmt.Sprintf("%x/%s/%s/%s/%s", t.Tx, t.Asset, t.From.Hex(), t.To.Hex(), t.Amount)
	if r["position"] != "" {
		id = fmt.Sprintf("%x/%s/%d", t.Tx, t.Asset, t.Position)
	}
	i, ok := b.seen[id]
	if !ok {
		return nil
	}
	p, there := b.out[i], fmt.Sprintf("at line %d", b.lines[i])
	var parts []string
	add := func(what string, here, prev any) {
		parts = append(parts, fmt.Sprintf("%s %v here, %v %s", what, here, prev, there))
	}
	if p.Block != t.Block {
		add("block", t.Block, p.Block)
	}
	if p.TxIndex != t.TxIndex {
		add("transaction index", t.TxIndex, p.TxIndex)
	}
	if !p.Time.Equal(t.Time) {
		add("time", t.Time.Format(time.RFC3339Nano), p.Time.Format(time.RFC3339Nano))
	}
	if p.From != t.From {
		add("from", t.From, p.From)
	}
	if p.To != t.To {
		add("to", t.To, p.To)
	}
	if p.Amount.Cmp(t.Amount) != 0 {
		add("value", t.Amount, p.Amount)
	}
	if parts == nil {
		return nil
	}
	return fmt.Errorf("%s:%d: transaction %s position %d (%s): %s", b.name, line, chains.Tron.FormatTx(t.Tx), t.Position, t.Asset, strings.Join(parts, "; "))
}
