package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"freezetrace/chains"
)

// Block is what the store keeps of a block. A zero Hash means the source
// gave only the time.
type Block struct {
	Chain  chains.Chain
	Number uint64
	Hash   [32]byte
	Time   time.Time
}

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

// transfersPerInsert is how many rows one INSERT statement carries.
const transfersPerInsert = 100

const transferCols = 11

// insertShape selects an INSERT statement: n rows, and whether tx_index and
// time are the literals 0 and NULL in it rather than parameters. They are
// when every row of the chunk has those values, as in any token-transfer
// export: binding its parameters is most of what a row costs the driver,
// and two fewer of ten take about a tenth off the inserts.
type insertShape struct {
	n                 int
	noTxIndex, noTime bool
}

func (b *Batch) insertStmt(ctx context.Context, sh insertShape) (*sql.Stmt, error) {
	if s, ok := b.ins[sh]; ok {
		return s, nil
	}
	row := "(?,?,?,?,?,?,?,?,?,?,?)"
	switch {
	case sh.noTxIndex && sh.noTime:
		row = "(?,?,?,?,0,?,NULL,?,?,?,?)"
	case sh.noTxIndex:
		row = "(?,?,?,?,0,?,?,?,?,?,?)"
	case sh.noTime:
		row = "(?,?,?,?,?,?,NULL,?,?,?,?)"
	}
	var sb strings.Builder
	sb.WriteString(`INSERT OR IGNORE INTO transfers (tx_prefix, tx, asset, position, tx_index, block, time, from_id, to_id, amount, zero) VALUES `)
	for i := 0; i < sh.n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(row)
	}
	s, err := b.tx.PrepareContext(ctx, sb.String())
	if err != nil {
		return nil, err
	}
	b.ins[sh] = s
	return s, nil
}

// txPrefix is the tx_prefix column of a transfer in transaction tx: its
// first 7 bytes as a big-endian integer (migration 0003 computes the same).
func txPrefix(tx chains.TxHash) int64 { return int64(binary.BigEndian.Uint64(tx[:8]) >> 8) }

// addressesPerQuery is how many addresses one lookup or INSERT of the
// addresses table carries.
const addressesPerQuery = 200

// addressIDs returns the ids of the addresses of ts, From and To of each in
// turn: stored ones are looked up, new ones are given the next ids and
// stored. The ids are assigned here because the batch holds the write
// lock: no other writer can add an address until it ends.
func (b *Batch) addressIDs(ctx context.Context, ts []chains.Transfer) ([]int64, error) {
	if b.addrNext == 0 {
		var top int64
		if err := b.tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM addresses`).Scan(&top); err != nil {
			return nil, fmt.Errorf("addresses: %w", err)
		}
		b.addrNext, b.addrEmpty = top+1, top == 0
	}
	ids := make([]int64, 2*len(ts))
	var unknown [][20]byte
	var later []int // positions in ids of addresses in unknown
	pending := map[[20]byte]bool{}
	for i := range ts {
		for j, a := range [2]chains.Address{ts[i].From, ts[i].To} {
			k := a.Bytes()
			if id, ok := b.addrs[k]; ok {
				ids[2*i+j] = id
				continue
			}
			later = append(later, 2*i+j)
			if !pending[k] {
				pending[k] = true
				unknown = append(unknown, k)
			}
		}
	}
	if len(unknown) == 0 {
		return ids, nil
	}
	found := map[[20]byte]int64{}
	if !b.addrEmpty {
		args := make([]any, 0, addressesPerQuery)
		for start := 0; start < len(unknown); start += addressesPerQuery {
			part := unknown[start:min(start+addressesPerQuery, len(unknown))]
			args = args[:0]
			for i := range part {
				args = append(args, part[i][:])
			}
			q := `SELECT id, addr FROM addresses WHERE addr IN (?` + strings.Repeat(",?", len(part)-1) + `)`
			rows, err := b.tx.QueryContext(ctx, q, args...)
			if err != nil {
				return nil, fmt.Errorf("addresses: %w", err)
			}
			for rows.Next() {
				var id int64
				var ab []byte
				if err := rows.Scan(&id, &ab); err != nil {
					rows.Close()
					return nil, fmt.Errorf("addresses: %w", err)
				}
				found[[20]byte(ab)] = id
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, fmt.Errorf("addresses: %w", err)
			}
		}
	}
	var fresh [][20]byte
	for _, k := range unknown {
		if _, ok := found[k]; !ok {
			fresh = append(fresh, k)
		}
	}
	next := b.addrNext
	args := make([]any, 0, 2*addressesPerQuery)
	for start := 0; start < len(fresh); start += addressesPerQuery {
		part := fresh[start:min(start+addressesPerQuery, len(fresh))]
		args = args[:0]
		for i := range part {
			args = append(args, next+int64(start+i), part[i][:])
		}
		q := `INSERT INTO addresses (id, addr) VALUES (?,?)` + strings.Repeat(",(?,?)", len(part)-1)
		if _, err := b.tx.ExecContext(ctx, q, args...); err != nil {
			// Some of fresh may be stored: read the table again next time.
			b.addrNext = 0
			return nil, fmt.Errorf("addresses: %w", err)
		}
	}
	// Only now, with every row stored, does the batch remember the ids.
	for k, id := range found {
		b.addrs[k] = id
	}
	for i, k := range fresh {
		b.addrs[k] = next + int64(i)
	}
	b.addrNext = next + int64(len(fresh))
	for _, p := range later {
		a := ts[p/2].From
		if p%2 == 1 {
			a = ts[p/2].To
		}
		ids[p] = b.addrs[a.Bytes()]
	}
	return ids, nil
}

// PutTransfers stores transfers, ignoring any already stored (same chain,
// transaction, asset and position), and returns how many were new. A
// transfer's zero Time is stored as unknown and read back from the block.
func (b *Batch) PutTransfers(ctx context.Context, ts []chains.Transfer) (added int, err error) {
	for i := range ts {
		if t := &ts[i]; t.Asset.Chain != t.Chain {
			return 0, fmt.Errorf("transfer %s: asset %s is not on chain %s", t.Tx, t.Asset, t.Chain)
		}
	}
	ids, err := b.addressIDs(ctx, ts)
	if err != nil {
		return 0, fmt.Errorf("put transfers: %w", err)
	}
	args := make([]any, 0, transfersPerInsert*transferCols)
	for start := 0; start < len(ts); start += transfersPerInsert {
		chunk := ts[start:min(start+transfersPerInsert, len(ts))]
		sh := insertShape{n: len(chunk), noTxIndex: true, noTime: true}
		for i := range chunk {
			sh.noTxIndex = sh.noTxIndex && chunk[i].TxIndex == 0
			sh.noTime = sh.noTime && chunk[i].Time.IsZero()
		}
		args = args[:0]
		for i := range chunk {
			t := &chunk[i]
			aid, err := b.assetRow(ctx, t.Asset)
			if err != nil {
				return added, err
			}
			zero := 0
			if t.Amount.IsZero() {
				zero = 1
			}
			args = append(args, txPrefix(t.Tx), t.Tx[:], aid, int64(t.Position))
			if !sh.noTxIndex {
				args = append(args, int64(t.TxIndex))
			}
			args = append(args, int64(t.Block))
			if !sh.noTime {
				var tm any
				if !t.Time.IsZero() {
					tm = t.Time.Unix()
				}
				args = append(args, tm)
			}
			// amount is a TEXT column: SQLite stores a bound integer as its
			// decimal text, what Amount.String gives, without the driver
			// copying a string for it.
			var amount any
			if n, ok := t.Amount.Int64(); ok {
				amount = n
			} else {
				amount = t.Amount.String()
			}
			args = append(args, ids[2*(start+i)], ids[2*(start+i)+1], amount, zero)
			if t.Block > b.maxBlock[t.Chain] {
				b.maxBlock[t.Chain] = t.Block
			}
		}
		s, err := b.insertStmt(ctx, sh)
		if err != nil {
			return added, fmt.Errorf("put transfers: %w", err)
		}
		res, err := s.ExecContext(ctx, args...)
		if err != nil {
			return added, fmt.Errorf("put transfers: %w", err)
		}
		n, _ := res.RowsAffected()
		added += int(n)
	}
	return added, nil
}

// PutBlocks stores block numbers, hashes and times and returns how many
// blocks were new and how many were reorged. A block already stored with a
// different hash has been replaced by a reorganisation: its transfers, the
// transactions they belong to and every coverage range containing it are
// forgotten (so they are fetched again), and the new hash is kept.
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
		// Keep the parts of each range on either side of the block.
		`INSERT INTO coverage (asset, address, from_block, to_block, source, retrieved_at)
		 SELECT asset, address, from_block, ?2 - 1, source, retrieved_at FROM coverage
		 WHERE asset IN (SELECT id FROM assets WHERE chain = ?1) AND from_block < ?2 AND to_block >= ?2`,
		`INSERT INTO coverage (asset, address, from_block, to_block, source, retrieved_at)
		 SELECT asset, address, ?2 + 1, to_block, source, retrieved_at FROM coverage
		 WHERE asset IN (SELECT id FROM assets WHERE chain = ?1) AND from_block <= ?2 AND to_block > ?2`,
		`DELETE FROM coverage WHERE asset IN (SELECT id FROM assets WHERE chain = ?1) AND from_block <= ?2 AND to_block >= ?2`,
	}
	for _, s := range stmts {
		if _, err := b.tx.ExecContext(ctx, s, ch, blk); err != nil {
			return err
		}
	}
	return nil
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
		res, err := b.tx.ExecContext(ctx, `INSERT OR IGNORE INTO labels
			(chain, address, entity, category, asset, source, date, note, confidence, heuristic, evidence)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			string(l.Chain), ab[:], l.Entity, string(l.Category), asset, l.Source, l.Date, l.Note,
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
