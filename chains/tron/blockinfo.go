package tron

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"freezetrace/chains"
)

// keptListings is how many blocks' receipt listings a Source keeps, for
// other transactions of a recently read block.
const keptListings = 64

// errNoListing says the node lacks /wallet/gettransactioninfobyblocknum.
var errNoListing = errors.New("node has no gettransactioninfobyblocknum")

// listing is every receipt of one block, in block order.
type listing struct {
	n     uint64
	infos []txInfoResp
	at    map[chains.TxHash]int
}

// blockListing returns the receipts of block n, in block order, from
// /wallet/gettransactioninfobyblocknum: one request per block gives, for
// every transaction in it, its index in the block (its place in the
// answer), its block time and its event log. errNoListing when the node
// lacks the endpoint.
func (s *Source) blockListing(ctx context.Context, n uint64) (*listing, error) {
	s.mu.Lock()
	l, ok := s.listings[n]
	noList := s.noListing
	s.mu.Unlock()
	if ok {
		return l, nil
	}
	if noList {
		return nil, errNoListing
	}
	var raw json.RawMessage
	err := s.c.post(ctx, "/wallet/gettransactioninfobyblocknum", map[string]uint64{"num": n}, &raw)
	if unserved(err) {
		s.mu.Lock()
		s.noListing = true
		s.mu.Unlock()
		return nil, errNoListing
	}
	if err != nil {
		return nil, fmt.Errorf("receipts of block %d: %w", n, err)
	}
	l = &listing{n: n}
	switch t := bytes.TrimSpace(raw); {
	case len(t) > 0 && t[0] == '[':
		if err := json.Unmarshal(t, &l.infos); err != nil {
			return nil, fmt.Errorf("receipts of block %d: %w", n, err)
		}
	case bytes.Equal(t, []byte("{}")):
		// an empty block
	default:
		return nil, s.c.scrub(fmt.Errorf("receipts of block %d: unexpected answer %q", n, snippet(t)))
	}
	l.at = make(map[chains.TxHash]int, len(l.infos))
	for i := range l.infos {
		r := &l.infos[i]
		h, err := chains.ParseTxHash(r.ID)
		if err != nil {
			return nil, fmt.Errorf("receipts of block %d: %w", n, err)
		}
		if r.BlockNumber != n {
			return nil, fmt.Errorf("receipts of block %d: receipt of tx %s says block %d", n, chains.Tron.FormatTx(h), r.BlockNumber)
		}
		l.at[h] = i
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(l.infos) > 0 {
		s.blocks[n] = time.UnixMilli(l.infos[0].BlockTimeStamp).UTC()
	}
	if _, ok := s.listings[n]; !ok {
		if len(s.listingOrder) >= keptListings {
			delete(s.listings, s.listingOrder[0])
			s.listingOrder = s.listingOrder[1:]
		}
		s.listings[n] = l
		s.listingOrder = append(s.listingOrder, n)
	}
	return l, nil
}

// fromListing takes tx's receipt and index from the listing of block n and
// keeps both. ok is false when tx is not in that block.
func (s *Source) fromListing(ctx context.Context, n uint64, tx chains.TxHash) (*txInfoResp, uint32, bool, error) {
	l, err := s.blockListing(ctx, n)
	if err != nil {
		return nil, 0, false, err
	}
	i, ok := l.at[tx]
	if !ok {
		return nil, 0, false, nil
	}
	info := l.infos[i] // a copy, so the cache does not hold the whole block
	s.mu.Lock()
	s.txs[tx] = &info
	s.index[tx] = uint32(i)
	s.mu.Unlock()
	return &info, uint32(i), true, nil
}

// cachedIndex returns tx's receipt and index in its block when both are
// known.
func (s *Source) cachedIndex(tx chains.TxHash) (*txInfoResp, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info, ok := s.txs[tx]
	i, iok := s.index[tx]
	return info, i, ok && iok
}

// each runs fn for 0…n−1 with at most workers calls at once (they share the
// client's rate limit) and returns the first error, after which no new call
// starts.
func each(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		next     = make(chan int)
	)
	for range min(max(workers, 1), n) {
		wg.Go(func() {
			for i := range next {
				if err := fn(ctx, i); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
				}
			}
		})
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
