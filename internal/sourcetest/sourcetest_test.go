package sourcetest

import (
	"context"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
)

var (
	t0  = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	tok = chains.Asset{ID: chains.AssetID{Chain: chains.Ethereum, Contract: addr(0xee)}, Symbol: "TOK", Decimals: 6}
	eth = chains.NativeAsset(chains.Ethereum)
)

func addr(b byte) chains.Address {
	return chains.NewAddress(chains.FamilyEVM, [20]byte{19: b})
}

func xfer(block uint64, tx byte, pos uint32, from, to byte, asset chains.AssetID, v uint64) chains.Transfer {
	return chains.Transfer{Chain: chains.Ethereum, Tx: chains.TxHash{0x77, 31: tx}, Position: pos, Block: block,
		Time: t0.Add(time.Duration(block) * 12 * time.Second), From: addr(from), To: addr(to), Asset: asset, Amount: chains.NewAmount(v)}
}

// dataset has several transfers in one block, a transaction moving two
// assets, a self-transfer and a zero-value transfer.
func dataset() []chains.Transfer {
	return []chains.Transfer{
		xfer(2, 1, 0, 1, 2, tok.ID, 100),
		xfer(2, 1, 1, 2, 3, tok.ID, 40),
		xfer(2, 2, 2, 3, 1, tok.ID, 5),
		xfer(3, 3, 0, 1, 2, eth, 7),
		xfer(5, 4, 0, 2, 2, tok.ID, 9),
		xfer(5, 4, 1, 2, 3, eth, 1),
		xfer(8, 5, 0, 4, 2, tok.ID, 0),
		xfer(9, 6, 0, 2, 1, tok.ID, 30),
		xfer(12, 7, 3, 3, 2, tok.ID, 11),
		xfer(12, 8, 4, 1, 3, tok.ID, 2),
	}
}

func memHarness() Harness {
	return Harness{
		Chain:  chains.Ethereum,
		Truth:  dataset(),
		Assets: []chains.Asset{tok},
		Head:   15,
		New: func(*testing.T) chains.Source {
			s := mem.New(dataset()...)
			s.AddAsset(tok)
			return s
		},
		Unsupported: []Question{{Name: "Balance", Ask: func(ctx context.Context, src chains.Source) error {
			_, err := src.Balance(ctx, chains.Ethereum, addr(1), tok.ID, 2)
			return err
		}}},
	}
}

// probe runs one check and returns the problems it found.
func probe(t *testing.T, h Harness, name string) []string {
	t.Helper()
	tr, err := h.truth()
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	i := slices.IndexFunc(checks, func(c check) bool { return c.name == name })
	if i < 0 {
		t.Fatalf("no check %q", name)
	}
	c := newChecker(t, &h, tr)
	if cp := checks[i].capability; cp != "" && !implements(c.src, cp) {
		t.Fatalf("check %s: the source is no %s", name, cp)
	}
	checks[i].run(c)
	return c.problems
}

func TestRunMem(t *testing.T) {
	Run(t, memHarness())
}

func TestCheckNames(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range checks {
		if seen[c.name] || strings.ContainsAny(c.name, " /") {
			t.Errorf("check name %q: repeated, or not usable in -run", c.name)
		}
		seen[c.name] = true
		if c.capability != "" && !slices.Contains(Capabilities(), c.capability) {
			t.Errorf("check %s: unknown capability %s", c.name, c.capability)
		}
	}
	for _, c := range Capabilities() {
		if !seen[c] {
			t.Errorf("capability %s has no check", c)
		}
	}
}

func TestHarnessErrors(t *testing.T) {
	for name, mod := range map[string]func(*Harness){
		"NoZeroValue": func(h *Harness) {
			h.Truth = slices.DeleteFunc(h.Truth, func(t chains.Transfer) bool { return t.Amount.IsZero() })
		},
		"NoTime":      func(h *Harness) { h.Truth[0].Time = time.Time{} },
		"Twice":       func(h *Harness) { h.Truth = append(h.Truth, h.Truth[0]) },
		"OtherChain":  func(h *Harness) { h.Truth[0].Chain = chains.BSC },
		"HeadTooLow":  func(h *Harness) { h.Head = 3 },
		"NoTransfers": func(h *Harness) { h.Truth = nil },
	} {
		t.Run(name, func(t *testing.T) {
			h := memHarness()
			mod(&h)
			if _, err := h.truth(); err == nil {
				t.Error("got no error")
			}
		})
	}
}

// A source that breaks a rule is caught by the check for that rule.
func TestChecksCatch(t *testing.T) {
	for _, tc := range []struct {
		check string
		wrap  func(*mem.Source) chains.Source
		mod   func(*Harness)
	}{
		{"Transfers", func(s *mem.Source) chains.Source {
			return &bent{Source: s, transfers: func(ts []chains.Transfer) []chains.Transfer { return ts[:len(ts)/2] }}
		}, nil},
		{"CanonicalOrder", func(s *mem.Source) chains.Source {
			return &bent{Source: s, transfers: func(ts []chains.Transfer) []chains.Transfer { slices.Reverse(ts); return ts }}
		}, nil},
		{"CanonicalOrder", func(s *mem.Source) chains.Source {
			return &bent{Source: s, transfers: func(ts []chains.Transfer) []chains.Transfer { return append(ts, ts...) }}
		}, nil},
		{"ZeroValue", func(s *mem.Source) chains.Source {
			return &bent{Source: s, transfers: func(ts []chains.Transfer) []chains.Transfer {
				return slices.DeleteFunc(ts, func(t chains.Transfer) bool { return t.Amount.IsZero() })
			}}
		}, nil},
		{"Boundaries", func(s *mem.Source) chains.Source { return &bent{Source: s, exclusiveTo: true} }, nil},
		{"Latest", func(s *mem.Source) chains.Source { return &bent{Source: s, latestOnlyTo: 9} }, nil},
		{"EmptyRange", func(s *mem.Source) chains.Source { return &bent{Source: s, emptyIsError: true} }, nil},
		{"WholeRange", func(s *mem.Source) chains.Source { return s }, func(h *Harness) {
			h.Broken = func(*testing.T) chains.Source {
				return &bent{Source: mem.New(dataset()...), transfers: func(ts []chains.Transfer) []chains.Transfer { return ts[:len(ts)/2] }}
			}
		}},
		{"WholeRange", func(s *mem.Source) chains.Source { return s }, func(h *Harness) {
			h.Broken = func(*testing.T) chains.Source { return mem.New(dataset()...) } // never fails
		}},
		{"TxTransfers", func(s *mem.Source) chains.Source {
			return &bent{Source: s, txTransfers: func(ts []chains.Transfer) []chains.Transfer { return ts[1:] }}
		}, nil},
		{"UnknownTx", func(s *mem.Source) chains.Source { return &bent{Source: s, unknownTxEmpty: true} }, nil},
		{"Asset", func(s *mem.Source) chains.Source { return mem.New(dataset()...) }, nil},
		{"UnknownAsset", func(s *mem.Source) chains.Source { return s }, func(h *Harness) { h.UnknownAsset = tok.ID }},
		{"BlockTime", func(s *mem.Source) chains.Source {
			s.SetBlockTime(chains.Ethereum, 5, t0)
			return s
		}, nil},
		{"UnknownBlock", func(s *mem.Source) chains.Source {
			s.SetBlockTime(chains.Ethereum, 1015, t0)
			return s
		}, nil},
		{"Unsupported", func(s *mem.Source) chains.Source { s.EnableBalances(); return s }, nil},
		{"Offline", func(s *mem.Source) chains.Source { return s }, func(h *Harness) { h.Offline = true }},
		{"Capabilities", func(s *mem.Source) chains.Source { return s }, func(h *Harness) { h.Capabilities = []string{"Pager"} }},
		{"Capabilities", func(s *mem.Source) chains.Source { return newReference(s, "") }, nil},
		{"BlockFinder", func(s *mem.Source) chains.Source { return newReference(s, "BlockFinder") }, nil},
		{"HeadReader", func(s *mem.Source) chains.Source { return newReference(s, "HeadReader") }, nil},
		{"BlockHasher", func(s *mem.Source) chains.Source { return newReference(s, "BlockHasher") }, nil},
		{"PairFinder", func(s *mem.Source) chains.Source { return newReference(s, "PairFinder") }, nil},
		{"PeerCounter", func(s *mem.Source) chains.Source { return newReference(s, "PeerCounter") }, nil},
		{"Pager", func(s *mem.Source) chains.Source { return newReference(s, "Pager") }, nil},
		{"Pager", func(s *mem.Source) chains.Source { return newReference(s, "PagerWhole") }, nil},
		{"Totaler", func(s *mem.Source) chains.Source { return newReference(s, "Totaler") }, nil},
		{"Requester", func(s *mem.Source) chains.Source { return newReference(s, "Requester") }, nil},
	} {
		t.Run(tc.check, func(t *testing.T) {
			h := memHarness()
			base := h.New
			h.New = func(t *testing.T) chains.Source { return tc.wrap(base(t).(*mem.Source)) }
			if tc.mod != nil {
				tc.mod(&h)
			}
			if ps := probe(t, h, tc.check); len(ps) == 0 {
				t.Errorf("check %s found nothing wrong", tc.check)
			} else {
				t.Logf("found: %s", ps[0])
			}
		})
	}
}

// The reference capabilities pass every check: the checks ask nothing the
// contracts do not say.
func TestRunReference(t *testing.T) {
	h := memHarness()
	h.New = func(*testing.T) chains.Source {
		s := mem.New(dataset()...)
		s.AddAsset(tok)
		return newReference(s, "")
	}
	h.Capabilities = []string{"BlockFinder", "BlockHasher", "FinalOnly", "HeadReader", "Pager", "PairFinder", "PeerCounter", "Requester", "Totaler"}
	Run(t, h)
}

// The suite is for tests: no other file may import it.
func TestImportedByTestsOnly(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, im := range f.Imports {
			if p, _ := strconv.Unquote(im.Path.Value); p == "freezetrace/internal/sourcetest" {
				t.Errorf("%s imports the conformance suite; only _test.go files may", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
