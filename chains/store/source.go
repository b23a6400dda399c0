package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"freezetrace/chains"
)

// Options configure a caching Source.
type Options struct {
	// Name names the upstream in coverage rows and provenance ("rpc",
	// "trongrid"). It must not contain secrets such as API keys.
	Name string
	// Offline forbids every upstream request: answers come from what the
	// file holds. A nil upstream is always offline.
	Offline bool
	// ConfirmDepth: only blocks at or below head − ConfirmDepth are final.
	// Transfers answers for final blocks only (so a trace is reproducible
	// from the cache); TxTransfers and BlockTime answer for newer blocks
	// too but cache only final ones. It needs an upstream implementing
	// chains.HeadReader; without one every block of a bounded query counts
	// as final, and a query up to chains.Latest is passed through uncached.
	ConfirmDepth uint64
	// MaxRange splits a missing block range into pieces of at most this
	// many blocks, each fetched and stored in its own transaction, so an
	// interrupted fetch keeps the pieces already done. 0 fetches each
	// missing range whole.
	MaxRange uint64
	// HeadTTL: a head fetched less than HeadTTL ago (stored in the file)
	// is reused instead of asking again, so a warm re-run within it makes
	// no request at all. 0 asks once per Source (a warm re-run then makes
	// one request per chain, unless every query has a bounded To that is
	// already covered).
	HeadTTL time.Duration
	// Clock stamps retrieval times; time.Now when nil. It is only read at
	// the moment data is stored.
	Clock func() time.Time
}

// Source is a chains.Source that answers from the database and fetches from
// its upstream only what the database does not cover: for Transfers, the
// block ranges of (address, asset) not yet covered; fetched data and its
// coverage are stored in one transaction, so an interrupted fetch loses
// nothing and duplicates nothing, and a range is never marked complete
// unless all of it is stored.
//
// Offline, Transfers returns everything the file holds for the query
// (imported files have no per-address coverage), and the other methods
// answer what is stored or fail with an error matching chains.ErrOffline.
type Source struct {
	db  *DB
	up  chains.Source
	opt Options

	mu       sync.Mutex
	heads    map[chains.Chain]uint64
	noFreeze map[chains.AssetID]error // assets the upstream cannot read freeze statuses of
}

var (
	_ chains.Source      = (*Source)(nil)
	_ chains.BlockFinder = (*Source)(nil)
)

// NewSource returns a caching Source in front of upstream (nil: offline).
func NewSource(db *DB, upstream chains.Source, opt Options) *Source {
	if opt.Name == "" {
		opt.Name = "upstream"
	}
	if opt.Clock == nil {
		opt.Clock = time.Now
	}
	if upstream == nil {
		opt.Offline = true
	}
	return &Source{db: db, up: upstream, opt: opt, heads: map[chains.Chain]uint64{}}
}

// Source returns an offline chains.Source view of the database.
func (db *DB) Source() *Source { return NewSource(db, nil, Options{}) }

// offline builds the error for an answer the cache lacks while offline; it
// matches chains.ErrOffline and also (chains.ErrNotFound or
// chains.ErrUnsupported).
func offline(what string, also error) error {
	return fmt.Errorf("%s: %w (%w)", what, chains.ErrOffline, also)
}

// head returns the newest block of c and whether the upstream can tell.
func (s *Source) head(ctx context.Context, c chains.Chain) (uint64, bool, error) {
	hr, ok := s.up.(chains.HeadReader)
	if !ok {
		return 0, false, nil
	}
	s.mu.Lock()
	h, seen := s.heads[c]
	s.mu.Unlock()
	if seen {
		return h, true, nil
	}
	if s.opt.HeadTTL > 0 {
		var n, at int64
		err := s.db.sql.QueryRowContext(ctx, `SELECT number, retrieved_at FROM heads WHERE chain = ?`, string(c)).Scan(&n, &at)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, false, fmt.Errorf("read head of %s: %w", c, err)
		}
		if err == nil && s.opt.Clock().Sub(time.Unix(at, 0)) < s.opt.HeadTTL {
			s.remember(c, uint64(n))
			return uint64(n), true, nil
		}
	}
	h, err := hr.Head(ctx, c)
	if err != nil {
		return 0, false, fmt.Errorf("head of %s: %w", c, err)
	}
	if _, err := s.db.sql.ExecContext(ctx, `INSERT OR REPLACE INTO heads (chain, number, retrieved_at) VALUES (?, ?, ?)`,
		string(c), int64(h), s.opt.Clock().Unix()); err != nil {
		return 0, false, fmt.Errorf("store head of %s: %w", c, err)
	}
	s.remember(c, h)
	return h, true, nil
}

func (s *Source) remember(c chains.Chain, h uint64) {
	s.mu.Lock()
	s.heads[c] = h
	s.mu.Unlock()
}

// Transfers implements chains.Source.
func (s *Source) Transfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	if q.Asset.Chain != q.Chain || !q.Chain.Valid() {
		return nil, chains.Invalid(fmt.Errorf("transfers: asset %s is not on chain %q", q.Asset, string(q.Chain)))
	}
	if q.From > q.To {
		return []chains.Transfer{}, nil
	}
	if s.opt.Offline {
		return s.db.CachedTransfers(ctx, q)
	}
	cov, err := s.db.Coverage(ctx, q.Address, q.Asset)
	if err != nil {
		return nil, err
	}
	ts, err := s.transfers(ctx, q, cov)
	if errors.Is(err, errNoFinal) {
		return []chains.Transfer{}, nil
	}
	return ts, err
}

func (s *Source) transfers(ctx context.Context, q chains.Query, cov []Range) ([]chains.Transfer, error) {
	cq, state, err := s.stored(ctx, q, cov)
	switch {
	case err != nil:
		return nil, err
	case state == passThrough:
		return s.upstreamTransfers(ctx, q, q.From, q.To)
	case state == nothingFinal:
		return []chains.Transfer{}, nil
	}
	return s.withTimes(ctx, q.Chain)(s.db.CachedTransfers(ctx, cq))
}

// readState says how a query is answered once the cache is filled.
type readState int

const (
	fromStore    readState = iota // read the returned query from the file
	passThrough                   // no head bounds the range: ask the upstream, cache nothing
	nothingFinal                  // no final block in the range
)

// stored fills the gaps of q's range (cov is its coverage) from the
// upstream and returns the query the file now answers in full: q itself,
// or q up to the newest final block.
func (s *Source) stored(ctx context.Context, q chains.Query, cov []Range) (chains.Query, readState, error) {
	if q.To != chains.Latest && len(gaps(cov, q.From, q.To)) == 0 {
		// Covered ranges hold final blocks only: no need for the head.
		return q, fromStore, nil
	}
	safe, bounded, err := s.safeTo(ctx, q.Chain, q.To)
	if err != nil {
		return q, 0, err
	}
	if !bounded {
		return q, passThrough, nil
	}
	if q.From > safe {
		return q, nothingFinal, nil
	}
	for _, g := range gaps(cov, q.From, safe) {
		if err := s.fill(ctx, q, g); err != nil {
			return q, 0, err
		}
	}
	q.To = safe
	return q, fromStore, nil
}

// safeTo is the newest block up to to that this Source answers for: blocks
// up to it are answered from the cache, fetching what it lacks; newer blocks
// are not final and this Source does not show them. bounded is false when
// to is Latest and the upstream cannot tell its head (nothing can be
// cached then). It fails with errNoFinal while the chain is shorter than
// the confirmation depth.
func (s *Source) safeTo(ctx context.Context, c chains.Chain, to uint64) (safe uint64, bounded bool, err error) {
	h, known, err := s.head(ctx, c)
	switch {
	case err != nil:
		return 0, false, err
	case known && h < s.depth():
		return 0, true, errNoFinal
	case known:
		return min(to, h-s.depth()), true, nil
	case to == chains.Latest:
		return 0, false, nil
	}
	return to, true, nil
}

// errNoFinal: the chain has no block deep enough to be final yet.
var errNoFinal = errors.New("no final block yet")

// withTimes sets the block time of transfers read from the cache without
// one (an import without its blocks file), asking the upstream for each
// such block (cached); offline they stay unknown.
func (s *Source) withTimes(ctx context.Context, c chains.Chain) func([]chains.Transfer, error) ([]chains.Transfer, error) {
	return func(ts []chains.Transfer, err error) ([]chains.Transfer, error) {
		if err != nil || s.opt.Offline {
			return ts, err
		}
		return s.setTimes(ctx, c, ts)
	}
}

func (s *Source) setTimes(ctx context.Context, c chains.Chain, ts []chains.Transfer) ([]chains.Transfer, error) {
	var err error
	times := map[uint64]time.Time{}
	for i := range ts {
		if !ts[i].Time.IsZero() {
			continue
		}
		t, ok := times[ts[i].Block]
		if !ok {
			if t, err = s.BlockTime(ctx, c, ts[i].Block); err != nil {
				return nil, fmt.Errorf("time of block %d: %w", ts[i].Block, err)
			}
			times[ts[i].Block] = t
		}
		ts[i].Time = t
	}
	return ts, nil
}

func (s *Source) upstreamTransfers(ctx context.Context, q chains.Query, from, to uint64) ([]chains.Transfer, error) {
	uq := q
	uq.From, uq.To = from, to
	ts, err := s.up.Transfers(ctx, uq)
	if err != nil {
		return nil, fmt.Errorf("fetch transfers of %s %d-%d: %w", q.Address, from, to, err)
	}
	return ts, nil
}

// fill fetches the missing range g in pieces of at most MaxRange blocks,
// storing each piece with its coverage in one transaction.
func (s *Source) fill(ctx context.Context, q chains.Query, g Range) error {
	for from := g.From; ; {
		to := g.To
		if s.opt.MaxRange > 0 && to-from >= s.opt.MaxRange {
			to = from + s.opt.MaxRange - 1
		}
		ts, err := s.upstreamTransfers(ctx, q, from, to)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.Block < from || t.Block > to || t.Asset != q.Asset {
				return fmt.Errorf("fetch transfers of %s %d-%d: upstream returned a transfer of %s in block %d", q.Address, from, to, t.Asset, t.Block)
			}
		}
		err = s.store(ctx, q.Chain, ts, func(b *Batch) error {
			return b.AddCoverage(ctx, q.Address, q.Asset, from, to, s.opt.Name, s.opt.Clock())
		})
		if err != nil {
			return fmt.Errorf("store transfers of %s %d-%d: %w", q.Address, from, to, err)
		}
		if to == g.To {
			return nil
		}
		from = to + 1
	}
}

// store saves fetched transfers with their blocks (hashes when the
// upstream gives them) and, in the same transaction, the coverage that
// cover records.
func (s *Source) store(ctx context.Context, c chains.Chain, ts []chains.Transfer, cover func(*Batch) error) error {
	blocks, err := s.blockHashes(ctx, c, ts)
	if err != nil {
		return err
	}
	return s.db.update(ctx, func(b *Batch) error {
		if _, _, err := b.PutBlocks(ctx, blocks); err != nil {
			return err
		}
		if _, err := b.PutTransfers(ctx, ts); err != nil {
			return err
		}
		return cover(b)
	})
}

// blockHashes returns the blocks of ts with their hashes when the upstream
// can give them, in block order; none otherwise.
func (s *Source) blockHashes(ctx context.Context, c chains.Chain, ts []chains.Transfer) ([]Block, error) {
	bh, ok := s.hasher()
	if !ok {
		return nil, nil
	}
	var out []Block
	seen := map[uint64]bool{}
	for _, t := range ts {
		if seen[t.Block] || t.Time.IsZero() {
			continue
		}
		seen[t.Block] = true
		h, err := bh.BlockHash(ctx, c, t.Block)
		if err != nil {
			return nil, fmt.Errorf("hash of block %d: %w", t.Block, err)
		}
		out = append(out, Block{Chain: c, Number: t.Block, Hash: h, Time: t.Time})
	}
	slices.SortFunc(out, func(a, b Block) int { return cmp.Compare(a.Number, b.Number) })
	return out, nil
}

// hasher is the upstream as a chains.BlockHasher, unless it answers from
// final blocks only (chains.FinalOnly): their hashes need no checking.
func (s *Source) hasher() (chains.BlockHasher, bool) {
	if fo, ok := s.up.(chains.FinalOnly); ok && fo.FinalOnly() {
		return nil, false
	}
	bh, ok := s.up.(chains.BlockHasher)
	return bh, ok
}

// confirmed reports whether block n is deep enough to cache.
func (s *Source) confirmed(ctx context.Context, c chains.Chain, n uint64) (bool, error) {
	h, known, err := s.head(ctx, c)
	if err != nil || !known {
		return err == nil, err
	}
	return h >= s.depth() && n <= h-s.depth(), nil
}

// depth is how far below the upstream's head a block is final: ConfirmDepth,
// or 0 for an upstream whose head is already final (chains.FinalOnly:
// TRON's solidified blocks).
func (s *Source) depth() uint64 {
	if fo, ok := s.up.(chains.FinalOnly); ok && fo.FinalOnly() {
		return 0
	}
	return s.opt.ConfirmDepth
}

// TxTransfers implements chains.Source. A transaction fetched whole is
// cached when all its blocks are confirmed.
func (s *Source) TxTransfers(ctx context.Context, c chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	cached, whole, err := s.db.CachedTxTransfers(ctx, c, tx)
	if err != nil {
		return nil, err
	}
	if whole || (s.opt.Offline && len(cached) > 0) {
		return cached, nil
	}
	if s.opt.Offline {
		return nil, offline("transaction "+c.FormatTx(tx), chains.ErrNotFound)
	}
	ts, err := s.up.TxTransfers(ctx, c, tx)
	if err != nil {
		return nil, fmt.Errorf("fetch transaction %s: %w", c.FormatTx(tx), err)
	}
	for _, t := range ts {
		ok, err := s.confirmed(ctx, c, t.Block)
		if err != nil || !ok {
			return ts, err
		}
	}
	err = s.db.update(ctx, func(b *Batch) error {
		if _, err := b.PutTransfers(ctx, ts); err != nil {
			return err
		}
		return b.AddTxCoverage(ctx, c, tx, s.opt.Name, s.opt.Clock())
	})
	if err != nil {
		return nil, fmt.Errorf("store transaction %s: %w", c.FormatTx(tx), err)
	}
	return ts, nil
}

// Asset implements chains.Source. A chain's native coin is always known.
func (s *Source) Asset(ctx context.Context, id chains.AssetID) (chains.Asset, error) {
	if id.IsNative() && id.Chain.Valid() {
		return id.Chain.Native(), nil
	}
	a, _, ok, err := s.db.AssetMeta(ctx, id)
	if err != nil || ok {
		return a, err
	}
	if s.opt.Offline {
		return chains.Asset{}, offline("asset "+id.String(), chains.ErrNotFound)
	}
	a, err = s.up.Asset(ctx, id)
	if err != nil {
		return chains.Asset{}, fmt.Errorf("fetch asset %s: %w", id, err)
	}
	if _, err := s.db.PutAssets(ctx, []chains.Asset{a}); err != nil {
		return chains.Asset{}, err
	}
	return a, nil
}

// IsContract implements chains.Source; answers are cached.
func (s *Source) IsContract(ctx context.Context, c chains.Chain, addr chains.Address) (bool, error) {
	v, known, err := s.db.KnownContract(ctx, c, addr)
	if err != nil || known {
		return v, err
	}
	if s.opt.Offline {
		return false, offline("code of "+addr.String(), chains.ErrUnsupported)
	}
	v, err = s.up.IsContract(ctx, c, addr)
	if err != nil {
		return false, fmt.Errorf("fetch code of %s: %w", addr, err)
	}
	if _, err := s.db.PutContracts(ctx, c, []chains.Address{addr}, v, s.opt.Name); err != nil {
		return false, err
	}
	return v, nil
}

// Balance implements chains.Source: from the cache, else from the
// upstream; balances at final blocks are stored, so a re-run (or an offline
// run) answers them without asking again.
func (s *Source) Balance(ctx context.Context, c chains.Chain, addr chains.Address, asset chains.AssetID, block uint64) (chains.Amount, error) {
	v, ok, err := s.db.CachedBalance(ctx, addr, asset, block)
	if err != nil || ok {
		return v, err
	}
	if s.opt.Offline {
		return chains.Amount{}, offline("balance of "+addr.String(), chains.ErrUnsupported)
	}
	if v, err = s.up.Balance(ctx, c, addr, asset, block); err != nil {
		return v, err
	}
	if ok, err := s.confirmed(ctx, c, block); err != nil || !ok {
		return v, err
	}
	return v, s.db.PutBalance(ctx, addr, asset, block, v, s.opt.Name, s.opt.Clock())
}

// BlockTime implements chains.Source; confirmed blocks are cached.
func (s *Source) BlockTime(ctx context.Context, c chains.Chain, n uint64) (time.Time, error) {
	b, ok, err := s.db.BlockOf(ctx, c, n)
	if err != nil || ok {
		return b.Time, err
	}
	if s.opt.Offline {
		return time.Time{}, offline(fmt.Sprintf("block %d", n), chains.ErrNotFound)
	}
	t, err := s.up.BlockTime(ctx, c, n)
	if err != nil {
		return time.Time{}, fmt.Errorf("fetch block %d: %w", n, err)
	}
	ok, err = s.confirmed(ctx, c, n)
	if err != nil || !ok {
		return t, err
	}
	blk := Block{Chain: c, Number: n, Time: t}
	if bh, isBH := s.hasher(); isBH {
		if blk.Hash, err = bh.BlockHash(ctx, c, n); err != nil {
			return time.Time{}, fmt.Errorf("hash of block %d: %w", n, err)
		}
	}
	if _, _, err := s.db.PutBlocks(ctx, []Block{blk}); err != nil {
		return time.Time{}, err
	}
	return t, nil
}

// BlockAt implements chains.BlockFinder. The stored blocks answer when
// they hold the first block at or after t and the block before it; else
// the upstream answers (when it can find blocks by time) and those two
// blocks are stored, so the same question costs nothing next time.
// Offline, the first stored block at or after t is the answer, which is
// exact only when the stored blocks around t are contiguous; with none
// stored that new, the error matches chains.ErrOffline and
// chains.ErrNotFound.
func (s *Source) BlockAt(ctx context.Context, c chains.Chain, t time.Time) (uint64, error) {
	n, found, err := s.storedBlockAt(ctx, c, t)
	if err != nil {
		return 0, err
	}
	if !s.opt.Offline {
		if found {
			if _, prev, err := s.db.BlockOf(ctx, c, n-1); err != nil || prev || n == 0 {
				return n, err
			}
		}
		if bf, ok := s.up.(chains.BlockFinder); ok {
			n, err := bf.BlockAt(ctx, c, t)
			if err != nil {
				return 0, err
			}
			for _, b := range []uint64{n, n - 1} {
				if b <= n { // n−1 wraps when n is 0
					if _, err := s.BlockTime(ctx, c, b); err != nil {
						return 0, err
					}
				}
			}
			return n, nil
		}
	}
	if !found {
		what := "block at " + t.UTC().Format(time.RFC3339)
		if s.opt.Offline {
			return 0, offline(what, chains.ErrNotFound)
		}
		return 0, fmt.Errorf("%s: %w", what, chains.ErrNotFound)
	}
	return n, nil
}

// storedBlockAt is the first stored block of c at or after t. Block times
// rise with the number, so it is found by bisection over the stored
// numbers: a few indexed lookups, however many blocks are stored.
func (s *Source) storedBlockAt(ctx context.Context, c chains.Chain, t time.Time) (uint64, bool, error) {
	fail := func(err error) (uint64, bool, error) {
		return 0, false, fmt.Errorf("block at %s: %w", t.UTC().Format(time.RFC3339), err)
	}
	var lo, hi sql.NullInt64
	if err := s.db.sql.QueryRowContext(ctx, `SELECT min(number), max(number) FROM blocks WHERE chain = ?`, string(c)).Scan(&lo, &hi); err != nil {
		return fail(err)
	}
	if !lo.Valid {
		return 0, false, nil
	}
	st, err := s.db.prepared(ctx, `SELECT number, time FROM blocks WHERE chain = ? AND number >= ? ORDER BY number LIMIT 1`)
	if err != nil {
		return fail(err)
	}
	// The answer is the least stored block in [l, r] with a time at or
	// after t, or ans, found so far.
	l, r := lo.Int64, hi.Int64
	var ans int64 = -1
	for l <= r {
		mid := l + (r-l)/2
		var m, tm int64
		err := st.QueryRowContext(ctx, string(c), mid).Scan(&m, &tm)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && m > r) {
			r = mid - 1 // nothing stored in [mid, r]
			continue
		}
		if err != nil {
			return fail(err)
		}
		if tm >= t.Unix() {
			ans, r = m, m-1
		} else {
			l = m + 1
		}
	}
	if ans < 0 {
		return 0, false, nil
	}
	return uint64(ans), true, nil
}
