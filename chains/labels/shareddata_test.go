package labels

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/internal/shareddata"
)

// importAll parses every file of format f under dir.
func importAll(t *testing.T, dir string, f Format) (all []chains.Label, read, skipped, bad int) {
	t.Helper()
	files, err := Files([]string{dir}, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s files under %s", f, dir)
	}
	for _, p := range files {
		res, err := ParseFile(p, f, Options{})
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, b := range res.Bad {
			t.Logf("bad entry %v", b)
		}
		all = append(all, res.Labels...)
		read += res.Read
		skipped += res.SkippedTotal()
		bad += len(res.Bad)
	}
	return all, read, skipped, bad
}

func countsByChainCategory(ls []chains.Label) string {
	n := map[string]int{}
	for _, l := range ls {
		n[fmt.Sprintf("%s/%s", l.Chain, l.Category)]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-24s %6d\n", k, n[k])
	}
	return b.String()
}

func find(ls []chains.Label, chain chains.Chain, addr string, cat chains.Category) []chains.Label {
	a := chain.Family()
	want, err := chain.ParseAddress(addr)
	if err != nil || a == chains.FamilyNone {
		return nil
	}
	var out []chains.Label
	for _, l := range ls {
		if l.Chain == chain && l.Address == want && (cat == "" || l.Category == cat) {
			out = append(out, l)
		}
	}
	return out
}

func TestSharedTagPacks(t *testing.T) {
	dir := shareddata.Path(t, "labels", "graphsense-tagpacks", "packs")
	all, read, skipped, bad := importAll(t, dir, FormatTagPack)
	t.Logf("tagpacks: %d tags read, %d skipped (unsupported chains), %d bad, %d labels\n%s",
		read, skipped, bad, len(all), countsByChainCategory(all))

	t.Run("BinanceWallet", func(t *testing.T) {
		got := find(all, chains.Ethereum, "0x28c6c06298d514db089934071355e5743bf21d60", chains.CategoryExchange)
		if len(got) == 0 {
			t.Fatal("0x28c6…1d60 has no exchange label")
		}
		var fromPack int
		for _, l := range got {
			if !strings.Contains(strings.ToLower(l.Entity), "binance") {
				t.Errorf("entity %q, want binance", l.Entity)
			}
			if !strings.Contains(l.Note, "file exchange-wallets-binance.yaml") {
				continue
			}
			fromPack++
			if l.Entity != "binance" {
				t.Errorf("entity %q, want binance", l.Entity)
			}
			if l.Confidence != 90 || l.Date != "2022-11-16" || !strings.Contains(l.Source, "binance.com") {
				t.Errorf("provenance: confidence %d date %q source %q", l.Confidence, l.Date, l.Source)
			}
		}
		if fromPack != 4 { // listed as an ETH, USDC, USDT and BUSD reserve wallet
			t.Errorf("got %d labels from the Binance pack, want 4", fromPack)
		}
	})
	t.Run("TRXOnTron", func(t *testing.T) {
		got := find(all, chains.Tron, "TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9", chains.CategoryExchange)
		if len(got) != 1 || got[0].Entity != "binance" || got[0].Asset != nil {
			t.Fatalf("TRON Binance wallet: got %+v", got)
		}
	})
	t.Run("TornadoIsSanctionedMixer", func(t *testing.T) {
		// Tornado Cash router, listed in the pack whose source is the
		// Treasury's sanctions page.
		got := find(all, chains.Ethereum, "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b", "")
		cats := map[chains.Category]bool{}
		for _, l := range got {
			cats[l.Category] = true
		}
		if !cats[chains.CategoryMixer] || !cats[chains.CategorySanctioned] {
			t.Fatalf("tornado router categories %v, want mixer and sanctioned", cats)
		}
	})
	t.Run("USDTBlacklistIsFrozen", func(t *testing.T) {
		// Every tag of GraphSense's USDT blacklist is one frozen label
		// about USDT on Ethereum, with its freezing transaction.
		res, err := ParseFile(filepath.Join(dir, "usdt_blacklist.yaml"), FormatTagPack, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Read < 700 || len(res.Bad) != 0 || res.SkippedTotal() != 0 || len(res.Labels) != res.Read {
			t.Fatalf("read %d, bad %v, skipped %v, %d labels; want one label per tag", res.Read, res.Bad, res.Skipped, len(res.Labels))
		}
		for _, l := range res.Labels {
			if l.Category != chains.CategoryFrozen || l.Chain != chains.Ethereum || l.Asset == nil || *l.Asset != chains.USDTEthereum ||
				len(l.Evidence) != 1 || l.Evidence[0].IsZero() || l.Confidence != 90 || l.Date != "2023-02-22" {
				t.Fatalf("label %+v: want frozen USDT on Ethereum with its freezing transaction", l)
			}
		}
		got := find(res.Labels, chains.Ethereum, "0x008fe40574e881e7247b50b991c0cc057d66647f", chains.CategoryFrozen)
		if tx := chains.MustParseTxHash("0x348a042dfedaf64400bf6660fe0ed523b373f172b7914985600d882ac09e0631"); len(got) != 1 || got[0].Evidence[0] != tx {
			t.Fatalf("0x008f…647f: got %+v, want frozen in %s", got, tx)
		}
		if len(find(all, chains.Ethereum, "0x008fe40574e881e7247b50b991c0cc057d66647f", chains.CategoryOther)) != 0 {
			t.Fatal("a blacklisted address is also labelled other")
		}
	})
	t.Run("BitcoinSkipped", func(t *testing.T) {
		for _, l := range all {
			if l.Chain.Family() == chains.FamilyNone {
				t.Fatalf("label on unknown chain %q", l.Chain)
			}
		}
		if skipped < 17000 {
			t.Fatalf("skipped %d, want the ~17k BTC tags and others", skipped)
		}
	})
}

func TestSharedOFACLists(t *testing.T) {
	dir := shareddata.Path(t, "labels", "ofac-sanctioned-0xb10c")
	all, read, skipped, bad := importAll(t, dir, FormatOFAC)
	t.Logf("ofac lists: %d entries read, %d skipped (unsupported chains), %d bad, %d labels\n%s",
		read, skipped, bad, len(all), countsByChainCategory(all))
	if bad != 0 {
		t.Errorf("%d bad entries in the OFAC lists", bad)
	}
	for _, l := range all {
		if l.Category != chains.CategorySanctioned || l.Confidence != 100 || l.Source != OFACSource {
			t.Fatalf("label %+v: want sanctioned, confidence 100, source %q", l, OFACSource)
		}
	}
	t.Run("USDTOnTron", func(t *testing.T) {
		got := find(all, chains.Tron, "TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR", "")
		if len(got) != 2 { // from the .txt and the .json list
			t.Fatalf("got %d labels, want 2: %+v", len(got), got)
		}
		for _, l := range got {
			if l.Asset == nil || *l.Asset != chains.USDTTron {
				t.Errorf("asset %v, want USDT on TRON", l.Asset)
			}
		}
	})
	t.Run("USDTOnEthereum", func(t *testing.T) {
		got := find(all, chains.Ethereum, "0x175d44451403Edf28469dF03A9280c1197ADb92c", "")
		var usdt int
		for _, l := range got {
			if l.Asset != nil && *l.Asset == chains.USDTEthereum {
				usdt++
			}
		}
		if usdt != 2 {
			t.Fatalf("got %d USDT-on-Ethereum labels, want 2: %+v", usdt, got)
		}
	})
	t.Run("TRX", func(t *testing.T) {
		got := find(all, chains.Tron, "TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre", "")
		if len(got) != 2 || got[0].Asset != nil {
			t.Fatalf("TRX list entry: got %+v", got)
		}
	})
	t.Run("BitcoinSkipped", func(t *testing.T) {
		if skipped < 2*435 {
			t.Fatalf("skipped %d, want at least the 435 XBT addresses of each list", skipped)
		}
	})
}
