package evm

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
)

// traceCache keeps the native transfers of recently traced blocks by block
// hash, so that the histories of many addresses over the same blocks trace
// each block once. A block seen again under another hash (a reorg) is
// traced again. It holds at most limit blocks, dropping the oldest first.
//
// It also remembers, by number, the hash of each cached block whose header
// was read when the block was already final (see Source.finalDepth): such
// a block's hash cannot change any more, so the next history over it needs
// neither its header nor its trace. A block read nearer the head has no
// such entry and its header is read again every time, which is how a
// reorg there is seen. Dropping a block from the cache drops its entry.
type traceCache struct {
	mu    sync.Mutex
	limit int
	m     map[common.Hash]tracedBlock
	order []common.Hash
	final map[uint64]common.Hash
}

type tracedBlock struct {
	number uint64
	ts     []chains.Transfer
}

func (c *traceCache) get(h common.Hash) ([]chains.Transfer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[h]
	return b.ts, ok
}

// put keeps the transfers of block n under its hash h; the first answer
// kept for a hash stays.
func (c *traceCache) put(n uint64, h common.Hash, ts []chains.Transfer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[common.Hash]tracedBlock{}
	}
	if _, ok := c.m[h]; ok {
		return
	}
	for len(c.order) >= max(c.limit, 1) {
		old := c.order[0]
		if n := c.m[old].number; c.final[n] == old {
			delete(c.final, n)
		}
		delete(c.m, old)
		c.order = c.order[1:]
	}
	c.m[h] = tracedBlock{number: n, ts: ts}
	c.order = append(c.order, h)
}

// markFinal records that block n, cached under h, was final when its
// header said so. It does nothing for a block the cache does not hold.
func (c *traceCache) markFinal(n uint64, h common.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.m[h]; !ok || b.number != n {
		return
	}
	if c.final == nil {
		c.final = map[uint64]common.Hash{}
	}
	c.final[n] = h
}

// finalBlock returns the hash and transfers of block n when it was traced
// and known final (markFinal), so that neither need be read again.
func (c *traceCache) finalBlock(n uint64) (common.Hash, []chains.Transfer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.final[n]
	if !ok {
		return common.Hash{}, nil, false
	}
	b, ok := c.m[h]
	return h, b.ts, ok
}
