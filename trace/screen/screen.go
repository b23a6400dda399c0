package screen

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"freezetrace/chains"
)

// Reader is what screening reads, many addresses at a time: their flows in
// the window, their labels, which are contracts and which are frozen. The
// store implements it.
type Reader interface {
	chains.FlowReader
	chains.BatchLabeler
	// ContractsOf returns, for the addresses whose code status is known,
	// whether they hold code.
	ContractsOf(ctx context.Context, c chains.Chain, addrs []chains.Address) (map[chains.Address]bool, error)
	// FrozenOf returns, for the addresses an issuer has frozen, the
	// assets they are frozen for (the newest stored status).
	FrozenOf(ctx context.Context, assets []chains.AssetID, addrs []chains.Address) (map[chains.Address][]chains.AssetID, error)
}

// CaseAddress is an address that held the taint of a traced case.
type CaseAddress struct {
	Chain   chains.Chain
	Address chains.Address
	Case    string // the case's reference
	Note    string // what it was in the case ("held 3,000 USDT of the taint")
}

// Options bound a screening.
type Options struct {
	Chain  chains.Chain
	Assets []chains.AssetID // at least one, all of Chain
	// From and To are the window, inclusive blocks.
	From, To  uint64
	Hops      int // 1 or more
	Direction Direction
	// MaxDegree: an address with more distinct counterparties in the
	// window is not walked through (tracing's high-activity stop). 0 or
	// less: no limit.
	MaxDegree int
	Policy    Policy
	Cases     []CaseAddress
	// Fetch, when set, is called with the addresses whose flows are about
	// to be read, before they are: a live source fills the cache there.
	// Addresses labeled as a service, known contracts and addresses that
	// are hits are not walked through and so never fetched. It returns
	// the addresses it found busier than MaxDegree (and so did not fetch):
	// they are not walked.
	Fetch func(ctx context.Context, addrs []chains.Address) (busy map[chains.Address]bool, err error)
	// MaxNodes bounds the addresses kept between batches (their flows
	// and what was computed from them): past it, the next batch starts
	// afresh. 0 means 500,000.
	MaxNodes int
}

// A Screener screens addresses batch after batch, keeping what it read
// and computed about every address it met, so that neighbourhoods shared
// by many screened addresses are read and walked once.
type Screener struct {
	r      Reader
	o      Options
	cats   []chains.Category // the policy's risk categories
	catIdx map[chains.Category]int
	asIdx  map[chains.AssetID]int
	cases  map[chains.Address][]CaseAddress
	nodes  map[chains.Address]*node
}

// New returns a Screener over r. Errors in the options are input errors.
func New(r Reader, o Options) (*Screener, error) {
	if !o.Chain.Valid() {
		return nil, chains.Invalid(fmt.Errorf("screen: unknown chain %q", string(o.Chain)))
	}
	if len(o.Assets) == 0 {
		return nil, chains.Invalid(errors.New("screen: no asset to screen"))
	}
	if o.Hops < 1 || o.Hops > MaxHops {
		return nil, chains.Invalid(fmt.Errorf("screen: --hops %d: want 1 to %d", o.Hops, MaxHops))
	}
	if o.Direction == "" {
		o.Direction = DirBoth
	}
	if o.From > o.To {
		return nil, chains.Invalid(fmt.Errorf("screen: the window's first block %d is after its last %d", o.From, o.To))
	}
	if o.MaxNodes <= 0 {
		o.MaxNodes = 500_000
	}
	s := &Screener{r: r, o: o, catIdx: map[chains.Category]int{}, asIdx: map[chains.AssetID]int{},
		cases: map[chains.Address][]CaseAddress{}, nodes: map[chains.Address]*node{}}
	for _, a := range o.Assets {
		if a.Chain != o.Chain {
			return nil, chains.Invalid(fmt.Errorf("screen: asset %s is not on %s", a, o.Chain))
		}
		s.asIdx[a] = len(s.asIdx)
	}
	s.cats = o.Policy.Categories()
	if len(s.cats) > 64 {
		return nil, chains.Invalid(errors.New("screen: more than 64 risk categories"))
	}
	for i, c := range s.cats {
		s.catIdx[c] = i
	}
	for _, c := range o.Cases {
		if c.Chain != o.Chain {
			continue
		}
		a := c.Address.In(o.Chain.Family())
		s.cases[a] = append(s.cases[a], c)
	}
	return s, nil
}

// MaxHops bounds Options.Hops.
const MaxHops = 10

// Screen screens addrs, one Result each, in their order. lines, when not
// nil, are the input lines of addrs, copied into the results.
func (s *Screener) Screen(ctx context.Context, addrs []chains.Address, lines []int) ([]Result, error) {
	if len(s.nodes) > s.o.MaxNodes {
		s.nodes = map[chains.Address]*node{}
	}
	roots := make([]*node, len(addrs))
	for i, a := range addrs {
		roots[i] = s.node(a.In(s.o.Chain.Family()))
	}
	if err := s.load(ctx, roots); err != nil {
		return nil, err
	}
	out := make([]Result, len(addrs))
	for i, n := range roots {
		out[i] = s.result(n)
		if lines != nil {
			out[i].Line = lines[i]
		}
	}
	return out, nil
}

// node returns the node of a, making it.
func (s *Screener) node(a chains.Address) *node {
	n := s.nodes[a]
	if n == nil {
		n = &node{addr: a}
		s.nodes[a] = n
	}
	return n
}

// load reads what the walk from roots needs, level by level: every
// address within Hops gets its labels (is it a hit, a stop?), and every
// address nearer than Hops that the walk goes through gets its flows. Each
// address is read once per Screener, whichever batch met it first, and
// walked again only when a batch needs it with more hops below it.
func (s *Screener) load(ctx context.Context, roots []*node) error {
	type want struct {
		n    *node
		r    int // hops still to walk below n
		root bool
	}
	level := make([]want, len(roots))
	for i, n := range roots {
		level[i] = want{n, s.o.Hops, true}
	}
	for len(level) > 0 {
		ns := make([]*node, len(level))
		for i, w := range level {
			ns[i] = w.n
		}
		if err := s.attribute(ctx, ns); err != nil {
			return err
		}
		walks := func(w want) bool { return w.r > 0 && (w.root || !w.n.stop()) }
		var read []*node
		for _, w := range level {
			if walks(w) && w.n.flows == nil {
				read = append(read, w.n)
			}
		}
		if err := s.readFlows(ctx, uniq(read)); err != nil {
			return err
		}
		next := map[*node]int{}
		var order []*node
		for _, w := range level {
			n := w.n
			if !walks(w) || n.flows.Busy || n.ready >= w.r {
				continue
			}
			n.ready = w.r
			for _, side := range s.o.Direction.sides() {
				for _, f := range n.side(side) {
					if f.Peer.IsNull() {
						continue
					}
					p := s.node(f.Peer)
					if p.attributed && p.ready >= w.r-1 {
						continue
					}
					if r, ok := next[p]; !ok {
						next[p] = w.r - 1
						order = append(order, p)
					} else if w.r-1 > r {
						next[p] = w.r - 1
					}
				}
			}
		}
		level = level[:0]
		for _, p := range order {
			level = append(level, want{p, next[p], false})
		}
	}
	return nil
}

func uniq(ns []*node) []*node {
	seen := make(map[*node]bool, len(ns))
	out := ns[:0]
	for _, n := range ns {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// attribute reads the labels, code status, freezes and case taint of the
// nodes that lack them.
func (s *Screener) attribute(ctx context.Context, ns []*node) error {
	var addrs []chains.Address
	for _, n := range ns {
		if !n.attributed {
			addrs = append(addrs, n.addr)
		}
	}
	if len(addrs) == 0 {
		return nil
	}
	for start := 0; start < len(addrs); start += readBatch {
		part := addrs[start:min(start+readBatch, len(addrs))]
		ls, err := s.r.LabelsOf(ctx, s.o.Chain, part)
		if err != nil {
			return fmt.Errorf("screen: labels: %w", err)
		}
		cs, err := s.r.ContractsOf(ctx, s.o.Chain, part)
		if err != nil {
			return fmt.Errorf("screen: contracts: %w", err)
		}
		fz, err := s.r.FrozenOf(ctx, s.o.Assets, part)
		if err != nil {
			return fmt.Errorf("screen: freezes: %w", err)
		}
		for _, a := range part {
			s.setAttributes(s.nodes[a], ls[a], cs[a], fz[a])
		}
	}
	return nil
}

// readBatch is how many addresses one round of reads asks for.
const readBatch = 2000

// setAttributes decides what n is from its labels: its risk hits, whether
// the walk stops there.
func (s *Screener) setAttributes(n *node, ls []chains.Label, contract bool, frozen []chains.AssetID) {
	n.attributed = true
	n.contract = contract
	for _, l := range ls {
		if l.Asset != nil {
			if _, ok := s.asIdx[*l.Asset]; !ok {
				continue // a label about another asset (an OFAC list of another token)
			}
		}
		h := Hit{Category: l.Category, Entity: l.Entity, Source: l.Source, Date: l.Date, Confidence: l.Confidence, Heuristic: l.Heuristic}
		if i, ok := s.catIdx[l.Category]; ok {
			n.hits |= 1 << i
			n.direct = append(n.direct, h)
			continue
		}
		n.labels = append(n.labels, h)
		if serviceStop[l.Category] {
			n.service = true
		}
	}
	if i, ok := s.catIdx[chains.CategoryFrozen]; ok && len(frozen) > 0 {
		n.hits |= 1 << i
		for _, a := range frozen {
			n.direct = append(n.direct, Hit{Category: chains.CategoryFrozen, Entity: "frozen by the issuer of " + a.String(), Source: "stored freeze status", Confidence: 100})
		}
	}
	if i, ok := s.catIdx[CategoryCase]; ok {
		for _, c := range s.cases[n.addr] {
			n.hits |= 1 << i
			n.direct = append(n.direct, Hit{Category: CategoryCase, Entity: c.Case, Source: c.Note, Confidence: 100})
		}
	}
}

// serviceStop are the categories of no risk the walk stops at, as
// tracing does: the funds are a service's from there on, and walking on
// would make every customer of an exchange look exposed.
var serviceStop = map[chains.Category]bool{
	chains.CategoryExchange: true, chains.CategoryDeposit: true, chains.CategoryService: true,
	chains.CategoryBridge: true, chains.CategoryIssuer: true, chains.CategoryDeFi: true, chains.CategoryInstantExchanger: true,
	chains.CategoryMixer: true, chains.CategorySanctioned: true,
}

// readFlows reads the flows of ns, asking Fetch first.
func (s *Screener) readFlows(ctx context.Context, ns []*node) error {
	for start := 0; start < len(ns); start += readBatch {
		part := ns[start:min(start+readBatch, len(ns))]
		addrs := make([]chains.Address, len(part))
		for i, n := range part {
			addrs[i] = n.addr
		}
		var busy map[chains.Address]bool
		if s.o.Fetch != nil {
			var err error
			if busy, err = s.o.Fetch(ctx, addrs); err != nil {
				return err
			}
		}
		q := chains.FlowQuery{Chain: s.o.Chain, Assets: s.o.Assets, From: s.o.From, To: s.o.To, MaxPeers: s.o.MaxDegree}
		fs, err := s.r.Flows(ctx, q, addrs)
		if err != nil {
			return fmt.Errorf("screen: flows: %w", err)
		}
		for _, n := range part {
			f := fs[n.addr]
			if f == nil {
				return fmt.Errorf("screen: flows: no answer for %s", n.addr)
			}
			if busy[n.addr] {
				f.Busy, f.In, f.Out = true, nil, nil
			}
			n.setFlows(f, s)
		}
	}
	return nil
}

// node is one address met by the walk.
type node struct {
	addr       chains.Address
	attributed bool
	hits       uint64 // bit i: a hit of the policy's category i
	direct     []Hit
	labels     []Hit
	service    bool // labeled with a category the walk stops at
	contract   bool
	flows      *chains.Flows
	// ready is the most hops below this address that are loaded: its
	// flows, and every counterparty's attributes (and, below, flows) to
	// ready−1. Only addresses the walk goes through have one above 0.
	ready int
	// total are the sums of the flows per side and asset index: what a
	// share of this address's exposure is a share of.
	total [2][]*big.Int
	// memo[side][r] is the exposure within r hops (nil slot: not yet).
	memo [2][]*exposure
}

// stop reports whether the walk does not go through n: a hit, a service,
// a contract with no label, or a busy address.
func (n *node) stop() bool {
	return n.hits != 0 || n.service || (n.contract && len(n.labels) == 0) || (n.flows != nil && n.flows.Busy)
}

func (n *node) side(s Side) []chains.Flow {
	if n.flows == nil {
		return nil
	}
	if s == In {
		return n.flows.In
	}
	return n.flows.Out
}

func sideIndex(s Side) int {
	if s == In {
		return 0
	}
	return 1
}

func (n *node) setFlows(f *chains.Flows, s *Screener) {
	n.flows = f
	for si, fl := range [2][]chains.Flow{f.In, f.Out} {
		tot := make([]*big.Int, len(s.o.Assets))
		for _, e := range fl {
			i, ok := s.asIdx[e.Asset]
			if !ok {
				continue
			}
			if tot[i] == nil {
				tot[i] = new(big.Int)
			}
			tot[i].Add(tot[i], e.Amount.Big())
		}
		n.total[si] = tot
	}
}

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
