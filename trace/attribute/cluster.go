package attribute

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"freezetrace/chains"
	"freezetrace/trace"
)

// Cluster is a set of addresses held to be one account holder at an
// exchange, with the evidence that joined them. An Attributor hands out
// shared values: do not modify them.
type Cluster struct {
	trace.Cluster
	// Deposits are the deposit addresses in the cluster, sorted by address.
	Deposits []*Deposit
	// Links are the payments of members into those deposit addresses, in
	// canonical order: the co-sender evidence.
	Links []chains.Transfer
	// Busy are deposit addresses whose senders were not merged: more than
	// Options.MaxSenders distinct addresses paid them.
	Busy []chains.Address
	// Truncated is set when the cluster reached Options.MaxClusterSize.
	Truncated bool

	confCap int
	members map[chains.Address]bool
	// own holds the members' list labels that propagate (scam, sanctioned).
	own map[chains.Address][]chains.Label
}

// Has reports whether addr is a member.
func (c *Cluster) Has(addr chains.Address) bool { return c.members[addr] }

// Propagated returns the labels addr gets from the other members: every
// scam or sanctions label of another member, with Heuristic "cluster", a
// confidence capped at Options.ClusterConfidence, and as Evidence the
// payments of both members into the cluster's deposit addresses.
func (c *Cluster) Propagated(addr chains.Address) []chains.Label {
	if !c.members[addr] {
		return nil
	}
	var out []chains.Label
	seen := map[string]bool{}
	for _, m := range c.Members {
		if m == addr {
			continue
		}
		for _, l := range c.own[m] {
			k := string(l.Category) + "\x00" + l.Entity + "\x00" + l.Source
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, chains.Label{
				Chain:    c.Chain,
				Address:  addr,
				Entity:   l.Entity,
				Category: l.Category,
				Asset:    l.Asset,
				Source:   l.Source,
				Date:     l.Date,
				Note: fmt.Sprintf("propagated within cluster %s (heuristic %s) from member %s, labeled %s %q by %s",
					c.ID, HeuristicReuse, m, l.Category, l.Entity, l.Source),
				Confidence: min(l.Confidence, c.confCap),
				Heuristic:  HeuristicCluster,
				Evidence:   c.linkTxs(addr, m),
			})
		}
	}
	sortLabels(out)
	return out
}

// linkTxs are the transactions in which a or b paid a deposit address of
// the cluster, or that a deposit address among them swept.
func (c *Cluster) linkTxs(a, b chains.Address) []chains.TxHash {
	var ts []chains.Transfer
	for _, l := range c.Links {
		if l.From == a || l.From == b || l.To == a || l.To == b {
			ts = append(ts, l)
		}
	}
	return txHashes(ts)
}

// Cluster returns the cluster addr belongs to for asset, or nil when it
// belongs to none: it is a labeled exchange or service wallet, or neither
// a deposit address nor a payer into one (among the first
// Options.MaxRecipients addresses it paid). With bounded reads
// (Options.Span) a cluster is a deposit address and the addresses that
// paid it in its window: the component is not explored further.
func (a *Attributor) Cluster(ctx context.Context, addr chains.Address, asset chains.AssetID) (*Cluster, error) {
	return a.ClusterFrom(ctx, addr, asset, a.opts.From)
}

// ClusterFrom is Cluster judged on transfers from block from on: addr's
// own window starts there, a recipient's at the block addr paid it, a
// sender's at the block it paid the deposit address (see Options.Span).
func (a *Attributor) ClusterFrom(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) (*Cluster, error) {
	addr = addr.In(asset.Chain.Family())
	lo, _ := a.window(from)
	k := windowKey{asset, addr, lo}
	a.mu.Lock()
	c, ok := a.clusters[k]
	a.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := a.grow(ctx, addr, asset, lo)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.clusters[k] = c
	if c != nil && !c.Truncated && a.opts.Span == 0 {
		// Over whole histories the same component is found from every
		// member (windows differ per member, so bounded reads do not
		// share it).
		for m := range c.members {
			a.clusters[windowKey{asset, m, lo}] = c
		}
	}
	a.mu.Unlock()
	return c, nil
}

// grow explores the component of addr in the graph of payments into
// deposit addresses, breadth first.
func (a *Attributor) grow(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) (*Cluster, error) {
	own, err := a.Labels(ctx, asset.Chain, addr)
	if err != nil || isServiceLike(own) {
		return nil, err
	}
	c := &Cluster{confCap: a.opts.ClusterConfidence, members: map[chains.Address]bool{}, own: map[chains.Address][]chains.Label{}}
	type item struct {
		addr chains.Address
		from uint64
	}
	// Over whole histories (no Span) every window starts where addr's does.
	at := func(b uint64) uint64 {
		if a.opts.Span == 0 {
			return from
		}
		return b
	}
	queue := []item{{addr, from}}
	seen := map[chains.Address]bool{addr: true}
	for i := 0; i < len(queue); i++ {
		if len(c.members) >= a.opts.MaxClusterSize {
			c.Truncated = true
			break
		}
		x, xfrom := queue[i].addr, queue[i].from
		dep, err := a.DepositFrom(ctx, x, asset, xfrom)
		if err != nil {
			return nil, err
		}
		if dep != nil {
			c.members[x] = true
			c.Deposits = append(c.Deposits, dep)
			if dep.Senders > a.opts.MaxSenders {
				c.Busy = append(c.Busy, x)
				continue
			}
			for _, in := range dep.Inflows {
				s := in.From
				if s.IsNull() {
					continue // minted, not paid
				}
				sl, err := a.Labels(ctx, asset.Chain, s)
				if err != nil {
					return nil, err
				}
				if isServiceLike(sl) {
					continue // an exchange or service paying out: not the holder
				}
				c.Links = append(c.Links, in)
				c.members[s] = true
				if a.opts.Span > 0 {
					continue // bounded: the deposit address and its senders only
				}
				if !seen[s] {
					seen[s] = true
					queue = append(queue, item{s, at(in.Block)})
				}
			}
			continue
		}
		// Not a deposit address: which deposit addresses did it pay? With
		// bounded reads (Options.Span) this is not asked: it would read the
		// windows of every address it paid, and the trace finds the deposit
		// addresses its taint reaches, with their senders, anyway.
		if a.opts.Span > 0 {
			continue
		}
		ts, err := a.transfersOf(ctx, x, asset, xfrom)
		if err != nil {
			return nil, err
		}
		checked := 0
		tried := map[chains.Address]bool{}
		for _, t := range ts {
			if t.From != x || t.To == x || t.Amount.IsZero() || tried[t.To] {
				continue
			}
			if checked >= a.opts.MaxRecipients {
				break
			}
			tried[t.To] = true
			checked++
			if seen[t.To] {
				continue
			}
			d, err := a.DepositFrom(ctx, t.To, asset, at(t.Block))
			if err != nil {
				return nil, err
			}
			if d != nil {
				seen[t.To] = true
				queue = append(queue, item{t.To, at(t.Block)})
			}
		}
	}
	if !c.members[addr] || len(c.Deposits) == 0 {
		return nil, nil
	}
	return a.finish(ctx, c, asset)
}

// finish fills in the trace.Cluster and the members' propagating labels.
func (a *Attributor) finish(ctx context.Context, c *Cluster, asset chains.AssetID) (*Cluster, error) {
	slices.SortFunc(c.Deposits, func(x, y *Deposit) int { return x.Address.Compare(y.Address) })
	slices.SortFunc(c.Links, chains.Compare)
	c.Links = slices.CompactFunc(c.Links, func(x, y chains.Transfer) bool { return x.Key() == y.Key() })
	slices.SortFunc(c.Busy, chains.Address.Compare)
	c.Chain = asset.Chain
	c.ID = "cluster:" + string(asset.Chain) + ":" + c.Deposits[0].Address.String()
	var exchanges []string
	var sweeps []chains.Transfer
	for _, d := range c.Deposits {
		if !slices.Contains(exchanges, d.Exchange) {
			exchanges = append(exchanges, d.Exchange)
		}
		sweeps = append(sweeps, d.Sweeps...)
	}
	slices.Sort(exchanges)
	c.Entity = "account holder at " + strings.Join(exchanges, ", ")
	c.Heuristic = HeuristicReuse
	if c.Truncated {
		c.Heuristic = fmt.Sprintf("%s (stopped at %d members)", HeuristicReuse, a.opts.MaxClusterSize)
	}
	for m := range c.members {
		c.Members = append(c.Members, m)
	}
	slices.SortFunc(c.Members, chains.Address.Compare)
	c.Evidence = txHashes(append(slices.Clone(c.Links), sweeps...))
	for _, m := range c.Members {
		ls, err := a.Labels(ctx, asset.Chain, m)
		if err != nil {
			return nil, err
		}
		for _, l := range ls {
			if l.Heuristic == "" && (l.Category == chains.CategoryScam || l.Category == chains.CategorySanctioned) {
				c.own[m] = append(c.own[m], l)
			}
		}
	}
	return c, nil
}

// txHashes returns the distinct transactions of ts in canonical order.
func txHashes(ts []chains.Transfer) []chains.TxHash {
	ts = slices.Clone(ts)
	slices.SortFunc(ts, chains.Compare)
	out := []chains.TxHash{}
	seen := map[chains.TxHash]bool{}
	for _, t := range ts {
		if !seen[t.Tx] {
			seen[t.Tx] = true
			out = append(out, t.Tx)
		}
	}
	return out
}
