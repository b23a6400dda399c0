package evm

import (
	"context"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
)

// receiptCacheSize bounds the receipt cache: a trace reads the receipts of
// the transactions it looks at as payments and swaps, a few hundred at
// most, each wanted two or three times in a row (TxEvents, TxTransfers).
const receiptCacheSize = 1024

// receiptCache keeps the receipts of transactions in final blocks (see
// Source.finalDepth) by transaction hash, so that the events and then the
// transfers of one transaction read its receipt once. A receipt of a block
// nearer the head is never kept: a reorg could still move or drop it. It
// holds at most limit receipts, dropping the oldest first.
type receiptCache struct {
	mu    sync.Mutex
	limit int
	m     map[common.Hash]*rpcReceipt
	order []common.Hash
}

func (c *receiptCache) get(h common.Hash) (*rpcReceipt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rc, ok := c.m[h]
	return rc, ok
}

func (c *receiptCache) put(rc *rpcReceipt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[common.Hash]*rpcReceipt{}
	}
	if _, ok := c.m[rc.TxHash]; ok {
		return
	}
	for len(c.order) >= max(c.limit, 1) {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
	c.m[rc.TxHash] = rc
	c.order = append(c.order, rc.TxHash)
}

// cachedReceipt returns tx's receipt when the cache holds it.
func (s *Source) cachedReceipt(tx common.Hash) (*rpcReceipt, bool) { return s.receipts.get(tx) }

// keepReceipt caches rc, the receipt asked for as tx, when it is tx's and
// its block is final under the last head read.
func (s *Source) keepReceipt(tx common.Hash, rc *rpcReceipt) {
	if rc != nil && rc.TxHash == tx && s.final(uint64(rc.BlockNumber), s.knownHead()) {
		s.receipts.put(rc)
	}
}

// receipt returns tx's receipt, from the cache when it holds it, else
// from the node (one eth_getTransactionReceipt, kept when final). A
// transaction the node does not know is ErrNotFound; a receipt of another
// transaction is an error.
func (s *Source) receipt(ctx context.Context, tx chains.TxHash) (*rpcReceipt, error) {
	h := common.Hash(tx)
	if rc, ok := s.cachedReceipt(h); ok {
		return rc, nil
	}
	var rc *rpcReceipt
	if err := s.call(ctx, &rc, "eth_getTransactionReceipt", h); err != nil {
		return nil, err
	}
	if rc == nil {
		return nil, chains.ErrNotFound
	}
	if rc.TxHash != h {
		return nil, fmt.Errorf("node answered the receipt of %s", rc.TxHash.Hex())
	}
	s.keepReceipt(h, rc)
	return rc, nil
}
