package trace

import (
	"math/big"
	"sort"
	"strconv"

	"freezetrace/chains"
)

// part is an amount of taint owned by one source, by the source's index in
// the case (0 is S1).
type part struct {
	src int
	amt chains.Amount
}

// parts is a set of per-source amounts, sorted by source index, with no
// zero amounts.
type parts []part

func sourceID(i int) string { return "S" + strconv.Itoa(i+1) }

func (p parts) total() chains.Amount {
	var t chains.Amount
	for _, x := range p {
		t = t.Add(x.amt)
	}
	return t
}

func (p parts) clone() parts { return append(parts(nil), p...) }

// plus returns p+q.
func (p parts) plus(q parts) parts {
	out := make(parts, 0, len(p)+len(q))
	i, j := 0, 0
	for i < len(p) || j < len(q) {
		switch {
		case j == len(q) || (i < len(p) && p[i].src < q[j].src):
			out = append(out, p[i])
			i++
		case i == len(p) || q[j].src < p[i].src:
			out = append(out, q[j])
			j++
		default:
			out = append(out, part{p[i].src, p[i].amt.Add(q[j].amt)})
			i++
			j++
		}
	}
	return out
}

// minus returns p−q; q must not exceed p for any source.
func (p parts) minus(q parts) parts {
	out := make(parts, 0, len(p))
	j := 0
	for _, x := range p {
		for j < len(q) && q[j].src < x.src {
			panic("trace: taint subtracted from a source that holds none")
		}
		if j < len(q) && q[j].src == x.src {
			d, ok := x.amt.Sub(q[j].amt)
			if !ok {
				panic("trace: taint subtracted beyond what a source holds")
			}
			j++
			if !d.IsZero() {
				out = append(out, part{x.src, d})
			}
			continue
		}
		out = append(out, x)
	}
	if j < len(q) {
		panic("trace: taint subtracted from a source that holds none")
	}
	return out
}

// split divides total among the sources of weights in proportion to their
// amounts, exactly: each source first gets floor(total·w/W), then the units
// left over by rounding go one each to the sources with the largest
// fractional remainders (ties to the lower source index). total must not
// exceed weights.total() for the result to stay within each weight.
func (weights parts) split(total chains.Amount) parts {
	if total.IsZero() || len(weights) == 0 {
		return nil
	}
	W := weights.total()
	if total.Cmp(W) == 0 {
		return weights.clone()
	}
	type rem struct {
		i int
		r *big.Int
	}
	out := make(parts, len(weights))
	rems := make([]rem, len(weights))
	var given chains.Amount
	tb, wb := total.Big(), W.Big()
	for i, w := range weights {
		p := new(big.Int).Mul(tb, w.amt.Big())
		q, r := new(big.Int).QuoRem(p, wb, new(big.Int))
		a, _ := chains.AmountFromBig(q)
		out[i] = part{w.src, a}
		rems[i] = rem{i, r}
		given = given.Add(a)
	}
	left, _ := total.Sub(given)
	if !left.IsZero() {
		sort.SliceStable(rems, func(a, b int) bool { return rems[a].r.Cmp(rems[b].r) > 0 })
		n := int(left.Big().Int64()) // fewer than len(weights)
		for k := 0; k < n; k++ {
			i := rems[k].i
			out[i].amt = out[i].amt.Add(chains.NewAmount(1))
		}
	}
	res := out[:0]
	for _, x := range out {
		if !x.amt.IsZero() {
			res = append(res, x)
		}
	}
	return res
}

func (p parts) shares() []Share {
	out := make([]Share, 0, len(p))
	for _, x := range p {
		out = append(out, Share{Source: sourceID(x.src), Amount: x.amt})
	}
	return out
}
