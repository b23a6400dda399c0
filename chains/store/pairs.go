package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"freezetrace/chains"
)

var _ chains.PairFinder = (*Source)(nil)

// AddPairCoverage records that every transfer of asset from one address to
// another in the blocks [lo, hi] is stored. Call it in the batch that
// stores them.
func (b *Batch) AddPairCoverage(ctx context.Context, asset chains.AssetID, from, to chains.Address, lo, hi uint64, source string, retrieved time.Time) error {
	if lo > hi {
		return fmt.Errorf("add pair coverage: empty range %d-%d", lo, hi)
	}
	id, err := b.assetRow(ctx, asset)
	if err != nil {
		return err
	}
	fb, tb := from.Bytes(), to.Bytes()
	if _, err := b.tx.ExecContext(ctx, `INSERT INTO pair_coverage (asset, from_addr, to_addr, from_block, to_block, source, retrieved_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, fb[:], tb[:], int64(lo), int64(hi), source, retrieved.Unix()); err != nil {
		return fmt.Errorf("add pair coverage %d-%d: %w", lo, hi, err)
	}
	if hi > b.maxBlock[asset.Chain] {
		b.maxBlock[asset.Chain] = hi
	}
	return nil
}

// PairCoverage returns the block ranges in which every transfer of asset
// from one address to another is known stored: the pair's own coverage and
// that of either address's whole history, merged and sorted.
func (db *DB) PairCoverage(ctx context.Context, asset chains.AssetID, from, to chains.Address) ([]Range, error) {
	aid, err := db.assetRowID(ctx, asset)
	if err != nil || aid == 0 {
		return nil, err
	}
	fb, tb := from.Bytes(), to.Bytes()
	rows, err := db.sql.QueryContext(ctx, `SELECT from_block, to_block FROM pair_coverage WHERE asset = ? AND from_addr = ? AND to_addr = ?`, aid, fb[:], tb[:])
	if err != nil {
		return nil, fmt.Errorf("pair coverage of %s → %s: %w", from, to, err)
	}
	defer rows.Close()
	var rs []Range
	for rows.Next() {
		var f, t int64
		if err := rows.Scan(&f, &t); err != nil {
			return nil, fmt.Errorf("pair coverage of %s → %s: %w", from, to, err)
		}
		rs = append(rs, Range{uint64(f), uint64(t)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pair coverage of %s → %s: %w", from, to, err)
	}
	for _, a := range []chains.Address{from, to} {
		c, err := db.Coverage(ctx, a, asset)
		if err != nil {
			return nil, err
		}
		rs = append(rs, c...)
	}
	slices.SortFunc(rs, func(a, b Range) int { return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To)) })
	return mergeRanges(rs), nil
}

// cachedBetween reads the stored transfers from q.From to q.To.
func (db *DB) cachedBetween(ctx context.Context, q chains.PairQuery, hi uint64) ([]chains.Transfer, error) {
	ts, err := db.CachedTransfers(ctx, chains.Query{Chain: q.Chain, Address: q.From, Asset: q.Asset, From: q.FromBlock, To: hi})
	if err != nil {
		return nil, err
	}
	out := ts[:0]
	for _, t := range ts {
		if t.From == q.From && t.To == q.To {
			out = append(out, t)
		}
	}
	return out, nil
}

// TransfersBetween implements chains.PairFinder: from the cache, fetching
// the ranges it lacks with the upstream's pair query (stored with their
// pair coverage), or, when the upstream has none, through the sender's
// history. Offline it answers what the file holds.
func (s *Source) TransfersBetween(ctx context.Context, q chains.PairQuery) ([]chains.Transfer, error) {
	if q.Asset.Chain != q.Chain || !q.Chain.Valid() {
		return nil, chains.Invalid(fmt.Errorf("transfers between: asset %s is not on chain %q", q.Asset, string(q.Chain)))
	}
	if q.FromBlock > q.ToBlock {
		return []chains.Transfer{}, nil
	}
	if s.opt.Offline {
		return s.db.cachedBetween(ctx, q, q.ToBlock)
	}
	pf, ok := s.up.(chains.PairFinder)
	if !ok {
		return s.viaSender(ctx, q)
	}
	cov, err := s.db.PairCoverage(ctx, q.Asset, q.From, q.To)
	if err != nil {
		return nil, err
	}
	if q.ToBlock != chains.Latest && len(gaps(cov, q.FromBlock, q.ToBlock)) == 0 {
		return s.withTimes(ctx, q.Chain)(s.db.cachedBetween(ctx, q, q.ToBlock))
	}
	safe, ok, err := s.safeTo(ctx, q.Chain, q.ToBlock)
	if errors.Is(err, errNoFinal) {
		return []chains.Transfer{}, nil
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return s.viaSender(ctx, q)
	}
	if q.FromBlock > safe {
		return []chains.Transfer{}, nil
	}
	for _, g := range gaps(cov, q.FromBlock, safe) {
		gq := q
		gq.FromBlock, gq.ToBlock = g.From, g.To
		ts, err := pf.TransfersBetween(ctx, gq)
		if errors.Is(err, chains.ErrUnsupported) {
			return s.viaSender(ctx, q)
		}
		if err != nil {
			return nil, fmt.Errorf("fetch transfers %s → %s %d-%d: %w", q.From, q.To, g.From, g.To, err)
		}
		for _, t := range ts {
			if t.Block < g.From || t.Block > g.To || t.Asset != q.Asset || t.From != q.From || t.To != q.To {
				return nil, fmt.Errorf("fetch transfers %s → %s %d-%d: upstream returned another transfer (%s, block %d)", q.From, q.To, g.From, g.To, t.Asset, t.Block)
			}
		}
		if err := s.store(ctx, q.Chain, ts, func(b *Batch) error {
			return b.AddPairCoverage(ctx, q.Asset, q.From, q.To, g.From, g.To, s.opt.Name, s.opt.Clock())
		}); err != nil {
			return nil, fmt.Errorf("store transfers %s → %s %d-%d: %w", q.From, q.To, g.From, g.To, err)
		}
	}
	return s.withTimes(ctx, q.Chain)(s.db.cachedBetween(ctx, q, safe))
}

// viaSender answers a pair query from the sender's history.
func (s *Source) viaSender(ctx context.Context, q chains.PairQuery) ([]chains.Transfer, error) {
	return chains.BetweenFromHistory(ctx, s, q)
}
