package labels

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"freezetrace/chains"
)

const hostile = "<script>alert(1)</script> =HYPERLINK(\"http://evil\",\"x\") \x1b[2J\x07\r\u202e"

func TestTagPackInheritance(t *testing.T) {
	pack := `title: Example pack
creator: tests
confidence: service_data
category: exchange
source: https://example.org/wallets
lastmod: 2022-11-16
actor: examplex
tags:
- address: '0x28c6c06298d514db089934071355e5743bf21d60'
  currency: ETH
  label: example hot wallet
- address: 'TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9'
  currency: USDT
  label: example tron wallet
  confidence: forensic
  lastmod: 2023-08-16 12:18:52.619444
- address: '0x175d44451403Edf28469dF03A9280c1197ADb92c'
  currency: ETH
  actor: bad actor
  abuse: scam
  concepts: [exchange, mixing_service]
  source: https://example.org/other
- address: '1KUUJPkyDhamZXgpsyXqNGc3x1QPXtdhgz'
  currency: BTC
- address: '0xnothex'
  currency: ETH
- address: '0x5a52e96bacdabb82fd05763e25335261b270efcb'
  network: BSC
  currency: BNB
`
	res, err := ParseTagPack(strings.NewReader(pack), "packs/example.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 6 || res.SkippedTotal() != 1 || res.Skipped["BTC"] != 1 || len(res.Bad) != 1 {
		t.Fatalf("read %d skipped %v bad %v", res.Read, res.Skipped, res.Bad)
	}
	if b := res.Bad[0]; b.Line != 25 || b.File != "packs/example.yaml" || !strings.Contains(b.Error(), "packs/example.yaml:25:") {
		t.Errorf("bad entry %v: want packs/example.yaml:25", b)
	}
	if len(res.Labels) != 6 {
		t.Fatalf("got %d labels, want 6: %+v", len(res.Labels), res.Labels)
	}
	eth := res.Labels[0]
	want := chains.Label{
		Chain: chains.Ethereum, Address: chains.MustParseAddress("0x28c6c06298d514db089934071355e5743bf21d60"),
		Entity: "examplex", Category: chains.CategoryExchange, Source: "https://example.org/wallets",
		Date: "2022-11-16", Confidence: 90,
		Note: "file example.yaml; title Example pack; label example hot wallet; category exchange; confidence service_data",
	}
	if !reflect.DeepEqual(eth, want) {
		t.Errorf("inherited tag:\n got %+v\nwant %+v", eth, want)
	}
	tron := res.Labels[1]
	if tron.Chain != chains.Tron || tron.Asset == nil || *tron.Asset != chains.USDTTron || tron.Confidence != 70 || tron.Date != "2023-08-16" {
		t.Errorf("USDT on TRON tag: %+v", tron)
	}
	var cats []chains.Category
	for _, l := range res.Labels[2:5] {
		cats = append(cats, l.Category)
		if l.Entity != "bad actor" || l.Source != "https://example.org/other" {
			t.Errorf("overridden tag: %+v", l)
		}
	}
	if !reflect.DeepEqual(cats, []chains.Category{chains.CategoryExchange, chains.CategoryMixer, chains.CategoryScam}) {
		t.Errorf("concepts and abuse gave %v", cats)
	}
	if bsc := res.Labels[5]; bsc.Chain != chains.BSC || bsc.Asset != nil {
		t.Errorf("network BSC: %+v", bsc)
	}
}

func TestTagPackStrict(t *testing.T) {
	pack := "title: x\ncurrency: ETH\ntags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n- address: nope\n- address: '0x5a52e96bacdabb82fd05763e25335261b270efcb'\n"
	_, err := ParseTagPack(strings.NewReader(pack), "x.yaml", Options{Strict: true})
	var ie *chains.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "x.yaml:5:") {
		t.Fatalf("strict: got %v, want an input error at x.yaml:5", err)
	}
	res, err := ParseTagPack(strings.NewReader(pack), "x.yaml", Options{})
	if err != nil || len(res.Labels) != 2 || len(res.Bad) != 1 {
		t.Fatalf("lenient: %v, %d labels, bad %v", err, len(res.Labels), res.Bad)
	}
}

func TestTagPackMalformed(t *testing.T) {
	for name, in := range map[string]string{
		"Empty":      "",
		"NotMapping": "- a\n- b\n",
		"NoTags":     "title: x\n",
		"TagsScalar": "title: x\ntags: 3\n",
		"BadYAML":    "title: [x\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseTagPack(strings.NewReader(in), "p.yaml", Options{})
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "p.yaml") {
				t.Fatalf("got %v, want an input error naming p.yaml", err)
			}
		})
	}
}

func TestConfidence(t *testing.T) {
	for in, want := range map[string]int{
		"": 50, "ownership": 100, "authority_data": 95, "service_data": 90, "ledger_immanent": 90,
		"forensic": 70, "web_crawl": 50, "untrusted_transaction": 20, "whatever": 50, "75": 75, "400": 100, "-3": 0,
	} {
		if got, _ := Confidence(in); got != want {
			t.Errorf("Confidence(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestOFACList(t *testing.T) {
	txt := "# comment\n0x175d44451403Edf28469dF03A9280c1197ADb92c\n\n1KUUJPkyDhamZXgpsyXqNGc3x1QPXtdhgz\nTEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR\nTEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUX\n"
	res, err := ParseOFACList(strings.NewReader(txt), "lists/sanctioned_addresses_USDT.txt", Options{Date: "2024-02-26"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 4 || res.Skipped["USDT"] != 1 || len(res.Bad) != 1 || res.Bad[0].Line != 6 || len(res.Labels) != 2 {
		t.Fatalf("read %d skipped %v bad %v labels %d", res.Read, res.Skipped, res.Bad, len(res.Labels))
	}
	if l := res.Labels[0]; l.Chain != chains.Ethereum || *l.Asset != chains.USDTEthereum || l.Date != "2024-02-26" ||
		l.Category != chains.CategorySanctioned || l.Note != "file sanctioned_addresses_USDT.txt; Digital Currency Address - USDT" {
		t.Errorf("ethereum entry %+v", l)
	}
	if l := res.Labels[1]; l.Chain != chains.Tron || *l.Asset != chains.USDTTron {
		t.Errorf("tron entry %+v", l)
	}

	eth := "0x175d44451403Edf28469dF03A9280c1197ADb92c\nnot-an-address\n"
	res, err = ParseOFACList(strings.NewReader(eth), "sanctioned_addresses_ETH.txt", Options{})
	if err != nil || len(res.Bad) != 1 || res.Bad[0].Line != 2 {
		t.Fatalf("bad line: err %v bad %v", err, res.Bad)
	}
	if _, err := ParseOFACList(strings.NewReader(eth), "sanctioned_addresses_ETH.txt", Options{Strict: true}); err == nil {
		t.Fatal("strict mode accepted a bad line")
	}
}

func TestOFACJSON(t *testing.T) {
	js := "[\n  \"TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre\",\n  \"TFdTr9C3BqQrzKBXqSxJfAZFTh8UwBAfSg\",\n  \"0xbad\"\n]\n"
	res, err := ParseOFACList(strings.NewReader(js), "sanctioned_addresses_TRX.json", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Labels) != 2 || res.Labels[0].Chain != chains.Tron || res.Labels[0].Asset != nil {
		t.Fatalf("labels %+v", res.Labels)
	}
	if len(res.Bad) != 1 || res.Bad[0].Line != 4 {
		t.Fatalf("bad %v, want line 4", res.Bad)
	}
	for _, in := range []string{"[1, 2]", "[\"a\"", "{}", "[\"a\"]\n[\"b\"]"} {
		if _, err := ParseOFACList(strings.NewReader(in), "sanctioned_addresses_TRX.json", Options{}); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	if _, err := ParseOFACList(strings.NewReader(js), "addresses.txt", Options{}); err == nil {
		t.Error("a list whose name gives no asset was accepted")
	}
}

func TestSDNXML(t *testing.T) {
	res, err := ParseFile(filepath.Join("testdata", "sdn_advanced_sample.xml"), FormatOFAC, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 5 || res.Skipped["XBT"] != 1 || len(res.Bad) != 1 || len(res.Labels) != 3 {
		t.Fatalf("read %d skipped %v bad %v labels %+v", res.Read, res.Skipped, res.Bad, res.Labels)
	}
	if !strings.Contains(res.Bad[0].Error(), "sdn_advanced_sample.xml:") || !strings.Contains(res.Bad[0].Error(), "90002") {
		t.Errorf("bad entry %v does not name the file and party", res.Bad[0])
	}
	l := res.Labels[0]
	if l.Entity != "EXAMPLE OTC, S.R.O." || l.Chain != chains.Ethereum || l.Date != "2024-02-26" ||
		l.Category != chains.CategorySanctioned || !strings.Contains(l.Note, "FixedRef 90001") {
		t.Errorf("first party: %+v", l)
	}
	if l := res.Labels[1]; l.Chain != chains.Tron || l.Asset == nil || *l.Asset != chains.USDTTron {
		t.Errorf("USDT feature: %+v", l)
	}
	if l := res.Labels[2]; l.Chain != chains.Tron || l.Asset != nil {
		t.Errorf("TRX feature: %+v", l)
	}
	// The name came XML-escaped and is stored as the text it stands for.
	if got := res.Labels[1].Entity; got != `<script>alert(1)</script> =HYPERLINK("http://x")` {
		t.Errorf("entity %q", got)
	}
}

func TestCSV(t *testing.T) {
	in := "chain,address,entity,category,source\n" +
		"ethereum,0x28c6c06298d514db089934071355e5743bf21d60,Binance,exchange,my notes\n" +
		"# a comment\n" +
		"tron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,\"Binance, TRON\",EXCHANGE\n" +
		"tron,0x28c6c06298d514db089934071355e5743bf21d60,x,exchange\n" +
		"dogecoin,D123,x,exchange\n" +
		"ethereum,0x28c6c06298d514db089934071355e5743bf21d60,x,villain\n" +
		"ethereum,0x28c6c06298d514db089934071355e5743bf21d60,x\n"
	res, err := ParseCSV(strings.NewReader(in), "mine.csv", Options{Date: "2026-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 6 || len(res.Labels) != 3 || len(res.Bad) != 3 {
		t.Fatalf("read %d labels %+v bad %v", res.Read, res.Labels, res.Bad)
	}
	if res.Labels[0].Source != "my notes" || res.Labels[1].Source != "file mine.csv" || res.Labels[1].Entity != "Binance, TRON" ||
		res.Labels[1].Date != "2026-01-02" || res.Labels[1].Confidence != 100 {
		t.Errorf("labels %+v", res.Labels)
	}
	// 41-prefixed hex is a TRON address too; the row is valid.
	if res.Labels[2].Chain != chains.Tron {
		t.Errorf("tron hex row: %+v", res.Labels[2])
	}
	for i, line := range []int{6, 7, 8} {
		if res.Bad[i].Line != line {
			t.Errorf("bad[%d] at line %d, want %d (%v)", i, res.Bad[i].Line, line, res.Bad[i])
		}
	}
	// No header: the first row is data.
	res, err = ParseCSV(strings.NewReader("bsc,0x28c6c06298d514db089934071355e5743bf21d60,X,defi\n"), "m.csv", Options{})
	if err != nil || len(res.Labels) != 1 || res.Labels[0].Chain != chains.BSC {
		t.Fatalf("headerless: %v %+v", err, res.Labels)
	}
}

// Label text is data: markup, formula prefixes and control characters come
// back byte for byte from every parser.
func TestUntrustedTextRoundTrips(t *testing.T) {
	t.Run("CSV", func(t *testing.T) {
		in := "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,\"" + strings.ReplaceAll(hostile, `"`, `""`) + "\",scam,\"" +
			strings.ReplaceAll(hostile, `"`, `""`) + "\"\n"
		res, err := ParseCSV(strings.NewReader(in), "h.csv", Options{})
		if err != nil || len(res.Labels) != 1 {
			t.Fatalf("%v %+v %v", err, res.Labels, res.Bad)
		}
		if res.Labels[0].Entity != hostile || res.Labels[0].Source != hostile {
			t.Fatalf("entity %q source %q, want %q", res.Labels[0].Entity, res.Labels[0].Source, hostile)
		}
	})
	t.Run("TagPack", func(t *testing.T) {
		// A YAML double-quoted scalar carries the control characters as escapes.
		q := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\x1b", `\e`, "\x07", `\a`, "\r", `\r`).Replace(hostile)
		pack := "title: t\ncurrency: ETH\nabuse: scam\ntags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n  label: \"" + q + "\"\n"
		res, err := ParseTagPack(strings.NewReader(pack), "h.yaml", Options{})
		if err != nil || len(res.Labels) != 1 {
			t.Fatalf("%v %+v %v", err, res.Labels, res.Bad)
		}
		if res.Labels[0].Entity != hostile {
			t.Fatalf("entity %q, want %q", res.Labels[0].Entity, hostile)
		}
	})
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"b/x.yaml", "a.yml", "b/c/y.YAML", "notes.md", "z.csv"} {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Files([]string{dir, filepath.Join(dir, "z.csv")}, FormatTagPack)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.yml"), filepath.Join(dir, "b/c/y.YAML"), filepath.Join(dir, "b/x.yaml"), filepath.Join(dir, "z.csv")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	var ie *chains.InputError
	if _, err := Files([]string{filepath.Join(dir, "missing")}, FormatCSV); !errors.As(err, &ie) {
		t.Fatalf("missing path: %v, want an input error", err)
	}
}

func TestCSVByteOrderMark(t *testing.T) {
	res, err := ParseCSV(strings.NewReader("\ufeffchain,address,entity,category\ntron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,X,exchange\n"), "bom.csv", Options{})
	if err != nil || len(res.Labels) != 1 || len(res.Bad) != 0 || res.Read != 1 {
		t.Fatalf("%v: labels %+v bad %v read %d", err, res.Labels, res.Bad, res.Read)
	}
}

func TestTagPackAliases(t *testing.T) {
	pack := "title: t\ncategory: &cat exchange\ncurrency: ETH\ntags:\n" +
		"- &first\n  address: '0x28c6c06298d514db089934071355e5743bf21d60'\n  actor: a\n" +
		"- address: '0x5a52e96bacdabb82fd05763e25335261b270efcb'\n  actor: b\n  category: *cat\n" +
		"- *first\n"
	res, err := ParseTagPack(strings.NewReader(pack), "a.yaml", Options{})
	if err != nil || len(res.Labels) != 3 || len(res.Bad) != 0 {
		t.Fatalf("%v: labels %+v bad %v", err, res.Labels, res.Bad)
	}
	if res.Labels[1].Category != chains.CategoryExchange || res.Labels[2].Entity != "a" {
		t.Fatalf("aliases not resolved: %+v", res.Labels)
	}
}
