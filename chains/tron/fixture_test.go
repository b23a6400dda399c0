package tron_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/chains/tron"
	"freezetrace/fixtures"
	"freezetrace/internal/fixturetest"
	"freezetrace/trace"
)

// tronScenario is the pig-butchering fixture moved to TRON: the same steps,
// USDT-TRC20 for USDT, TRX for ETH, every actor the same 20 bytes shown as
// a TRON address.
type tronScenario struct {
	s         *fixtures.Scenario
	transfers []chains.Transfer
	times     map[uint64]time.Time
	head      uint64
	labels    labelList
	contracts []chains.Address
	tokens    []chains.Asset
	c         trace.Case
}

// The fixture's own mapping of its actors and assets to TRON.
var (
	toTron    = fixtures.ToTron
	tronAsset = fixtures.TronAsset
)

func loadTronScenario(t *testing.T) *tronScenario {
	t.Helper()
	s, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	ts := &tronScenario{s: s, times: map[uint64]time.Time{}}
	for _, x := range s.Txs() {
		tr := x.Transfer
		tr.Chain = chains.Tron
		tr.From, tr.To = toTron(tr.From), toTron(tr.To)
		tr.Asset = tronAsset(tr.Asset)
		// Each step is its own transaction with one transfer: event index 0
		// (or the TRX transfer itself), at the step's index in its block.
		tr.Position, tr.TxIndex = 0, x.TxIndex
		ts.transfers = append(ts.transfers, tr)
		ts.head = max(ts.head, tr.Block+1)
	}
	for n := uint64(0); n <= ts.head; n++ {
		ts.times[n] = s.BlockTime(n)
	}
	for _, l := range s.Labels() {
		l.Chain, l.Address = chains.Tron, toTron(l.Address)
		ts.labels = append(ts.labels, l)
	}
	for _, c := range s.Contracts() {
		ts.contracts = append(ts.contracts, toTron(c))
	}
	for _, a := range s.AssetInfos() {
		if !a.ID.IsNative() {
			ts.tokens = append(ts.tokens, chains.Asset{ID: tronAsset(a.ID), Symbol: a.Symbol, Decimals: a.Decimals})
		}
	}
	asset, victims, deposits := s.CaseAddresses()
	ts.c = trace.Case{Chain: chains.Tron, Asset: tronAsset(asset)}
	for _, v := range victims {
		ts.c.Victims = append(ts.c.Victims, toTron(v))
	}
	for _, d := range deposits {
		ts.c.Deposits = append(ts.c.Deposits, toTron(d))
	}
	return ts
}

func (ts *tronScenario) grid(t *testing.T) *fakeGrid {
	g := newFakeGrid(t, ts.times, ts.head, ts.transfers)
	for _, a := range ts.tokens {
		g.token(a.ID.Contract, a.Symbol, int(a.Decimals))
	}
	for _, c := range ts.contracts {
		g.mu.Lock()
		g.contracts[c] = true
		g.mu.Unlock()
	}
	return g
}

// labelList is a chains.Labeler over a fixed list.
type labelList []chains.Label

func (l labelList) Labels(_ context.Context, c chains.Chain, a chains.Address) ([]chains.Label, error) {
	out := []chains.Label{}
	for _, x := range l {
		if x.Chain == c && x.Address == a {
			out = append(out, x)
		}
	}
	return out, nil
}

// endpointLines renders endpoints as expected.yaml writes them.
func (ts *tronScenario) endpointLines(r *trace.Result) []string {
	return fixturetest.EndpointLines(ts.s, r, 6)
}

func expectedLines(t *testing.T, rule trace.Rule) []string {
	t.Helper()
	exp, err := fixtures.LoadExpected("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	out, ok := exp.Lines(string(rule))
	if !ok {
		t.Fatalf("expected.yaml has no rule %s", rule)
	}
	return out
}

// TestFixtureOnTron traces the TRON variant of the pig-butchering fixture
// from the TronGrid stand-in under every rule and checks the endpoints and
// amounts against the hand-worked expectations.
func TestFixtureOnTron(t *testing.T) {
	ts := loadTronScenario(t)
	g := ts.grid(t)
	src := newSource(t, g, tron.Options{PageSize: 3})
	for _, rule := range trace.Rules {
		t.Run(string(rule), func(t *testing.T) {
			r, err := trace.Run(context.Background(), src, trace.NewLabelAttributor(ts.labels), ts.c, trace.Options{Rule: rule})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Origins) != 3 {
				t.Fatalf("%d sources, want 3", len(r.Origins))
			}
			for _, e := range r.Endpoints {
				if e.Chain != chains.Tron || e.Asset != chains.USDTTron || !strings.HasPrefix(e.Address.String(), "T") {
					t.Fatalf("endpoint %+v is not a USDT-TRC20 endpoint at a T… address", e)
				}
			}
			got, want := ts.endpointLines(r), expectedLines(t, rule)
			if !slices.Equal(got, want) {
				t.Errorf("endpoints differ from expected.yaml\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// TestFixtureOnTronThroughStore traces the TRON fixture through the caching
// store twice: the second run, in a fresh process, makes no request and
// writes a byte-identical result.
func TestFixtureOnTronThroughStore(t *testing.T) {
	ctx := context.Background()
	ts := loadTronScenario(t)
	g := ts.grid(t)
	path := filepath.Join(t.TempDir(), "cache.db")
	clock := func() time.Time { return time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) }
	run := func() ([]byte, int64) {
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		up := newSource(t, g, tron.Options{})
		s := store.NewSource(db, up, store.Options{Name: "trongrid", HeadTTL: time.Hour, Clock: clock})
		r, err := trace.Run(ctx, s, trace.NewLabelAttributor(ts.labels), ts.c, trace.Options{Rule: trace.Haircut})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ts.endpointLines(r), expectedLines(t, trace.Haircut); !slices.Equal(got, want) {
			t.Fatalf("endpoints differ from expected.yaml\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return b, up.Requests()
	}
	cold, n := run()
	if n == 0 {
		t.Fatal("cold run made no request")
	}
	t.Logf("cold run: %d requests", n)
	warm, n := run()
	if n != 0 {
		t.Fatalf("warm run made %d requests, want 0", n)
	}
	if !bytes.Equal(cold, warm) {
		t.Fatal("warm result differs from the cold one")
	}
}
