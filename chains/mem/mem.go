// Package mem is an in-memory chains.Source and chains.Labeler for tests,
// benchmarks and small fixtures. It holds whatever transfers, events,
// assets, contracts, block times and labels it is given and answers
// exactly like a complete archive source would. It depends on package
// chains only.
package mem

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"freezetrace/chains"
)

// Source holds transfers in memory. The zero value is not usable; call New.
// It is safe for concurrent use.
type Source struct {
	mu        sync.Mutex
	transfers []chains.Transfer
	dirty     bool
	byAddr    map[addrKey][]int // indexes into transfers, canonical order
	byTx      map[txKey][]int
	events    map[txKey][]chains.TxEvent // position order, one per position
	assets    map[chains.AssetID]chains.Asset
	contracts map[addrKey1]bool
	times     map[blockKey]time.Time
	labels    map[addrKey1][]chains.Label
	balances  bool
}

type addrKey struct {
	chain chains.Chain
	asset chains.AssetID
	addr  chains.Address
}

type addrKey1 struct {
	chain chains.Chain
	addr  chains.Address
}

type txKey struct {
	chain chains.Chain
	tx    chains.TxHash
}

type blockKey struct {
	chain chains.Chain
	block uint64
}

var (
	_ chains.Source      = (*Source)(nil)
	_ chains.Labeler     = (*Source)(nil)
	_ chains.EventReader = (*Source)(nil)
)

// New returns a Source holding ts. Balance answers ErrUnsupported (like a
// node without archive state) until EnableBalances is called.
func New(ts ...chains.Transfer) *Source {
	s := &Source{
		assets:    map[chains.AssetID]chains.Asset{},
		contracts: map[addrKey1]bool{},
		events:    map[txKey][]chains.TxEvent{},
		times:     map[blockKey]time.Time{},
		labels:    map[addrKey1][]chains.Label{},
	}
	s.Add(ts...)
	return s
}

// EnableBalances makes Balance answer from the transfers held (as an
// archive node would), instead of ErrUnsupported.
func (s *Source) EnableBalances() {
	s.mu.Lock()
	s.balances = true
	s.mu.Unlock()
}

// Add adds transfers. A transfer with the same identity (Transfer.Key) as
// one already held replaces nothing: both are kept, as the data says.
func (s *Source) Add(ts ...chains.Transfer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range ts {
		s.transfers = append(s.transfers, t)
		if !t.Time.IsZero() {
			k := blockKey{t.Chain, t.Block}
			if _, ok := s.times[k]; !ok {
				s.times[k] = t.Time.UTC()
			}
		}
	}
	s.dirty = true
}

// AddEvents adds events, each to the transaction it names (Chain, Tx). An
// event at the position of one already held of its transaction replaces
// it: a transaction emits one event per log.
func (s *Source) AddEvents(evs ...chains.TxEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range evs {
		k := txKey{e.Chain, e.Tx}
		held := s.events[k]
		i, found := slices.BinarySearchFunc(held, e.Position, func(x chains.TxEvent, p uint32) int { return cmp.Compare(x.Position, p) })
		if found {
			held[i] = e
			continue
		}
		s.events[k] = slices.Insert(held, i, e)
	}
}

// AddAsset adds the metadata of an asset.
func (s *Source) AddAsset(a chains.Asset) {
	s.mu.Lock()
	s.assets[a.ID] = a
	s.mu.Unlock()
}

// SetContract marks addr on chain as holding code.
func (s *Source) SetContract(chain chains.Chain, addr chains.Address) {
	s.mu.Lock()
	s.contracts[addrKey1{chain, addr}] = true
	s.mu.Unlock()
}

// SetBlockTime sets the time of a block.
func (s *Source) SetBlockTime(chain chains.Chain, block uint64, t time.Time) {
	s.mu.Lock()
	s.times[blockKey{chain, block}] = t.UTC()
	s.mu.Unlock()
}

// AddLabel adds a label.
func (s *Source) AddLabel(l chains.Label) {
	s.mu.Lock()
	k := addrKey1{l.Chain, l.Address}
	s.labels[k] = append(s.labels[k], l)
	s.mu.Unlock()
}

// Len returns the number of transfers held.
func (s *Source) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.transfers)
}

// index rebuilds the lookups after Add; s.mu must be held.
func (s *Source) index() {
	if !s.dirty {
		return
	}
	slices.SortStableFunc(s.transfers, chains.Compare)
	s.byAddr = make(map[addrKey][]int)
	s.byTx = make(map[txKey][]int)
	for i, t := range s.transfers {
		s.byAddr[addrKey{t.Chain, t.Asset, t.From}] = append(s.byAddr[addrKey{t.Chain, t.Asset, t.From}], i)
		if t.To != t.From {
			s.byAddr[addrKey{t.Chain, t.Asset, t.To}] = append(s.byAddr[addrKey{t.Chain, t.Asset, t.To}], i)
		}
		s.byTx[txKey{t.Chain, t.Tx}] = append(s.byTx[txKey{t.Chain, t.Tx}], i)
	}
	s.dirty = false
}

// Transfers implements chains.Source.
func (s *Source) Transfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index()
	idx := s.byAddr[addrKey{q.Chain, q.Asset, q.Address}]
	lo := sort.Search(len(idx), func(i int) bool { return s.transfers[idx[i]].Block >= q.From })
	out := []chains.Transfer{}
	for _, i := range idx[lo:] {
		t := s.transfers[i]
		if t.Block > q.To {
			break
		}
		out = append(out, t)
	}
	return out, nil
}

// TxTransfers implements chains.Source.
func (s *Source) TxTransfers(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index()
	idx := s.byTx[txKey{chain, tx}]
	if len(idx) == 0 {
		return nil, chains.ErrNotFound
	}
	out := make([]chains.Transfer, len(idx))
	for i, j := range idx {
		out[i] = s.transfers[j]
	}
	return out, nil
}

// TxEvents implements chains.EventReader: the events added of tx, in
// position order; an empty slice for a transaction with transfers but no
// events, ErrNotFound for one with neither.
func (s *Source) TxEvents(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.TxEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.index()
	k := txKey{chain, tx}
	evs := s.events[k]
	if len(evs) == 0 && len(s.byTx[k]) == 0 {
		return nil, chains.ErrNotFound
	}
	return append([]chains.TxEvent{}, evs...), nil
}

// Asset implements chains.Source; a chain's native coin is always known.
func (s *Source) Asset(_ context.Context, id chains.AssetID) (chains.Asset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.assets[id]; ok {
		return a, nil
	}
	if id.IsNative() && id.Chain.Valid() {
		return id.Chain.Native(), nil
	}
	return chains.Asset{}, chains.ErrNotFound
}

// IsContract implements chains.Source.
func (s *Source) IsContract(_ context.Context, chain chains.Chain, addr chains.Address) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.contracts[addrKey1{chain, addr}], nil
}

// Balance implements chains.Source: the sum of inflows minus outflows up to
// and including block, never below zero. ErrUnsupported unless
// EnableBalances was called.
func (s *Source) Balance(ctx context.Context, chain chains.Chain, addr chains.Address, asset chains.AssetID, block uint64) (chains.Amount, error) {
	if err := ctx.Err(); err != nil {
		return chains.Amount{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.balances {
		return chains.Amount{}, chains.ErrUnsupported
	}
	s.index()
	var in, out chains.Amount
	for _, i := range s.byAddr[addrKey{chain, asset, addr}] {
		t := s.transfers[i]
		if t.Block > block {
			break
		}
		if t.From == t.To {
			continue
		}
		if t.To == addr {
			in = in.Add(t.Amount)
		} else {
			out = out.Add(t.Amount)
		}
	}
	return in.SubFloor(out), nil
}

// BlockTime implements chains.Source.
func (s *Source) BlockTime(_ context.Context, chain chains.Chain, block uint64) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.times[blockKey{chain, block}]; ok {
		return t, nil
	}
	return time.Time{}, chains.ErrNotFound
}

// Labels implements chains.Labeler: most confident first, ties by source.
func (s *Source) Labels(_ context.Context, chain chains.Chain, addr chains.Address) ([]chains.Label, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := slices.Clone(s.labels[addrKey1{chain, addr}])
	slices.SortStableFunc(ls, func(a, b chains.Label) int {
		if c := cmp.Compare(b.Confidence, a.Confidence); c != 0 {
			return c
		}
		return cmp.Compare(a.Source, b.Source)
	})
	if ls == nil {
		ls = []chains.Label{}
	}
	return ls, nil
}
