package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"freezetrace/chains"
)

// ImportInfo describes one imported file.
type ImportInfo struct {
	Chain  chains.Chain
	File   string    // as the user named it; errors begin "File:line:"
	Format string    // "etl-token-transfers", …
	Time   time.Time // when the import ran (the caller's clock)
	// ExpectedRows estimates how many transfers the file holds; a load
	// large compared with the stored transfers rebuilds the address indexes
	// once at the end instead of row by row.
	ExpectedRows int
	// Replace lets a row of the file replace a stored row it differs from
	// (the same transfer, block or token with other values). Without it
	// such a row is an error and nothing of the file is stored.
	Replace bool
	// Exclusive takes the write lock at BeginImport. Otherwise the import
	// compares the file's rows with the stored ones first and takes the
	// lock only when a row changes something (or at Commit, to record the
	// file), so that re-importing a stored file keeps other writers waiting
	// for milliseconds, not for the whole file.
	Exclusive bool
}

// ImportCounts are the figures of one imported file.
type ImportCounts struct {
	Read    int // data rows read
	Added   int // rows that were not stored before
	Skipped int // rows read but deliberately not stored (ERC-721, failed transactions, repeats)
	// Stored counts rows identical to stored ones, which were not stored
	// again. Repeated counts rows identical to an earlier row of the same
	// file; Commit adds them to Skipped. Replaced counts stored rows that
	// differed from the file's and were replaced (ImportInfo.Replace).
	Stored, Repeated, Replaced int
}

// ErrChanged is returned (wrapped) by an import that found rows already
// stored before it took the write lock when, by the time it took it, a
// reorganisation or another import had deleted or changed stored rows:
// what it found may no longer hold. Nothing of the file is stored; import
// it again, or with ImportInfo.Exclusive.
var ErrChanged = errors.New("the database changed during the import (a reorganisation or an import with --replace); nothing of the file was stored: import it again")

// Import applies one file atomically: everything it stores becomes visible
// at Commit, nothing does if the import fails or is abandoned.
//
// Rows are judged against what is stored: a row identical to a stored one
// (or to an earlier row of the file) is counted and not stored again; a row
// that differs from it (the same transfer, block or token with another
// value) is an error naming both values and the file's lines, unless
// ImportInfo.Replace, when the file's row replaces the stored one and the
// import records it. A stored block is never forgotten because a file
// gives it another hash, unless ImportInfo.Replace.
//
// An Import is not safe for concurrent use.
type Import struct {
	db   *DB
	info ImportInfo
	// conn holds one connection for the whole import: it reads before the
	// write lock is taken and then runs the write transaction b.
	conn *sql.Conn
	b    *Batch
	// gen is rewrites.generation when the import began; judged counts the
	// rows found already stored before the lock was taken, which a change
	// of gen meanwhile would put in doubt.
	gen    int64
	judged int
	// bulk is set once the transfers' indexes are dropped (see BulkLoad):
	// rows are then judged when Commit rebuilds them. bulkChecked says the
	// choice was made.
	bulk, bulkChecked bool
	// txIndexKnown says whether the file gives transactions' indexes.
	txIndexKnown bool
	// firstID is the id of the first transfer this import inserts; lines
	// holds the file line of each inserted transfer, by id - firstID.
	firstID int64
	lines   []int32
	// replacedAt maps stored transfers the file replaced to its line.
	replacedAt map[int64]int32
	blockLines lineRuns                 // lines of the blocks this import wrote
	assetLines map[chains.AssetID]int32 // lines of the tokens this import wrote
	assetIDs   map[chains.AssetID]int64 // stored assets' row ids
	// Figures, of each kind of row: found stored, repeated in the file;
	// used says which kinds the file gave. Stored rows replaced (of any
	// kind); rows a bulk load stored and Commit removed again.
	stored, repeated  [kinds]int
	used              [kinds]bool
	replaced, removed int
	rewrote           bool // a stored row was changed or deleted
	maxBlock          uint64
	done              bool
	// eventsPut holds the line of each transaction whose events this
	// import put or found stored.
	eventsPut map[chains.TxHash]int32
}

// The kinds of rows a file gives, in the order that picks the file's own
// rows for its figures: a transactions file gives blocks too.
const (
	kindTransfers = iota
	kindBlocks
	kindAssets
	kindContracts
	kindEvents // a logs file's rows: the logs of the transactions whose events it gives
	kinds
)

// primary is the kind of the file's own rows. A logs file's rows are its
// logs, whatever transfers (wraps) they also give.
func (im *Import) primary() int {
	if im.used[kindEvents] {
		return kindEvents
	}
	for k := range kinds {
		if im.used[k] {
			return k
		}
	}
	return kindTransfers
}

// BeginImport starts importing one file.
func (db *DB) BeginImport(ctx context.Context, info ImportInfo) (*Import, error) {
	if !info.Chain.Valid() {
		return nil, fmt.Errorf("import %s: unknown chain %q", info.File, string(info.Chain))
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", info.File, err)
	}
	im := &Import{db: db, info: info, conn: conn, replacedAt: map[int64]int32{},
		assetLines: map[chains.AssetID]int32{}, assetIDs: map[chains.AssetID]int64{},
		eventsPut: map[chains.TxHash]int32{}}
	if err := conn.QueryRowContext(ctx, `SELECT generation FROM rewrites`).Scan(&im.gen); err != nil {
		conn.Close()
		return nil, fmt.Errorf("import %s: %w", info.File, err)
	}
	if info.Exclusive {
		if err := im.lock(ctx); err != nil {
			im.Rollback()
			return nil, err
		}
	}
	return im, nil
}

// bulkMinRows is the smallest expected load for which the address indexes
// are rebuilt instead of maintained.
const bulkMinRows = 20000

// querier reads through the write transaction once it is open, else
// through the import's connection.
func (im *Import) querier() interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
} {
	if im.b != nil {
		return im.b.tx
	}
	return im.conn
}

// lock opens the write transaction (waiting for other writers) unless it
// is open. It fails with ErrChanged if stored rows were deleted or changed
// since the import began and it had judged rows against them.
func (im *Import) lock(ctx context.Context) error {
	if im.b != nil {
		return nil
	}
	if im.done {
		return errors.New("import: already finished")
	}
	tx, err := im.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("import %s: begin: %w", im.info.File, err)
	}
	// The fields Begin sets (write.go).
	b := &Batch{db: im.db, tx: tx, assets: map[chains.AssetID]int64{}, ins: map[insertShape]*sql.Stmt{},
		maxBlock: map[chains.Chain]uint64{}, addrs: map[[20]byte]int64{}, keepBlocks: !im.info.Replace}
	var gen, top int64
	if err := tx.QueryRowContext(ctx, `SELECT generation FROM rewrites`).Scan(&gen); err != nil {
		b.Rollback()
		return fmt.Errorf("import %s: %w", im.info.File, err)
	}
	if gen != im.gen && im.judged > 0 {
		b.Rollback()
		return fmt.Errorf("import %s: %w", im.info.File, ErrChanged)
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM transfers`).Scan(&top); err != nil {
		b.Rollback()
		return fmt.Errorf("import %s: %w", im.info.File, err)
	}
	im.b, im.firstID = b, top+1
	return nil
}

// fromImport reports whether the stored transfer id was inserted by this
// import, and the line it came from (0 when not known).
func (im *Import) fromImport(id int64) (bool, int32) {
	if l, ok := im.replacedAt[id]; ok {
		return true, l
	}
	if im.b == nil || id < im.firstID {
		return false, 0
	}
	if i := id - im.firstID; i < int64(len(im.lines)) {
		return true, im.lines[i]
	}
	return true, 0
}

// Commit records the file in the imports table and commits. It returns c
// with Added lowered by the rows a bulk load found already stored, Stored,
// Replaced and Repeated set from what the import found (Repeated adding to
// any the caller found itself) and the repeats added to Skipped.
func (im *Import) Commit(ctx context.Context, c ImportCounts) (ImportCounts, error) {
	if im.done {
		return c, errors.New("commit: import already finished")
	}
	if err := im.lock(ctx); err != nil {
		im.Rollback()
		return c, err
	}
	if err := im.b.rebuildWith(ctx, im.judgeBulk); err != nil {
		im.Rollback()
		return c, err
	}
	if im.rewrote {
		if _, err := im.b.tx.ExecContext(ctx, `UPDATE rewrites SET generation = generation + 1`); err != nil {
			im.Rollback()
			return c, fmt.Errorf("record import %s: %w", im.info.File, err)
		}
	}
	c.Added -= im.removed
	k := im.primary()
	c.Stored, c.Replaced = im.stored[k], im.replaced
	c.Repeated += im.repeated[k]
	c.Skipped += c.Repeated
	replace := 0
	if im.info.Replace {
		replace = 1
	}
	_, err := im.b.tx.ExecContext(ctx, `INSERT INTO imports (chain, file, format, rows_read, rows_added, rows_skipped, max_block, imported_at,
		rows_stored, rows_replaced, replace_allowed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, string(im.info.Chain), im.info.File, im.info.Format,
		c.Read, c.Added, c.Skipped, int64(im.maxBlock), im.info.Time.Unix(), c.Stored, c.Replaced, replace)
	if err != nil {
		im.Rollback()
		return c, fmt.Errorf("record import %s: %w", im.info.File, err)
	}
	err = im.b.Commit(ctx)
	im.done = true
	im.conn.Close()
	return c, err
}

// Rollback discards the import. It is safe to call after Commit (it does
// nothing then), so `defer im.Rollback()` is the usual pattern.
func (im *Import) Rollback() error {
	if im.done {
		return nil
	}
	im.done = true
	var err error
	if im.b != nil {
		err = im.b.Rollback()
	}
	if cerr := im.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// Duplicates returns how many of the file's own rows (transfers, else
// blocks, tokens or contracts) the import did not store because they were
// identical to stored rows or to earlier rows of the file.
func (im *Import) Duplicates() int { return im.stored[im.primary()] + im.repeated[im.primary()] }

// NoteBlock records that the file reached block n (for provenance) when
// it stored nothing that carries a block, e.g. a blocks file.
func (im *Import) NoteBlock(n uint64) { im.maxBlock = max(im.maxBlock, n) }

// NonFungible is DB.NonFungible seen from inside the import.
func (im *Import) NonFungible(ctx context.Context, c chains.Chain) (map[chains.AssetID]bool, error) {
	return nonFungible(ctx, im.querier(), c)
}

// ImportRecord is one row of the imports table.
type ImportRecord struct {
	Chain                                  chains.Chain
	File, Format                           string
	Read, Added, Skipped, Stored, Replaced int
	ReplaceAllowed                         bool // the import ran with --replace
	MaxBlock                               uint64
	Time                                   time.Time
}

// Imports lists the imported files, oldest first.
func (db *DB) Imports(ctx context.Context) ([]ImportRecord, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT chain, file, format, rows_read, rows_added, rows_skipped, rows_stored,
		rows_replaced, replace_allowed, max_block, imported_at FROM imports ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	defer rows.Close()
	var out []ImportRecord
	for rows.Next() {
		var r ImportRecord
		var ch string
		var blk, at int64
		if err := rows.Scan(&ch, &r.File, &r.Format, &r.Read, &r.Added, &r.Skipped, &r.Stored, &r.Replaced,
			&r.ReplaceAllowed, &blk, &at); err != nil {
			return nil, fmt.Errorf("imports: %w", err)
		}
		r.Chain, r.MaxBlock, r.Time = chains.Chain(ch), uint64(blk), time.Unix(at, 0).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
