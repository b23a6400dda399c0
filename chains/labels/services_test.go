package labels

import (
	"errors"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

func TestBuiltinServices(t *testing.T) {
	ss := BuiltinServices()
	if len(ss) < 40 {
		t.Fatalf("%d entries, want a useful list (40 or more)", len(ss))
	}
	seen := map[serviceKey]int{}
	perCategory := map[chains.Category]int{}
	entities := map[string]bool{}
	for _, s := range ss {
		k := serviceKey{s.Chain, s.Address}
		if first, dup := seen[k]; dup {
			t.Errorf("line %d: %s %s duplicates line %d", s.Line, s.Chain, s.Address, first)
		}
		seen[k] = s.Line
		perCategory[s.Category]++
		entities[s.Entity] = true
		// Written as the chain shows it: EIP-55 on EVM chains, base58 T… on TRON.
		if s.Written != s.Address.String() {
			t.Errorf("line %d: address written %s, want %s (checksummed as the chain shows it)", s.Line, s.Written, s.Address)
		}
		if len(s.Sources) == 0 {
			t.Errorf("line %d: no source", s.Line)
		}
		for _, src := range s.Sources {
			if !strings.HasPrefix(src.Ref, "https://") {
				t.Errorf("line %d: source %q is not an https URL", s.Line, src.Ref)
			}
			if _, err := time.Parse(time.DateOnly, src.Date); err != nil {
				t.Errorf("line %d: source date %q: %v", s.Line, src.Date, err)
			}
		}
	}
	for _, c := range ServiceCategories {
		if perCategory[c] == 0 {
			t.Errorf("no %s entry", c)
		}
	}
	for _, e := range []string{"FixedFloat", "THORChain", "Across", "Hop", "Uniswap", "1inch", "0x", "SunSwap"} {
		if !entities[e] {
			t.Errorf("no entry for %s", e)
		}
	}
	var tron int
	for _, s := range ss {
		if s.Chain == chains.Tron {
			tron++
		}
	}
	if tron == 0 {
		t.Error("no TRON entry")
	}
}

func TestDefaultServices(t *testing.T) {
	ls := DefaultServices()
	if len(ls) != len(BuiltinServices()) {
		t.Fatalf("%d labels for %d entries", len(ls), len(BuiltinServices()))
	}
	checkResult(t, Result{File: BuiltinServicesName, Labels: ls, Read: len(ls)}, nil)
	thor := chains.MustParseAddress("0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146")
	var found bool
	for _, l := range ls {
		if !strings.HasPrefix(l.Source, "freezetrace services list: https://") || l.Confidence != ServiceConfidence {
			t.Errorf("%s: source %q confidence %d", l.Address, l.Source, l.Confidence)
		}
		if l.Address == thor && l.Chain == chains.Ethereum {
			found = true
			if l.Entity != "THORChain" || l.Category != chains.CategoryBridge || !strings.HasPrefix(l.Note, "role router; ") ||
				!strings.HasSuffix(l.Note, "; file services.yaml") || l.Date != "2026-12-01" {
				t.Errorf("THORChain router label = %+v", l)
			}
		}
	}
	if !found {
		t.Error("no label for the THORChain router")
	}
	ls[0].Entity = "changed"
	if DefaultServices()[0].Entity == "changed" {
		t.Error("DefaultServices shares its slice between calls")
	}
}

const okServices = `services:
  - chain: ethereum
    address: "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146"
    entity: THORChain
    category: bridge
    role: router
    sources:
      - ref: https://example.org/thor
        date: "2026-01-02"
      - ref: GraphSense TagPacks 29ff93c
        date: "2025-03-04"
    note: the router
  - chain: tron
    address: TKzxdSv2FZKQrEqkKVgp5DcwEXBEKMg2Ax
    entity: SunSwap
    category: defi
    role: router
    sources:
      - ref: https://example.org/sun
        date: "2026-01-01"
`

func TestParseServices(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ls, err := Services(strings.NewReader(okServices), "s.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 2 {
			t.Fatalf("got %d labels, want 2", len(ls))
		}
		l := ls[0]
		if want := "freezetrace services list: https://example.org/thor; GraphSense TagPacks 29ff93c"; l.Source != want {
			t.Errorf("source = %q, want %q", l.Source, want)
		}
		if l.Date != "2026-01-02" || l.Note != "role router; the router; file s.yaml" || l.Confidence != ServiceConfidence {
			t.Errorf("label = %+v", l)
		}
		if ls[1].Chain != chains.Tron || ls[1].Address.String() != "TKzxdSv2FZKQrEqkKVgp5DcwEXBEKMg2Ax" {
			t.Errorf("second label = %+v", ls[1])
		}
	})
	t.Run("OKLowercaseAddress", func(t *testing.T) {
		text := strings.Replace(okServices, "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146", "0xd37bbe5744d730a1d98d8dc97c42f0ca46ad7146", 1)
		ss, err := ParseServices(strings.NewReader(text), "s.yaml")
		if err != nil || ss[0].Address.String() != "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146" {
			t.Fatalf("got %v, %v", ss, err)
		}
	})
	bad := []struct{ name, text, want string }{
		{"ErrBadAddress", strings.Replace(okServices, "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146", "0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD714", 1), "s.yaml:3: ethereum address: not an EVM address"},
		{"ErrBadChecksum", strings.Replace(okServices, "0xD37BbE", "0xd37BbE", 1), "s.yaml:3: ethereum address: bad EIP-55 checksum"},
		{"ErrTronAddressOnEthereum", strings.Replace(okServices, "chain: tron", "chain: ethereum", 1), "s.yaml:14: ethereum address: not an EVM address"},
		{"ErrUnknownChain", strings.Replace(okServices, "chain: tron", "chain: solana", 1), `s.yaml:13: unknown chain "solana"`},
		{"ErrUnknownCategory", strings.Replace(okServices, "category: defi", "category: exchange", 1), `s.yaml:16: unknown category "exchange" (want instant_exchanger, bridge or defi)`},
		{"ErrUnknownRole", strings.Replace(okServices, "role: router\n    sources:\n      - ref: https://example.org/sun", "role: wallet\n    sources:\n      - ref: https://example.org/sun", 1), `s.yaml:17: unknown role "wallet"`},
		{"ErrDuplicate", okServices + strings.TrimPrefix(strings.Split(okServices, "  - chain: tron")[0], "services:\n"), "s.yaml:21: ethereum 0xD37BbE5744D730a1d98d8DC97c42F0Ca46aD7146 is already listed at line 2"},
		{"ErrNoSources", strings.Replace(okServices, "    sources:\n      - ref: https://example.org/sun\n        date: \"2026-01-01\"\n", "", 1), "s.yaml:13: sources is required"},
		{"ErrEmptySources", strings.Replace(okServices, "    sources:\n      - ref: https://example.org/sun\n        date: \"2026-01-01\"\n", "    sources: []\n", 1), "s.yaml:18: sources is required"},
		{"ErrHTTPSource", strings.Replace(okServices, "https://example.org/sun", "http://example.org/sun", 1), `s.yaml:19: source "http://example.org/sun" is not an https URL`},
		{"ErrNoDate", strings.Replace(okServices, "      - ref: https://example.org/sun\n        date: \"2026-01-01\"\n", "      - ref: https://example.org/sun\n", 1), `s.yaml:19: source "https://example.org/sun" has no date`},
		{"ErrBadDate", strings.Replace(okServices, "2026-01-01", "2026-02-30", 1), `s.yaml:20: source date "2026-02-30": want YYYY-MM-DD`},
		{"ErrNoEntity", strings.Replace(okServices, "entity: SunSwap", "entity: ' '", 1), "s.yaml:15: entity is empty"},
		{"ErrMissingEntity", strings.Replace(okServices, "    entity: SunSwap\n", "", 1), "s.yaml:13: entity is required"},
		{"ErrUnknownField", strings.Replace(okServices, "    role: router\n    sources:\n      - ref: https://example.org/sun", "    role: router\n    colour: red\n    sources:\n      - ref: https://example.org/sun", 1), "s.yaml:18: unknown field \"colour\""},
		{"ErrUnknownTopField", "version: 1\n" + okServices, `s.yaml:1: unknown field "version"`},
		{"ErrTwoDocuments", okServices + "---\nservices: []\n", "s.yaml:21: a services file holds one document"},
		{"ErrEmpty", "# nothing\n", "s.yaml: empty file"},
		{"ErrNoList", "services:\n", "s.yaml:1: services is required"},
		{"ErrSyntax", "services: [\n", "s.yaml: yaml:"},
		{"ErrEntityTooLong", strings.Replace(okServices, "entity: SunSwap", "entity: "+strings.Repeat("x", MaxEntity+1), 1), "s.yaml:15: entity is 501 characters, over the limit of 500"},
		{"ErrTooLarge", okServices + "#" + strings.Repeat("x", maxServicesSize), "s.yaml: larger than 4 MiB"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := Services(strings.NewReader(c.text), "s.yaml")
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			var ie *chains.InputError
			if !errors.As(err, &ie) {
				t.Errorf("err = %v (%T), want a chains.InputError", err, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q: want one line", err)
			}
		})
	}
}

func TestMergeServices(t *testing.T) {
	base, err := ParseServices(strings.NewReader(okServices), "base.yaml")
	if err != nil {
		t.Fatal(err)
	}
	over := []Service{base[1], base[0]}
	over[0].Entity = "SunSwap (mine)"
	over = append(over[:1], Service{Chain: chains.Ethereum, Address: chains.MustParseAddress("0x7a250d5630B4cF539739dF2C5dAcb4c659F2488D"), Entity: "Uniswap"})
	got := MergeServices(base, over)
	if len(got) != 3 || got[0].Entity != "THORChain" || got[1].Entity != "SunSwap (mine)" || got[2].Entity != "Uniswap" {
		t.Errorf("merged = %+v", got)
	}
	if base[1].Entity != "SunSwap" {
		t.Error("MergeServices changed base")
	}
}
