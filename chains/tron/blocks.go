package tron

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"freezetrace/chains"
)

// FinalOnly implements chains.FinalOnly: every answer comes from solidified
// blocks (only_confirmed, the solidified head), which never change.
func (s *Source) FinalOnly() bool { return true }

var _ chains.FinalOnly = (*Source)(nil)

// Head returns the newest confirmed (solidified) block. The first answer is
// kept for the Source's lifetime, so one run sees one consistent chain.
func (s *Source) Head(ctx context.Context, chain chains.Chain) (uint64, error) {
	b, err := s.headBlock(ctx, chain)
	if err != nil {
		return 0, err
	}
	return b.BlockHeader.RawData.Number, nil
}

func (s *Source) headBlock(ctx context.Context, chain chains.Chain) (*blockResp, error) {
	if err := checkChain(chain); err != nil {
		return nil, err
	}
	s.mu.Lock()
	h := s.head
	s.mu.Unlock()
	if h != nil {
		return h, nil
	}
	var b blockResp
	if err := s.c.post(ctx, "/walletsolidity/getnowblock", struct{}{}, &b); err != nil {
		return nil, fmt.Errorf("confirmed head: %w", err)
	}
	if b.BlockID == "" {
		return nil, errors.New("confirmed head: empty answer")
	}
	if err := s.keepBlock(&b); err != nil {
		return nil, fmt.Errorf("confirmed head: %w", err)
	}
	s.mu.Lock()
	if s.head == nil {
		s.head = &b
	}
	h = s.head
	s.mu.Unlock()
	return h, nil
}

// BlockTime returns the time of block n; ErrNotFound when the node does not
// have it.
func (s *Source) BlockTime(ctx context.Context, chain chains.Chain, n uint64) (time.Time, error) {
	if err := checkChain(chain); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	t, ok := s.blocks[n]
	s.mu.Unlock()
	if ok {
		return t, nil
	}
	if err := s.fetchBlock(ctx, n); err != nil {
		return time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocks[n], nil
}

// BlockHash returns the id (hash) of block n; ErrNotFound when the node
// does not have it. The store keeps it to notice a block that changed.
func (s *Source) BlockHash(ctx context.Context, chain chains.Chain, n uint64) ([32]byte, error) {
	if err := checkChain(chain); err != nil {
		return [32]byte{}, err
	}
	s.mu.Lock()
	h, ok := s.hashes[n]
	var batch []uint64
	if !ok && slices.Contains(s.unhashed, n) {
		batch, s.unhashed = s.unhashed, nil
	}
	s.mu.Unlock()
	if ok {
		return h, nil
	}
	if len(batch) > 1 {
		// The caller is going through the blocks of the last answer (the
		// caching store keeps each block's hash): read them all at once. A
		// failure here is retried below, for the block asked about only.
		_ = each(ctx, len(batch), s.workers, func(ctx context.Context, i int) error {
			s.mu.Lock()
			_, known := s.hashes[batch[i]]
			s.mu.Unlock()
			if !known {
				_ = s.fetchBlock(ctx, batch[i])
			}
			return nil
		})
	}
	s.mu.Lock()
	h, ok = s.hashes[n]
	s.mu.Unlock()
	if ok {
		return h, nil
	}
	if err := s.fetchBlock(ctx, n); err != nil {
		return [32]byte{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hashes[n], nil
}

// noteUnhashed remembers the blocks of ts whose hashes are not known, for
// BlockHash to read together.
func (s *Source) noteUnhashed(ts []chains.Transfer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unhashed = nil
	for i, t := range ts {
		if _, ok := s.hashes[t.Block]; !ok && (i == 0 || ts[i-1].Block != t.Block) {
			s.unhashed = append(s.unhashed, t.Block)
		}
	}
}

// fetchBlock reads block n's header and keeps its time and hash.
func (s *Source) fetchBlock(ctx context.Context, n uint64) error {
	var b blockResp
	if err := s.getBlock(ctx, n, false, &b); err != nil {
		return fmt.Errorf("block %d: %w", n, err)
	}
	if b.BlockID == "" {
		return fmt.Errorf("block %d: %w", n, chains.ErrNotFound)
	}
	if b.BlockHeader.RawData.Number != n {
		return fmt.Errorf("block %d: node answered with block %d", n, b.BlockHeader.RawData.Number)
	}
	return s.keepBlock(&b)
}

// keepBlock caches a block header's time and hash.
func (s *Source) keepBlock(b *blockResp) error {
	n := b.BlockHeader.RawData.Number
	raw, err := hex.DecodeString(b.BlockID)
	if err != nil || len(raw) != 32 {
		return s.c.scrub(fmt.Errorf("block %d: bad blockID %q", n, snippet([]byte(b.BlockID))))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks[n] = time.UnixMilli(b.BlockHeader.RawData.Timestamp).UTC()
	s.hashes[n] = [32]byte(raw)
	return nil
}

// BlockAt returns the first block whose time is at or after t, among
// confirmed blocks; ErrNotFound when t is after the confirmed head.
func (s *Source) BlockAt(ctx context.Context, chain chains.Chain, t time.Time) (uint64, error) {
	head, err := s.headBlock(ctx, chain)
	if err != nil {
		return 0, err
	}
	if t.After(time.UnixMilli(head.BlockHeader.RawData.Timestamp)) {
		return 0, fmt.Errorf("block at %s: after the confirmed head: %w", t.UTC().Format(time.RFC3339), chains.ErrNotFound)
	}
	// t is not after the head's time, so the search ends within [0, head].
	return chains.FirstBlockAt(ctx, 0, head.BlockHeader.RawData.Number, t, func(ctx context.Context, n uint64) (time.Time, error) {
		return s.BlockTime(ctx, chain, n)
	})
}

// txIndex returns the index of tx among the transactions of block n.
func (s *Source) txIndex(ctx context.Context, n uint64, tx chains.TxHash) (uint32, error) {
	s.mu.Lock()
	m, ok := s.order[n]
	s.mu.Unlock()
	if !ok {
		var b blockTxsResp
		if err := s.getBlock(ctx, n, true, &b); err != nil {
			return 0, fmt.Errorf("transactions of block %d: %w", n, err)
		}
		if b.BlockID == "" || b.BlockHeader.RawData.Number != n {
			return 0, fmt.Errorf("transactions of block %d: %w", n, chains.ErrNotFound)
		}
		if err := s.keepBlock(&b.blockResp); err != nil {
			return 0, err
		}
		m = make(map[chains.TxHash]uint32, len(b.Transactions))
		for i, t := range b.Transactions {
			h, err := chains.ParseTxHash(t.TxID)
			if err != nil {
				return 0, fmt.Errorf("transactions of block %d: %w", n, err)
			}
			m[h] = uint32(i)
		}
		s.mu.Lock()
		s.order[n] = m
		s.mu.Unlock()
	}
	i, ok := m[tx]
	if !ok {
		return 0, fmt.Errorf("tx %s is not in block %d", chains.Tron.FormatTx(tx), n)
	}
	return i, nil
}

// getBlock reads block n, with its transactions when detail is set, from
// /wallet/getblock; nodes older than java-tron 4.7.2 lack it and are asked
// /wallet/getblockbynum (always with transactions) instead.
func (s *Source) getBlock(ctx context.Context, n uint64, detail bool, out any) error {
	s.mu.Lock()
	old := s.oldNode
	s.mu.Unlock()
	if !old {
		req := map[string]any{"id_or_num": strconv.FormatUint(n, 10), "detail": detail}
		err := s.c.post(ctx, "/wallet/getblock", req, out)
		if !unserved(err) {
			return err
		}
		s.mu.Lock()
		s.oldNode = true
		s.mu.Unlock()
	}
	return s.c.post(ctx, "/wallet/getblockbynum", map[string]uint64{"num": n}, out)
}
