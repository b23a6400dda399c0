package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"freezetrace/chains"
)

var _ chains.Labeler = (*DB)(nil)

// assetRowID returns the integer id of a stored asset, or 0 when the store
// has never seen it.
// A stored asset's id never changes, so ids found are remembered; an
// asset not stored yet is asked again next time.
func (db *DB) assetRowID(ctx context.Context, id chains.AssetID) (int64, error) {
	db.assetMu.Lock()
	n, ok := db.assetIDs[id]
	db.assetMu.Unlock()
	if ok {
		return n, nil
	}
	st, err := db.prepared(ctx, `SELECT id FROM assets WHERE chain = ? AND contract = ?`)
	if err != nil {
		return 0, fmt.Errorf("asset %s: %w", id, err)
	}
	err = st.QueryRowContext(ctx, string(id.Chain), contractBytes(id)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("asset %s: %w", id, err)
	}
	db.assetMu.Lock()
	if db.assetIDs == nil {
		db.assetIDs = map[chains.AssetID]int64{}
	}
	db.assetIDs[id] = n
	db.assetMu.Unlock()
	return n, nil
}

// transferSelect selects a transfer; the time falls back to the block's.
// The addresses come as ids, resolved by DB.resolveAddresses.
const transferSelect = `SELECT t.tx, t.position, t.tx_index, t.block, coalesce(t.time, b.time), t.from_id, t.to_id, t.amount
	FROM transfers t LEFT JOIN blocks b ON b.chain = ? AND b.number = t.block `

// addressID is the id of the address given as the only parameter, NULL
// (matching no transfer) when it is not stored.
const addressID = `(SELECT id FROM addresses WHERE addr = ?)`

// cachedTransfersQuery reads both sides of an address's transfers of an asset.
const cachedTransfersQuery = transferSelect + `WHERE t.asset = ? AND t.from_id = ` + addressID + ` AND t.block BETWEEN ? AND ?
	UNION ` + transferSelect + `WHERE t.asset = ? AND t.to_id = ` + addressID + ` AND t.block BETWEEN ? AND ?`

// CachedTransfers returns the stored transfers of q.Asset to or from
// q.Address with a block in [q.From, q.To], in canonical order, whether or
// not the range is covered. Each side is an index range scan.
func (db *DB) CachedTransfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	aid, err := db.assetRowID(ctx, q.Asset)
	if err != nil || aid == 0 {
		return []chains.Transfer{}, err
	}
	ab := q.Address.Bytes()
	to := q.To
	if to > 1<<63-1 {
		to = 1<<63 - 1
	}
	ch := string(q.Asset.Chain)
	st, err := db.prepared(ctx, cachedTransfersQuery)
	if err != nil {
		return nil, fmt.Errorf("read transfers of %s: %w", q.Address, err)
	}
	rows, err := st.QueryContext(ctx, ch, aid, ab[:], int64(q.From), int64(to), ch, aid, ab[:], int64(q.From), int64(to))
	if err != nil {
		return nil, fmt.Errorf("read transfers of %s: %w", q.Address, err)
	}
	out, err := db.scanTransfers(ctx, rows, q.Asset)
	if err != nil {
		return nil, fmt.Errorf("read transfers of %s: %w", q.Address, err)
	}
	return out, nil
}

// CachedTxTransfers returns the stored transfers of transaction tx, every
// asset, in canonical order, and whether the store holds the whole
// transaction (it was fetched as a whole, not just the transfers of some
// addresses).
func (db *DB) CachedTxTransfers(ctx context.Context, c chains.Chain, tx chains.TxHash) ([]chains.Transfer, bool, error) {
	// Coverage first: it is committed with the transfers, so once it is
	// seen they are too. Read the other way round, a store committed in
	// between would give no transfers marked whole.
	var one int
	err := db.row(ctx, `SELECT 1 FROM tx_coverage WHERE chain = ? AND tx = ?`, string(c), tx[:]).Scan(&one)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("read transaction %s: %w", tx, err)
	}
	whole := err == nil
	rows, err := db.sql.QueryContext(ctx, `SELECT a.contract, t.tx, t.position, t.tx_index, t.block, coalesce(t.time, b.time), t.from_id, t.to_id, t.amount
		FROM transfers t JOIN assets a ON a.id = t.asset
		LEFT JOIN blocks b ON b.chain = a.chain AND b.number = t.block
		WHERE t.tx_prefix = ? AND t.tx = ? AND a.chain = ?`, txPrefix(tx), tx[:], string(c))
	if err != nil {
		return nil, false, fmt.Errorf("read transaction %s: %w", tx, err)
	}
	defer rows.Close()
	out := []chains.Transfer{}
	var ids [][2]int64
	for rows.Next() {
		var contract []byte
		var t chains.Transfer
		var id [2]int64
		if err := scanTransfer(rows, &t, &id, &contract); err != nil {
			return nil, false, fmt.Errorf("read transaction %s: %w", tx, err)
		}
		t.Chain = c
		t.Asset = chains.AssetID{Chain: c}
		if len(contract) > 0 {
			if t.Asset.Contract, err = chains.AddressFromSlice(c.Family(), contract); err != nil {
				return nil, false, err
			}
		}
		out, ids = append(out, t), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	db.read.Add(int64(len(out)))
	if err := db.resolveAddresses(ctx, out, ids, c.Family()); err != nil {
		return nil, false, fmt.Errorf("read transaction %s: %w", tx, err)
	}
	slices.SortFunc(out, chains.Compare)
	return out, whole, nil
}

type scanner interface{ Scan(...any) error }

// scanTransfer reads a transferSelect row (with extra leading columns in
// pre) into t, and its sender's and receiver's address ids into ids; the
// caller resolves them (DB.resolveAddresses).
func scanTransfer(r scanner, t *chains.Transfer, ids *[2]int64, pre ...any) error {
	var tx []byte
	var pos, txi, blk int64
	var tm sql.NullInt64
	var amt string
	if err := r.Scan(append(pre, &tx, &pos, &txi, &blk, &tm, &ids[0], &ids[1], &amt)...); err != nil {
		return err
	}
	if len(tx) != 32 {
		return fmt.Errorf("stored hash has %d bytes", len(tx))
	}
	copy(t.Tx[:], tx)
	t.Position, t.TxIndex, t.Block = uint32(pos), uint32(txi), uint64(blk)
	if tm.Valid {
		t.Time = time.Unix(tm.Int64, 0).UTC()
	}
	var err error
	if t.Amount, err = chains.ParseAmount(amt); err != nil {
		return fmt.Errorf("stored amount: %w", err)
	}
	return nil
}

func (db *DB) scanTransfers(ctx context.Context, rows *sql.Rows, asset chains.AssetID) ([]chains.Transfer, error) {
	defer rows.Close()
	out := []chains.Transfer{}
	var ids [][2]int64
	for rows.Next() {
		var t chains.Transfer
		var id [2]int64
		if err := scanTransfer(rows, &t, &id); err != nil {
			return nil, err
		}
		t.Chain, t.Asset = asset.Chain, asset
		out, ids = append(out, t), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	db.read.Add(int64(len(out)))
	if err := db.resolveAddresses(ctx, out, ids, asset.Chain.Family()); err != nil {
		return nil, err
	}
	slices.SortFunc(out, chains.Compare)
	return out, nil
}

// labelSelect selects the columns scanLabel reads, with labelOrder the
// order Labels and LabelsOf give.
const (
	labelSelect = `l.entity, l.category, a.chain, a.contract, l.source, l.date, l.note, l.confidence, l.heuristic, l.evidence
	FROM labels l LEFT JOIN assets a ON a.id = l.asset `
	labelOrder = `l.confidence DESC, l.source, l.entity, l.category, l.heuristic, l.asset, l.id`
)

const labelsQuery = `SELECT ` + labelSelect + `WHERE l.chain = ? AND l.address = ? ORDER BY ` + labelOrder

// Labels returns every label stored for addr on chain, most confident
// first, then by source, entity and category; an empty slice when there is
// none. It implements chains.Labeler.
func (db *DB) Labels(ctx context.Context, c chains.Chain, addr chains.Address) ([]chains.Label, error) {
	ab := addr.Bytes()
	st, err := db.prepared(ctx, labelsQuery)
	if err != nil {
		return nil, fmt.Errorf("labels of %s: %w", addr, err)
	}
	rows, err := st.QueryContext(ctx, string(c), ab[:])
	if err != nil {
		return nil, fmt.Errorf("labels of %s: %w", addr, err)
	}
	defer rows.Close()
	out := []chains.Label{}
	for rows.Next() {
		l := chains.Label{Chain: c, Address: addr.In(c.Family())}
		if err := scanLabel(rows, &l); err != nil {
			return nil, fmt.Errorf("labels of %s: %w", addr, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// scanLabel reads a labelSelect row (with extra leading columns in pre)
// into l, all but its Chain and Address.
func scanLabel(r scanner, l *chains.Label, pre ...any) error {
	var cat, ev string
	var achain sql.NullString
	var acontract []byte
	if err := r.Scan(append(pre, &l.Entity, &cat, &achain, &acontract, &l.Source, &l.Date, &l.Note, &l.Confidence, &l.Heuristic, &ev)...); err != nil {
		return err
	}
	l.Category = chains.Category(cat)
	if achain.Valid {
		ac := chains.Chain(achain.String)
		id := chains.AssetID{Chain: ac}
		if len(acontract) > 0 {
			var err error
			if id.Contract, err = chains.AddressFromSlice(ac.Family(), acontract); err != nil {
				return err
			}
		}
		l.Asset = &id
	}
	for _, h := range strings.Fields(ev) {
		th, err := chains.ParseTxHash(h)
		if err != nil {
			return fmt.Errorf("stored evidence: %w", err)
		}
		l.Evidence = append(l.Evidence, th)
	}
	return nil
}

// AssetMeta returns the stored metadata of an asset: ok is false when its
// symbol and decimals are unknown; kind is "native", "erc20", "erc721" or "".
func (db *DB) AssetMeta(ctx context.Context, id chains.AssetID) (a chains.Asset, kind string, ok bool, err error) {
	var sym sql.NullString
	var dec sql.NullInt64
	err = db.row(ctx, `SELECT symbol, decimals, kind FROM assets WHERE chain = ? AND contract = ?`,
		string(id.Chain), contractBytes(id)).Scan(&sym, &dec, &kind)
	if errors.Is(err, sql.ErrNoRows) {
		return chains.Asset{ID: id}, "", false, nil
	}
	if err != nil {
		return chains.Asset{}, "", false, fmt.Errorf("asset %s: %w", id, err)
	}
	a = chains.Asset{ID: id, Symbol: sym.String, Decimals: uint8(dec.Int64)}
	return a, kind, dec.Valid, nil
}

// BlockOf returns a stored block; ok is false when it is not stored.
func (db *DB) BlockOf(ctx context.Context, c chains.Chain, n uint64) (b Block, ok bool, err error) {
	var hash []byte
	var tm int64
	err = db.row(ctx, `SELECT hash, time FROM blocks WHERE chain = ? AND number = ?`, string(c), int64(n)).Scan(&hash, &tm)
	if errors.Is(err, sql.ErrNoRows) {
		return Block{}, false, nil
	}
	if err != nil {
		return Block{}, false, fmt.Errorf("block %d: %w", n, err)
	}
	b = Block{Chain: c, Number: n, Time: time.Unix(tm, 0).UTC()}
	copy(b.Hash[:], hash)
	return b, true, nil
}

// KnownContract returns what the store knows about whether addr holds
// code; known is false when it knows nothing.
func (db *DB) KnownContract(ctx context.Context, c chains.Chain, addr chains.Address) (isContract, known bool, err error) {
	ab := addr.Bytes()
	var v int
	err = db.row(ctx, `SELECT is_contract FROM contracts WHERE chain = ? AND address = ?`, string(c), ab[:]).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	if err != nil {
		return false, false, fmt.Errorf("contract %s: %w", addr, err)
	}
	return v == 1, true, nil
}

// Range is an inclusive block range.
type Range struct{ From, To uint64 }

// Coverage returns the block ranges known complete for (addr, asset),
// merged and sorted.
func (db *DB) Coverage(ctx context.Context, addr chains.Address, asset chains.AssetID) ([]Range, error) {
	aid, err := db.assetRowID(ctx, asset)
	if err != nil || aid == 0 {
		return nil, err
	}
	ab := addr.Bytes()
	rows, err := db.rows(ctx, `SELECT from_block, to_block FROM coverage WHERE asset = ? AND address = ? ORDER BY from_block, to_block`, aid, ab[:])
	if err != nil {
		return nil, fmt.Errorf("coverage of %s: %w", addr, err)
	}
	defer rows.Close()
	var rs []Range
	for rows.Next() {
		var f, t int64
		if err := rows.Scan(&f, &t); err != nil {
			return nil, fmt.Errorf("coverage of %s: %w", addr, err)
		}
		rs = append(rs, Range{uint64(f), uint64(t)})
	}
	return mergeRanges(rs), rows.Err()
}

// mergeRanges merges overlapping and adjacent sorted ranges.
func mergeRanges(rs []Range) []Range {
	var out []Range
	for _, r := range rs {
		if n := len(out); n > 0 && (r.From <= out[n-1].To || r.From == out[n-1].To+1) {
			out[n-1].To = max(out[n-1].To, r.To)
			continue
		}
		out = append(out, r)
	}
	return out
}

// gaps returns the parts of [from, to] not in the merged ranges rs.
func gaps(rs []Range, from, to uint64) []Range {
	var out []Range
	next := from
	for _, r := range rs {
		if r.To < next {
			continue
		}
		if r.From > to {
			break
		}
		if r.From > next {
			out = append(out, Range{next, r.From - 1})
		}
		if r.To >= to {
			return out
		}
		next = r.To + 1
	}
	return append(out, Range{next, to})
}

// NonFungible returns the assets of chain c known to be non-fungible
// (ERC-721), whose transfers are never stored.
func (db *DB) NonFungible(ctx context.Context, c chains.Chain) (map[chains.AssetID]bool, error) {
	return nonFungible(ctx, db.sql, c)
}

// NonFungible is DB.NonFungible seen from inside the batch.
func (b *Batch) NonFungible(ctx context.Context, c chains.Chain) (map[chains.AssetID]bool, error) {
	return nonFungible(ctx, b.tx, c)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func nonFungible(ctx context.Context, q querier, c chains.Chain) (map[chains.AssetID]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT contract FROM assets WHERE chain = ? AND kind = 'erc721'`, string(c))
	if err != nil {
		return nil, fmt.Errorf("non-fungible assets: %w", err)
	}
	defer rows.Close()
	out := map[chains.AssetID]bool{}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("non-fungible assets: %w", err)
		}
		a, err := chains.AddressFromSlice(c.Family(), b)
		if err != nil {
			return nil, err
		}
		out[chains.AssetID{Chain: c, Contract: a}] = true
	}
	return out, rows.Err()
}

// AssetTotal returns how many transfers of asset are stored and the exact
// sum of their amounts.
func (db *DB) AssetTotal(ctx context.Context, asset chains.AssetID) (n int64, sum chains.Amount, err error) {
	aid, err := db.assetRowID(ctx, asset)
	if err != nil || aid == 0 {
		return 0, sum, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT amount FROM transfers WHERE asset = ?`, aid)
	if err != nil {
		return 0, sum, fmt.Errorf("total of %s: %w", asset, err)
	}
	defer rows.Close()
	acc := new(big.Int)
	v := new(big.Int)
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return 0, sum, fmt.Errorf("total of %s: %w", asset, err)
		}
		if _, ok := v.SetString(s, 10); !ok {
			return 0, sum, fmt.Errorf("total of %s: stored amount %q", asset, s)
		}
		acc.Add(acc, v)
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, sum, err
	}
	sum, err = chains.AmountFromBig(acc)
	return n, sum, err
}
