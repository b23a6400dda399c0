package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"freezetrace/chains"
)

// transferRow is a transfer as an import compares it: a stored row, or a
// row of the file (id 0). block, time (unix seconds) and, unless the file
// gives them, transaction indexes that are 0 are unknown and agree with
// any value.
type transferRow struct {
	id           int64
	tx           chains.TxHash
	asset        int64
	pos          uint32
	block        uint64
	txIndex      uint32
	time         int64
	from, to     [20]byte
	fromID, toID int64
	amount       string
}

// transferRowSelect reads transferRows; a WHERE clause follows.
const transferRowSelect = `SELECT t.id, t.tx, t.asset, t.position, t.block, t.tx_index, coalesce(t.time, 0), f.addr, o.addr,
	t.from_id, t.to_id, t.amount FROM transfers t JOIN addresses f ON f.id = t.from_id JOIN addresses o ON o.id = t.to_id WHERE `

func scanTransferRows(rows *sql.Rows, f func(transferRow)) error {
	defer rows.Close()
	for rows.Next() {
		var r transferRow
		var tx, from, to []byte
		var block, pos, txIndex int64
		if err := rows.Scan(&r.id, &tx, &r.asset, &pos, &block, &txIndex, &r.time, &from, &to, &r.fromID, &r.toID, &r.amount); err != nil {
			return err
		}
		if len(tx) != 32 || len(from) != 20 || len(to) != 20 {
			return fmt.Errorf("transfer %d: stored with a %d-byte hash or address", r.id, len(tx))
		}
		r.tx, r.from, r.to = chains.TxHash(tx), [20]byte(from), [20]byte(to)
		r.pos, r.block, r.txIndex = uint32(pos), uint64(block), uint32(txIndex)
		f(r)
	}
	return rows.Err()
}

func fileRow(t chains.Transfer) transferRow {
	r := transferRow{tx: t.Tx, pos: t.Position, block: t.Block, txIndex: t.TxIndex, from: t.From.Bytes(), to: t.To.Bytes(), amount: t.Amount.String()}
	if !t.Time.IsZero() {
		r.time = t.Time.Unix()
	}
	return r
}

// diff is one value on which two rows disagree.
type diff struct{ what, here, there string }

// differences lists what the file's row here says otherwise than there.
func (im *Import) differences(here, there transferRow) []diff {
	var ds []diff
	fam := im.info.Chain.Family()
	addr := func(b [20]byte) string {
		a, err := chains.AddressFromSlice(fam, b[:])
		if err != nil {
			return fmt.Sprintf("%x", b)
		}
		return a.String()
	}
	if here.block != 0 && there.block != 0 && here.block != there.block {
		ds = append(ds, diff{"block", fmt.Sprint(here.block), fmt.Sprint(there.block)})
	}
	if im.txIndexKnown && here.txIndex != there.txIndex {
		ds = append(ds, diff{"transaction index", fmt.Sprint(here.txIndex), fmt.Sprint(there.txIndex)})
	}
	if here.time != 0 && there.time != 0 && here.time != there.time {
		ds = append(ds, diff{"time", time.Unix(here.time, 0).UTC().Format(time.RFC3339), time.Unix(there.time, 0).UTC().Format(time.RFC3339)})
	}
	if here.from != there.from {
		ds = append(ds, diff{"from", addr(here.from), addr(there.from)})
	}
	if here.to != there.to {
		ds = append(ds, diff{"to", addr(here.to), addr(there.to)})
	}
	if here.amount != there.amount {
		ds = append(ds, diff{"value", here.amount, there.amount})
	}
	return ds
}

// at is "file:line", or "file" when the line is not known.
func (im *Import) at(line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", im.info.File, line)
	}
	return im.info.File
}

// where names the other side of a conflict: a line of the file, or the
// database.
func where(line int32, mine bool) string {
	switch {
	case !mine:
		return "in the database"
	case line > 0:
		return fmt.Sprintf("at line %d", line)
	}
	return "in an earlier row of the file"
}

// transferConflict is the error for a row of the file (at line) that
// disagrees with another row (there) in ds.
func (im *Import) transferConflict(tx chains.TxHash, pos uint32, asset string, line int, ds []diff, there string, stored bool) error {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("%s %s here, %s %s", d.what, d.here, d.there, there)
	}
	msg := fmt.Sprintf("%s: transaction %s position %d (%s): %s", im.at(line), im.info.Chain.FormatTx(tx), pos, asset, strings.Join(parts, "; "))
	if stored {
		msg += " (import with --replace to store the file's values instead)"
	}
	return chains.Invalid(errors.New(msg))
}

func lineOf(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

// PutTransfers puts transfers through the import, as rows of the file whose
// lines are not known; see PutFileTransfers.
func (im *Import) PutTransfers(ctx context.Context, ts []chains.Transfer) (int, error) {
	return im.PutFileTransfers(ctx, ts, nil, true)
}

// PutFileTransfers puts the transfers of a file, read at lines (aligned
// with ts; nil when not known), through the import and returns how many
// it stored. A transfer stored already with the same values, or repeating
// an earlier row of the file, is counted (Commit reports them) and not
// stored again; one stored with other values, or differing from an
// earlier row, is an error naming both values and lines unless
// ImportInfo.Replace, when it replaces the stored row. txIndexKnown says
// the file gives the transactions' indexes (otherwise they are not
// compared). A transfer's zero Time, and a zero Block, are unknown: they
// agree with any stored value.
func (im *Import) PutFileTransfers(ctx context.Context, ts []chains.Transfer, lines []int, txIndexKnown bool) (int, error) {
	if im.done {
		return 0, errors.New("import: already finished")
	}
	if lines != nil && len(lines) != len(ts) {
		return 0, fmt.Errorf("import %s: %d lines for %d transfers", im.info.File, len(lines), len(ts))
	}
	for i := range ts {
		t := &ts[i]
		if t.Asset.Chain != t.Chain || !t.Chain.Valid() {
			return 0, fmt.Errorf("transfer %s: asset %s is not on chain %q", t.Tx, t.Asset, string(t.Chain))
		}
		if t.Chain == im.info.Chain {
			im.maxBlock = max(im.maxBlock, t.Block)
		}
	}
	im.txIndexKnown = txIndexKnown
	im.used[kindTransfers] = true
	if len(ts) == 0 {
		return 0, nil
	}
	if im.bulk {
		return im.insert(ctx, ts, lines)
	}
	p, err := im.judgeTransfers(ctx, ts, lines)
	if err != nil {
		return 0, err
	}
	if len(p.fresh) == 0 && len(p.replace) == 0 {
		im.stored[kindTransfers] += p.stored
		im.repeated[kindTransfers] += p.repeated
		if im.b == nil {
			im.judged += len(ts)
		}
		return 0, nil
	}
	if im.b == nil {
		// Judged again under the lock: another writer may have stored
		// some of the rows meanwhile.
		if err := im.lock(ctx); err != nil {
			return 0, err
		}
		if p, err = im.judgeTransfers(ctx, ts, lines); err != nil {
			return 0, err
		}
	}
	if !im.bulkChecked {
		im.bulkChecked = true
		if n := int64(im.info.ExpectedRows); n >= bulkMinRows && n >= (im.firstID-1)/2 {
			// Rows of a bulk load are judged when Commit rebuilds the
			// indexes, these ones included.
			if err := im.b.BulkLoad(ctx); err != nil {
				return 0, err
			}
			im.bulk = true
			return im.insert(ctx, ts, lines)
		}
	}
	im.stored[kindTransfers] += p.stored
	im.repeated[kindTransfers] += p.repeated
	fresh := make([]chains.Transfer, len(p.fresh))
	var freshLines []int
	for k, i := range p.fresh {
		fresh[k] = ts[i]
		if lines != nil {
			freshLines = append(freshLines, lines[i])
		}
	}
	n, err := im.insert(ctx, fresh, freshLines)
	if err != nil {
		return n, err
	}
	if n != len(fresh) {
		return n, fmt.Errorf("import %s: stored %d of %d new transfers", im.info.File, n, len(fresh))
	}
	return n, im.replaceTransfers(ctx, ts, lines, p.replace)
}

// insert stores ts through the write transaction and notes their lines.
func (im *Import) insert(ctx context.Context, ts []chains.Transfer, lines []int) (int, error) {
	n, err := im.b.PutTransfers(ctx, ts)
	if err != nil {
		return n, fmt.Errorf("import %s: %w", im.info.File, err)
	}
	for i := range ts {
		im.lines = append(im.lines, int32(lineOf(lines, i)))
	}
	return n, nil
}

// transferPlan is what judgeTransfers found: the rows (indexes in ts) to
// insert and to replace stored rows with, and the figures of the others.
type transferPlan struct {
	fresh            []int
	replace          []replacement
	stored, repeated int
}

type replacement struct {
	i  int   // in ts
	id int64 // the stored row
}

type transferKey struct {
	tx    chains.TxHash
	asset int64
	pos   uint32
}

// judgeTransfers compares ts with the stored transfers and with each other.
func (im *Import) judgeTransfers(ctx context.Context, ts []chains.Transfer, lines []int) (transferPlan, error) {
	var p transferPlan
	stored, err := im.lookupTransfers(ctx, ts)
	if err != nil {
		return p, fmt.Errorf("import %s: %w", im.info.File, err)
	}
	earlier := map[chains.TransferKey]int{} // rows of ts to be written
	for i := range ts {
		t := &ts[i]
		here := fileRow(*t)
		if j, ok := earlier[t.Key()]; ok {
			if ds := im.differences(here, fileRow(ts[j])); ds != nil {
				return p, im.transferConflict(t.Tx, t.Position, t.Asset.String(), lineOf(lines, i), ds, where(int32(lineOf(lines, j)), true), false)
			}
			p.repeated++
			continue
		}
		aid, ok := im.assetIDs[t.Asset]
		s, found := stored[transferKey{t.Tx, aid, t.Position}]
		if !ok || !found {
			p.fresh = append(p.fresh, i)
			earlier[t.Key()] = i
			continue
		}
		mine, line := im.fromImport(s.id)
		if ds := im.differences(here, s); ds != nil {
			if mine || !im.info.Replace {
				return p, im.transferConflict(t.Tx, t.Position, t.Asset.String(), lineOf(lines, i), ds, where(line, mine), !mine)
			}
			p.replace = append(p.replace, replacement{i, s.id})
			earlier[t.Key()] = i
			continue
		}
		if mine {
			p.repeated++
		} else {
			p.stored++
		}
	}
	return p, nil
}

// lookupPrefixes is how many transactions one lookup of stored transfers
// asks for.
const lookupPrefixes = 100

// lookupTransfers reads the stored transfers that share a key with a row
// of ts, through the write transaction if open, else outside it.
func (im *Import) lookupTransfers(ctx context.Context, ts []chains.Transfer) (map[transferKey]transferRow, error) {
	q := im.querier()
	var prefixes []any
	seen := map[int64]bool{}
	for i := range ts {
		t := &ts[i]
		if _, ok := im.assetIDs[t.Asset]; !ok {
			var id int64
			err := q.QueryRowContext(ctx, `SELECT id FROM assets WHERE chain = ? AND contract = ?`, string(t.Asset.Chain), contractBytes(t.Asset)).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				continue // no transfer of it is stored
			}
			if err != nil {
				return nil, fmt.Errorf("asset %s: %w", t.Asset, err)
			}
			im.assetIDs[t.Asset] = id
		}
		if p := txPrefix(t.Tx); !seen[p] {
			seen[p] = true
			prefixes = append(prefixes, p)
		}
	}
	out := map[transferKey]transferRow{}
	query := transferRowSelect + `t.tx_prefix IN (?` + strings.Repeat(",?", lookupPrefixes-1) + `)`
	args := make([]any, lookupPrefixes)
	for start := 0; start < len(prefixes); start += lookupPrefixes {
		part := prefixes[start:min(start+lookupPrefixes, len(prefixes))]
		// One statement shape: the last prefix fills the unused places.
		for i := range args {
			args[i] = part[min(i, len(part)-1)]
		}
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("stored transfers: %w", err)
		}
		if err := scanTransferRows(rows, func(r transferRow) { out[transferKey{r.tx, r.asset, r.pos}] = r }); err != nil {
			return nil, fmt.Errorf("stored transfers: %w", err)
		}
	}
	return out, nil
}

// replaceTransfers gives the stored rows of reps the values of the file's.
func (im *Import) replaceTransfers(ctx context.Context, ts []chains.Transfer, lines []int, reps []replacement) error {
	if len(reps) == 0 {
		return nil
	}
	rows := make([]chains.Transfer, len(reps))
	for k, r := range reps {
		rows[k] = ts[r.i]
	}
	ids, err := im.b.addressIDs(ctx, rows)
	if err != nil {
		return fmt.Errorf("import %s: replace: %w", im.info.File, err)
	}
	for k, r := range reps {
		v := fileRow(rows[k])
		v.id, v.fromID, v.toID = r.id, ids[2*k], ids[2*k+1]
		if err := im.overwrite(ctx, v); err != nil {
			return err
		}
		im.replacedAt[r.id] = int32(lineOf(lines, r.i))
	}
	return nil
}

// overwrite gives stored row v.id the values of v that are known.
func (im *Import) overwrite(ctx context.Context, v transferRow) error {
	var tm any
	if v.time != 0 {
		tm = v.time
	}
	zero := 0
	if strings.TrimLeft(v.amount, "0") == "" {
		zero = 1
	}
	if _, err := im.b.tx.ExecContext(ctx, `UPDATE transfers SET block = CASE WHEN ?1 = 0 THEN block ELSE ?1 END,
		tx_index = CASE WHEN ?2 THEN ?3 ELSE tx_index END, time = coalesce(?4, time), from_id = ?5, to_id = ?6,
		amount = ?7, zero = ?8 WHERE id = ?9`, int64(v.block), im.txIndexKnown, int64(v.txIndex), tm, v.fromID, v.toID,
		v.amount, zero, v.id); err != nil {
		return fmt.Errorf("import %s: replace transfer %d: %w", im.info.File, v.id, err)
	}
	im.replaced++
	im.rewrote = true
	return nil
}
