package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"freezetrace/chains"
)

// CachedBalance returns addr's stored balance of asset at the end of block,
// and whether one is stored.
func (db *DB) CachedBalance(ctx context.Context, addr chains.Address, asset chains.AssetID, block uint64) (chains.Amount, bool, error) {
	id, err := db.assetRowID(ctx, asset)
	if err != nil || id == 0 {
		return chains.Amount{}, false, err
	}
	ab := addr.Bytes()
	var s string
	err = db.row(ctx, `SELECT amount FROM balances WHERE asset = ? AND address = ? AND block = ?`,
		id, ab[:], int64(block)).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return chains.Amount{}, false, nil
	}
	if err != nil {
		return chains.Amount{}, false, fmt.Errorf("balance of %s at %d: %w", addr, block, err)
	}
	a, err := chains.ParseAmount(s)
	if err != nil {
		return chains.Amount{}, false, fmt.Errorf("stored balance of %s at %d: %w", addr, block, err)
	}
	return a, true, nil
}

// BalanceAsOf returns addr's newest stored balance of asset at the end of
// a block at or before block, that block, and whether one is stored: what
// an offline run can say "as of block N".
func (db *DB) BalanceAsOf(ctx context.Context, addr chains.Address, asset chains.AssetID, block uint64) (v chains.Amount, at uint64, ok bool, err error) {
	id, err := db.assetRowID(ctx, asset)
	if err != nil || id == 0 {
		return chains.Amount{}, 0, false, err
	}
	ab := addr.Bytes()
	var n int64
	var s string
	err = db.row(ctx, `SELECT block, amount FROM balances WHERE asset = ? AND address = ? AND block <= ? ORDER BY block DESC LIMIT 1`,
		id, ab[:], int64(min(block, 1<<63-1))).Scan(&n, &s)
	if errors.Is(err, sql.ErrNoRows) {
		return chains.Amount{}, 0, false, nil
	}
	if err != nil {
		return chains.Amount{}, 0, false, fmt.Errorf("balance of %s as of %d: %w", addr, block, err)
	}
	if v, err = chains.ParseAmount(s); err != nil {
		return chains.Amount{}, 0, false, fmt.Errorf("stored balance of %s at %d: %w", addr, n, err)
	}
	return v, uint64(n), true, nil
}

// PutBalance stores addr's balance of asset at the end of a final block;
// storing the same balance again changes nothing.
func (b *Batch) PutBalance(ctx context.Context, addr chains.Address, asset chains.AssetID, block uint64, v chains.Amount, source string, at time.Time) error {
	id, err := b.assetRow(ctx, asset)
	if err != nil {
		return err
	}
	ab := addr.Bytes()
	_, err = b.tx.ExecContext(ctx, `INSERT OR IGNORE INTO balances (asset, address, block, amount, source, retrieved_at)
		VALUES (?, ?, ?, ?, ?, ?)`, id, ab[:], int64(block), v.String(), source, at.Unix())
	if err != nil {
		return fmt.Errorf("store balance of %s at %d: %w", addr, block, err)
	}
	return nil
}

// PutBalance stores one balance in its own transaction; see Batch.PutBalance.
func (db *DB) PutBalance(ctx context.Context, addr chains.Address, asset chains.AssetID, block uint64, v chains.Amount, source string, at time.Time) error {
	return db.update(ctx, func(b *Batch) error { return b.PutBalance(ctx, addr, asset, block, v, source, at) })
}
