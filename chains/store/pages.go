package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"freezetrace/chains"
)

var _ chains.Pager = (*Source)(nil)

// TransfersPage implements chains.Pager: the cache is filled for the whole
// range first (as Transfers does), then the file is read a page at a time.
// A range nothing can be cached for (up to chains.Latest, in front of an
// upstream that cannot tell its head) is read from the upstream for each
// page and cut to the page.
func (s *Source) TransfersPage(ctx context.Context, q chains.Query, limit int) ([]chains.Transfer, uint64, error) {
	if q.Asset.Chain != q.Chain || !q.Chain.Valid() {
		return nil, 0, chains.Invalid(fmt.Errorf("transfers: asset %s is not on chain %q", q.Asset, string(q.Chain)))
	}
	if q.From > q.To {
		return []chains.Transfer{}, 0, nil
	}
	cq := q
	if !s.opt.Offline {
		cov, err := s.db.Coverage(ctx, q.Address, q.Asset)
		if err != nil {
			return nil, 0, err
		}
		var state readState
		if cq, state, err = s.stored(ctx, q, cov); err != nil {
			if errors.Is(err, errNoFinal) {
				return []chains.Transfer{}, 0, nil
			}
			return nil, 0, err
		}
		switch state {
		case passThrough:
			ts, err := s.upstreamTransfers(ctx, q, q.From, q.To)
			if err != nil {
				return nil, 0, err
			}
			ts, next := firstPage(ts, limit)
			return ts, next, nil
		case nothingFinal:
			return []chains.Transfer{}, 0, nil
		}
	}
	end, full, err := s.db.pageEnd(ctx, cq, limit)
	if err != nil {
		return nil, 0, err
	}
	var next uint64
	if full && end < cq.To {
		cq.To, next = end, end+1
	}
	ts, err := s.withTimes(ctx, q.Chain)(s.db.CachedTransfers(ctx, cq))
	return ts, next, err
}

// firstPage cuts the first page from ts, a range's transfers in canonical
// order, read whole from an upstream that cannot be cached: whole blocks,
// at most limit transfers unless the first block alone holds more. next
// is where the rest starts, 0 when the page holds all of ts.
func firstPage(ts []chains.Transfer, limit int) (page []chains.Transfer, next uint64) {
	if len(ts) <= limit {
		return ts, 0
	}
	end := ts[limit].Block // the block of the first transfer left out
	if end == ts[0].Block {
		end++ // the first block holds more than limit: the page is that block
	}
	cut, _ := slices.BinarySearchFunc(ts, end, func(t chains.Transfer, b uint64) int { return cmp.Compare(t.Block, b) })
	if cut == len(ts) {
		return ts, 0
	}
	return ts[:cut], end
}

// pageEndQuery finds the block of an address's limit-th transfer of an
// asset from a block on: both sides are read in block order from the
// covering address indexes and merged, no row is fetched.
const pageEndQuery = `SELECT block FROM (
	SELECT block FROM transfers WHERE asset = ? AND from_id = ` + addressID + ` AND block BETWEEN ? AND ?
	UNION ALL SELECT block FROM transfers WHERE asset = ? AND to_id = ` + addressID + ` AND block BETWEEN ? AND ?
	ORDER BY block) LIMIT 1 OFFSET ?`

// pageEnd returns where a page of q ends (full true): the block before
// that of its (limit+1)-th stored transfer, so that [q.From, end] holds
// whole blocks and at most limit transfers, or that block itself when it is
// q.From. full is false when q holds no more than limit transfers.
func (db *DB) pageEnd(ctx context.Context, q chains.Query, limit int) (end uint64, full bool, err error) {
	aid, err := db.assetRowID(ctx, q.Asset)
	if err != nil || aid == 0 {
		return 0, false, err
	}
	ab := q.Address.Bytes()
	to := min(q.To, 1<<63-1)
	st, err := db.prepared(ctx, pageEndQuery)
	if err != nil {
		return 0, false, fmt.Errorf("read transfers of %s: %w", q.Address, err)
	}
	var b int64
	err = st.QueryRowContext(ctx, aid, ab[:], int64(q.From), int64(to), aid, ab[:], int64(q.From), int64(to), limit).Scan(&b)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read transfers of %s: %w", q.Address, err)
	}
	// The page ends before the block of the (limit+1)-th transfer, unless
	// that block is the first: then the page is that one block.
	if uint64(b) > q.From {
		return uint64(b) - 1, true, nil
	}
	return uint64(b), true, nil
}
