package sourcetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"freezetrace/chains"
)

// contractChecks hold a source to the chains.Source contract.
var contractChecks = []check{
	{name: "Capabilities", run: checkCapabilities},
	{name: "Transfers", run: checkTransfers},
	{name: "CanonicalOrder", run: checkOrder},
	{name: "ZeroValue", run: checkZeroValue},
	{name: "Boundaries", run: checkBoundaries},
	{name: "Latest", run: checkLatest},
	{name: "EmptyRange", run: checkEmptyRange},
	{name: "WholeRange", run: checkWholeRange},
	{name: "TxTransfers", run: checkTxTransfers},
	{name: "UnknownTx", run: checkUnknownTx},
	{name: "Asset", run: checkAsset},
	{name: "UnknownAsset", run: checkUnknownAsset},
	{name: "BlockTime", run: checkBlockTime},
	{name: "UnknownBlock", run: checkUnknownBlock},
	{name: "Unsupported", run: checkUnsupported},
	{name: "Offline", run: checkOffline},
	{name: "Concurrent", run: checkConcurrent},
}

// unknownTx is a transaction no harness holds.
var unknownTx = chains.TxHash{0xfe, 0xed, 0xfa, 0xce, 31: 0x01}

// transfers asks src for q and fails unless it answers want.
func (c *checker) transfers(src chains.Source, q chains.Query, want []chains.Transfer) {
	got, err := src.Transfers(c.ctx, q)
	if err != nil {
		c.failf("Transfers %s: %v", showQuery(q), err)
		return
	}
	if d := diff(got, want); d != "" {
		c.failf("Transfers %s: %s", showQuery(q), d)
	}
}

func checkCapabilities(c *checker) {
	got := Implements(c.src)
	want := slices.Sorted(slices.Values(c.h.Capabilities))
	for _, w := range want {
		if !slices.Contains(Capabilities(), w) {
			c.failf("harness names %q, which is not a capability (want one of %v)", w, Capabilities())
		}
	}
	if !slices.Equal(got, want) {
		c.failf("implements %v, the harness expects %v", got, want)
	}
}

// checkTransfers: every address's history of every asset, whole.
func checkTransfers(c *checker) {
	for _, q := range c.tr.pairs() {
		c.transfers(c.src, q, c.tr.of(q.Address, q.Asset, q.From, q.To))
	}
}

// checkOrder: answers are in canonical order, each transfer once.
func checkOrder(c *checker) {
	ordered := func(what string, ts []chains.Transfer) {
		for i := 1; i < len(ts); i++ {
			if chains.Compare(ts[i-1], ts[i]) >= 0 {
				c.failf("%s: transfer %d %s does not come after %s", what, i, show(ts[i]), show(ts[i-1]))
				return
			}
		}
	}
	for _, q := range c.tr.pairs() {
		q.To = chains.Latest
		ts, err := c.src.Transfers(c.ctx, q)
		if err != nil {
			c.failf("Transfers %s: %v", showQuery(q), err)
			continue
		}
		ordered("Transfers "+showQuery(q), ts)
	}
	for _, tx := range c.tr.txs {
		ts, err := c.src.TxTransfers(c.ctx, c.tr.chain, tx)
		if err != nil {
			c.failf("TxTransfers %s: %v", tx, err)
			continue
		}
		ordered("TxTransfers "+tx.String(), ts)
	}
}

// checkZeroValue: zero-value transfers are answered like any other.
func checkZeroValue(c *checker) {
	for _, z := range c.tr.zero {
		for _, a := range []chains.Address{z.From, z.To} {
			q := c.tr.query(a, z.Asset, z.Block, z.Block)
			ts, err := c.src.Transfers(c.ctx, q)
			if err != nil {
				c.failf("Transfers %s: %v", showQuery(q), err)
			} else if !holds(ts, z) {
				c.failf("Transfers %s: the zero-value transfer %s is missing", showQuery(q), show(z))
			}
		}
		ts, err := c.src.TxTransfers(c.ctx, c.tr.chain, z.Tx)
		if err != nil {
			c.failf("TxTransfers %s: %v", z.Tx, err)
		} else if !holds(ts, z) {
			c.failf("TxTransfers %s: the zero-value transfer %s is missing", z.Tx, show(z))
		}
	}
}

func holds(ts []chains.Transfer, t chains.Transfer) bool {
	return slices.ContainsFunc(ts, func(x chains.Transfer) bool { return x.Key() == t.Key() && x.Amount.IsZero() })
}

// checkBoundaries: both ends of a block range are included, and nothing
// outside it is: narrow ranges starting, ending and stopping short at
// blocks that hold transfers, and one range from block 0.
func checkBoundaries(c *checker) {
	for _, q := range c.tr.pairs() {
		for i, b := range sample(c.tr.of(q.Address, q.Asset, 0, chains.Latest)) {
			ranges := [][2]uint64{{b, b}, {b, b + 1}, {b + 1, b + 2}}
			if b > 0 {
				ranges = append(ranges, [2]uint64{b - 1, b}, [2]uint64{b - 1, b - 1})
			}
			if i == 0 {
				ranges = append(ranges, [2]uint64{0, b})
			}
			for _, r := range ranges {
				c.transfers(c.src, c.tr.query(q.Address, q.Asset, r[0], r[1]), c.tr.of(q.Address, q.Asset, r[0], r[1]))
			}
		}
	}
}

// checkLatest: To = Latest stops at the head; nothing lies after it.
func checkLatest(c *checker) {
	head := c.tr.head
	for _, q := range c.tr.pairs() {
		want := c.tr.of(q.Address, q.Asset, 0, chains.Latest)
		c.transfers(c.src, c.tr.query(q.Address, q.Asset, 0, chains.Latest), want)
		c.transfers(c.src, c.tr.query(q.Address, q.Asset, head+1, chains.Latest), nil)
		c.transfers(c.src, c.tr.query(q.Address, q.Asset, head+1, head+1000), nil)
		if bs := sample(want); len(bs) > 0 {
			b := bs[len(bs)/2]
			c.transfers(c.src, c.tr.query(q.Address, q.Asset, b, chains.Latest), c.tr.of(q.Address, q.Asset, b, chains.Latest))
		}
	}
}

// checkEmptyRange: From > To is an empty answer, not an error.
func checkEmptyRange(c *checker) {
	q := c.tr.pairs()[0]
	ranges := [][2]uint64{{1, 0}, {chains.Latest, 0}}
	if h := c.tr.head; h > 0 {
		ranges = append(ranges, [2]uint64{h, h - 1})
	}
	for _, r := range ranges {
		c.transfers(c.src, c.tr.query(q.Address, q.Asset, r[0], r[1]), nil)
	}
}

// checkWholeRange: with an upstream failing part way, every answer is the
// whole range or an error, and at least one is an error.
func checkWholeRange(c *checker) {
	if c.h.Broken == nil {
		c.skip("no upstream to break: every answer comes whole from what the source holds")
		return
	}
	src := c.h.Broken(c.t)
	failed := 0
	for _, q := range c.tr.pairs() {
		for _, to := range []uint64{c.tr.head, chains.Latest} {
			q.To = to
			got, err := src.Transfers(c.ctx, q)
			if err != nil {
				failed++
				continue
			}
			if d := diff(got, c.tr.of(q.Address, q.Asset, q.From, q.To)); d != "" {
				c.failf("Transfers %s with a failing upstream: no error, yet %s", showQuery(q), d)
			}
		}
	}
	for _, tx := range c.tr.txs {
		got, err := src.TxTransfers(c.ctx, c.tr.chain, tx)
		if err != nil {
			failed++
			continue
		}
		if d := diff(got, c.tr.byTx[tx]); d != "" {
			c.failf("TxTransfers %s with a failing upstream: no error, yet %s", tx, d)
		}
	}
	if failed == 0 {
		c.failf("the broken source answered every question: the harness's failure never happened, so nothing was checked")
	}
}

func checkTxTransfers(c *checker) {
	for _, tx := range c.tr.txs {
		got, err := c.src.TxTransfers(c.ctx, c.tr.chain, tx)
		if err != nil {
			c.failf("TxTransfers %s: %v", tx, err)
			continue
		}
		if d := diff(got, c.tr.byTx[tx]); d != "" {
			c.failf("TxTransfers %s: %s", tx, d)
		}
	}
}

func checkUnknownTx(c *checker) {
	ts, err := c.src.TxTransfers(c.ctx, c.tr.chain, unknownTx)
	if !errors.Is(err, chains.ErrNotFound) {
		c.failf("TxTransfers of an unknown transaction: got %d transfers, error %v; want chains.ErrNotFound", len(ts), err)
	}
}

func checkAsset(c *checker) {
	native := chains.NativeAsset(c.tr.chain)
	want := append([]chains.Asset{c.tr.chain.Native()}, c.h.Assets...)
	for _, w := range want {
		got, err := c.src.Asset(c.ctx, w.ID)
		if err != nil {
			c.failf("Asset %s: %v", w.ID, err)
			continue
		}
		if got.ID != w.ID || got.Symbol != w.Symbol || got.Decimals != w.Decimals {
			c.failf("Asset %s: got %+v, want %+v", w.ID, got, w)
		}
	}
	for _, id := range c.tr.assets {
		if id != native && !slices.ContainsFunc(c.h.Assets, func(a chains.Asset) bool { return a.ID == id }) {
			c.failf("harness: Assets lacks %s, an asset of the truth", id)
		}
	}
}

func checkUnknownAsset(c *checker) {
	a, err := c.src.Asset(c.ctx, c.h.UnknownAsset)
	if !errors.Is(err, chains.ErrNotFound) {
		c.failf("Asset %s (unknown): got %+v, error %v; want chains.ErrNotFound", c.h.UnknownAsset, a, err)
	}
}

func checkBlockTime(c *checker) {
	for _, b := range c.tr.blocks {
		got, err := c.src.BlockTime(c.ctx, c.tr.chain, b)
		switch {
		case err != nil:
			c.failf("BlockTime %d: %v", b, err)
		case !got.Equal(c.tr.times[b]):
			c.failf("BlockTime %d: got %s, want %s", b, got, c.tr.times[b])
		case got.Location() != time.UTC:
			c.failf("BlockTime %d: %s is not in UTC", b, got)
		}
	}
}

// unknownBlock is a block past every harness's head.
func (c *checker) unknownBlock() uint64 { return c.tr.head + 1000 }

func checkUnknownBlock(c *checker) {
	n := c.unknownBlock()
	bt, err := c.src.BlockTime(c.ctx, c.tr.chain, n)
	if !errors.Is(err, chains.ErrNotFound) {
		c.failf("BlockTime %d (past the head %d): got %s, error %v; want chains.ErrNotFound", n, c.tr.head, bt, err)
	}
}

func checkUnsupported(c *checker) {
	if len(c.h.Unsupported) == 0 {
		c.skip("the harness names no question the source cannot answer")
		return
	}
	for _, q := range c.h.Unsupported {
		if err := q.Ask(c.ctx, c.src); !errors.Is(err, chains.ErrUnsupported) {
			c.failf("%s: got error %v, want chains.ErrUnsupported", q.Name, err)
		}
	}
}

// checkOffline: what an offline cache does not hold fails with ErrOffline,
// matching what an upstream would have answered too.
func checkOffline(c *checker) {
	if !c.h.Offline {
		c.skip("the source may fetch")
		return
	}
	stranger := chains.NewAddress(c.tr.chain.Family(), [20]byte{0x5e, 19: 0x01})
	asks := []struct {
		name string
		also error
		ask  func() error
	}{
		{"TxTransfers of an unknown transaction", chains.ErrNotFound, func() error {
			_, err := c.src.TxTransfers(c.ctx, c.tr.chain, unknownTx)
			return err
		}},
		{"Asset " + c.h.UnknownAsset.String(), chains.ErrNotFound, func() error {
			_, err := c.src.Asset(c.ctx, c.h.UnknownAsset)
			return err
		}},
		{fmt.Sprintf("BlockTime %d", c.unknownBlock()), chains.ErrNotFound, func() error {
			_, err := c.src.BlockTime(c.ctx, c.tr.chain, c.unknownBlock())
			return err
		}},
		{"IsContract of an address never seen", chains.ErrUnsupported, func() error {
			_, err := c.src.IsContract(c.ctx, c.tr.chain, stranger)
			return err
		}},
		{"Balance of an address never seen", chains.ErrUnsupported, func() error {
			_, err := c.src.Balance(c.ctx, c.tr.chain, stranger, c.tr.assets[0], c.tr.head)
			return err
		}},
	}
	if bf, ok := c.src.(chains.BlockFinder); ok {
		after := c.tr.times[c.tr.blocks[len(c.tr.blocks)-1]].Add(24 * time.Hour)
		asks = append(asks, struct {
			name string
			also error
			ask  func() error
		}{"BlockAt a day after the newest block", chains.ErrNotFound, func() error {
			_, err := bf.BlockAt(c.ctx, c.tr.chain, after)
			return err
		}})
	}
	for _, a := range asks {
		err := a.ask()
		if !errors.Is(err, chains.ErrOffline) || !errors.Is(err, a.also) {
			c.failf("%s offline: got error %v, want one matching chains.ErrOffline and %v", a.name, err, a.also)
		}
	}
}

// checkConcurrent: many goroutines asking at once get the answers one
// would (run it with -race). Between them they ask every question twice,
// each worker starting at its own place.
func checkConcurrent(c *checker) {
	workers := c.h.Workers
	if workers <= 0 {
		workers = 8
	}
	qs := c.tr.pairs()
	each := max(1, (2*len(qs)+workers-1)/workers)
	hr, _ := c.src.(chains.HeadReader)
	rq, _ := c.src.(chains.Requester)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var last int64
			for i := w * len(qs) / workers; i < w*len(qs)/workers+each; i++ {
				q := qs[i%len(qs)]
				if w%2 == 1 {
					q.To = chains.Latest
				}
				c.transfers(c.src, q, c.tr.of(q.Address, q.Asset, q.From, q.To))
				tx := c.tr.txs[i%len(c.tr.txs)]
				if got, err := c.src.TxTransfers(c.ctx, c.tr.chain, tx); err != nil {
					c.failf("TxTransfers %s: %v", tx, err)
				} else if d := diff(got, c.tr.byTx[tx]); d != "" {
					c.failf("TxTransfers %s: %s", tx, d)
				}
				b := c.tr.blocks[i%len(c.tr.blocks)]
				if bt, err := c.src.BlockTime(c.ctx, c.tr.chain, b); err != nil || !bt.Equal(c.tr.times[b]) {
					c.failf("BlockTime %d: got %s, %v; want %s", b, bt, err, c.tr.times[b])
				}
				if hr != nil {
					if _, err := hr.Head(c.ctx, c.tr.chain); err != nil {
						c.failf("Head: %v", err)
					}
				}
				if rq != nil {
					n := rq.Requests()
					if n < last {
						c.failf("Requests went down from %d to %d", last, n)
					}
					last = n
				}
			}
		})
	}
	wg.Wait()
}
