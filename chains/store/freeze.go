package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"freezetrace/chains"
)

var _ chains.FreezeChecker = (*Source)(nil)

// FreezeStatus implements chains.FreezeChecker. Online, a status stored at
// block answers; else the upstream is asked (chains.ErrUnsupported when it
// is no chains.FreezeChecker) and its answer is stored at the block it was
// read at (Freeze.Block) when that block is final, so a warm re-run at the
// same block asks nothing. A stored frozen status whose freezing
// transaction was not found answers only callers searching from the same
// block or later; one searching from earlier asks again. An upstream that
// answers chains.ErrUnsupported for an asset (its contract has no freeze
// function, or the upstream cannot call contracts: nothing that depends on
// the address or block) is not asked about that asset again by this
// Source; nothing of it is stored, since the next run may have another
// upstream.
//
// Offline, the newest status stored at or before block answers, its Block
// saying which block it was read at; with none stored the error matches
// chains.ErrOffline and chains.ErrUnsupported. An asset with no known
// freeze scheme (chains.SchemeOf) is chains.ErrUnsupported without asking.
func (s *Source) FreezeStatus(ctx context.Context, asset chains.AssetID, addr chains.Address, block, since uint64) (chains.Freeze, error) {
	if _, ok := chains.SchemeOf(asset); !ok {
		return chains.Freeze{}, fmt.Errorf("freeze status of %s: %s has no known freeze function: %w", addr, asset, chains.ErrUnsupported)
	}
	sf, ok, err := s.db.freezeAsOf(ctx, asset, addr, block)
	if err != nil {
		return chains.Freeze{}, err
	}
	if s.opt.Offline {
		if !ok {
			return chains.Freeze{}, offline(fmt.Sprintf("freeze status of %s at block %d", addr, block), chains.ErrUnsupported)
		}
		return sf.Freeze, nil
	}
	if ok && sf.Block == block && (!sf.Frozen || !sf.Tx.IsZero() || sf.since <= since) {
		return sf.Freeze, nil
	}
	fc, isFC := s.up.(chains.FreezeChecker)
	if !isFC {
		return chains.Freeze{}, fmt.Errorf("freeze status of %s: the upstream cannot read it: %w", addr, chains.ErrUnsupported)
	}
	s.mu.Lock()
	cause := s.noFreeze[asset]
	s.mu.Unlock()
	if cause != nil {
		return chains.Freeze{}, fmt.Errorf("freeze status of %s: the upstream cannot read it for %s (%v): %w", addr, asset, cause, chains.ErrUnsupported)
	}
	f, err := fc.FreezeStatus(ctx, asset, addr, block, since)
	if err != nil {
		if errors.Is(err, chains.ErrUnsupported) {
			s.mu.Lock()
			if s.noFreeze == nil {
				s.noFreeze = map[chains.AssetID]error{}
			}
			s.noFreeze[asset] = err
			s.mu.Unlock()
		}
		return chains.Freeze{}, fmt.Errorf("fetch freeze status of %s at block %d: %w", addr, block, err)
	}
	if f.Block > 1<<63-1 {
		return f, nil // no block number: nothing to store it at
	}
	if ok, err := s.confirmed(ctx, asset.Chain, f.Block); err != nil || !ok {
		return f, err
	}
	return f, s.db.PutFreeze(ctx, asset, addr, f, since, s.opt.Name, s.opt.Clock())
}

// storedFreeze is a stored freeze status and the first block its source
// searched for the freezing transaction.
type storedFreeze struct {
	chains.Freeze
	since uint64
}

// FreezeAsOf returns the newest stored freeze status of addr for asset's
// issuer at or before block, and whether one is stored; its Block says
// which block it was read at (block itself when stored there).
func (db *DB) FreezeAsOf(ctx context.Context, asset chains.AssetID, addr chains.Address, block uint64) (chains.Freeze, bool, error) {
	sf, ok, err := db.freezeAsOf(ctx, asset, addr, block)
	return sf.Freeze, ok, err
}

func (db *DB) freezeAsOf(ctx context.Context, asset chains.AssetID, addr chains.Address, block uint64) (storedFreeze, bool, error) {
	id, err := db.assetRowID(ctx, asset)
	if err != nil || id == 0 {
		return storedFreeze{}, false, err
	}
	ab := addr.Bytes()
	var (
		sf               storedFreeze
		n, frozen, since int64
		tx               []byte
		txBlock, txTime  sql.NullInt64
		destroyed        sql.NullString
	)
	err = db.row(ctx, `SELECT block, frozen, issuer, tx, tx_block, tx_time, destroyed, note, since
		FROM freezes WHERE asset = ? AND address = ? AND block <= ? ORDER BY block DESC LIMIT 1`,
		id, ab[:], int64(min(block, 1<<63-1))).Scan(&n, &frozen, &sf.Issuer, &tx, &txBlock, &txTime, &destroyed, &sf.Note, &since)
	if errors.Is(err, sql.ErrNoRows) {
		return storedFreeze{}, false, nil
	}
	if err != nil {
		return storedFreeze{}, false, fmt.Errorf("freeze status of %s at %d: %w", addr, block, err)
	}
	sf.Block, sf.Frozen, sf.since = uint64(n), frozen != 0, uint64(since)
	if tx != nil {
		if len(tx) != len(sf.Tx) {
			return storedFreeze{}, false, fmt.Errorf("stored freeze status of %s at %d: hash has %d bytes", addr, n, len(tx))
		}
		copy(sf.Tx[:], tx)
	}
	if txBlock.Valid {
		sf.TxBlock = uint64(txBlock.Int64)
	}
	if txTime.Valid {
		sf.TxTime = time.Unix(txTime.Int64, 0).UTC()
	}
	if destroyed.Valid {
		v, err := chains.ParseAmount(destroyed.String)
		if err != nil {
			return storedFreeze{}, false, fmt.Errorf("stored freeze status of %s at %d: %w", addr, n, err)
		}
		sf.Destroyed = &v
	}
	return sf, true, nil
}

// PutFreeze stores the freeze status f of addr for asset's issuer at
// f.Block, a final block; since is the first block its source searched for
// the freezing transaction. A status stored at the same block is replaced.
func (b *Batch) PutFreeze(ctx context.Context, asset chains.AssetID, addr chains.Address, f chains.Freeze, since uint64, source string, at time.Time) error {
	id, err := b.assetRow(ctx, asset)
	if err != nil {
		return err
	}
	ab := addr.Bytes()
	var tx, txBlock, txTime, destroyed any
	if !f.Tx.IsZero() {
		tx = f.Tx[:]
	}
	if f.TxBlock != 0 {
		txBlock = int64(f.TxBlock)
	}
	if !f.TxTime.IsZero() {
		txTime = f.TxTime.Unix()
	}
	if f.Destroyed != nil {
		destroyed = f.Destroyed.String()
	}
	frozen := 0
	if f.Frozen {
		frozen = 1
	}
	_, err = b.tx.ExecContext(ctx, `INSERT OR REPLACE INTO freezes
		(asset, address, block, frozen, issuer, tx, tx_block, tx_time, destroyed, note, since, source, retrieved_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, ab[:], int64(f.Block), frozen, f.Issuer, tx, txBlock, txTime, destroyed, f.Note, int64(since), source, at.Unix())
	if err != nil {
		return fmt.Errorf("store freeze status of %s at %d: %w", addr, f.Block, err)
	}
	return nil
}

// PutFreeze stores one freeze status in its own transaction; see
// Batch.PutFreeze.
func (db *DB) PutFreeze(ctx context.Context, asset chains.AssetID, addr chains.Address, f chains.Freeze, since uint64, source string, at time.Time) error {
	return db.update(ctx, func(b *Batch) error { return b.PutFreeze(ctx, asset, addr, f, since, source, at) })
}
