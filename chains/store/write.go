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

// Block is a stored block (chains.Block); a zero Hash is stored as
// unknown.
type Block = chains.Block

// Batch is one write transaction: everything put through it is stored when
// Commit returns nil and nothing is when it does not (or after Rollback).
// A Batch is not safe for concurrent use. While a Batch is open other
// writers (in this process or another) wait; readers are not blocked.
type Batch struct {
	db     *DB
	tx     *sql.Tx
	assets map[chains.AssetID]int64
	// dropped holds the CREATE statements of the indexes dropped for a bulk
	// load; Commit recreates them.
	dropped    []string
	bulkFrom   int64 // the largest transfers id before a bulk load
	duplicates int
	ins        map[insertShape]*sql.Stmt
	maxBlock   map[chains.Chain]uint64
	// addrs maps the addresses this batch has stored or looked up to their
	// ids in the addresses table; addrNext is the id the next new address
	// gets (0 until read) and addrEmpty says the table was empty when the
	// batch first used it, so an address not in addrs is new.
	addrs     map[[20]byte]int64
	addrNext  int64
	addrEmpty bool
	done      bool
	// keepBlocks marks the batch of an import run without --replace: a
	// block stored with another hash or time is an error in PutBlocks,
	// never a reorganisation that forgets the stored block.
	keepBlocks bool
}

// Begin starts a write transaction.
func (db *DB) Begin(ctx context.Context) (*Batch, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &Batch{db: db, tx: tx, assets: map[chains.AssetID]int64{}, ins: map[insertShape]*sql.Stmt{},
		maxBlock: map[chains.Chain]uint64{}, addrs: map[[20]byte]int64{}}, nil
}

// Commit makes the batch's writes durable and visible, rebuilding any index
// a bulk load dropped first.
func (b *Batch) Commit(ctx context.Context) error {
	if b.done {
		return errors.New("commit: batch already finished")
	}
	if err := b.rebuild(ctx); err != nil {
		b.Rollback()
		return err
	}
	b.closeStmts()
	b.done = true
	if err := b.tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Rollback discards the batch. It is safe to call after Commit (it does
// nothing then), so `defer b.Rollback()` is the usual pattern.
func (b *Batch) Rollback() error {
	if b.done {
		return nil
	}
	b.closeStmts()
	b.done = true
	return b.tx.Rollback()
}

func (b *Batch) closeStmts() {
	for _, s := range b.ins {
		s.Close()
	}
	b.ins = nil
}

// assetRow returns the integer id of an asset, creating its row if needed.
func (b *Batch) assetRow(ctx context.Context, id chains.AssetID) (int64, error) {
	if n, ok := b.assets[id]; ok {
		return n, nil
	}
	if !id.Chain.Valid() {
		return 0, fmt.Errorf("asset %s: unknown chain %q", id, string(id.Chain))
	}
	kind := ""
	if id.IsNative() {
		kind = "native"
	}
	c := contractBytes(id)
	if _, err := b.tx.ExecContext(ctx,
		`INSERT OR IGNORE INTO assets (chain, contract, kind) VALUES (?, ?, ?)`, string(id.Chain), c, kind); err != nil {
		return 0, fmt.Errorf("asset %s: %w", id, err)
	}
	var n int64
	if err := b.tx.QueryRowContext(ctx,
		`SELECT id FROM assets WHERE chain = ? AND contract = ?`, string(id.Chain), c).Scan(&n); err != nil {
		return 0, fmt.Errorf("asset %s: %w", id, err)
	}
	b.assets[id] = n
	return n, nil
}

// PutBlocks stores block numbers, hashes and times and returns how many
// blocks were new and how many were reorged. A block already stored with a
// different hash has been replaced by a reorganisation: its transfers, the
// transactions they belong to, the events stored of its transactions and
// every coverage range containing it are forgotten (so they are fetched
// again), and the new hash is kept. That is the live source's view, which
// follows the chain. In the batch of an import without --replace
// (keepBlocks) a file's block that differs from the stored one is an error
// instead: a file cannot reorganise the chain.
func (b *Batch) PutBlocks(ctx context.Context, bs []Block) (added, reorged int, err error) {
	for _, bl := range bs {
		if !bl.Chain.Valid() {
			return added, reorged, fmt.Errorf("block %d: unknown chain %q", bl.Number, string(bl.Chain))
		}
		var old []byte
		var oldTime int64
		err := b.tx.QueryRowContext(ctx, `SELECT hash, time FROM blocks WHERE chain = ? AND number = ?`,
			string(bl.Chain), int64(bl.Number)).Scan(&old, &oldTime)
		var hash any
		if bl.Hash != ([32]byte{}) {
			hash = bl.Hash[:]
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := b.tx.ExecContext(ctx, `INSERT INTO blocks (chain, number, hash, time) VALUES (?, ?, ?, ?)`,
				string(bl.Chain), int64(bl.Number), hash, bl.Time.Unix()); err != nil {
				return added, reorged, fmt.Errorf("put block %d: %w", bl.Number, err)
			}
			added++
			continue
		case err != nil:
			return added, reorged, fmt.Errorf("put block %d: %w", bl.Number, err)
		}
		if b.keepBlocks && (hash != nil && old != nil && string(old) != string(bl.Hash[:]) || oldTime != bl.Time.Unix()) {
			return added, reorged, chains.Invalid(fmt.Errorf("block %d is stored with hash %x and time %d, not %x and %d",
				bl.Number, old, oldTime, bl.Hash, bl.Time.Unix()))
		}
		if hash != nil && old != nil && string(old) != string(bl.Hash[:]) {
			if err := b.forgetBlock(ctx, bl.Chain, bl.Number); err != nil {
				return added, reorged, fmt.Errorf("reorg at block %d: %w", bl.Number, err)
			}
			reorged++
		}
		if _, err := b.tx.ExecContext(ctx,
			`UPDATE blocks SET hash = coalesce(?, hash), time = ? WHERE chain = ? AND number = ?`,
			hash, bl.Time.Unix(), string(bl.Chain), int64(bl.Number)); err != nil {
			return added, reorged, fmt.Errorf("put block %d: %w", bl.Number, err)
		}
	}
	return added, reorged, nil
}

// forgetBlock removes what was stored of a block that a reorg replaced.
func (b *Batch) forgetBlock(ctx context.Context, c chains.Chain, n uint64) error {
	ch, blk := string(c), int64(n)
	stmts := []string{
		`DELETE FROM tx_coverage WHERE chain = ?1 AND tx IN (SELECT t.tx FROM transfers t JOIN assets a ON a.id = t.asset WHERE a.chain = ?1 AND t.block = ?2)`,
		`DELETE FROM transfers WHERE block = ?2 AND asset IN (SELECT id FROM assets WHERE chain = ?1)`,
		`DELETE FROM tx_events WHERE chain = ?1 AND block = ?2`,
		`DELETE FROM tx_event_coverage WHERE chain = ?1 AND block = ?2`,
		// Keep the parts of each range on either side of the block.
		`INSERT INTO coverage (asset, address, from_block, to_block, source, retrieved_at)
		 SELECT asset, address, from_block, ?2 - 1, source, retrieved_at FROM coverage
		 WHERE asset IN (SELECT id FROM assets WHERE chain = ?1) AND from_block < ?2 AND to_block >= ?2`,
		`INSERT INTO coverage (asset, address, from_block, to_block, source, retrieved_at)
		 SELECT asset, address, ?2 + 1, to_block, source, retrieved_at FROM coverage
		 WHERE asset IN (SELECT id FROM assets WHERE chain = ?1) AND from_block <= ?2 AND to_block > ?2`,
		`DELETE FROM coverage WHERE asset IN (SELECT id FROM assets WHERE chain = ?1) AND from_block <= ?2 AND to_block >= ?2`,
		`DELETE FROM coverage_sources WHERE chain = ?1`,
		`INSERT INTO coverage_sources (chain, source, max_block, retrieved_at)
		 SELECT a.chain, c.source, max(c.to_block), max(c.retrieved_at)
		 FROM coverage c JOIN assets a ON a.id = c.asset WHERE a.chain = ?1 GROUP BY a.chain, c.source`,
	}
	for _, s := range stmts {
		if _, err := b.tx.ExecContext(ctx, s, ch, blk); err != nil {
			return err
		}
	}
	// Imports that found rows stored before they took the lock learn that
	// some may be gone (see Import).
	_, err := b.tx.ExecContext(ctx, `UPDATE rewrites SET generation = generation + 1`)
	return err
}

// PutAssets stores the symbol and decimals of fungible assets (replacing
// what was known) and returns how many assets had no metadata before.
func (b *Batch) PutAssets(ctx context.Context, as []chains.Asset) (added int, err error) {
	for _, a := range as {
		id, err := b.assetRow(ctx, a.ID)
		if err != nil {
			return added, err
		}
		kind := "erc20"
		if a.ID.IsNative() {
			kind = "native"
		}
		res, err := b.tx.ExecContext(ctx, `UPDATE assets SET symbol = ?, decimals = ?, kind = ? WHERE id = ? AND decimals IS NULL`,
			a.Symbol, int64(a.Decimals), kind, id)
		if err != nil {
			return added, fmt.Errorf("put asset %s: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added++
			continue
		}
		if _, err := b.tx.ExecContext(ctx, `UPDATE assets SET symbol = ?, decimals = ?, kind = ? WHERE id = ?`,
			a.Symbol, int64(a.Decimals), kind, id); err != nil {
			return added, fmt.Errorf("put asset %s: %w", a.ID, err)
		}
	}
	return added, nil
}

// PutNonFungible marks tokens as non-fungible (ERC-721): their transfers
// are not amounts and are never traced. symbol may be "". It returns how
// many were not marked before.
func (b *Batch) PutNonFungible(ctx context.Context, ids []chains.AssetID, symbol string) (added int, err error) {
	for _, a := range ids {
		id, err := b.assetRow(ctx, a)
		if err != nil {
			return added, err
		}
		res, err := b.tx.ExecContext(ctx, `UPDATE assets SET kind = 'erc721', symbol = coalesce(symbol, ?) WHERE id = ? AND kind != 'erc721'`, symbol, id)
		if err != nil {
			return added, fmt.Errorf("put asset %s: %w", a, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// PutContracts records whether addresses hold code, as told by source.
// What is already known is kept; it returns how many addresses were new.
func (b *Batch) PutContracts(ctx context.Context, c chains.Chain, addrs []chains.Address, isContract bool, source string) (added int, err error) {
	if !c.Valid() {
		return 0, fmt.Errorf("put contracts: unknown chain %q", string(c))
	}
	flag := 0
	if isContract {
		flag = 1
	}
	for _, a := range addrs {
		ab := a.Bytes()
		res, err := b.tx.ExecContext(ctx, `INSERT OR IGNORE INTO contracts (chain, address, is_contract, source) VALUES (?, ?, ?, ?)`,
			string(c), ab[:], flag, source)
		if err != nil {
			return added, fmt.Errorf("put contract %s: %w", a, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// PutLabels stores labels and returns how many were new. A label is the
// same as a stored one when chain, address, source, entity, category, asset
// and heuristic agree; storing it again changes nothing.
func (b *Batch) PutLabels(ctx context.Context, ls []chains.Label) (added int, err error) {
	if len(ls) == 0 {
		return 0, nil
	}
	ins, err := b.tx.PrepareContext(ctx, `INSERT OR IGNORE INTO labels
		(chain, address, entity, category, asset, source, date, note, confidence, heuristic, evidence)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, fmt.Errorf("put labels: %w", err)
	}
	defer ins.Close()
	for _, l := range ls {
		if !l.Chain.Valid() {
			return added, fmt.Errorf("put label %s: unknown chain %q", l.Address, string(l.Chain))
		}
		var asset int64
		if l.Asset != nil {
			if asset, err = b.assetRow(ctx, *l.Asset); err != nil {
				return added, err
			}
		}
		ev := make([]string, len(l.Evidence))
		for i, h := range l.Evidence {
			ev[i] = h.String()
		}
		ab := l.Address.Bytes()
		res, err := ins.ExecContext(ctx, string(l.Chain), ab[:], l.Entity, string(l.Category), asset, l.Source, l.Date, l.Note,
			l.Confidence, l.Heuristic, strings.Join(ev, " "))
		if err != nil {
			return added, fmt.Errorf("put label %s: %w", l.Address, err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// AddCoverage records that every transfer of asset to or from addr in the
// blocks [from, to] is stored. Call it in the batch that stores them.
func (b *Batch) AddCoverage(ctx context.Context, addr chains.Address, asset chains.AssetID, from, to uint64, source string, retrieved time.Time) error {
	if from > to {
		return fmt.Errorf("add coverage: empty range %d-%d", from, to)
	}
	id, err := b.assetRow(ctx, asset)
	if err != nil {
		return err
	}
	ab := addr.Bytes()
	if _, err := b.tx.ExecContext(ctx, `INSERT INTO coverage (asset, address, from_block, to_block, source, retrieved_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, ab[:], int64(from), int64(to), source, retrieved.Unix()); err != nil {
		return fmt.Errorf("add coverage %d-%d: %w", from, to, err)
	}
	if _, err := b.tx.ExecContext(ctx, `INSERT INTO coverage_sources (chain, source, max_block, retrieved_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (chain, source) DO UPDATE SET max_block = max(max_block, excluded.max_block), retrieved_at = max(retrieved_at, excluded.retrieved_at)`,
		string(asset.Chain), source, int64(to), retrieved.Unix()); err != nil {
		return fmt.Errorf("add coverage %d-%d: %w", from, to, err)
	}
	if to > b.maxBlock[asset.Chain] {
		b.maxBlock[asset.Chain] = to
	}
	return nil
}

// AddTxCoverage records that every transfer of transaction tx is stored.
func (b *Batch) AddTxCoverage(ctx context.Context, c chains.Chain, tx chains.TxHash, source string, retrieved time.Time) error {
	if _, err := b.tx.ExecContext(ctx, `INSERT OR REPLACE INTO tx_coverage (chain, tx, source, retrieved_at) VALUES (?, ?, ?, ?)`,
		string(c), tx[:], source, retrieved.Unix()); err != nil {
		return fmt.Errorf("add tx coverage %s: %w", tx, err)
	}
	return nil
}

func contractBytes(id chains.AssetID) []byte {
	if id.IsNative() {
		return []byte{}
	}
	b := id.Contract.Bytes()
	return b[:]
}

// update runs f in one batch and commits it.
func (db *DB) update(ctx context.Context, f func(*Batch) error) error {
	b, err := db.Begin(ctx)
	if err != nil {
		return err
	}
	defer b.Rollback()
	if err := f(b); err != nil {
		return err
	}
	return b.Commit(ctx)
}

// PutTransfers stores transfers in one transaction; see Batch.PutTransfers.
func (db *DB) PutTransfers(ctx context.Context, ts []chains.Transfer) (added int, err error) {
	err = db.update(ctx, func(b *Batch) error { added, err = b.PutTransfers(ctx, ts); return err })
	return added, err
}

// PutBlocks stores blocks in one transaction; see Batch.PutBlocks.
func (db *DB) PutBlocks(ctx context.Context, bs []Block) (added, reorged int, err error) {
	err = db.update(ctx, func(b *Batch) error { added, reorged, err = b.PutBlocks(ctx, bs); return err })
	return added, reorged, err
}

// PutAssets stores asset metadata in one transaction; see Batch.PutAssets.
func (db *DB) PutAssets(ctx context.Context, as []chains.Asset) (added int, err error) {
	err = db.update(ctx, func(b *Batch) error { added, err = b.PutAssets(ctx, as); return err })
	return added, err
}

// PutContracts stores contract knowledge in one transaction; see Batch.PutContracts.
func (db *DB) PutContracts(ctx context.Context, c chains.Chain, addrs []chains.Address, isContract bool, source string) (added int, err error) {
	err = db.update(ctx, func(b *Batch) error { added, err = b.PutContracts(ctx, c, addrs, isContract, source); return err })
	return added, err
}

// PutLabels stores labels in one transaction; see Batch.PutLabels.
func (db *DB) PutLabels(ctx context.Context, ls []chains.Label) (added int, err error) {
	err = db.update(ctx, func(b *Batch) error { added, err = b.PutLabels(ctx, ls); return err })
	return added, err
}
