package trace

import (
	"errors"
	"fmt"
	"slices"

	"freezetrace/chains"
)

// problem is what is wrong with a trace that parsed: the list it concerns
// (a field of trace.json, "" for the whole file), the element's index in
// it (-1 for the field as a whole) and what is wrong.
type problem struct {
	field string
	index int
	err   error
}

func (p *problem) Error() string {
	if p.index < 0 {
		return fmt.Sprintf("%s: %v", p.field, p.err)
	}
	return fmt.Sprintf("%s %d: %v", elementNoun[p.field], p.index+1, p.err)
}

func (p *problem) Unwrap() error { return p.err }

// elementNoun names one element of each list of trace.json in messages.
var elementNoun = map[string]string{
	"provenance": "provenance entry", "assets": "asset", "sources": "source", "endpoints": "endpoint",
	"flows": "flow", "clusters": "cluster", "ledger": "ledger step", "holdings": "holding", "warnings": "warning",
	"conversions": "conversion",
}

func fail(field string, index int, format string, args ...any) *problem {
	return &problem{field: field, index: index, err: fmt.Errorf(format, args...)}
}

// checker holds what the checks of one trace share.
type checker struct {
	r       *Result
	sources map[string]int // source id → index
	assets  map[chains.AssetID]bool
	// taintIn is the taint of each source that reached each asset (its
	// payment, or what conversions made), taintOut what conversions took
	// from it; taintOrder lists their keys in a fixed order.
	taintIn, taintOut map[srcAsset]chains.Amount
	taintOrder        []srcAsset
}

type srcAsset struct {
	src   int
	asset chains.AssetID
}

// check reports the first way r contradicts itself or the schema, as
// WriteJSON never writes it: an unknown rule, kind, category, event or
// chain; an asset no entry of assets describes; a by_source list that
// names a source that does not exist, names one twice, is out of source
// order or does not sum to its total; taint above the amount that
// carried it or above the balance that holds it; a ledger whose steps do
// not follow from each other; endpoints that, under a rule that conserves
// taint (all but poison), hold more or less of a victim payment than it
// carried; a holding that is not one of the freeze targets, in their
// order. nil when r is whole.
func check(r *Result) *problem {
	c := &checker{r: r, sources: map[string]int{}, assets: map[chains.AssetID]bool{},
		taintIn: map[srcAsset]chains.Amount{}, taintOut: map[srcAsset]chains.Amount{}}
	if !slices.Contains(Rules, r.Rule) {
		return fail("rule", -1, "unknown rule %q (known: fifo, lifo, haircut, poison, libr)", r.Rule)
	}
	if p := r.Params; p.MaxHops < 1 || p.MaxDegree == 0 || p.MaxDegree < -1 {
		return fail("params", -1, "max_hops %d, max_degree %d: want max_hops 1 or more and max_degree positive or -1", p.MaxHops, p.MaxDegree)
	}
	for _, step := range []func() *problem{c.provenance, c.assetList, c.origins, c.conversions, c.endpoints, c.flows, c.clusters, c.ledger, c.holdings} {
		if p := step(); p != nil {
			return p
		}
	}
	return nil
}

func knownChain(c chains.Chain) error {
	if c.Family() == chains.FamilyNone {
		return fmt.Errorf("unknown chain %q", c)
	}
	return nil
}

func (c *checker) provenance() *problem {
	for i, p := range c.r.Provenance {
		if err := knownChain(p.Chain); err != nil {
			return &problem{"provenance", i, err}
		}
	}
	return nil
}

func (c *checker) assetList() *problem {
	for i, a := range c.r.Assets {
		if err := knownChain(a.ID.Chain); err != nil {
			return &problem{"assets", i, err}
		}
		if c.assets[a.ID] {
			return fail("assets", i, "%s is listed twice", a.ID)
		}
		c.assets[a.ID] = true
	}
	return nil
}

// asset checks that chain is known and id is one of the listed assets of
// that chain: the summary and the letters show amounts with its decimals.
func (c *checker) asset(chain chains.Chain, id chains.AssetID) error {
	if err := knownChain(chain); err != nil {
		return err
	}
	if id.Chain != chain {
		return fmt.Errorf("asset %s is not on chain %s", id, chain)
	}
	if !c.assets[id] {
		return fmt.Errorf("asset %s is not in assets (its decimals are unknown)", id)
	}
	return nil
}

func (c *checker) origins() *problem {
	for i, o := range c.r.Origins {
		if want := sourceID(i); o.ID != want {
			return fail("sources", i, "id %q, want %q (sources are S1, S2, … in order)", o.ID, want)
		}
		c.sources[o.ID] = i
		if err := c.asset(o.Chain, o.Asset); err != nil {
			return &problem{"sources", i, err}
		}
		c.addIn(srcAsset{i, o.Asset}, o.Amount)
	}
	return nil
}

// shares checks a by_source list: known sources, each once, in source
// order, summing to total.
func (c *checker) shares(ss []Share, total chains.Amount) error {
	var sum chains.Amount
	last := -1
	for _, s := range ss {
		i, ok := c.sources[s.Source]
		switch {
		case !ok:
			return fmt.Errorf("by_source names source %q, which is not in sources", s.Source)
		case i == last:
			return fmt.Errorf("by_source names source %s twice", s.Source)
		case i < last:
			return fmt.Errorf("by_source is not in source order (%s after %s)", s.Source, sourceID(last))
		}
		last = i
		sum = sum.Add(s.Amount)
	}
	if sum.Cmp(total) != 0 {
		return fmt.Errorf("by_source sums to %s, not %s", sum, total)
	}
	return nil
}

// kinds are the endpoint kinds trace.json may name.
var kinds = map[Kind]bool{
	KindExchange: true, KindHeld: true, KindMixer: true, KindBridge: true, KindSanctioned: true, KindContract: true,
	KindHopLimit: true, KindDust: true, KindHorizon: true, KindHighActivity: true, KindUnknown: true,
	KindInstantExchanger: true,
}

func (c *checker) endpoints() *problem {
	type key struct {
		chain chains.Chain
		addr  chains.Address
		asset chains.AssetID
		kind  Kind
	}
	seen := map[key]bool{}
	held := map[srcAsset]chains.Amount{}
	for i, e := range c.r.Endpoints {
		what := func(err error) *problem {
			return &problem{"endpoints", i, fmt.Errorf("%s (%s): %w", e.Address, e.Kind, err)}
		}
		if !kinds[e.Kind] {
			return fail("endpoints", i, "%s: unknown kind %q", e.Address, e.Kind)
		}
		if e.Category != "" {
			if k, err := chains.ParseCategory(string(e.Category)); err != nil || k != e.Category {
				return what(fmt.Errorf("unknown category %q", e.Category))
			}
		}
		if err := c.asset(e.Chain, e.Asset); err != nil {
			return what(err)
		}
		if e.Hops < 0 {
			return what(fmt.Errorf("hops %d", e.Hops))
		}
		if k := (key{e.Chain, e.Address, e.Asset, e.Kind}); seen[k] {
			return what(errors.New("listed twice"))
		} else {
			seen[k] = true
		}
		if e.Kind == KindUnknown {
			// Clean funds of unknown origin, not taint.
			if len(e.BySource) > 0 {
				return what(errors.New("by_source of unknown funds, which are no victim's"))
			}
			continue
		}
		if err := c.shares(e.BySource, e.Amount); err != nil {
			return what(err)
		}
		if c.r.Rule == Poison {
			continue
		}
		for _, s := range e.BySource {
			k := srcAsset{c.sources[s.Source], e.Asset}
			held[k] = held[k].Add(s.Amount)
			if in := c.taintIn[k]; held[k].Cmp(in) > 0 {
				if o := c.r.Origins[k.src]; o.Asset == e.Asset {
					return what(fmt.Errorf("endpoints hold %s of source %s, more than its payment of %s (rule %s conserves taint)", held[k], o.ID, o.Amount, c.r.Rule))
				}
				return what(fmt.Errorf("endpoints hold %s of source %s in %s, more than the %s that reached that asset (rule %s conserves taint)", held[k], s.Source, e.Asset, in, c.r.Rule))
			}
		}
	}
	if c.r.Rule == Poison {
		return nil
	}
	for _, k := range c.taintOrder {
		in := c.taintIn[k]
		if got := held[k].Add(c.taintOut[k]); got.Cmp(in) != 0 {
			missing, _ := in.Sub(got)
			o := c.r.Origins[k.src]
			if k.asset == o.Asset {
				return fail("sources", k.src, "payment of %s, of which endpoints hold %s and conversions took %s: %s is missing (rule %s conserves taint)", o.Amount, held[k], c.taintOut[k], missing, c.r.Rule)
			}
			return fail("conversions", -1, "source %s: conversions made %s of %s, of which endpoints hold %s and later conversions took %s: %s is missing (rule %s conserves taint)",
				o.ID, in, k.asset, held[k], c.taintOut[k], missing, c.r.Rule)
		}
	}
	return nil
}

func (c *checker) flows() *problem {
	for i, f := range c.r.Flows {
		what := func(err error) *problem {
			return &problem{"flows", i, fmt.Errorf("%s: %w", f.Chain.FormatTx(f.Tx), err)}
		}
		if err := c.asset(f.Chain, f.Asset); err != nil {
			return &problem{"flows", i, err}
		}
		if f.Tainted.Cmp(f.Amount) > 0 {
			return what(fmt.Errorf("tainted %s is more than the amount %s", f.Tainted, f.Amount))
		}
		if f.Hop < 1 {
			return what(fmt.Errorf("hop %d, want 1 or more", f.Hop))
		}
		if err := c.shares(f.BySource, f.Tainted); err != nil {
			return what(err)
		}
	}
	return nil
}

func (c *checker) clusters() *problem {
	for i, k := range c.r.Clusters {
		if err := knownChain(k.Chain); err != nil {
			return &problem{"clusters", i, err}
		}
	}
	return nil
}

// ledger checks every step follows from the previous one at its address,
// as docs/trace-json.md says a reader can re-check it.
func (c *checker) ledger() *problem {
	type key struct {
		chain chains.Chain
		addr  chains.Address
		asset chains.AssetID
	}
	type state struct{ bal, taint chains.Amount }
	at := map[key]*state{}
	for i, s := range c.r.Ledger {
		what := func(format string, args ...any) *problem {
			return &problem{"ledger", i, fmt.Errorf("seq %d (%s at %s): %s", s.Seq, s.Event, s.Address, fmt.Sprintf(format, args...))}
		}
		if s.Seq != i+1 {
			return fail("ledger", i, "seq %d, want %d (steps count from 1, in order)", s.Seq, i+1)
		}
		if err := c.asset(s.Chain, s.Asset); err != nil {
			return &problem{"ledger", i, err}
		}
		if err := c.shares(s.BySource, s.Tainted); err != nil {
			return what("%v", err)
		}
		if s.Taint.Cmp(s.Balance) > 0 {
			return what("taint %s is more than the balance %s", s.Taint, s.Balance)
		}
		k := key{s.Chain, s.Address, s.Asset}
		p := at[k]
		if p == nil {
			// Before its first step (an open one, as Run writes it) an
			// address holds nothing.
			p = &state{}
		}
		var want state
		switch s.Event {
		case "open":
			if !s.Tainted.IsZero() {
				return what("an opening balance moves no taint, got %s", s.Tainted)
			}
			want = state{bal: s.Amount}
		case "in":
			if s.Tainted.Cmp(s.Amount) > 0 {
				return what("tainted %s is more than the amount %s", s.Tainted, s.Amount)
			}
			want = state{p.bal.Add(s.Amount), p.taint.Add(s.Tainted)}
		case "convert":
			if s.Tainted.Cmp(s.Amount) > 0 {
				return what("tainted %s is more than the amount %s", s.Tainted, s.Amount)
			}
			if s.Conversion < 1 || s.Conversion > len(c.r.Conversions) {
				return what("conversion %d, but the trace has %d", s.Conversion, len(c.r.Conversions))
			}
			want = *p // the received legs' "in" steps book it
		case "shortfall":
			if !s.Tainted.IsZero() {
				return what("a shortfall moves no taint, got %s", s.Tainted)
			}
			want = state{p.bal.Add(s.Amount), p.taint}
		case "out":
			if s.Tainted.Cmp(s.Amount) > 0 {
				return what("tainted %s is more than the amount %s", s.Tainted, s.Amount)
			}
			bal, ok := p.bal.Sub(s.Amount)
			if !ok {
				return what("out %s from a balance of %s", s.Amount, p.bal)
			}
			taint, ok := p.taint.Sub(s.Tainted)
			if !ok && c.r.Rule != Poison {
				return what("taint out %s from taint %s", s.Tainted, p.taint)
			}
			want = state{bal, taint}
		default:
			return fail("ledger", i, "seq %d: unknown event %q (known: open, in, out, shortfall, convert)", s.Seq, s.Event)
		}
		if c.r.Rule == Poison {
			want.taint = s.Taint // poison taints the whole balance; checked against it above
		}
		if s.Balance.Cmp(want.bal) != 0 || s.Taint.Cmp(want.taint) != 0 {
			return what("balance %s and taint %s, but the previous step and this one give %s and %s", s.Balance, s.Taint, want.bal, want.taint)
		}
		at[k] = &want
	}
	return nil
}

// holdings checks that the holdings are the freeze targets, one each, in
// the order of endpoints, with the taint that ended there.
func (c *checker) holdings() *problem {
	var targets []Endpoint
	for _, e := range c.r.Endpoints {
		if IsFreezeTarget(e) {
			targets = append(targets, e)
		}
	}
	for i, h := range c.r.Holdings {
		if err := knownChain(h.Chain); err != nil {
			return &problem{"holdings", i, err}
		}
		if i >= len(targets) {
			return fail("holdings", i, "%s is not a freeze target of the trace (%d freeze target(s), all listed before it)", h.Address, len(targets))
		}
		e := targets[i]
		if h.Chain != e.Chain || h.Address != e.Address || h.Asset != e.Asset {
			return fail("holdings", i, "%s %s, but freeze target %d is %s %s (holdings follow the freeze targets among endpoints, in order)",
				h.Address, h.Asset, i+1, e.Address, e.Asset)
		}
		if h.Traced.Cmp(e.Amount) != 0 {
			return fail("holdings", i, "%s: traced %s, but the endpoint holds %s", h.Address, h.Traced, e.Amount)
		}
	}
	if n := len(c.r.Holdings); n > 0 && n < len(targets) {
		return fail("holdings", -1, "%d listed, but the trace has %d freeze targets (%s is missing)", n, len(targets), targets[n].Address)
	}
	return nil
}

func (c *checker) addIn(k srcAsset, v chains.Amount) {
	if _, ok := c.taintIn[k]; !ok {
		c.taintOrder = append(c.taintOrder, k)
	}
	c.taintIn[k] = c.taintIn[k].Add(v)
}

// conversions checks each conversion by the rule, as a reader can
// recompute it: known assets, one sent and one received, evidence that
// converts, and for each source tainted received = floor(received ×
// tainted sent / sent).
func (c *checker) conversions() *problem {
	for i, v := range c.r.Conversions {
		what := func(format string, args ...any) *problem {
			return &problem{"conversions", i, fmt.Errorf("%s at %s: %s", v.Chain.FormatTx(v.Tx), v.Address, fmt.Sprintf(format, args...))}
		}
		if len(v.Events) == 0 {
			return what("no events show the conversion")
		}
		for _, e := range v.Events {
			if !e.Kind.Converts() {
				return what("event kind %q shows no conversion", e.Kind)
			}
		}
		if len(v.Received) != 1 {
			return what("%d received legs, want 1", len(v.Received))
		}
		got := v.Received[0]
		for _, l := range []Leg{v.Sent, got} {
			if err := c.asset(v.Chain, l.Asset); err != nil {
				return what("%v", err)
			}
			if l.Tainted.Cmp(l.Amount) > 0 {
				return what("tainted %s is more than the amount %s of %s", l.Tainted, l.Amount, l.Asset)
			}
			if err := c.shares(l.BySource, l.Tainted); err != nil {
				return what("%v", err)
			}
		}
		if v.Sent.Asset == got.Asset {
			return what("sends and receives the same asset %s", got.Asset)
		}
		want := map[string]chains.Amount{}
		for _, s := range v.Sent.BySource {
			if !v.Sent.Amount.IsZero() {
				want[s.Source] = got.Amount.MulDiv(s.Amount, v.Sent.Amount)
			}
			c.taintOut[srcAsset{c.sources[s.Source], v.Sent.Asset}] = c.taintOut[srcAsset{c.sources[s.Source], v.Sent.Asset}].Add(s.Amount)
		}
		for _, s := range got.BySource {
			if w := want[s.Source]; w.Cmp(s.Amount) != 0 {
				return what("source %s received %s, but floor(%s × %s / %s) = %s", s.Source, s.Amount, got.Amount, taintOf(v.Sent.BySource, s.Source), v.Sent.Amount, w)
			}
			delete(want, s.Source)
			c.addIn(srcAsset{c.sources[s.Source], got.Asset}, s.Amount)
		}
		for src, w := range want {
			if !w.IsZero() {
				return what("source %s is missing from the received leg: floor(%s × %s / %s) = %s", src, got.Amount, taintOf(v.Sent.BySource, src), v.Sent.Amount, w)
			}
		}
	}
	return nil
}

func taintOf(ss []Share, src string) chains.Amount {
	for _, s := range ss {
		if s.Source == src {
			return s.Amount
		}
	}
	return chains.Amount{}
}
