package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"freezetrace/chains"
)

var _ chains.PeerCounter = (*Source)(nil)

// countPeersQuery counts the distinct counterparties of an address, up to
// a limit: each side is an index range scan, read as a stream of
// counterparties that stops at the limit-th distinct one (a UNION would
// read both sides whole before the LIMIT applies). The limit is written
// into the SQL (countPeersSQL): bound as a parameter, it makes SQLite
// prepare the statement again at every run.
const countPeersQuery = `SELECT count(*) FROM (SELECT DISTINCT peer FROM (
	SELECT to_id AS peer FROM transfers WHERE asset = ? AND from_id = ` + addressID + ` AND block BETWEEN ? AND ?
	UNION ALL SELECT from_id FROM transfers WHERE asset = ? AND to_id = ` + addressID + ` AND block BETWEEN ? AND ?)
	LIMIT %d)`

// countPeersSQL is countPeersQuery for one limit.
func countPeersSQL(limit int) string { return fmt.Sprintf(countPeersQuery, limit) }

// CountPeers counts the distinct counterparties of q.Address in the
// stored transfers of q.Asset in [q.From, q.To], stopping at limit+1.
func (db *DB) CountPeers(ctx context.Context, q chains.Query, limit int) (int, error) {
	aid, err := db.assetRowID(ctx, q.Asset)
	if err != nil || aid == 0 {
		return 0, err
	}
	ab := q.Address.Bytes()
	to := min(q.To, 1<<63-1)
	var n int
	if err := db.row(ctx, countPeersSQL(limit+1), aid, ab[:], int64(q.From), int64(to), aid, ab[:], int64(q.From), int64(to)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count counterparties of %s: %w", q.Address, err)
	}
	return n, nil
}

// Counterparties implements chains.PeerCounter: from the stored transfers
// when the range is covered (or offline), else from a count the upstream
// gave earlier, else from the upstream when it can count (the answer is
// stored when it exceeds limit). ErrUnsupported otherwise: the caller then
// reads the transfers through Transfers.
func (s *Source) Counterparties(ctx context.Context, q chains.Query, limit int) (int, error) {
	if q.Asset.Chain != q.Chain || !q.Chain.Valid() {
		return 0, chains.Invalid(fmt.Errorf("counterparties: asset %s is not on chain %q", q.Asset, string(q.Chain)))
	}
	if q.From > q.To {
		return 0, nil
	}
	if s.opt.Offline {
		return s.db.CountPeers(ctx, q, limit)
	}
	safe, bounded, err := s.safeTo(ctx, q.Chain, q.To)
	switch {
	case errors.Is(err, errNoFinal):
		return 0, nil
	case err != nil:
		return 0, err
	case !bounded:
		return 0, fmt.Errorf("counterparties of %s: %w", q.Address, chains.ErrUnsupported)
	case q.From > safe:
		return 0, nil
	}
	cq := q
	cq.To = safe
	cov, err := s.db.Coverage(ctx, q.Address, q.Asset)
	if err != nil {
		return 0, err
	}
	if len(gaps(cov, q.From, safe)) == 0 {
		return s.db.CountPeers(ctx, cq, limit)
	}
	pc, ok := s.up.(chains.PeerCounter)
	if !ok {
		return 0, fmt.Errorf("counterparties of %s: %w", q.Address, chains.ErrUnsupported)
	}
	if n, ok, err := s.db.peerCount(ctx, cq, limit); err != nil || ok {
		return n, err
	}
	n, err := pc.Counterparties(ctx, cq, limit)
	if err != nil {
		return 0, err
	}
	if n > limit {
		if err := s.db.putPeerCount(ctx, cq, limit, n, s.opt.Name, s.opt.Clock().Unix()); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// peerCount returns a stored count above limit for q's address from q.From
// over a range ending at or before q.To: more then as well.
func (db *DB) peerCount(ctx context.Context, q chains.Query, limit int) (int, bool, error) {
	aid, err := db.assetRowID(ctx, q.Asset)
	if err != nil || aid == 0 {
		return 0, false, err
	}
	ab := q.Address.Bytes()
	var n int
	err = db.row(ctx, `SELECT count FROM peer_counts WHERE asset = ? AND address = ? AND from_block = ? AND max_count = ? AND to_block <= ? AND count > max_count LIMIT 1`,
		aid, ab[:], int64(q.From), limit, int64(min(q.To, 1<<63-1))).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("stored counterparties of %s: %w", q.Address, err)
	}
	return n, true, nil
}

func (db *DB) putPeerCount(ctx context.Context, q chains.Query, limit, n int, source string, at int64) error {
	return db.update(ctx, func(b *Batch) error {
		aid, err := b.assetRow(ctx, q.Asset)
		if err != nil {
			return err
		}
		ab := q.Address.Bytes()
		if _, err := b.tx.ExecContext(ctx, `INSERT OR REPLACE INTO peer_counts (asset, address, from_block, to_block, max_count, count, source, retrieved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			aid, ab[:], int64(q.From), int64(q.To), limit, n, source, at); err != nil {
			return fmt.Errorf("store counterparties of %s: %w", q.Address, err)
		}
		return nil
	})
}
