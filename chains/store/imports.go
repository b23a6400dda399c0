package store

import (
	"context"
	"fmt"
	"time"

	"freezetrace/chains"
)

// ImportInfo describes one imported file.
type ImportInfo struct {
	Chain  chains.Chain
	File   string    // as the user named it
	Format string    // "etl-token-transfers", …
	Time   time.Time // when the import ran (the caller's clock)
	// ExpectedRows estimates how many transfers the file holds; a load
	// large compared with the stored transfers rebuilds the address indexes
	// once at the end instead of row by row.
	ExpectedRows int
}

// ImportCounts are the figures of one imported file.
type ImportCounts struct {
	Read    int // data rows read
	Added   int // rows that were not stored before
	Skipped int // rows read but deliberately not stored (ERC-721, failed transactions)
}

// Import applies one file atomically: everything it stores becomes visible
// at Commit, nothing does if the import fails or is abandoned. It is a
// Batch with the file's provenance recorded at Commit.
type Import struct {
	*Batch
	info ImportInfo
}

// BeginImport starts importing one file.
func (db *DB) BeginImport(ctx context.Context, info ImportInfo) (*Import, error) {
	if !info.Chain.Valid() {
		return nil, fmt.Errorf("import %s: unknown chain %q", info.File, string(info.Chain))
	}
	b, err := db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	if info.ExpectedRows > 0 {
		var n int64
		if err := b.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM transfers`).Scan(&n); err != nil {
			b.Rollback()
			return nil, fmt.Errorf("import %s: %w", info.File, err)
		}
		if int64(info.ExpectedRows) >= bulkMinRows && int64(info.ExpectedRows) >= n/2 {
			if err := b.BulkLoad(ctx); err != nil {
				b.Rollback()
				return nil, err
			}
		}
	}
	return &Import{Batch: b, info: info}, nil
}

// bulkMinRows is the smallest expected load for which the address indexes
// are rebuilt instead of maintained.
const bulkMinRows = 20000

// Commit records the file in the imports table and commits. It returns c
// with Added lowered by the rows a bulk load found already stored.
func (im *Import) Commit(ctx context.Context, c ImportCounts) (ImportCounts, error) {
	if err := im.rebuild(ctx); err != nil {
		im.Rollback()
		return c, err
	}
	c.Added -= im.duplicates
	_, err := im.tx.ExecContext(ctx, `INSERT INTO imports (chain, file, format, rows_read, rows_added, rows_skipped, max_block, imported_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, string(im.info.Chain), im.info.File, im.info.Format,
		c.Read, c.Added, c.Skipped, int64(im.maxBlock[im.info.Chain]), im.info.Time.Unix())
	if err != nil {
		im.Rollback()
		return c, fmt.Errorf("record import %s: %w", im.info.File, err)
	}
	return c, im.Batch.Commit(ctx)
}

// NoteBlock records that the file reached block n (for provenance) when
// it stored nothing that carries a block, e.g. a blocks file.
func (im *Import) NoteBlock(n uint64) {
	if n > im.maxBlock[im.info.Chain] {
		im.maxBlock[im.info.Chain] = n
	}
}
