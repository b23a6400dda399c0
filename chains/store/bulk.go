package store

import (
	"context"
	"fmt"
	"strings"

	"freezetrace/chains"
)

// rebuild recreates the indexes a bulk load dropped. Rows loaded twice
// (already stored, or twice in the load) are removed first if the unique
// index cannot be built; the count removed is kept in b.duplicates.
func (b *Batch) rebuild(ctx context.Context) error { return b.rebuildWith(ctx, b.removeDuplicates) }

// rebuildWith recreates the indexes a bulk load dropped. When the unique
// index cannot be built because rows of the load repeat stored rows or
// each other, it calls duplicates, which must leave the key unique, and
// builds it again.
func (b *Batch) rebuildWith(ctx context.Context, duplicates func(context.Context) error) (err error) {
	if len(b.dropped) == 0 {
		return nil
	}
	restore, err := b.tuneSorter(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if rerr := restore(); err == nil {
			err = rerr
		}
	}()
	for i, s := range b.dropped {
		_, err := b.tx.ExecContext(ctx, s)
		if err != nil && i == 0 {
			// transfers_key comes first: it failed on duplicates.
			if err := duplicates(ctx); err != nil {
				return err
			}
			_, err = b.tx.ExecContext(ctx, s)
		}
		if err != nil {
			return fmt.Errorf("rebuild index: %w", err)
		}
	}
	b.dropped = nil
	return nil
}

// removeDuplicates keeps the first of the rows sharing a key and removes
// the others the load added.
func (b *Batch) removeDuplicates(ctx context.Context) error {
	res, err := b.tx.ExecContext(ctx, `DELETE FROM transfers WHERE id > ? AND id NOT IN
		(SELECT min(id) FROM transfers GROUP BY tx, asset, position)`, b.bulkFrom)
	if err != nil {
		return fmt.Errorf("remove duplicates: %w", err)
	}
	n, _ := res.RowsAffected()
	b.duplicates = int(n)
	return nil
}

// sorterPragmas configure the batch's connection while the indexes of a
// bulk load are built; tuneSorter sets them and restores the old values.
//
// CREATE INDEX feeds every key to SQLite's external merge sorter. With
// temp_store=MEMORY (the DSN's setting) the sorter never writes sorted runs
// out: it keeps all keys in one linked list and merge-sorts it on the
// calling thread, and with a million keys nearly every step of that sort
// misses the CPU cache. With temp_store=FILE it sorts runs of at most
// cache_size bytes, each by a worker thread (threads) while the table scan
// goes on, writes them to temporary files and merges them. Runs of a few
// MiB fit the CPU cache; building the three transfer indexes of a
// million-row load takes less than half as long. The page cache is as
// small meanwhile, which costs little: the table is read in order and each
// index is written by appending.
var sorterPragmas = []struct{ name, value string }{
	{"temp_store", "FILE"},
	{"cache_size", "-4096"}, // KiB: also the size of one sorted run
	{"threads", "2"},
}

// tuneSorter applies sorterPragmas to the batch's connection (a PRAGMA
// run through the transaction configures exactly that connection) and
// returns a function that restores what was set before. Settings are only
// speed: one that cannot be changed (temp_store cannot while a temporary
// table is open) is left as it is. If the transaction is gone before the
// restore (its context was cancelled), the pooled connection keeps the
// small cache until it is closed: slower, never wrong.
func (b *Batch) tuneSorter(ctx context.Context) (restore func() error, err error) {
	var old []string
	for _, p := range sorterPragmas {
		var v string
		if err := b.tx.QueryRowContext(ctx, `PRAGMA `+p.name).Scan(&v); err != nil {
			return nil, fmt.Errorf("rebuild index: read %s: %w", p.name, err)
		}
		if _, err := b.tx.ExecContext(ctx, `PRAGMA `+p.name+` = `+p.value); err != nil {
			continue
		}
		old = append(old, `PRAGMA `+p.name+` = `+v)
	}
	return func() error {
		ctx := context.WithoutCancel(ctx) // the connection outlives this call
		for _, s := range old {
			if _, err := b.tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("rebuild index: restore %q: %w", s, err)
			}
		}
		return nil
	}, nil
}

// BulkLoad prepares the batch for loading many transfers: the indexes of
// the transfers table are dropped now and rebuilt by Commit, which is many
// times faster than maintaining them row by row. Until Commit,
// PutTransfers counts every row as added; Commit removes rows that were
// already stored and Duplicates says how many. Call it before the first
// PutTransfers when the load is large compared with what the file holds.
func (b *Batch) BulkLoad(ctx context.Context) error {
	if len(b.dropped) > 0 {
		return nil
	}
	if err := b.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM transfers`).Scan(&b.bulkFrom); err != nil {
		return fmt.Errorf("bulk load: %w", err)
	}
	var stmts []string
	for _, n := range transferIndexes {
		var s string
		if err := b.tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, n).Scan(&s); err != nil {
			return fmt.Errorf("bulk load: index %s: %w", n, err)
		}
		if _, err := b.tx.ExecContext(ctx, `DROP INDEX `+n); err != nil {
			return fmt.Errorf("bulk load: drop %s: %w", n, err)
		}
		stmts = append(stmts, s)
	}
	b.dropped = stmts
	return nil
}

// transferIndexes are the indexes of the transfers table, the unique one
// first.
var transferIndexes = []string{"transfers_key", "transfers_from", "transfers_to"}

// Duplicates returns how many rows of a bulk load Commit removed because
// they were already stored.
func (b *Batch) Duplicates() int { return b.duplicates }

// judgeBulk is the import's way to make a bulk load's key unique: each
// row the load added that shares its key with an earlier row (stored
// before, or added by the load) is compared with the first of them.
// Identical, it is removed and counted; different, it is an error naming
// both, unless the import may replace stored rows and the first is one.
func (im *Import) judgeBulk(ctx context.Context) error {
	tx := im.b.tx
	if _, err := tx.ExecContext(ctx, `CREATE INDEX transfers_judge ON transfers (tx_prefix, tx, asset, position)`); err != nil {
		return fmt.Errorf("import %s: judge duplicates: %w", im.info.File, err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT n.id, m.id FROM transfers n JOIN transfers m ON m.id =
		(SELECT min(k.id) FROM transfers k WHERE k.tx_prefix = n.tx_prefix AND k.tx = n.tx AND k.asset = n.asset AND k.position = n.position)
		WHERE n.id >= ? AND m.id < n.id ORDER BY n.id`, im.firstID)
	if err != nil {
		return fmt.Errorf("import %s: judge duplicates: %w", im.info.File, err)
	}
	var pairs [][2]int64
	for rows.Next() {
		var p [2]int64
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			rows.Close()
			return fmt.Errorf("import %s: judge duplicates: %w", im.info.File, err)
		}
		pairs = append(pairs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("import %s: judge duplicates: %w", im.info.File, err)
	}
	// current holds stored rows as this judgement replaced them, and the
	// line of the row that did.
	current := map[int64]transferRow{}
	replacedBy := map[int64]int32{}
	var drop []any
	const chunk = 200
	for start := 0; start < len(pairs); start += chunk {
		part := pairs[start:min(start+chunk, len(pairs))]
		ids := make([]any, 0, 2*len(part))
		for _, p := range part {
			ids = append(ids, p[0], p[1])
		}
		vals := map[int64]transferRow{}
		rows, err := tx.QueryContext(ctx, transferRowSelect+`t.id IN (?`+strings.Repeat(",?", len(ids)-1)+`)`, ids...)
		if err != nil {
			return fmt.Errorf("import %s: judge duplicates: %w", im.info.File, err)
		}
		if err := scanTransferRows(rows, func(r transferRow) { vals[r.id] = r }); err != nil {
			return fmt.Errorf("import %s: judge duplicates: %w", im.info.File, err)
		}
		for _, p := range part {
			n, m := vals[p[0]], vals[p[1]]
			mine := p[1] >= im.firstID
			line := im.lineOfID(p[1])
			if c, ok := current[p[1]]; ok {
				m, mine, line = c, true, replacedBy[p[1]]
			}
			ds := im.differences(n, m)
			switch {
			case ds == nil && mine:
				im.repeated[kindTransfers]++
			case ds == nil:
				im.stored[kindTransfers]++
			case mine || !im.info.Replace:
				asset, err := im.assetName(ctx, n.asset)
				if err != nil {
					return err
				}
				return im.transferConflict(n.tx, n.pos, asset, int(im.lineOfID(p[0])), ds, where(line, mine), !mine)
			default:
				v := n
				v.id = p[1]
				if err := im.overwrite(ctx, v); err != nil {
					return err
				}
				if v.block == 0 {
					v.block = m.block
				}
				if v.time == 0 {
					v.time = m.time
				}
				if !im.txIndexKnown {
					v.txIndex = m.txIndex
				}
				current[p[1]], replacedBy[p[1]] = v, im.lineOfID(p[0])
			}
			drop = append(drop, p[0])
		}
	}
	for start := 0; start < len(drop); start += chunk {
		part := drop[start:min(start+chunk, len(drop))]
		if _, err := tx.ExecContext(ctx, `DELETE FROM transfers WHERE id IN (?`+strings.Repeat(",?", len(part)-1)+`)`, part...); err != nil {
			return fmt.Errorf("import %s: remove duplicates: %w", im.info.File, err)
		}
	}
	im.removed += len(drop)
	if _, err := tx.ExecContext(ctx, `DROP INDEX transfers_judge`); err != nil {
		return fmt.Errorf("import %s: judge duplicates: %w", im.info.File, err)
	}
	return nil
}

// lineOfID is the file line of the transfer this import inserted as id
// (0 when not known or not this import's).
func (im *Import) lineOfID(id int64) int32 {
	if i := id - im.firstID; id >= im.firstID && i < int64(len(im.lines)) {
		return im.lines[i]
	}
	return 0
}

// assetName names the stored asset of row id aid.
func (im *Import) assetName(ctx context.Context, aid int64) (string, error) {
	var ch string
	var c []byte
	if err := im.b.tx.QueryRowContext(ctx, `SELECT chain, contract FROM assets WHERE id = ?`, aid).Scan(&ch, &c); err != nil {
		return "", fmt.Errorf("import %s: asset %d: %w", im.info.File, aid, err)
	}
	if len(c) == 0 {
		return chains.NativeAsset(chains.Chain(ch)).String(), nil
	}
	a, err := chains.AddressFromSlice(chains.Chain(ch).Family(), c)
	if err != nil {
		return "", err
	}
	return chains.AssetID{Chain: chains.Chain(ch), Contract: a}.String(), nil
}
