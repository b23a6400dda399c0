package tron

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"freezetrace/chains"
)

// listedTx is a transaction as the TRC-20 listing names it: its id and its
// block's time, but no block number.
type listedTx struct {
	h  chains.TxHash
	ms int64
}

// receipts returns the receipt of each listed transaction and its index in
// its block, in the order of ids, reading each block once:
//
//   - the block of each transaction is found from its time (locate), at no
//     cost where the known blocks around it leave one choice;
//   - each block's receipts come from one gettransactioninfobyblocknum,
//     which serves every listed transaction in that block;
//   - a transaction locate could not place, or that is missing from the
//     block it was placed in, is read with gettransactioninfobyid, which
//     names its block.
//
// On a node without the per-block listing, every receipt is read by id and
// each block's order from its transaction list (getblock with detail).
// With NoTxIndex, receipts are read by id and the indexes are 0.
func (s *Source) receipts(ctx context.Context, ids []listedTx) ([]*txInfoResp, []uint32, error) {
	infos := make([]*txInfoResp, len(ids))
	idx := make([]uint32, len(ids))
	if s.noIdx {
		err := s.byID(ctx, ids, allOf(ids), infos)
		return infos, idx, err
	}
	var todo []int
	for i, id := range ids {
		if info, x, ok := s.cachedIndex(id.h); ok {
			infos[i], idx[i] = info, x
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return infos, idx, nil
	}
	err := s.receiptsByBlock(ctx, ids, todo, infos, idx)
	if !errors.Is(err, errNoListing) {
		return infos, idx, err
	}
	// The node has no per-block listing: receipts by id, order from the
	// blocks' transaction lists.
	if err := s.byID(ctx, ids, todo, infos); err != nil {
		return nil, nil, err
	}
	blocks := make(map[uint64][]int)
	for _, i := range todo {
		blocks[infos[i].BlockNumber] = append(blocks[infos[i].BlockNumber], i)
	}
	ns := sortedKeys(blocks)
	err = each(ctx, len(ns), s.workers, func(ctx context.Context, k int) error {
		for _, i := range blocks[ns[k]] {
			x, err := s.txIndex(ctx, ns[k], ids[i].h)
			if err != nil {
				return err
			}
			idx[i] = x
			s.mu.Lock()
			s.index[ids[i].h] = x
			s.mu.Unlock()
		}
		return nil
	})
	return infos, idx, err
}

// receiptsByBlock fills infos and idx at the positions todo from the
// per-block listings; errNoListing when the node has none.
func (s *Source) receiptsByBlock(ctx context.Context, ids []listedTx, todo []int, infos []*txInfoResp, idx []uint32) error {
	s.mu.Lock()
	noList := s.noListing
	s.mu.Unlock()
	if noList {
		return errNoListing
	}
	times := make([]int64, len(todo))
	for k, i := range todo {
		times[k] = ids[i].ms
	}
	at, err := s.locate(ctx, times)
	if err != nil {
		return err
	}
	// Try the likelier block of each placed transaction, then the other.
	left := todo
	for try := 0; try < 2 && len(left) > 0; try++ {
		blocks := make(map[uint64][]int)
		var rest []int
		for _, i := range left {
			if c := at[ids[i].ms]; try < len(c) {
				blocks[c[try]] = append(blocks[c[try]], i)
			} else {
				rest = append(rest, i)
			}
		}
		missed, err := s.tryBlocks(ctx, ids, blocks, infos, idx)
		if err != nil {
			return err
		}
		left = append(rest, missed...)
	}
	if len(left) == 0 {
		return nil
	}
	// Not placed, or not where placed: the receipt names the block.
	slices.Sort(left)
	if err := s.byID(ctx, ids, left, infos); err != nil {
		return err
	}
	blocks := make(map[uint64][]int)
	for _, i := range left {
		blocks[infos[i].BlockNumber] = append(blocks[infos[i].BlockNumber], i)
	}
	missed, err := s.tryBlocks(ctx, ids, blocks, infos, idx)
	if err != nil {
		return err
	}
	// The block's receipts lack it: take the order from the block itself.
	return each(ctx, len(missed), s.workers, func(ctx context.Context, k int) error {
		i := missed[k]
		x, err := s.txIndex(ctx, infos[i].BlockNumber, ids[i].h)
		if err != nil {
			return err
		}
		idx[i] = x
		s.mu.Lock()
		s.index[ids[i].h] = x
		s.mu.Unlock()
		return nil
	})
}

// tryBlocks looks for the transactions blocks names (block → positions in
// ids) in those blocks' receipts, at most s.workers blocks at once, and
// fills infos and idx for those it finds. It returns the others.
func (s *Source) tryBlocks(ctx context.Context, ids []listedTx, blocks map[uint64][]int, infos []*txInfoResp, idx []uint32) ([]int, error) {
	var (
		mu     sync.Mutex
		missed []int
	)
	ns := sortedKeys(blocks)
	err := each(ctx, len(ns), s.workers, func(ctx context.Context, k int) error {
		for _, i := range blocks[ns[k]] {
			info, x, ok, err := s.fromListing(ctx, ns[k], ids[i].h)
			if err != nil {
				return err
			}
			if !ok {
				mu.Lock()
				missed = append(missed, i)
				mu.Unlock()
				continue
			}
			infos[i], idx[i] = info, x
		}
		return nil
	})
	slices.Sort(missed)
	return missed, err
}

func allOf[T any](xs []T) []int {
	out := make([]int, len(xs))
	for i := range out {
		out[i] = i
	}
	return out
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	out := make([]uint64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// byID reads the receipts of ids at the positions at by transaction id,
// with at most s.workers requests at once.
func (s *Source) byID(ctx context.Context, ids []listedTx, at []int, infos []*txInfoResp) error {
	return each(ctx, len(at), s.workers, func(ctx context.Context, k int) error {
		info, err := s.txInfo(ctx, ids[at[k]].h)
		if err != nil {
			return err
		}
		infos[at[k]] = info
		return nil
	})
}

// txInfo returns the receipt of a confirmed transaction; ErrNotFound when
// the node does not know it.
func (s *Source) txInfo(ctx context.Context, h chains.TxHash) (*txInfoResp, error) {
	s.mu.Lock()
	info, ok := s.txs[h]
	s.mu.Unlock()
	if ok {
		return info, nil
	}
	var r txInfoResp
	if err := s.c.post(ctx, "/wallet/gettransactioninfobyid", map[string]string{"value": txID(h)}, &r); err != nil {
		return nil, fmt.Errorf("tx %s: %w", chains.Tron.FormatTx(h), err)
	}
	if r.ID == "" {
		return nil, fmt.Errorf("tx %s: %w", chains.Tron.FormatTx(h), chains.ErrNotFound)
	}
	s.mu.Lock()
	s.txs[h] = &r
	s.blocks[r.BlockNumber] = time.UnixMilli(r.BlockTimeStamp).UTC()
	s.mu.Unlock()
	return &r, nil
}

// setTxIndex sets each transfer's TxIndex to its transaction's index in its
// block, reading each block's receipts once (or, on a node without them,
// its transaction list), with at most s.workers blocks at once. With
// NoTxIndex it leaves them 0.
func (s *Source) setTxIndex(ctx context.Context, ts []chains.Transfer) error {
	if s.noIdx {
		return nil
	}
	blocks := make(map[uint64][]int)
	s.mu.Lock()
	for i := range ts {
		if x, ok := s.index[ts[i].Tx]; ok {
			ts[i].TxIndex = x
		} else {
			blocks[ts[i].Block] = append(blocks[ts[i].Block], i)
		}
	}
	s.mu.Unlock()
	ns := sortedKeys(blocks)
	return each(ctx, len(ns), s.workers, func(ctx context.Context, k int) error {
		n := ns[k]
		for _, i := range blocks[n] {
			_, x, ok, err := s.fromListing(ctx, n, ts[i].Tx)
			if errors.Is(err, errNoListing) || (err == nil && !ok) {
				x, err = s.txIndex(ctx, n, ts[i].Tx)
			}
			if err != nil {
				return err
			}
			ts[i].TxIndex = x
		}
		return nil
	})
}
