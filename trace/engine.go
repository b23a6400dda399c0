package trace

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"freezetrace/chains"
)

// Defaults of the stop rules.
const (
	DefaultMaxHops   = 10
	DefaultMaxDegree = 300
)

// Options are the allocation rule and the stop rules of a trace.
type Options struct {
	// Rule is the allocation rule; "" means FIFO.
	Rule Rule
	// MaxHops stops the walk at addresses more than MaxHops transfers away
	// from a victim payment (the collection address the victim paid is hop
	// 1). Zero or less means DefaultMaxHops.
	MaxHops int
	// MinAmount is the dust floor in base units: taint smaller than it is not
	// followed into an address the walk has not entered yet (victim payments
	// are always followed). Zero disables it.
	MinAmount chains.Amount
	// Until is the time horizon: transfers after it are not followed.
	Until *time.Time
	// MaxDegree stops the walk at an unlabeled address with more distinct
	// counterparties than this in its ledger. Zero means DefaultMaxDegree,
	// a negative value disables the rule.
	MaxDegree int
	// ProbeWindow, when set, makes the high-activity check read an
	// unlabeled address's ledger first in a window from the taint's arrival
	// (this many blocks), then the rest, and stop reading once the
	// counterparties exceed MaxDegree: a busy wallet's history is never read
	// whole. 0 reads the ledger whole.
	ProbeWindow uint64
}

// ParseRule reads a rule name; an unknown name is an input error.
func ParseRule(s string) (Rule, error) {
	r := Rule(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Rules {
		if r == k {
			return r, nil
		}
	}
	names := make([]string, len(Rules))
	for i, k := range Rules {
		names[i] = string(k)
	}
	return "", chains.Invalid(fmt.Errorf("unknown rule %q (known: %s)", s, strings.Join(names, ", ")))
}

// Run traces case c through src under opts. It finds the victim payments,
// walks forward breadth-first in time across every address the taint
// reaches, allocates taint at each address under the rule, and stops at the
// stop rules. attr may be nil (no address is labeled). Errors caused by the
// case or the options are chains.InputError; errors of src and attr are
// returned wrapped.
func Run(ctx context.Context, src chains.Source, attr Attributor, c Case, opts Options) (*Result, error) {
	o, err := opts.normalize()
	if err != nil {
		return nil, err
	}
	payments, victims, err := c.resolve(ctx, src)
	if err != nil {
		return nil, err
	}
	if o.Until != nil {
		for _, t := range payments {
			if t.Time.After(*o.Until) {
				return nil, chains.Invalid(fmt.Errorf("victim payment %s:%d is after the horizon %s", c.Chain.FormatTx(t.Tx), t.Position, o.Until.Format(time.RFC3339)))
			}
		}
	}
	w := &walker{
		ctx: ctx, src: src, attr: attr, c: c, o: o,
		nodes:        map[nodeKey]*node{},
		whos:         map[chains.Address]*who{},
		swapsDone:    map[swapKey]bool{},
		rates:        map[rateKey]*rate{},
		events:       map[chains.TxHash][]chains.TxEvent{},
		srcOf:        map[chains.TransferKey]int{},
		undetermined: map[chains.Address]string{},
		delivered:    map[chains.TransferKey]bool{},
		eps:          map[epKey]*epAcc{},
	}
	res := &Result{Schema: Schema, Rule: o.Rule, Params: Params{
		MaxHops: o.MaxHops, MinAmount: o.MinAmount, Until: o.Until, MaxDegree: o.MaxDegree,
	}}
	for i, t := range payments {
		w.srcOf[t.Key()] = i
		res.Origins = append(res.Origins, Origin{
			ID: sourceID(i), Victim: victims[t.Key()], Chain: t.Chain, Tx: t.Tx, Position: t.Position,
			Block: t.Block, Time: t.Time, From: t.From, To: t.To, Asset: t.Asset, Amount: t.Amount,
		})
	}
	if err := w.walk(payments); err != nil {
		return nil, err
	}
	if res.Assets, err = w.assetList(); err != nil {
		return nil, err
	}
	if err := w.finish(res); err != nil {
		return nil, err
	}
	// Where the source's data came from is for the caller to record.
	res.Provenance = []chains.Provenance{}
	return res, nil
}

func (o Options) normalize() (Options, error) {
	if o.Rule == "" {
		o.Rule = FIFO
	}
	if _, err := ParseRule(string(o.Rule)); err != nil {
		return o, err
	}
	if o.MaxHops <= 0 {
		o.MaxHops = DefaultMaxHops
	}
	if o.MaxDegree == 0 {
		o.MaxDegree = DefaultMaxDegree
	}
	if o.MaxDegree < 0 {
		o.MaxDegree = -1
	}
	if o.Until != nil {
		u := o.Until.UTC()
		o.Until = &u
	}
	return o, nil
}

func assetInfo(ctx context.Context, src chains.Source, id chains.AssetID) (chains.Asset, error) {
	a, err := src.Asset(ctx, id)
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, chains.ErrNotFound) && !errors.Is(err, chains.ErrOffline) && !errors.Is(err, chains.ErrUnsupported) {
		return chains.Asset{}, fmt.Errorf("asset %s: %w", id, err)
	}
	switch id {
	case chains.USDTEthereum, chains.USDTTron:
		return chains.Asset{ID: id, Symbol: "USDT", Decimals: 6}, nil
	case chains.USDCEthereum, chains.USDCTron:
		return chains.Asset{ID: id, Symbol: "USDC", Decimals: 6}, nil
	}
	if id.IsNative() {
		n := id.Chain.Native()
		return n, nil
	}
	return chains.Asset{ID: id}, nil
}

// who is what the walk knows about one address, whatever the asset: who
// it is, whether it holds code, and a stop that belongs to it.
type who struct {
	attrDone bool
	at       Attribution
	contract *bool
	stop     Kind // a permanent stop found for this address
	reason   string
	// nodes are the address's ledgers the walk has entered, one per asset.
	nodes []*node
}

// nodeKey names one ledger: an address's transfers of one asset.
type nodeKey struct {
	addr  chains.Address
	asset chains.AssetID
}

// node is everything the walk knows about one address's ledger of one
// asset.
type node struct {
	addr  chains.Address
	asset chains.AssetID
	*who

	active bool
	// ledger is the loaded page of the address's ledger and next the
	// cursor in it; more is the block the next page starts at (0: none).
	ledger  []chains.Transfer
	next    int
	more    uint64
	acct    account
	hop     int
	halted  bool // reached the horizon
	tainted []chains.Transfer
	short   chains.Amount
	shortTx []chains.Transfer
	heapIdx int

	// A ledger read to count counterparties, kept for activation.
	preOpen   *opening
	preOpenAt uint64
}

type walker struct {
	ctx  context.Context
	src  chains.Source
	attr Attributor
	c    Case
	o    Options

	nodes map[nodeKey]*node
	whos  map[chains.Address]*who
	srcOf map[chains.TransferKey]int
	// undetermined: addresses whose attribution could not run, and why.
	undetermined map[chains.Address]string
	delivered    map[chains.TransferKey]bool // victim payments already delivered
	queue        nodeHeap
	flows        []Flow
	steps        []Step
	eps          map[epKey]*epAcc
	// The conversions met so far, the (address, transaction) pairs already
	// looked at as swaps, and what a unit of each source's taint in each
	// asset stands for in the victims' asset.
	conversions []Conversion
	swapsDone   map[swapKey]bool
	rates       map[rateKey]*rate
	assetSeen   []chains.AssetID
	events      map[chains.TxHash][]chains.TxEvent
	// swapNote says why the last transaction looked at as a swap was not
	// converted, for the contract endpoint it then ends at.
	swapNote struct {
		tx   chains.TxHash
		note string
	}
	// current is the address the walk is stepping (out of the queue).
	current *node
}

func (w *walker) who(a chains.Address) *who {
	h := w.whos[a]
	if h == nil {
		h = &who{}
		w.whos[a] = h
	}
	return h
}

func (w *walker) node(a chains.Address, asset chains.AssetID) *node {
	k := nodeKey{a, asset}
	n := w.nodes[k]
	if n == nil {
		n = &node{addr: a, asset: asset, who: w.who(a), heapIdx: -1}
		w.nodes[k] = n
	}
	return n
}

// walk runs every event in canonical order across all tainted addresses.
func (w *walker) walk(payments []chains.Transfer) error {
	si := 0
	for count := 0; ; count++ {
		if count%4096 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		if si < len(payments) {
			s := payments[si]
			if w.delivered[s.Key()] {
				si++ // delivered already through the ledger of its sender or receiver
				continue
			}
			if w.queue.Len() == 0 || chains.Compare(s, w.queue[0].event()) < 0 {
				si++
				if err := w.deliver(s, nil, 1); err != nil {
					return err
				}
				continue
			}
		}
		if w.queue.Len() == 0 {
			return nil
		}
		// x leaves the queue while its event runs, so that the queue stays a
		// heap while the event moves other addresses in it.
		x := heap.Pop(&w.queue).(*node)
		w.current = x
		err := w.stepEvent(x)
		w.current = nil
		if err != nil {
			return err
		}
		if x.halted {
			continue
		}
		if ok, err := w.ready(x); err != nil {
			return err
		} else if ok {
			heap.Push(&w.queue, x)
		}
	}
}

// stepEvent processes the next event of active address x and advances its
// cursor (or halts it at the horizon).
func (w *walker) stepEvent(x *node) error {
	t := x.ledger[x.next]
	_, isSrc := w.srcOf[t.Key()]
	switch {
	case t.Amount.IsZero() || t.From == t.To:
		x.next++ // zero-value and self transfers move nothing
	case w.o.Until != nil && t.Time.After(*w.o.Until):
		x.halted = true
	case t.From == x.addr:
		if !isSrc && !x.acct.taintTotal().IsZero() {
			if done, err := w.swapFrom(x, t); err != nil || done {
				return err
			}
		}
		x.next++
		return w.plainOut(x, t)
	case isSrc:
		return w.deliver(t, nil, 1)
	default:
		if done, err := w.swapInFirst(x, t); err != nil || done {
			return err
		}
		x.next++
		d := x.acct.in(t.Amount, nil, ref(w.c.Chain, t))
		w.record(x, t, "in", t.From, t.Amount, nil, x.acct.balance(), x.acct.taintTotal(), d)
	}
	return nil
}

// plainOut books outflow t of x (its cursor already past it) under the
// rule and carries the taint to the receiver.
func (w *walker) plainOut(x *node, t chains.Transfer) error {
	_, isSrc := w.srcOf[t.Key()]
	taintBefore := x.acct.taintTotal()
	carried, short, d := x.acct.out(t.Amount)
	if !short.IsZero() {
		x.short = x.short.Add(short)
		x.shortTx = append(x.shortTx, t)
		w.record(x, t, "shortfall", t.From, short, nil, t.Amount, taintBefore,
			"outflow larger than the known balance: the difference is treated as clean funds of unknown origin")
	}
	w.record(x, t, "out", t.To, t.Amount, carried, x.acct.balance(), x.acct.taintTotal(), d)
	if len(carried) > 0 || isSrc {
		return w.deliver(t, carried, x.hop+1)
	}
	return nil
}

func ref(c chains.Chain, t chains.Transfer) string {
	return fmt.Sprintf("%s:%d", c.FormatTx(t.Tx), t.Position)
}

func (w *walker) record(x *node, t chains.Transfer, event string, cp chains.Address, amt chains.Amount, moved parts, bal, taint chains.Amount, detail string) {
	w.steps = append(w.steps, Step{
		Seq: len(w.steps) + 1, Chain: w.c.Chain, Address: x.addr, Asset: x.asset,
		Tx: t.Tx, Position: t.Position, Block: t.Block, Time: t.Time,
		Event: event, Counterparty: cp, Amount: amt, Tainted: moved.total(), BySource: moved.shares(),
		Balance: bal, Taint: taint, Detail: detail,
	})
}

// deliver carries taint along transfer t to its receiver: into its ledger
// when the walk is already there, else to an endpoint or a newly walked
// address. A victim payment adds its whole amount as its own source's taint.
func (w *walker) deliver(t chains.Transfer, carried parts, hop int) error {
	shares := carried
	if i, ok := w.srcOf[t.Key()]; ok {
		shares = shares.plus(parts{{i, t.Amount}})
		hop = 1
		w.delivered[t.Key()] = true
	}
	total := shares.total()
	w.flows = append(w.flows, Flow{
		Chain: t.Chain, Tx: t.Tx, Position: t.Position, Block: t.Block, Time: t.Time,
		From: t.From, To: t.To, Asset: t.Asset, Amount: t.Amount, Tainted: total, Hop: hop, BySource: shares.shares(),
	})
	y := w.node(t.To, t.Asset)
	if y.active {
		if err := w.credit(y, t, shares, hop); err != nil {
			return err
		}
		if y.heapIdx >= 0 {
			ok, err := w.ready(y)
			if err != nil {
				return err
			}
			if ok && !y.halted {
				heap.Fix(&w.queue, y.heapIdx)
			} else {
				heap.Remove(&w.queue, y.heapIdx)
			}
		}
		return nil
	}
	kind, reason, err := w.stopFor(y, t, shares, hop)
	if err != nil {
		return err
	}
	if kind != "" {
		if kind == KindContract && w.swapNote.tx == t.Tx && w.swapNote.note != "" {
			reason += "; " + w.swapNote.note
		}
		return w.endpoint(y, kind, reason, t, shares, hop)
	}
	return w.activate(y, t, shares, hop)
}

// credit books the tainted inflow t at active address y, first booking the
// earlier events of y's ledger (clean ones: y holds no taint before t).
func (w *walker) credit(y *node, t chains.Transfer, shares parts, hop int) error {
	if err := w.advance(y, t); err != nil {
		return err
	}
	return w.book(y, t, shares, hop, 0, "")
}

// advance books y's ledger events before t (clean ones: nothing tainted
// reaches y before t), leaving y's cursor at t.
func (w *walker) advance(y *node, t chains.Transfer) error {
	if err := w.stepUntil(y, t); err != nil {
		return err
	}
	if y.next >= len(y.ledger) || y.ledger[y.next].Key() != t.Key() {
		return fmt.Errorf("transfer %s:%d is missing from the ledger of %s: the source is inconsistent", w.c.Chain.FormatTx(t.Tx), t.Position, y.addr)
	}
	return nil
}

// stepUntil books y's ledger events before t in canonical order.
func (w *walker) stepUntil(y *node, t chains.Transfer) error {
	key := t.Key()
	for {
		ok, err := w.ready(y)
		if err != nil {
			return err
		}
		if !ok || y.ledger[y.next].Key() == key || chains.Compare(y.ledger[y.next], t) > 0 {
			break
		}
		if err := w.stepEvent(y); err != nil {
			return err
		}
		if y.halted {
			break
		}
	}
	return nil
}

// book books inflow t, at y's cursor, with shares of taint; conv is the
// conversion it is a leg of (0: none) and note is added to the detail.
func (w *walker) book(y *node, t chains.Transfer, shares parts, hop, conv int, note string) error {
	y.next++
	w.bookIn(y, t, shares, hop, conv, note)
	return nil
}

// bookIn books inflow t at y without moving its cursor.
func (w *walker) bookIn(y *node, t chains.Transfer, shares parts, hop, conv int, note string) {
	d := y.acct.in(t.Amount, shares, ref(w.c.Chain, t)) + note
	if hop < y.hop {
		y.hop = hop
	}
	if len(shares) > 0 {
		y.tainted = append(y.tainted, t)
	}
	w.record(y, t, "in", t.From, t.Amount, shares, y.acct.balance(), y.acct.taintTotal(), d)
	w.steps[len(w.steps)-1].Conversion = conv
}

func (w *walker) activate(y *node, t chains.Transfer, shares parts, hop int) error {
	if err := w.enter(y, t, hop); err != nil {
		return err
	}
	if err := w.credit(y, t, shares, hop); err != nil {
		return err
	}
	if y.halted {
		return nil
	}
	if ok, err := w.ready(y); err != nil {
		return err
	} else if ok {
		heap.Push(&w.queue, y)
	}
	return nil
}

// enter starts walking y's ledger at the block of t: its opening balance
// and the first page from that block.
func (w *walker) enter(y *node, t chains.Transfer, hop int) error {
	op := y.preOpen
	if op == nil || y.preOpenAt != t.Block {
		var err error
		if op, err = w.open(y.addr, y.asset, t.Block); err != nil {
			return err
		}
	}
	y.preOpen = nil
	y.who.nodes = append(y.who.nodes, y)
	y.active, y.ledger, y.next, y.more, y.hop = true, op.ledger, 0, op.more, hop
	y.acct = newAccount(w.o.Rule, op.balance)
	w.steps = append(w.steps, Step{
		Seq: len(w.steps) + 1, Chain: w.c.Chain, Address: y.addr, Asset: y.asset,
		Block: t.Block, Time: t.Time, Event: "open", Amount: op.balance, BySource: []Share{},
		Balance: op.balance, Detail: op.detail,
	})
	return nil
}

// nodeHeap orders active addresses by their next event; for one transfer
// the sender's side comes before the receiver's.
type nodeHeap []*node

func (n *node) event() chains.Transfer { return n.ledger[n.next] }

func (h nodeHeap) Len() int { return len(h) }
func (h nodeHeap) Less(i, j int) bool {
	a, b := h[i].event(), h[j].event()
	if c := chains.Compare(a, b); c != 0 {
		return c < 0
	}
	return a.From == h[i].addr && a.From != h[j].addr
}
func (h nodeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}
func (h *nodeHeap) Push(x any) {
	n := x.(*node)
	n.heapIdx = len(*h)
	*h = append(*h, n)
}
func (h *nodeHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	n.heapIdx = -1
	return n
}
