package trace

import (
	"fmt"
	"strings"

	"freezetrace/chains"
)

// account is the allocation state of one tainted address for the traced
// asset under one rule. Every method reports, in one line, how the rule
// decided, for the audit ledger.
type account interface {
	// in adds an inflow of amount, of which shares are tainted.
	in(amount chains.Amount, shares parts, ref string) string
	// out removes an outflow of v. It returns the taint it carried and the
	// shortfall: the part of v the known balance could not cover, treated as
	// clean funds of unknown origin.
	out(v chains.Amount) (carried parts, shortfall chains.Amount, detail string)
	balance() chains.Amount
	taint() parts
	// taintTotal is taint().total(), without building the parts.
	taintTotal() chains.Amount
}

func newAccount(r Rule, opening chains.Amount) account {
	switch r {
	case FIFO, LIFO:
		a := &lotAccount{lifo: r == LIFO}
		if !opening.IsZero() {
			a.lots = append(a.lots, lot{src: -1, amt: opening, ref: "opening"})
			a.bal = opening
		}
		return a
	case Haircut:
		return &shareAccount{bal: opening, libr: false}
	case LIBR:
		return &shareAccount{bal: opening, libr: true}
	case Poison:
		return &poisonAccount{bal: opening}
	}
	panic("trace: unknown rule " + string(r))
}

// lot is one inflow, or the tainted or clean part of one, waiting to be
// spent; src is -1 for clean funds.
type lot struct {
	src int
	amt chains.Amount
	ref string // the transfer that brought it, "tx:position", or "opening"
}

// lotAccount implements fifo (oldest lots first, Clayton's case) and lifo
// (newest lots first). Within one inflow, tainted parts are queued in source
// order and the clean part after them.
type lotAccount struct {
	lifo bool
	lots []lot // oldest first; lots[head:] are unspent
	head int
	bal  chains.Amount
	t    parts // taint held, by source (the sum of the tainted lots)
}

func (a *lotAccount) in(amount chains.Amount, shares parts, ref string) string {
	for _, s := range shares {
		a.lots = append(a.lots, lot{src: s.src, amt: s.amt, ref: ref})
	}
	clean, _ := amount.Sub(shares.total())
	if !clean.IsZero() {
		n := len(a.lots)
		if n > a.head && a.lots[n-1].src == -1 {
			a.lots[n-1].amt = a.lots[n-1].amt.Add(clean) // adjacent clean lots merge
		} else {
			a.lots = append(a.lots, lot{src: -1, amt: clean, ref: ref})
		}
	}
	a.bal = a.bal.Add(amount)
	a.t = a.t.plus(shares)
	return fmt.Sprintf("%s: queued as lots %s", a.name(), describeLots(shares, clean))
}

func (a *lotAccount) name() string {
	if a.lifo {
		return "lifo"
	}
	return "fifo"
}

func (a *lotAccount) out(v chains.Amount) (parts, chains.Amount, string) {
	need := v
	var carried parts
	var used []string
	for !need.IsZero() && len(a.lots) > a.head {
		i := a.head
		if a.lifo {
			i = len(a.lots) - 1
		}
		l := &a.lots[i]
		take := l.amt.Min(need)
		need, _ = need.Sub(take)
		if l.src >= 0 {
			carried = carried.plus(parts{{l.src, take}})
			used = append(used, fmt.Sprintf("%s %s from %s", sourceID(l.src), take, l.ref))
		} else {
			used = append(used, fmt.Sprintf("clean %s from %s", take, l.ref))
		}
		l.amt, _ = l.amt.Sub(take)
		if l.amt.IsZero() {
			if a.lifo {
				a.lots = a.lots[:i]
			} else {
				a.lots[i] = lot{}
				a.head++
			}
		}
	}
	if a.head == len(a.lots) {
		a.lots, a.head = a.lots[:0], 0
	}
	a.bal = a.bal.SubFloor(v)
	a.t = a.t.minus(carried)
	order := "oldest"
	if a.lifo {
		order = "newest"
	}
	d := fmt.Sprintf("%s: %s lots first: %s", a.name(), order, strings.Join(used, "; "))
	if len(used) == 0 {
		d = a.name() + ": no lots"
	}
	if !need.IsZero() {
		d += fmt.Sprintf("; shortfall %s", need)
	}
	return carried, need, d
}

func (a *lotAccount) balance() chains.Amount { return a.bal }

func (a *lotAccount) taint() parts { return a.t.clone() }

func (a *lotAccount) taintTotal() chains.Amount { return a.t.total() }

func describeLots(shares parts, clean chains.Amount) string {
	var s []string
	for _, p := range shares {
		s = append(s, fmt.Sprintf("%s %s", sourceID(p.src), p.amt))
	}
	if !clean.IsZero() || len(s) == 0 {
		s = append(s, "clean "+clean.String())
	}
	return strings.Join(s, ", ")
}

// shareAccount implements haircut (an outflow v from balance B holding taint
// T carries floor(v·T/B)) and libr (it carries max(0, T−(B−v)): the holder
// spends own funds first and taint never grows back). The carried total is
// split among sources in proportion to their taint (parts.split).
type shareAccount struct {
	libr bool
	bal  chains.Amount
	t    parts
}

func (a *shareAccount) in(amount chains.Amount, shares parts, _ string) string {
	a.bal = a.bal.Add(amount)
	a.t = a.t.plus(shares)
	clean, _ := amount.Sub(shares.total())
	name := "haircut"
	if a.libr {
		name = "libr"
	}
	return fmt.Sprintf("%s: taint +%s, clean +%s", name, shares.total(), clean)
}

func (a *shareAccount) out(v chains.Amount) (parts, chains.Amount, string) {
	T, B := a.t.total(), a.bal
	if v.Cmp(B) > 0 {
		short, _ := v.Sub(B)
		carried := a.t
		a.t, a.bal = nil, chains.Amount{}
		return carried, short, fmt.Sprintf("outflow %s exceeds balance %s: all taint %s leaves; shortfall %s", v, B, T, short)
	}
	var total chains.Amount
	var d string
	if a.libr {
		rest, _ := B.Sub(v)
		total = T.SubFloor(rest)
		d = fmt.Sprintf("libr: max(0, T−(B−v)) = max(0, %s−(%s−%s)) = %s", T, B, v, total)
	} else {
		if !B.IsZero() {
			total = v.MulDiv(T, B)
		}
		d = fmt.Sprintf("haircut: floor(v·T/B) = floor(%s·%s/%s) = %s", v, T, B, total)
	}
	carried := a.t.split(total)
	if len(a.t) > 1 && !total.IsZero() {
		d += "; split by source " + describeLots(carried, chains.Amount{})
	}
	a.t = a.t.minus(carried)
	a.bal, _ = B.Sub(v)
	return carried, chains.Amount{}, d
}

func (a *shareAccount) balance() chains.Amount    { return a.bal }
func (a *shareAccount) taint() parts              { return a.t.clone() }
func (a *shareAccount) taintTotal() chains.Amount { return a.t.total() }

// poisonAccount implements poison: from the first tainted inflow on, the
// whole balance is tainted and every outflow carries its full amount, split
// among sources in proportion to the taint each has brought in. It is an
// upper bound for screening and may create taint (it taints clean inflows
// and shortfalls).
type poisonAccount struct {
	bal     chains.Amount
	weights parts // cumulative tainted inflows by source
}

func (a *poisonAccount) in(amount chains.Amount, shares parts, _ string) string {
	a.bal = a.bal.Add(amount)
	a.weights = a.weights.plus(shares)
	if len(a.weights) == 0 {
		return "poison: clean inflow before any taint"
	}
	return fmt.Sprintf("poison: whole balance %s tainted", a.bal)
}

func (a *poisonAccount) out(v chains.Amount) (parts, chains.Amount, string) {
	short := v.SubFloor(a.bal)
	a.bal = a.bal.SubFloor(v)
	if len(a.weights) == 0 {
		return nil, short, "poison: not yet tainted"
	}
	carried := a.weights.split(v)
	d := fmt.Sprintf("poison: all of %s tainted", v)
	if len(a.weights) > 1 {
		d += fmt.Sprintf(", split by taint received (%s)", describeLots(a.weights, chains.Amount{}))
	}
	return carried, short, d
}

func (a *poisonAccount) balance() chains.Amount { return a.bal }

// taintTotal is the whole balance once tainted: split hands all of it out.
func (a *poisonAccount) taintTotal() chains.Amount {
	if len(a.weights) == 0 {
		return chains.Amount{}
	}
	return a.bal
}

func (a *poisonAccount) taint() parts {
	if len(a.weights) == 0 {
		return nil
	}
	return a.weights.split(a.bal)
}
