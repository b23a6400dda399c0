// Package sourcetest is the conformance suite for chains.Source: one set of
// checks, run against every implementation (the in-memory source, the
// store offline and caching, the JSON-RPC, TronGrid and explorer adapters
// against their test servers), that holds each to the contract written in
// package chains and to the contract of every optional capability it
// implements.
//
// A test describes its source with a Harness: how to build one holding a
// known set of transfers (the ground truth, which the harness supplies,
// since a node can only hold what was played on it) and which
// capabilities and errors to expect; Run runs every check as a subtest
// with a stable name, so that `go test -run Conformance -v` lists them.
//
// It is for tests only: it imports package testing and may be imported by
// _test.go files alone. It depends on package chains only.
package sourcetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
)

// Harness describes one chains.Source implementation under test.
type Harness struct {
	// Chain is the chain the source serves.
	Chain chains.Chain
	// Truth is every transfer the source holds of the assets it names:
	// for every address and asset of Truth, Transfers must answer exactly
	// Truth's transfers of that address and asset. Each transaction of
	// Truth is held whole: TxTransfers answers exactly its transfers.
	// Every transfer has its block time, and Truth holds at least one
	// zero-value transfer.
	Truth []chains.Transfer
	// Events are the events the source holds of the transactions of
	// Truth, for a source that is a chains.EventReader: TxEvents must
	// answer exactly those of each transaction, none for one not listed.
	Events []chains.TxEvent
	// Assets is the metadata Asset must give for the tokens of Truth; the
	// native coin's comes from the chain table.
	Assets []chains.Asset
	// Head is the newest block the source answers for; 0 means the
	// newest block of Truth.
	Head uint64
	// Addresses are the addresses whose histories the checks ask for, of
	// every asset of Truth; nil means every address of Truth. A source
	// whose every question is slow (a node tracing every block for a
	// native history) names a few that between them hold every kind of
	// transfer of Truth.
	Addresses []chains.Address
	// New returns a new source holding Truth: a fresh client, an empty
	// cache in front of its upstream. Every check builds its own.
	New func(t *testing.T) chains.Source
	// Broken returns a source holding Truth whose upstream fails part way
	// through some answers (a listing cut off, a page refused, a range that
	// errors); nil for a source that has no upstream.
	Broken func(t *testing.T) chains.Source
	// Offline says the source is a cache that may not fetch: what it does
	// not hold must fail with chains.ErrOffline.
	Offline bool
	// Unsupported lists questions the source cannot answer; each must fail
	// with chains.ErrUnsupported.
	Unsupported []Question
	// Capabilities names every optional capability the source implements
	// (as Capabilities names them); the check fails when it implements
	// another or lacks one.
	Capabilities []string
	// NoPairFilter says TransfersBetween may answer chains.ErrUnsupported
	// for an asset; nil means never.
	NoPairFilter func(chains.AssetID) bool
	// NoCount says Counterparties may answer chains.ErrUnsupported for an
	// asset even once its transfers were read; nil means never.
	NoCount func(chains.AssetID) bool
	// UnknownAsset is an asset the source does not know; the zero value
	// means a contract at 0xdead…dead on Chain.
	UnknownAsset chains.AssetID
	// Workers is how many goroutines the concurrency check runs; 0 means 8.
	Workers int
}

// Question is one question a source is asked, for Harness.Unsupported.
type Question struct {
	Name string
	Ask  func(ctx context.Context, src chains.Source) error
}

// capabilities are the optional capabilities of package chains, by the
// names Harness.Capabilities uses, sorted: the one list both Capabilities
// and implements read.
var capabilities = []struct {
	name string
	is   func(chains.Source) bool
}{
	{"BlockFinder", is[chains.BlockFinder]}, {"BlockHasher", is[chains.BlockHasher]},
	{"FinalOnly", is[chains.FinalOnly]}, {"HeadReader", is[chains.HeadReader]},
	{"Pager", is[chains.Pager]}, {"PairFinder", is[chains.PairFinder]},
	{"PeerCounter", is[chains.PeerCounter]}, {"Requester", is[chains.Requester]},
	{"Totaler", is[chains.Totaler]},
}

func is[T any](src chains.Source) bool {
	_, ok := src.(T)
	return ok
}

// Capabilities lists the optional capabilities of package chains, by the
// names Harness.Capabilities uses, sorted.
func Capabilities() []string {
	out := make([]string, len(capabilities))
	for i, c := range capabilities {
		out[i] = c.name
	}
	return out
}

// Implements returns the names of the optional capabilities src
// implements, sorted.
func Implements(src chains.Source) []string {
	var out []string
	for _, c := range capabilities {
		if c.is(src) {
			out = append(out, c.name)
		}
	}
	return out
}

// implements reports whether src has the capability of that name.
func implements(src chains.Source, name string) bool {
	for _, c := range capabilities {
		if c.name == name {
			return c.is(src)
		}
	}
	return false
}

// Run runs every check against the source h describes, each as a subtest.
// A check of a capability the source does not implement is skipped, and
// says so.
func Run(t *testing.T, h Harness) {
	t.Helper()
	tr, err := h.truth()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			c := newChecker(t, &h, tr)
			if ck.capability != "" && !implements(c.src, ck.capability) {
				t.Skipf("not implemented: the source is no chains.%s", ck.capability)
			}
			ck.run(c)
			c.report(t)
		})
	}
}

// check is one conformance check. A capability check runs only against a
// source implementing that capability.
type check struct {
	name       string
	capability string
	run        func(*checker)
}

// checks are every check, in the order Run runs them.
var checks = append(contractChecks, capabilityChecks...)

// checker runs one check: it holds a fresh source, the truth, and the
// problems found so far. failf may be called from several goroutines.
type checker struct {
	ctx context.Context
	t   *testing.T
	h   *Harness
	tr  *truth
	src chains.Source

	mu       sync.Mutex
	problems []string
	skipped  string
}

// maxProblems bounds how many problems one check reports.
const maxProblems = 20

func newChecker(t *testing.T, h *Harness, tr *truth) *checker {
	return &checker{ctx: t.Context(), t: t, h: h, tr: tr, src: h.New(t)}
}

func (c *checker) failf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

func (c *checker) skip(format string, args ...any) { c.skipped = fmt.Sprintf(format, args...) }

func (c *checker) report(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.problems {
		if i == maxProblems {
			t.Errorf("… and %d more problems", len(c.problems)-maxProblems)
			break
		}
		t.Error(p)
	}
	if len(c.problems) == 0 && c.skipped != "" {
		t.Skip(c.skipped)
	}
}

// truth is the harness's transfers, indexed for the checks.
type truth struct {
	chain  chains.Chain
	all    []chains.Transfer // canonical order
	head   uint64
	addrs  []chains.Address // the addresses asked about, sorted
	assets []chains.AssetID // every asset of all, sorted
	txs    []chains.TxHash  // every transaction of all, in canonical order of first transfer
	byTx   map[chains.TxHash][]chains.Transfer
	blocks []uint64 // every block of all, ascending
	times  map[uint64]time.Time
	zero   []chains.Transfer // the zero-value transfers
}

func (h *Harness) truth() (*truth, error) {
	if h.New == nil {
		return nil, fmt.Errorf("no New")
	}
	if !h.Chain.Valid() {
		return nil, fmt.Errorf("chain %q is not known", string(h.Chain))
	}
	tr := &truth{chain: h.Chain, all: slices.Clone(h.Truth), head: h.Head,
		byTx: map[chains.TxHash][]chains.Transfer{}, times: map[uint64]time.Time{}}
	slices.SortFunc(tr.all, chains.Compare)
	seen := map[chains.TransferKey]bool{}
	addrs := map[chains.Address]bool{}
	assets := map[chains.AssetID]bool{}
	for _, t := range tr.all {
		switch {
		case t.Chain != h.Chain || t.Asset.Chain != h.Chain:
			return nil, fmt.Errorf("transfer %s is not on %s", show(t), h.Chain)
		case seen[t.Key()]:
			return nil, fmt.Errorf("transfer %s twice", show(t))
		case t.Time.IsZero():
			return nil, fmt.Errorf("transfer %s has no block time", show(t))
		}
		if bt, ok := tr.times[t.Block]; ok && !bt.Equal(t.Time) {
			return nil, fmt.Errorf("block %d has two times, %s and %s", t.Block, bt, t.Time)
		}
		seen[t.Key()] = true
		addrs[t.From], addrs[t.To], assets[t.Asset] = true, true, true
		if _, ok := tr.byTx[t.Tx]; !ok {
			tr.txs = append(tr.txs, t.Tx)
		}
		tr.byTx[t.Tx] = append(tr.byTx[t.Tx], t)
		if _, ok := tr.times[t.Block]; !ok {
			tr.blocks = append(tr.blocks, t.Block)
		}
		tr.times[t.Block] = t.Time
		if t.Amount.IsZero() {
			tr.zero = append(tr.zero, t)
		}
		tr.head = max(tr.head, t.Block)
	}
	if len(tr.all) == 0 {
		return nil, fmt.Errorf("no transfers")
	}
	if len(tr.zero) == 0 {
		return nil, fmt.Errorf("no zero-value transfer")
	}
	if h.Head != 0 && h.Head < tr.head {
		return nil, fmt.Errorf("head %d is older than block %d of a transfer", h.Head, tr.head)
	}
	for _, a := range h.Addresses {
		if !addrs[a] {
			return nil, fmt.Errorf("address %s takes part in no transfer", a)
		}
	}
	tr.addrs = slices.SortedFunc(maps.Keys(addrs), chains.Address.Compare)
	if h.Addresses != nil {
		tr.addrs = slices.SortedFunc(slices.Values(h.Addresses), chains.Address.Compare)
		tr.addrs = slices.Compact(tr.addrs)
	}
	tr.assets = slices.SortedFunc(maps.Keys(assets), chains.AssetID.Compare)
	if (h.UnknownAsset == chains.AssetID{}) {
		var b [20]byte
		for i := range b {
			b[i] = []byte{0xde, 0xad}[i%2]
		}
		h.UnknownAsset = chains.AssetID{Chain: h.Chain, Contract: chains.NewAddress(h.Chain.Family(), b)}
	}
	return tr, nil
}

// of returns the truth's transfers of asset in which addr takes part with
// a block in [from, to].
func (tr *truth) of(addr chains.Address, asset chains.AssetID, from, to uint64) []chains.Transfer {
	var out []chains.Transfer
	for _, t := range tr.all {
		if t.Asset == asset && (t.From == addr || t.To == addr) && t.Block >= from && t.Block <= to {
			out = append(out, t)
		}
	}
	return out
}

// asked reports whether the checks ask about a's histories.
func (tr *truth) asked(a chains.Address) bool {
	_, ok := slices.BinarySearchFunc(tr.addrs, a, chains.Address.Compare)
	return ok
}

// query is one (address, asset) history question.
func (tr *truth) query(addr chains.Address, asset chains.AssetID, from, to uint64) chains.Query {
	return chains.Query{Chain: tr.chain, Address: addr, Asset: asset, From: from, To: to}
}

// pairs returns every (address, asset) of the truth, those with
// transfers first.
func (tr *truth) pairs() []chains.Query {
	var with, without []chains.Query
	for _, asset := range tr.assets {
		for _, a := range tr.addrs {
			q := tr.query(a, asset, 0, tr.head)
			if len(tr.of(a, asset, 0, chains.Latest)) > 0 {
				with = append(with, q)
			} else {
				without = append(without, q)
			}
		}
	}
	return append(with, without...)
}

// sample returns at most three blocks of ts: the first, one in the middle
// and the last.
func sample(ts []chains.Transfer) []uint64 {
	if len(ts) == 0 {
		return nil
	}
	bs := []uint64{ts[0].Block, ts[len(ts)/2].Block, ts[len(ts)-1].Block}
	slices.Sort(bs)
	return slices.Compact(bs)
}

// diff describes how got differs from want, field by field and in order;
// "" when they are the same.
func diff(got, want []chains.Transfer) string {
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		if g.Key() != w.Key() || g.Block != w.Block || g.TxIndex != w.TxIndex || !g.Time.Equal(w.Time) ||
			g.From != w.From || g.To != w.To || g.Amount.Cmp(w.Amount) != 0 {
			return fmt.Sprintf("transfer %d of %d: got %s, want %s", i, len(got), show(g), show(w))
		}
		if g.Time.Location() != time.UTC {
			return fmt.Sprintf("transfer %d: time %s is not in UTC", i, g.Time)
		}
	}
	switch {
	case len(got) > len(want):
		return fmt.Sprintf("got %d transfers, want %d: %s more", len(got), len(want), showAll(got[len(want):]))
	case len(got) < len(want):
		return fmt.Sprintf("got %d transfers, want %d: %s missing", len(got), len(want), showAll(want[len(got):]))
	}
	return ""
}

func show(t chains.Transfer) string {
	tx := t.Tx.String()
	return fmt.Sprintf("[block %d tx %d pos %d %s…%s %s→%s %s %s]", t.Block, t.TxIndex, t.Position, tx[:8], tx[len(tx)-4:],
		t.From, t.To, t.Amount, t.Asset)
}

func showAll(ts []chains.Transfer) string {
	const most = 3
	var b strings.Builder
	for i, t := range ts {
		if i == most {
			fmt.Fprintf(&b, " and %d more", len(ts)-most)
			break
		}
		b.WriteString(show(t))
	}
	return b.String()
}

func showQuery(q chains.Query) string {
	to := fmt.Sprint(q.To)
	if q.To == chains.Latest {
		to = "Latest"
	}
	return fmt.Sprintf("%s of %s in [%d, %s]", q.Asset, q.Address, q.From, to)
}

// otherChain is a chain that is not c.
func otherChain(c chains.Chain) chains.Chain {
	for _, o := range chains.Chains() {
		if o != c {
			return o
		}
	}
	return c
}
