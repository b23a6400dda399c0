package labels

import (
	"strings"
	"testing"

	"freezetrace/chains"
)

// checkResult asserts what every parse must give, whatever the input: no
// labels without a chain and address, bad entries with a positive line,
// counts that add up.
func checkResult(t *testing.T, res Result, err error) {
	t.Helper()
	if err != nil {
		return
	}
	for _, l := range res.Labels {
		if !l.Chain.Valid() || l.Address.IsZero() || l.Address.Family() != l.Chain.Family() {
			t.Fatalf("label with bad chain or address: %+v", l)
		}
		if l.Category == "" || l.Confidence < 0 || l.Confidence > 100 || l.Source == "" {
			t.Fatalf("label without category, confidence or source: %+v", l)
		}
		if l.Asset != nil && l.Asset.Chain != l.Chain {
			t.Fatalf("label asset on another chain: %+v", l)
		}
	}
	for _, b := range res.Bad {
		if b.Line < 1 || b.File == "" {
			t.Fatalf("bad entry without place: %v", b)
		}
	}
	if len(res.Bad)+res.SkippedTotal() > res.Read {
		t.Fatalf("read %d < bad %d + skipped %d", res.Read, len(res.Bad), res.SkippedTotal())
	}
}

func FuzzTagPack(f *testing.F) {
	f.Add([]byte("title: x\ncurrency: ETH\ncategory: exchange\ntags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n  label: a\n"))
	f.Add([]byte("tags:\n- address: TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9\n  currency: USDT\n  concepts: [scam]\n"))
	f.Add([]byte("tags: [1, {address: x, network: tron}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseTagPack(strings.NewReader(string(data)), "f.yaml", Options{})
		checkResult(t, res, err)
	})
}

func FuzzOFACList(f *testing.F) {
	f.Add([]byte("0x175d44451403Edf28469dF03A9280c1197ADb92c\nTEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR\n1KUUJ\n"))
	f.Add([]byte("[\"TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre\", \"0x12\"]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseOFACList(strings.NewReader(string(data)), "sanctioned_addresses_USDT.txt", Options{})
		checkResult(t, res, err)
		// Every address that parses comes back as the same 20 bytes.
		for _, l := range res.Labels {
			if !strings.Contains(strings.ToLower(string(data)), strings.ToLower(l.Address.String())) &&
				!strings.Contains(strings.ToLower(string(data)), l.Address.Hex()) {
				t.Fatalf("address %s not in the input", l.Address)
			}
		}
	})
}

func FuzzSDNXML(f *testing.F) {
	// A compact seed: the fuzzer minimizes large ones for too long to
	// explore (the full sample is checked by TestSDNXML).
	f.Add([]byte(`<Sanctions><DateOfIssue><Year>2024</Year><Month>2</Month><Day>26</Day></DateOfIssue>` +
		`<FeatureType ID="345">Digital Currency Address - ETH</FeatureType><FeatureType ID="887">Digital Currency Address - USDT</FeatureType>` +
		`<DistinctParty FixedRef="1"><Profile><Identity><Alias Primary="true"><DocumentedName><DocumentedNamePart><NamePartValue>A &lt;b&gt;</NamePartValue>` +
		`</DocumentedNamePart></DocumentedName></Alias></Identity><Feature FeatureTypeID="345"><FeatureVersion>` +
		`<VersionDetail>0x2f389ce8bd8ff92de3402ffce4691d17fc4f6535</VersionDetail></FeatureVersion></Feature>` +
		`<Feature FeatureTypeID="887"><FeatureVersion><VersionDetail>TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR</VersionDetail></FeatureVersion></Feature>` +
		`</Profile></DistinctParty></Sanctions>`))
	f.Add([]byte("<Sanctions><DistinctParty FixedRef=\"1\"></DistinctParty></Sanctions>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseSDNXML(strings.NewReader(string(data)), "f.xml", Options{})
		checkResult(t, res, err)
	})
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("chain,address,entity,category\nethereum,0x28c6c06298d514db089934071355e5743bf21d60,\"<b>\",scam\n"))
	f.Add([]byte("tron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,=1+1,exchange,src\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseCSV(strings.NewReader(string(data)), "f.csv", Options{})
		checkResult(t, res, err)
		for _, l := range res.Labels {
			if _, perr := chains.ParseCategory(string(l.Category)); perr != nil {
				t.Fatalf("category %q", l.Category)
			}
		}
	})
}
