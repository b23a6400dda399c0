package tron

import (
	"context"
	"math"
	"slices"
	"sort"
)

// slotMs is TRON's block interval: block times are slot times, at least 3 s
// apart (a slot without a block leaves a wider gap).
const slotMs = 3000

// maxProbeRounds bounds the rounds of header probes locate runs before it
// leaves the rest to the per-transaction receipts.
const maxProbeRounds = 32

// anchor is a block whose time is known.
type anchor struct {
	n  uint64
	ms int64
}

// anchors returns the blocks whose times the Source knows, in block order.
func (s *Source) anchors() []anchor {
	s.mu.Lock()
	out := make([]anchor, 0, len(s.blocks))
	for n, t := range s.blocks {
		out = append(out, anchor{n, t.UnixMilli()})
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b anchor) int {
		switch {
		case a.n < b.n:
			return -1
		case a.n > b.n:
			return 1
		}
		return 0
	})
	return out
}

// locate finds the blocks whose times are want (block timestamps, as
// TronGrid's TRC-20 listing gives them) without asking for them where it
// can. Between two known blocks a and b, the block at time t is at most
// a + (t−a.time)/3s and at least b − (b.time−t)/3s; when the two agree (no
// empty slot in between) that is its number. Where empty slots leave a
// doubt and many wanted times share the doubt, it reads block headers, one
// per such gap and round, at the most likely number, each answer narrowing
// the gaps, for up to maxProbeRounds rounds. A time left with two possible
// blocks gets both, the likelier first; a time left with more gets none
// (its transaction's receipt names its block, for one request, where
// probing would cost more). Every placement is checked later: a
// transaction must be in the receipts of the block it was placed in.
func (s *Source) locate(ctx context.Context, want []int64) (map[int64][]uint64, error) {
	want = slices.Clone(want)
	slices.Sort(want)
	want = slices.Compact(want)
	found := make(map[int64][]uint64, len(want))
	for round := 0; round < maxProbeRounds; round++ {
		as := s.anchors()
		var probes []uint64
		gap, members := -1, []int64(nil)
		flush := func() {
			if len(members) > 0 && worthProbing(as, gap, len(members)) {
				if g, ok := guess(as, gap, members[len(members)/2]); ok {
					probes = append(probes, g)
				}
			}
			members = members[:0]
		}
		for _, t := range want {
			if _, ok := found[t]; ok {
				continue
			}
			j := sort.Search(len(as), func(i int) bool { return as[i].ms >= t })
			if j < len(as) && as[j].ms == t {
				found[t] = []uint64{as[j].n}
				continue
			}
			lo, up, ok := bounds(as, j, t)
			switch {
			case !ok:
				continue
			case lo == up:
				found[t] = []uint64{lo}
				continue
			}
			if j != gap {
				flush()
				gap = j
			}
			members = append(members, t)
		}
		flush()
		slices.Sort(probes)
		probes = slices.Compact(probes)
		if len(probes) == 0 {
			break
		}
		err := each(ctx, len(probes), s.workers, func(ctx context.Context, i int) error {
			return s.fetchBlock(ctx, probes[i])
		})
		if err != nil {
			return nil, err
		}
	}
	as := s.anchors()
	for _, t := range want {
		if _, ok := found[t]; ok {
			continue
		}
		j := sort.Search(len(as), func(i int) bool { return as[i].ms >= t })
		lo, up, ok := bounds(as, j, t)
		if !ok || up-lo != 1 {
			continue
		}
		g, _ := guess(as, j, t)
		found[t] = []uint64{g, lo + up - g}
	}
	return found, nil
}

// worthProbing says whether m wanted times in the gap before as[j] are
// worth reading a header for: when nothing earlier is known, or when they
// are many next to the gap's empty slots (one header then places many).
func worthProbing(as []anchor, j, m int) bool {
	if j == 0 {
		return true
	}
	a, b := as[j-1], as[j]
	empty := (b.ms-a.ms)/slotMs - int64(b.n-a.n)
	return int64(m) >= 4*max(empty, 1)
}

// bounds gives the range of numbers the block at time t can have, from the
// known blocks around it: as[j-1] (earlier, if any) and as[j] (the first
// not earlier). ok is false when t is after every known block or the known
// blocks leave no room for it.
func bounds(as []anchor, j int, t int64) (lo, up uint64, ok bool) {
	if j >= len(as) || as[j].n == 0 {
		return 0, 0, false
	}
	b := as[j]
	up = b.n - 1
	if d := uint64((b.ms - t) / slotMs); d < b.n {
		lo = b.n - d
	}
	if j > 0 {
		a := as[j-1]
		lo = max(lo, a.n+1)
		up = min(up, a.n+uint64((t-a.ms)/slotMs))
	}
	return lo, up, lo <= up
}

// guess is the number to probe for time t in the gap before as[j]: empty
// slots taken as spread evenly over the gap.
func guess(as []anchor, j int, t int64) (uint64, bool) {
	lo, up, ok := bounds(as, j, t)
	if !ok {
		return 0, false
	}
	if j == 0 {
		return lo, true // nothing known before: assume no empty slot after t
	}
	a, b := as[j-1], as[j]
	frac := float64(t-a.ms) / float64(b.ms-a.ms)
	g := up - uint64(math.Round(float64(up-lo)*frac))
	return min(max(g, lo), up), true
}
