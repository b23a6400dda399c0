package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace/attribute"
	"freezetrace/trace/screen"
)

// screening holds one Screener per chain met in the input.
type screening struct {
	o       screenOptions
	l       *liveSource
	live    bool
	cases   []screen.CaseAddress
	byChain map[chains.Chain]*chainScreen
	order   []chains.Chain
}

// chainScreen is the screening of one chain: its window, assets, Screener.
type chainScreen struct {
	chain    chains.Chain
	from, to uint64
	assets   []chains.Asset
	ids      []chains.AssetID
	s        *screen.Screener
	prov     []chains.Provenance
}

// chain returns the screening of c, setting it up the first time.
func (sc *screening) chain(ctx context.Context, c chains.Chain) (*chainScreen, error) {
	if cs := sc.byChain[c]; cs != nil {
		return cs, nil
	}
	if sc.live && c != sc.o.Chain {
		return nil, chains.Invalid(fmt.Errorf("a %s address, but the live source serves %s: screen each chain on its own", c, sc.o.Chain))
	}
	cs := &chainScreen{chain: c}
	var err error
	if len(sc.o.Assets) > 0 {
		for _, s := range sc.o.Assets {
			id, err := traceAsset(c, s)
			if err != nil {
				return nil, err
			}
			cs.assets = append(cs.assets, chains.Asset{ID: id})
		}
	} else if cs.assets, err = sc.l.db.ChainAssets(ctx, c, sc.o.AllAssets); err != nil {
		return nil, err
	}
	// Symbols and decimals: stored, or read from a live source (a
	// database with no token file may know USDT's transfers and not its
	// decimals); offline, an unknown token shows in base units.
	for i, a := range cs.assets {
		if a.Symbol != "" {
			continue
		}
		m, err := sc.l.src.Asset(ctx, a.ID)
		switch {
		case err == nil:
			cs.assets[i] = m
		case errors.Is(err, chains.ErrOffline), errors.Is(err, chains.ErrNotFound), errors.Is(err, chains.ErrUnsupported):
		default:
			return nil, fmt.Errorf("asset %s: %w", a.ID, err)
		}
	}
	if len(cs.assets) == 0 {
		return nil, chains.Invalid(fmt.Errorf("no token of %s in the database: import or fetch its transfers first, or name one with --asset", c))
	}
	for _, a := range cs.assets {
		cs.ids = append(cs.ids, a.ID)
	}
	if err := sc.readProvenance(ctx, cs); err != nil {
		return nil, err
	}
	for _, p := range cs.prov {
		cs.to = max(cs.to, p.Block)
	}
	if sc.live {
		if head, _, ok, err := sc.l.src.ConfirmedHead(ctx, c); err != nil {
			return nil, err
		} else if ok {
			cs.to = head
		}
	}
	if cs.to == 0 {
		cs.to = chains.Latest
	}
	if n, ok, err := parseBlockOrTime(ctx, sc.l.src, c, "--since", sc.o.Since, false); err != nil {
		return nil, err
	} else if ok {
		cs.from = n
	}
	if n, ok, err := parseBlockOrTime(ctx, sc.l.src, c, "--until", sc.o.Until, true); err != nil {
		return nil, err
	} else if ok {
		cs.to = n
	}
	if cs.from > cs.to {
		return nil, chains.Invalid(fmt.Errorf("--since block %d is after --until block %d", cs.from, cs.to))
	}
	degree := sc.o.MaxDegree
	if degree < 0 {
		degree = 0
	}
	opt := screen.Options{Chain: c, Assets: cs.ids, From: cs.from, To: cs.to, Hops: sc.o.Hops,
		Direction: sc.o.Direction, MaxDegree: degree, Policy: sc.o.Policy, Cases: sc.cases}
	if sc.live {
		opt.Fetch = sc.fetcher(cs, degree)
	}
	if cs.s, err = screen.New(sc.l.db, opt); err != nil {
		return nil, err
	}
	sc.byChain[c] = cs
	sc.order = append(sc.order, c)
	return cs, nil
}

// readProvenance reads where the stored data of cs's chain came from;
// it is read again at the end, after whatever a live source fetched.
func (sc *screening) readProvenance(ctx context.Context, cs *chainScreen) error {
	prov, err := sc.l.db.Provenance(ctx)
	if err != nil {
		return err
	}
	cs.prov = []chains.Provenance{}
	for _, p := range prov {
		if p.Chain == cs.chain {
			cs.prov = append(cs.prov, p)
		}
	}
	return nil
}

// refresh reads every chain's provenance again, for the summary and the
// JSON document, so that a cold run names what it fetched.
func (sc *screening) refresh(ctx context.Context) error {
	for _, c := range sc.order {
		if err := sc.readProvenance(ctx, sc.byChain[c]); err != nil {
			return err
		}
	}
	return nil
}

// fetcher fills the cache for addresses the walk is about to read: their
// transfers of each asset in the window. An address whose counterparties
// (all screened assets, both sides) exceed the degree limit is not walked,
// and its history is not read whole to find that out: the source counts
// them where it can (TronGrid's listing, the cache); where it cannot (an
// EVM node, an explorer) the first window is read first, as tracing does
// (four deposit windows from --since), and the rest only when the address
// is still quiet enough to walk.
func (sc *screening) fetcher(cs *chainScreen, degree int) func(context.Context, []chains.Address) (map[chains.Address]bool, error) {
	probe := 4 * attribute.Options{}.SweepSpan(cs.chain)
	return func(ctx context.Context, addrs []chains.Address) (map[chains.Address]bool, error) {
		busy := map[chains.Address]bool{}
		for _, a := range addrs {
			peers := map[chains.Address]bool{}
			read := func(q chains.Query) error {
				ts, err := sc.l.src.Transfers(ctx, q) // its errors name the address and blocks
				if err != nil {
					return err
				}
				for _, t := range ts {
					if t.Amount.IsZero() {
						continue
					}
					if t.From == a {
						peers[t.To] = true
					} else {
						peers[t.From] = true
					}
				}
				if degree > 0 && len(peers) > degree {
					busy[a] = true
				}
				return nil
			}
			for _, id := range cs.ids {
				if busy[a] {
					break
				}
				q := chains.Query{Chain: cs.chain, Address: a, Asset: id, From: cs.from, To: cs.to}
				if degree > 0 {
					n, err := sc.l.src.Counterparties(ctx, q, degree)
					switch {
					case err == nil && n > degree:
						busy[a] = true
						continue
					case err == nil:
					case errors.Is(err, chains.ErrUnsupported):
						if cs.to-cs.from > probe {
							first := q
							first.To = cs.from + probe
							if err := read(first); err != nil {
								return nil, err
							}
							if busy[a] {
								continue
							}
							q.From = first.To + 1
						}
					default:
						return nil, fmt.Errorf("counterparties of %s: %w", a, err)
					}
				}
				if err := read(q); err != nil {
					return nil, err
				}
			}
		}
		return busy, nil
	}
}

// screen screens one batch of the input, which may mix chains, and returns
// the results in input order, each with its coverage.
func (sc *screening) screen(ctx context.Context, items []screenItem) ([]screen.Result, error) {
	out := make([]screen.Result, len(items))
	byChain := map[chains.Chain][]int{}
	var order []chains.Chain
	for i, it := range items {
		if _, ok := byChain[it.chain]; !ok {
			order = append(order, it.chain)
		}
		byChain[it.chain] = append(byChain[it.chain], i)
	}
	for _, c := range order {
		cs, err := sc.chain(ctx, c)
		if err != nil {
			return nil, err
		}
		idx := byChain[c]
		addrs, lines := make([]chains.Address, len(idx)), make([]int, len(idx))
		for j, i := range idx {
			addrs[j], lines[j] = items[i].addr, items[i].line
		}
		rs, err := cs.s.Screen(ctx, addrs, lines)
		if err != nil {
			return nil, err
		}
		cov, err := sc.l.db.CoverageOf(ctx, cs.ids, addrs)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			for _, r := range cov[addrs[j]] {
				if r.To >= cs.from && r.From <= cs.to {
					rs[j].Data.Covered = append(rs[j].Data.Covered, screen.BlockRange{From: max(r.From, cs.from), To: min(r.To, cs.to)})
				}
			}
			out[i] = rs[j]
		}
	}
	return out, nil
}

// asset returns the metadata of id on its chain's screening.
func (sc *screening) asset(id chains.AssetID) chains.Asset {
	if cs := sc.byChain[id.Chain]; cs != nil {
		for _, a := range cs.assets {
			if a.ID == id {
				return a
			}
		}
	}
	return chains.Asset{ID: id}
}

// amount formats an amount of id for people: "1,200.00 USDT".
func (sc *screening) amount(a screen.AssetAmount) string {
	m := sc.asset(a.Asset)
	if m.Symbol == "" {
		return a.Amount.String() + " base units of " + a.Asset.String()
	}
	return a.Amount.FormatExact(m.Decimals, 2) + " " + untrusted.Line(m.Symbol)
}

// screenTally counts results per level.
type screenTally struct {
	total  int
	levels map[screen.Level]int
}

func (t *screenTally) add(r screen.Result) {
	if t.levels == nil {
		t.levels = map[screen.Level]int{}
	}
	t.total++
	t.levels[r.Level]++
}

// atLeast counts results at level l or above.
func (t *screenTally) atLeast(l screen.Level) int {
	n := 0
	for lv, k := range t.levels {
		if lv.Rank() >= l.Rank() && lv.Rank() >= 0 {
			n += k
		}
	}
	return n
}

// levelCounts is "severe 1, high 0, …, unknown 2".
func (t *screenTally) levelCounts() string {
	var parts []string
	for i := len(screen.Levels) - 1; i >= 0; i-- {
		l := screen.Levels[i]
		parts = append(parts, fmt.Sprintf("%s %d", l, t.levels[l]))
	}
	parts = append(parts, fmt.Sprintf("unknown %d", t.levels[screen.LevelUnknown]))
	return strings.Join(parts, ", ")
}

// summary is what screening prints on stderr at the end.
func (sc *screening) summary(t screenTally, took time.Duration) string {
	var b strings.Builder
	noun := "addresses"
	if t.total == 1 {
		noun = "address"
	}
	fmt.Fprintf(&b, "Screened %d %s in %.1f s: %s.\n", t.total, noun, took.Seconds(), t.levelCounts())
	for _, c := range sc.order {
		cs := sc.byChain[c]
		var syms []string
		for _, a := range cs.assets {
			s := untrusted.Line(a.Symbol)
			if s == "" {
				s = a.ID.String()
			}
			syms = append(syms, s)
		}
		if len(syms) > 5 {
			syms = append(syms[:5], fmt.Sprintf("%d more tokens", len(syms)-5))
		}
		fmt.Fprintf(&b, "Data: %s, blocks %d-%d, %s; %d hops %s; policy %s.\n", c, cs.from, cs.to, strings.Join(syms, ", "),
			sc.o.Hops, sc.o.Direction, untrusted.Line(sc.o.Policy.Source))
		for _, p := range cs.prov {
			fmt.Fprintf(&b, "  from %s up to block %d (%s)%s\n", untrusted.Line(p.Source), p.Block, p.Retrieved.Format(time.RFC3339),
				detail(p.Detail))
		}
		if len(cs.prov) == 0 {
			fmt.Fprintf(&b, "  warning: the database holds no %s data: every address without a label is unknown\n", c)
		}
	}
	if len(sc.cases) > 0 {
		fmt.Fprintf(&b, "Cases: %d tainted wallets.\n", len(sc.cases))
	}
	return b.String()
}

func detail(s string) string {
	if s == "" {
		return ""
	}
	return ": " + untrusted.Line(s)
}
