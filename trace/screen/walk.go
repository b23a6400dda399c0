package screen

import (
	"math/big"
	"slices"

	"freezetrace/chains"
)

// exposure is what an address's flows on one side carry from each risk
// category within r hops.
type exposure struct {
	cats []catExposure // by category index, only the categories reached
}

// catExposure is one category's part of an exposure, per asset: a path
// carries one asset all the way, so the nearest path is kept per asset.
type catExposure struct {
	cat int
	// hops[i] is the length of the nearest path carrying asset i (0:
	// none), via[i] the flow (index into the side's flows) it leaves by.
	hops, via []int
	// amt[i] is the amount of asset i attributed to the category (nil:
	// none).
	amt []*big.Int
}

// nearest returns the asset index and length of the shortest path, the
// first asset among equals.
func (c *catExposure) nearest() (asset, hops int) {
	asset = -1
	for i, h := range c.hops {
		if h > 0 && (asset < 0 || h < hops) {
			asset, hops = i, h
		}
	}
	return asset, hops
}

func (e *exposure) find(cat int) *catExposure {
	for i := range e.cats {
		if e.cats[i].cat == cat {
			return &e.cats[i]
		}
	}
	return nil
}

// none is the exposure of an address that reaches no risk.
var none = &exposure{}

// exposureOf computes n's exposure on side within r hops (r ≥ 1), from its
// flows' counterparties: a counterparty that is a hit passes on all of
// the flow; one the walk goes through passes on the flow times the share
// of its own flows on that side that its exposure within r−1 hops
// carries (the haircut rule over the window's totals), rounded down.
// Shares are at most 1, so no address is ever attributed more than its
// flows. Results are memoised per (node, side, r).
func (s *Screener) exposureOf(n *node, side Side, r int) *exposure {
	si := sideIndex(side)
	if n.memo[si] == nil {
		n.memo[si] = make([]*exposure, s.o.Hops+1)
	}
	if e := n.memo[si][r]; e != nil {
		return e
	}
	var acc []catExposure
	add := func(cat, hops, via, asset int, v *big.Int) {
		var c *catExposure
		for i := range acc {
			if acc[i].cat == cat {
				c = &acc[i]
				break
			}
		}
		if c == nil {
			k := len(s.o.Assets)
			acc = append(acc, catExposure{cat: cat, hops: make([]int, k), via: make([]int, k), amt: make([]*big.Int, k)})
			c = &acc[len(acc)-1]
		}
		if c.hops[asset] == 0 || hops < c.hops[asset] {
			c.hops[asset], c.via[asset] = hops, via
		}
		if c.amt[asset] == nil {
			c.amt[asset] = new(big.Int)
		}
		c.amt[asset].Add(c.amt[asset], v)
	}
	for i, f := range n.side(side) {
		p := s.nodes[f.Peer]
		ai, ok := s.asIdx[f.Asset]
		if p == nil || p == n || !ok || f.Peer.IsNull() {
			continue
		}
		v := f.Amount.Big()
		for c := range s.cats {
			if p.hits&(1<<c) != 0 {
				add(c, 1, i, ai, v)
			}
		}
		if r == 1 || p.stop() || p.flows == nil {
			continue
		}
		sub := s.exposureOf(p, side, r-1)
		tot := p.total[si][ai]
		for _, c := range sub.cats {
			if c.hops[ai] == 0 || tot == nil || tot.Sign() == 0 {
				continue // p's exposure is in other assets: this flow carries none of it
			}
			share := new(big.Int).Mul(v, c.amt[ai])
			share.Quo(share, tot)
			add(c.cat, c.hops[ai]+1, i, ai, share)
		}
	}
	e := none
	if len(acc) > 0 {
		slices.SortFunc(acc, func(a, b catExposure) int { return a.cat - b.cat })
		e = &exposure{cats: acc}
	}
	n.memo[si][r] = e
	return e
}

// path follows the nearest path of category cat carrying asset ai from n
// on side within r hops, returning its steps and the hit it ends at.
func (s *Screener) path(n *node, side Side, r, cat, ai int) ([]Step, *node) {
	var steps []Step
	for {
		e := s.exposureOf(n, side, r).find(cat)
		if e == nil || e.hops[ai] == 0 {
			return steps, nil
		}
		f := n.side(side)[e.via[ai]]
		st := Step{From: f.Peer, To: n.addr, Asset: f.Asset, Amount: f.Amount, Count: f.Count, Tx: f.Tx, Block: f.Block}
		if side == Out {
			st.From, st.To = n.addr, f.Peer
		}
		steps = append(steps, st)
		p := s.nodes[f.Peer]
		if e.hops[ai] == 1 {
			return steps, p
		}
		n, r = p, r-1
	}
}

// result builds n's Result.
func (s *Screener) result(n *node) Result {
	res := Result{
		Chain: s.o.Chain, Address: n.addr,
		Direct: slices.Clone(n.direct), Labels: slices.Clone(n.labels), Exposure: []Exposure{},
		Data: Data{From: s.o.From, To: s.o.To},
	}
	if res.Direct == nil {
		res.Direct = []Hit{}
	}
	score := 0.0
	for _, h := range n.direct {
		score = max(score, s.o.Policy.Score(h.Category, 0))
	}
	if f := n.flows; f != nil {
		res.Data.Transfers, res.Data.First, res.Data.Last, res.Data.Busy = f.Transfers, f.First, f.Last, f.Busy
	}
	if n.flows != nil && n.flows.Busy {
		res.Notes = append(res.Notes, "more distinct counterparties in the window than --max-degree: its exposure was not walked")
	}
	for _, side := range s.o.Direction.sides() {
		if n.flows == nil || n.flows.Busy {
			break
		}
		e := s.exposureOf(n, side, s.o.Hops)
		for _, c := range e.cats {
			cat := s.cats[c.cat]
			ai, hops := c.nearest()
			x := Exposure{Category: cat, Side: side, Hops: hops, Score: s.o.Policy.Score(cat, hops), Amounts: []AssetAmount{}}
			for i, v := range c.amt {
				if v != nil {
					a, _ := chains.AmountFromBig(v)
					x.Amounts = append(x.Amounts, AssetAmount{Asset: s.o.Assets[i], Amount: a})
				}
			}
			var hit *node
			x.Path, hit = s.path(n, side, s.o.Hops, c.cat, ai)
			if hit != nil {
				x.HitAddress = hit.addr
				for _, h := range hit.direct {
					if h.Category == cat {
						x.Hit = h
						break
					}
				}
			}
			score = max(score, x.Score)
			res.Exposure = append(res.Exposure, x)
		}
	}
	slices.SortStableFunc(res.Exposure, func(a, b Exposure) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		case a.Hops != b.Hops:
			return a.Hops - b.Hops
		}
		return 0
	})
	res.Score = score
	res.Level = s.o.Policy.Level(score)
	switch {
	case score > 0 || len(n.labels) > 0:
	case res.Data.Transfers == 0:
		res.Level = LevelUnknown
		res.Notes = append(res.Notes, "no transfer in the window and no label: the data says nothing about this address")
	case res.Data.Busy:
		// Too busy to walk and nobody says who it is: its exposure is not
		// known, which is not "none".
		res.Level = LevelUnknown
	}
	return res
}
