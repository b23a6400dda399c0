package sourcetest

import (
	"errors"
	"slices"
	"sync"
	"time"

	"freezetrace/chains"
)

// capabilityChecks hold a source to the contract of each optional
// capability it implements.
var capabilityChecks = []check{
	{name: "BlockFinder", capability: "BlockFinder", run: checkBlockFinder},
	{name: "HeadReader", capability: "HeadReader", run: checkHeadReader},
	{name: "BlockHasher", capability: "BlockHasher", run: checkBlockHasher},
	{name: "PairFinder", capability: "PairFinder", run: checkPairFinder},
	{name: "PeerCounter", capability: "PeerCounter", run: checkPeerCounter},
	{name: "Pager", capability: "Pager", run: checkPager},
	{name: "Totaler", capability: "Totaler", run: checkTotaler},
	{name: "FinalOnly", capability: "FinalOnly", run: checkFinalOnly},
	{name: "Requester", capability: "Requester", run: checkRequester},
	{name: "EventReader", run: checkEventReader}, // skips a source that is none itself
}

// checkBlockFinder: BlockAt gives the first block at or after a time, never
// decreases as the time grows, and ErrNotFound past the head. The blocks of
// the truth are read first (a cache knows the blocks it has seen).
func checkBlockFinder(c *checker) {
	bf := c.src.(chains.BlockFinder)
	for _, b := range c.tr.blocks {
		if _, err := c.src.BlockTime(c.ctx, c.tr.chain, b); err != nil {
			c.failf("BlockTime %d: %v", b, err)
			return
		}
	}
	// known reports a block's time, or false when the source does not
	// know the block.
	known := func(n uint64) (time.Time, bool) {
		t, err := c.src.BlockTime(c.ctx, c.tr.chain, n)
		if err != nil && !errors.Is(err, chains.ErrNotFound) {
			c.failf("BlockTime %d: %v", n, err)
		}
		return t, err == nil
	}
	// Each block's time, and a second before it, in time order: the
	// first block at or after either is that block or an earlier one.
	type probe struct {
		t     time.Time
		block uint64
	}
	var probes []probe
	for _, b := range c.tr.blocks {
		probes = append(probes, probe{c.tr.times[b].Add(-time.Second), b}, probe{c.tr.times[b], b})
	}
	slices.SortStableFunc(probes, func(a, b probe) int { return a.t.Compare(b.t) })
	var prev uint64
	for i, p := range probes {
		n, err := bf.BlockAt(c.ctx, c.tr.chain, p.t)
		if err != nil {
			c.failf("BlockAt %s (block %d's time or just before): %v", p.t, p.block, err)
			continue
		}
		if n > p.block {
			c.failf("BlockAt %s: got block %d, after block %d whose time is %s", p.t, n, p.block, c.tr.times[p.block])
		}
		if i > 0 && n < prev {
			c.failf("BlockAt %s: got block %d, before block %d found for an earlier time", p.t, n, prev)
		}
		prev = max(prev, n)
		if bt, ok := known(n); !ok {
			c.failf("BlockAt %s: got block %d, which BlockTime does not know", p.t, n)
		} else if bt.Before(p.t) {
			c.failf("BlockAt %s: got block %d, whose time %s is before it", p.t, n, bt)
		}
		if n > 0 {
			if bt, ok := known(n - 1); ok && !bt.Before(p.t) {
				c.failf("BlockAt %s: got block %d, but block %d's time %s is not before it", p.t, n, n-1, bt)
			}
		}
	}
	last := c.tr.times[c.tr.blocks[len(c.tr.blocks)-1]]
	if ht, ok := known(c.tr.head); ok {
		last = ht
	}
	after := last.Add(24 * time.Hour)
	n, err := bf.BlockAt(c.ctx, c.tr.chain, after)
	if !errors.Is(err, chains.ErrNotFound) {
		c.failf("BlockAt %s (a day after the head): got block %d, error %v; want chains.ErrNotFound", after, n, err)
	}
	// A cache serves every chain, and knows no block of this one.
	if n, err := bf.BlockAt(c.ctx, otherChain(c.tr.chain), last); !errors.Is(err, chains.ErrUnsupported) && !errors.Is(err, chains.ErrNotFound) {
		c.failf("BlockAt on %s: got block %d, error %v; want chains.ErrUnsupported (or ErrNotFound from a cache)", otherChain(c.tr.chain), n, err)
	}
}

// checkHeadReader: Head is the harness's head, does not go down, knows its
// own block, and refuses other chains.
func checkHeadReader(c *checker) {
	hr := c.src.(chains.HeadReader)
	h1, err := hr.Head(c.ctx, c.tr.chain)
	if err != nil {
		c.failf("Head: %v", err)
		return
	}
	if h1 != c.tr.head {
		c.failf("Head: got %d, want %d", h1, c.tr.head)
	}
	q := c.tr.pairs()[0]
	c.transfers(c.src, q, c.tr.of(q.Address, q.Asset, 0, h1))
	if h2, err := hr.Head(c.ctx, c.tr.chain); err != nil || h2 < h1 {
		c.failf("Head again: got %d, %v; want at least %d", h2, err, h1)
	}
	if _, err := c.src.BlockTime(c.ctx, c.tr.chain, h1); err != nil {
		c.failf("BlockTime of the head %d: %v", h1, err)
	}
	if _, err := hr.Head(c.ctx, otherChain(c.tr.chain)); !errors.Is(err, chains.ErrUnsupported) {
		c.failf("Head of %s: got error %v, want chains.ErrUnsupported", otherChain(c.tr.chain), err)
	}
}

// checkBlockHasher: a block's hash is never zero, stays the same, differs
// from other blocks', and is ErrNotFound past the head.
func checkBlockHasher(c *checker) {
	bh := c.src.(chains.BlockHasher)
	blocks := append(slices.Clone(c.tr.blocks), c.tr.head)
	slices.Sort(blocks)
	blocks = slices.Compact(blocks)
	seen := map[[32]byte]uint64{}
	first := map[uint64][32]byte{}
	for pass := range 2 {
		for _, b := range blocks {
			h, err := bh.BlockHash(c.ctx, c.tr.chain, b)
			switch {
			case err != nil:
				c.failf("BlockHash %d: %v", b, err)
				continue
			case h == [32]byte{}:
				c.failf("BlockHash %d: zero", b)
			case pass == 1 && h != first[b]:
				c.failf("BlockHash %d: %x, then %x", b, first[b], h)
			}
			if pass == 0 {
				if o, dup := seen[h]; dup {
					c.failf("BlockHash %d: %x, the hash of block %d too", b, h, o)
				}
				seen[h], first[b] = b, h
			}
		}
	}
	n := c.unknownBlock()
	if h, err := bh.BlockHash(c.ctx, c.tr.chain, n); !errors.Is(err, chains.ErrNotFound) {
		c.failf("BlockHash %d (past the head): got %x, error %v; want chains.ErrNotFound", n, h, err)
	}
	if _, err := bh.BlockHash(c.ctx, otherChain(c.tr.chain), c.tr.blocks[0]); !errors.Is(err, chains.ErrUnsupported) {
		c.failf("BlockHash on %s: got error %v, want chains.ErrUnsupported", otherChain(c.tr.chain), err)
	}
}

// checkPairFinder: TransfersBetween agrees with filtering Transfers, for
// every pair that paid, for one that did not, and at range boundaries.
func checkPairFinder(c *checker) {
	pf := c.src.(chains.PairFinder)
	type pair struct {
		asset    chains.AssetID
		from, to chains.Address
	}
	var pairs []pair
	seen := map[pair]bool{}
	for _, t := range c.tr.all {
		if !c.tr.asked(t.From) && !c.tr.asked(t.To) {
			continue
		}
		for _, p := range []pair{{t.Asset, t.From, t.To}, {t.Asset, t.To, t.From}} {
			if !seen[p] {
				seen[p] = true
				pairs = append(pairs, p)
			}
		}
	}
	for _, p := range pairs {
		var paid []chains.Transfer
		for _, t := range c.tr.all {
			if t.Asset == p.asset && t.From == p.from && t.To == p.to {
				paid = append(paid, t)
			}
		}
		ranges := [][2]uint64{{0, c.tr.head}, {0, chains.Latest}}
		for _, b := range sample(paid) {
			ranges = append(ranges, [2]uint64{b, b})
		}
		for _, r := range ranges {
			q := chains.PairQuery{Chain: c.tr.chain, Asset: p.asset, From: p.from, To: p.to, FromBlock: r[0], ToBlock: r[1]}
			got, err := pf.TransfersBetween(c.ctx, q)
			if errors.Is(err, chains.ErrUnsupported) && c.h.NoPairFilter != nil && c.h.NoPairFilter(p.asset) {
				continue
			}
			if err != nil {
				c.failf("TransfersBetween %s %s→%s [%d, %d]: %v", p.asset, p.from, p.to, r[0], r[1], err)
				continue
			}
			var want []chains.Transfer
			for _, t := range paid {
				if t.Block >= r[0] && t.Block <= r[1] {
					want = append(want, t)
				}
			}
			if d := diff(got, want); d != "" {
				c.failf("TransfersBetween %s %s→%s [%d, %d]: %s", p.asset, p.from, p.to, r[0], r[1], d)
			}
		}
	}
}

// peers counts the distinct counterparties of q.Address in ts.
func peers(ts []chains.Transfer, addr chains.Address) int {
	m := map[chains.Address]bool{}
	for _, t := range ts {
		if t.From == addr {
			m[t.To] = true
		}
		if t.To == addr {
			m[t.From] = true
		}
	}
	return len(m)
}

// checkPeerCounter: Counterparties agrees with the transfers and stops at
// limit+1. A source that cannot count before it has read the transfers
// (ErrUnsupported) is asked again after Transfers, as callers do.
func checkPeerCounter(c *checker) {
	pc := c.src.(chains.PeerCounter)
	for _, q := range c.tr.pairs() {
		all := c.tr.of(q.Address, q.Asset, 0, chains.Latest)
		qs := []chains.Query{q}
		if bs := sample(all); len(bs) > 1 {
			qs = append(qs, c.tr.query(q.Address, q.Asset, bs[1], c.tr.head))
		}
		for _, q := range qs {
			d := peers(c.tr.of(q.Address, q.Asset, q.From, q.To), q.Address)
			limits := []int{0, 1, d, d + 1, 1000}
			if d > 1 {
				limits = append(limits, d-1)
			}
			read := false
			for _, limit := range limits {
				n, err := pc.Counterparties(c.ctx, q, limit)
				if errors.Is(err, chains.ErrUnsupported) && !read {
					read = true
					if _, err := c.src.Transfers(c.ctx, q); err != nil {
						c.failf("Transfers %s: %v", showQuery(q), err)
						break
					}
					n, err = pc.Counterparties(c.ctx, q, limit)
				}
				if errors.Is(err, chains.ErrUnsupported) && c.h.NoCount != nil && c.h.NoCount(q.Asset) {
					continue
				}
				want := min(d, limit+1)
				if err != nil || n != want {
					c.failf("Counterparties %s limit %d: got %d, %v; want %d (%d distinct)", showQuery(q), limit, n, err, want, d)
				}
			}
		}
	}
}

// checkPager: pages cover the range exactly, in order, with whole blocks
// and no more than limit transfers unless one block holds more.
func checkPager(c *checker) {
	p := c.src.(chains.Pager)
	for _, q := range c.tr.pairs() {
		all := c.tr.of(q.Address, q.Asset, 0, chains.Latest)
		qs := []chains.Query{q, c.tr.query(q.Address, q.Asset, 0, chains.Latest)}
		if bs := sample(all); len(bs) > 1 {
			qs = append(qs, c.tr.query(q.Address, q.Asset, bs[1], c.tr.head))
		}
		for _, q := range qs {
			for _, limit := range []int{1, 2, 3, 1000} {
				c.pages(p, q, limit)
			}
		}
	}
}

func (c *checker) pages(p chains.Pager, q chains.Query, limit int) {
	want := c.tr.of(q.Address, q.Asset, q.From, q.To)
	var got []chains.Transfer
	from := q.From
	for range 2*len(want) + 100 {
		pq := q
		pq.From = from
		ts, next, err := p.TransfersPage(c.ctx, pq, limit)
		if err != nil {
			c.failf("TransfersPage %s limit %d: %v", showQuery(pq), limit, err)
			return
		}
		for i, t := range ts {
			switch {
			case t.Block < from || t.Block > q.To || (next != 0 && t.Block >= next):
				c.failf("TransfersPage %s limit %d (next %d): %s lies outside the page", showQuery(pq), limit, next, show(t))
				return
			case i > 0 && chains.Compare(ts[i-1], t) >= 0:
				c.failf("TransfersPage %s limit %d: %s does not come after %s", showQuery(pq), limit, show(t), show(ts[i-1]))
				return
			}
		}
		if len(ts) > limit && ts[0].Block != ts[len(ts)-1].Block {
			c.failf("TransfersPage %s limit %d: %d transfers over blocks %d-%d", showQuery(pq), limit, len(ts), ts[0].Block, ts[len(ts)-1].Block)
		}
		got = append(got, ts...)
		if next == 0 {
			if d := diff(got, want); d != "" {
				c.failf("TransfersPage %s limit %d, pages joined: %s", showQuery(q), limit, d)
			}
			return
		}
		if next <= from || next > q.To {
			c.failf("TransfersPage %s limit %d: next %d does not lie in (%d, %d]", showQuery(pq), limit, next, from, q.To)
			return
		}
		from = next
	}
	c.failf("TransfersPage %s limit %d: the pages never end", showQuery(q), limit)
}

// checkTotaler: Totals adds up what Transfers returns.
func checkTotaler(c *checker) {
	tl := c.src.(chains.Totaler)
	for _, q := range c.tr.pairs() {
		ranges := [][2]uint64{{0, c.tr.head}, {0, chains.Latest}}
		for _, b := range sample(c.tr.of(q.Address, q.Asset, 0, chains.Latest)) {
			ranges = append(ranges, [2]uint64{b, b}, [2]uint64{b, c.tr.head})
			if b > 0 {
				ranges = append(ranges, [2]uint64{0, b - 1})
			}
		}
		for _, r := range ranges {
			q := c.tr.query(q.Address, q.Asset, r[0], r[1])
			var in, out chains.Amount
			ts := c.tr.of(q.Address, q.Asset, q.From, q.To)
			for _, t := range ts {
				switch {
				case t.From == t.To:
				case t.To == q.Address:
					in = in.Add(t.Amount)
				default:
					out = out.Add(t.Amount)
				}
			}
			n, gin, gout, err := tl.Totals(c.ctx, q)
			if errors.Is(err, chains.ErrUnsupported) && q.To == chains.Latest {
				continue
			}
			if err != nil || n != len(ts) || gin.Cmp(in) != 0 || gout.Cmp(out) != 0 {
				c.failf("Totals %s: got %d in %s out %s, %v; want %d in %s out %s", showQuery(q), n, gin, gout, err, len(ts), in, out)
			}
		}
	}
}

// checkFinalOnly: the answer does not change, and a final-only source's
// head and hashes do not either.
func checkFinalOnly(c *checker) {
	fo := c.src.(chains.FinalOnly)
	v := fo.FinalOnly()
	q := c.tr.pairs()[0]
	c.transfers(c.src, q, c.tr.of(q.Address, q.Asset, q.From, q.To))
	if fo.FinalOnly() != v {
		c.failf("FinalOnly: %v, then %v", v, !v)
	}
	if !v {
		return
	}
	if hr, ok := c.src.(chains.HeadReader); ok {
		h1, err1 := hr.Head(c.ctx, c.tr.chain)
		h2, err2 := hr.Head(c.ctx, c.tr.chain)
		if err1 != nil || err2 != nil || h1 != h2 {
			c.failf("Head of a final-only source: %d (%v), then %d (%v)", h1, err1, h2, err2)
		}
	}
}

// checkRequester: a new source has sent nothing; a question its cache
// cannot answer sends something; the count never goes down, even read
// while other questions run.
func checkRequester(c *checker) {
	rq := c.src.(chains.Requester)
	if n := rq.Requests(); n != 0 {
		c.failf("Requests of a new source: %d, want 0", n)
	}
	q := c.tr.pairs()[0]
	c.transfers(c.src, q, c.tr.of(q.Address, q.Asset, q.From, q.To))
	n1 := rq.Requests()
	if n1 <= 0 {
		c.failf("Requests after a first Transfers: %d, want more than 0", n1)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		last := n1
		for {
			select {
			case <-done:
				return
			default:
			}
			n := rq.Requests()
			if n < last {
				c.failf("Requests went down from %d to %d", last, n)
				return
			}
			last = n
		}
	})
	qs := c.tr.pairs()
	for _, q := range qs[:min(len(qs), 8)] {
		c.transfers(c.src, q, c.tr.of(q.Address, q.Asset, q.From, q.To))
	}
	close(done)
	wg.Wait()
	if n := rq.Requests(); n < n1 {
		c.failf("Requests went down from %d to %d", n1, n)
	}
}
