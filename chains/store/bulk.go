package store

import (
	"context"
	"fmt"
)

// rebuild recreates the indexes a bulk load dropped. Rows loaded twice
// (already stored, or twice in the load) are removed first if the unique
// index cannot be built; the count removed is kept in b.duplicates.
func (b *Batch) rebuild(ctx context.Context) (err error) {
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
			res, derr := b.tx.ExecContext(ctx, `DELETE FROM transfers WHERE id > ? AND id NOT IN
				(SELECT min(id) FROM transfers GROUP BY tx, asset, position)`, b.bulkFrom)
			if derr != nil {
				return fmt.Errorf("remove duplicates: %w", derr)
			}
			n, _ := res.RowsAffected()
			b.duplicates = int(n)
			_, err = b.tx.ExecContext(ctx, s)
		}
		if err != nil {
			return fmt.Errorf("rebuild index: %w", err)
		}
	}
	b.dropped = nil
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
