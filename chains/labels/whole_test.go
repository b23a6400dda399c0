package labels

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"freezetrace/chains"
)

// wantInputError fails unless err is an input error whose message is want.
func wantInputError(t *testing.T, res Result, err error, want string) {
	t.Helper()
	var ie *chains.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("got %v (labels %d, bad %v), want the input error %q", err, len(res.Labels), res.Bad, want)
	}
	if err.Error() != want {
		t.Fatalf("got %q, want %q", err.Error(), want)
	}
}

// csvRows is n valid rows, one exchange label each.
func csvRows(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "ethereum,0x%040x,Exchange %d,exchange\n", i, i)
	}
	return b.String()
}

// An unterminated quote would swallow every row after it: the file fails
// as a whole, naming the line where the quoted field opened.
func TestCSVUnterminatedQuote(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"ThousandRowsAfter", "chain,address,entity,category\n" +
			"ethereum,0x28c6c06298d514db089934071355e5743bf21d60,\"Binance,exchange\n" + csvRows(1000),
			"q.csv:2: unterminated quote"},
		{"LastRowNoNewline", csvRows(3) + "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,\"Binance,exchange",
			"q.csv:4: unterminated quote"},
		{"CRLF", strings.ReplaceAll(csvRows(2), "\n", "\r\n") + "tron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,x,\"scam\r\n" + csvRows(2),
			"q.csv:3: unterminated quote"},
		// The record starts on line 2 with a quoted field that spans two
		// lines and closes; the field that never closes opens on line 3.
		{"AfterClosedMultiline", csvRows(1) + "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,\"Two\nlines\",\"exchange\n" + csvRows(5),
			"q.csv:3: unterminated quote"},
		{"AfterComment", "# my list\n\n" + csvRows(1) + "\"ethereum,0x28c6c06298d514db089934071355e5743bf21d60,x,exchange\n",
			"q.csv:4: unterminated quote"},
		{"EscapedQuotesThenOpen", csvRows(1) + "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,\"say \"\"hi\"\"\n" + csvRows(1),
			"q.csv:2: unterminated quote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				res, err := ParseCSV(strings.NewReader(tc.in), "q.csv", Options{Strict: strict})
				wantInputError(t, res, err, tc.want)
				if len(res.Labels) != 0 {
					t.Fatalf("strict %v: %d labels returned with the error", strict, len(res.Labels))
				}
			}
		})
	}
}

// Quote errors that end at their line stay bad entries: the rows after
// them are read.
func TestCSVQuoteErrorsThatEndAtTheirLine(t *testing.T) {
	for _, tc := range []struct {
		name, row string
	}{
		{"TextAfterClosingQuote", "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,\"Bin\"ance,exchange\n"},
		{"BareQuote", "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,Bin\"ance,exchange\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := csvRows(2) + tc.row + csvRows(3)
			res, err := ParseCSV(strings.NewReader(in), "q.csv", Options{})
			if err != nil || len(res.Labels) != 5 || len(res.Bad) != 1 || res.Bad[0].Line != 3 {
				t.Fatalf("err %v, %d labels, bad %v; want 5 labels and a bad entry on line 3", err, len(res.Labels), res.Bad)
			}
		})
	}
	// A quoted field may hold a line break and close on a later line.
	in := csvRows(1) + "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,\"Two\nlines\",exchange\n" + csvRows(1)
	res, err := ParseCSV(strings.NewReader(in), "q.csv", Options{})
	if err != nil || len(res.Labels) != 3 || res.Labels[1].Entity != "Two\nlines" {
		t.Fatalf("multi-line field: err %v, labels %+v, bad %v", err, res.Labels, res.Bad)
	}
}

// A byte-order mark at the start of a file is ignored in every format.
func TestByteOrderMark(t *testing.T) {
	sdn, err := os.ReadFile(filepath.Join("testdata", "sdn_advanced_sample.xml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		format     Format
		body       string
	}{
		{"CSVHeader", "m.csv", FormatCSV, "chain,address,entity,category\ntron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,X,exchange\n"},
		{"CSVComment", "m.csv", FormatCSV, "# mine\ntron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,X,exchange\n"},
		{"CSVData", "m.csv", FormatCSV, "tron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,X,exchange\n"},
		{"CSVQuoted", "m.csv", FormatCSV, "\"tron\",TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,X,exchange\n"},
		{"OFACText", "sanctioned_addresses_ETH.txt", FormatOFAC, "0x8589427373d6d84e98730d7795d8f6f8731fda16\n0x722122df12d4e14e13ac3b6895a86e84145b6967\n"},
		{"OFACJSON", "sanctioned_addresses_ETH.json", FormatOFAC, "[\"0x8589427373d6d84e98730d7795d8f6f8731fda16\"]\n"},
		{"OFACJSONNamedTxt", "sanctioned_addresses_ETH.txt", FormatOFAC, "[\"0x8589427373d6d84e98730d7795d8f6f8731fda16\"]\n"},
		{"SDNXML", "sdn.xml", FormatOFAC, string(sdn)},
		{"TagPack", "p.yaml", FormatTagPack, "title: t\ncurrency: ETH\ncategory: exchange\ntags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, err := Parse(strings.NewReader(tc.body), tc.file, tc.format, Options{})
			if err != nil || len(plain.Labels) == 0 {
				t.Fatalf("without a mark: %v, %d labels", err, len(plain.Labels))
			}
			marked, err := Parse(strings.NewReader("\ufeff"+tc.body), tc.file, tc.format, Options{})
			if err != nil {
				t.Fatalf("with a mark: %v", err)
			}
			if !reflect.DeepEqual(marked, plain) {
				t.Fatalf("with a mark:\n got %+v\nwant %+v", marked, plain)
			}
		})
	}
}

// A TagPack file is one YAML document, as GraphSense's tagpack-tool loads
// it; a second document fails the file rather than being dropped.
func TestTagPackOneDocument(t *testing.T) {
	const pack = "title: a\ncurrency: ETH\ncategory: exchange\ntags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"SecondPack", pack + "---\ntitle: b\ncurrency: ETH\ncategory: scam\ntags:\n- address: '0x8589427373d6d84e98730d7795d8f6f8731fda16'\n",
			"p.yaml:6: a TagPack holds one document; a second one starts here"},
		{"TrailingSeparator", pack + "\n--- # more to come\n", "p.yaml:7: a TagPack holds one document; a second one starts here"},
		{"AfterDocumentEnd", "---\n" + pack + "...\n---\ntags: []\n", "p.yaml:8: a TagPack holds one document; a second one starts here"},
		{"SecondMalformed", pack + "---\ntitle: [x\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseTagPack(strings.NewReader(tc.in), "p.yaml", Options{})
			if tc.want == "" {
				var ie *chains.InputError
				if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "p.yaml") {
					t.Fatalf("got %v, want an input error naming p.yaml", err)
				}
				return
			}
			wantInputError(t, res, err, tc.want)
		})
	}
	for _, in := range []string{"---\n" + pack, pack + "...\n", "---\n" + pack + "...\n# the end\n"} {
		res, err := ParseTagPack(strings.NewReader(in), "p.yaml", Options{})
		if err != nil || len(res.Labels) != 1 {
			t.Fatalf("%q: %v, %d labels; one document with markers must read", in, err, len(res.Labels))
		}
	}
}

// A key given twice in one mapping fails the file, naming both lines.
func TestTagPackDuplicateKey(t *testing.T) {
	const head = "title: a\ncurrency: ETH\ncategory: exchange\n"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"TagLabel", head + "tags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n  label: one\n  label: two\n",
			`p.yaml:7: duplicate key "label" (first at line 6)`},
		{"Tags", head + "tags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\ntags:\n- address: '0x8589427373d6d84e98730d7795d8f6f8731fda16'\n",
			`p.yaml:6: duplicate key "tags" (first at line 4)`},
		{"Header", head + "category: scam\ntags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n",
			`p.yaml:4: duplicate key "category" (first at line 3)`},
		{"QuotedSameKey", head + "tags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n  \"actor\": one\n  actor: two\n",
			`p.yaml:7: duplicate key "actor" (first at line 6)`},
		{"Nested", head + "tags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n  context: {a: 1, a: 2}\n",
			`p.yaml:6: duplicate key "a" (first at line 6)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				res, err := ParseTagPack(strings.NewReader(tc.in), "p.yaml", Options{Strict: strict})
				wantInputError(t, res, err, tc.want)
			}
		})
	}
	// The same key in two tags, or in the header and a tag, is no duplicate.
	in := head + "tags:\n- address: '0x28c6c06298d514db089934071355e5743bf21d60'\n  category: scam\n- address: '0x8589427373d6d84e98730d7795d8f6f8731fda16'\n  category: scam\n"
	if res, err := ParseTagPack(strings.NewReader(in), "p.yaml", Options{}); err != nil || len(res.Labels) != 2 {
		t.Fatalf("keys repeated across mappings: %v, %d labels", err, len(res.Labels))
	}
}

// maxErrLen bounds every error message about a huge value: the value is
// quoted cut to EchoLimit characters.
const maxErrLen = 300

func TestFieldLimits(t *testing.T) {
	huge := strings.Repeat("A", 1<<20)
	at := func(n int) string { return strings.Repeat("é", n) } // two bytes each: limits count characters
	const addr = "0x28c6c06298d514db089934071355e5743bf21d60"
	cases := []struct {
		name, file string
		format     Format
		body       string
		line       int    // of the bad entry
		want       string // in its error
	}{
		{"CSVEntity", "m.csv", FormatCSV, "ethereum," + addr + "," + huge + ",exchange\n", 1, "entity is 1048576 characters, over the limit of 500: \"AAAA"},
		{"CSVEntity10MB", "m.csv", FormatCSV, "ethereum," + addr + "," + strings.Repeat("A", 10<<20) + ",exchange\n", 1, "entity is 10485760 characters, over the limit of 500: \"AAAA"},
		{"CSVSource", "m.csv", FormatCSV, "ethereum," + addr + ",X,exchange," + huge + "\n", 1, "source is 1048576 characters, over the limit of 2000"},
		{"CSVCategory", "m.csv", FormatCSV, "ethereum," + addr + ",X," + huge + "\n", 1, "category is 1048576 characters, over the limit of 64"},
		{"CSVChain", "m.csv", FormatCSV, huge + "," + addr + ",X,exchange\n", 1, "chain is 1048576 characters, over the limit of 64"},
		{"CSVAddress", "m.csv", FormatCSV, "ethereum,0x" + huge + ",X,exchange\n", 1, "ethereum address is 1048578 characters, over the limit of 80"},
		{"OFACText", "sanctioned_addresses_ETH.txt", FormatOFAC, "# list\n" + huge + "\n", 2, "ethereum address is 1048576 characters"},
		{"OFACJSON", "sanctioned_addresses_TRX.json", FormatOFAC, "[\n\"T" + huge + "\"]", 2, "tron address is 1048577 characters"},
		{"TagPackLabel", "p.yaml", FormatTagPack, "title: t\ncurrency: ETH\ntags:\n- address: '" + addr + "'\n  label: " + huge + "\n", 5, "label is 1048576 characters, over the limit of 500"},
		{"TagPackSource", "p.yaml", FormatTagPack, "title: t\ncurrency: ETH\ntags:\n- address: '" + addr + "'\n  source: " + huge + "\n", 5, "source is 1048576 characters"},
		{"TagPackConcept", "p.yaml", FormatTagPack, "title: t\ncurrency: ETH\ntags:\n- address: '" + addr + "'\n  concepts:\n  - scam\n  - " + huge + "\n", 7, "concepts item is 1048576 characters, over the limit of 64"},
		{"TagPackLastmod", "p.yaml", FormatTagPack, "title: t\ncurrency: ETH\ntags:\n- address: '" + addr + "'\n  lastmod: " + huge + "\n", 5, "lastmod is 1048576 characters, over the limit of 40"},
		{"TagPackAddress", "p.yaml", FormatTagPack, "title: t\ncurrency: TRX\ntags:\n- address: T" + huge + "\n", 4, "tron address is 1048577 characters"},
		{"TagPackNote", "p.yaml", FormatTagPack, "title: " + at(500) + "\ncurrency: ETH\ntags:\n- address: '" + addr + "'\n  label: " + at(500) + "\n  concepts: [" + strings.Repeat(at(60)+",", 60) + "]\n", 4, "note is 4"},
		{"SDNName", "sdn.xml", FormatOFAC, sdnOneParty(huge, "0x2f389ce8bd8ff92de3402ffce4691d17fc4f6535"), 1, "SDN 1 entity is 1048576 characters, over the limit of 500"},
		{"SDNAddress", "sdn.xml", FormatOFAC, sdnOneParty("A", "0x"+huge), 1, "SDN 1 ethereum address is 1048578 characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(tc.body), tc.file, tc.format, Options{})
			if err != nil || len(res.Labels) != 0 || len(res.Bad) != 1 {
				t.Fatalf("err %v, %d labels, bad %v: want one bad entry", err, len(res.Labels), res.Bad)
			}
			b := res.Bad[0]
			msg := b.Error()
			if b.Line != tc.line || !strings.HasPrefix(msg, fmt.Sprintf("%s:%d: ", tc.file, tc.line)) || !strings.Contains(msg, tc.want) {
				t.Fatalf("bad entry %.300q: want %s:%d and %q", msg, tc.file, tc.line, tc.want)
			}
			if n := utf8.RuneCountInString(msg); n > maxErrLen {
				t.Fatalf("error is %d characters long: %.400q", n, msg)
			}
			_, err = Parse(strings.NewReader(tc.body), tc.file, tc.format, Options{Strict: true})
			var ie *chains.InputError
			if !errors.As(err, &ie) || err.Error() != msg {
				t.Fatalf("strict: got %.300v, want the input error %.300q", err, msg)
			}
		})
	}
	t.Run("TagPackHeader", func(t *testing.T) {
		in := "title: " + huge + "\ncurrency: ETH\ntags:\n- address: '" + addr + "'\n"
		res, err := ParseTagPack(strings.NewReader(in), "p.yaml", Options{})
		var ie *chains.InputError
		if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "p.yaml:1: header title is 1048576 characters, over the limit of 500") ||
			utf8.RuneCountInString(err.Error()) > maxErrLen || len(res.Labels) != 0 {
			t.Fatalf("got %.300v, %d labels; want an input error at p.yaml:1", err, len(res.Labels))
		}
	})
	t.Run("SourceOption", func(t *testing.T) {
		for _, f := range []Format{FormatCSV, FormatTagPack, FormatOFAC} {
			_, err := Parse(strings.NewReader(""), "sanctioned_addresses_ETH.txt", f, Options{Source: huge})
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), "source option is 1048576 characters") || len(err.Error()) > maxErrLen {
				t.Fatalf("%s: got %.300v", f, err)
			}
		}
	})
	t.Run("AtTheLimits", func(t *testing.T) {
		src := at(MaxSource)
		in := "ethereum," + addr + "," + at(MaxEntity) + ",exchange," + src + "\n"
		res, err := ParseCSV(strings.NewReader(in), "m.csv", Options{})
		if err != nil || len(res.Labels) != 1 || len(res.Bad) != 0 || res.Labels[0].Source != src {
			t.Fatalf("values at the limits: %v, %d labels, bad %.300v", err, len(res.Labels), res.Bad)
		}
		pack := "title: " + at(MaxTitle) + "\ncurrency: ETH\ntags:\n- address: '" + addr + "'\n  label: " + at(MaxEntity) + "\n  lastmod: " + at(MaxDate) + "\n"
		res, err = ParseTagPack(strings.NewReader(pack), "p.yaml", Options{})
		if err != nil || len(res.Labels) != 1 || len(res.Bad) != 0 {
			t.Fatalf("tagpack values at the limits: %v, %d labels, bad %.300v", err, len(res.Labels), res.Bad)
		}
	})
	// Entries of chains freezetrace does not trace are skipped, however
	// long their addresses.
	t.Run("SkippedNotBounded", func(t *testing.T) {
		pack := "title: t\ncurrency: ADA\ntags:\n- address: addr1" + strings.Repeat("q", 200) + "\n"
		res, err := ParseTagPack(strings.NewReader(pack), "p.yaml", Options{})
		if err != nil || res.Skipped["ADA"] != 1 || len(res.Bad) != 0 {
			t.Fatalf("%v, skipped %v, bad %v", err, res.Skipped, res.Bad)
		}
	})
}

// sdnOneParty is a one-party SDN advanced XML document with one Ethereum
// address, on a single line.
func sdnOneParty(name, addr string) string {
	return `<Sanctions><FeatureType ID="345">Digital Currency Address - ETH</FeatureType>` +
		`<DistinctParty FixedRef="1"><Profile><Identity><Alias Primary="true"><DocumentedName><DocumentedNamePart><NamePartValue>` + name +
		`</NamePartValue></DocumentedNamePart></DocumentedName></Alias></Identity><Feature FeatureTypeID="345"><FeatureVersion>` +
		`<VersionDetail>` + addr + `</VersionDetail></FeatureVersion></Feature></Profile></DistinctParty></Sanctions>`
}

// Decoder errors quote the input (an XML element name); they are cut.
func TestDecoderErrorsAreCut(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	for _, tc := range []struct{ file, body string }{
		{"sdn.xml", "<Sanctions><" + huge + "></Sanctions>"},
		{"p.yaml", "title: x\n" + huge + ": [\n"},
	} {
		_, err := Parse(strings.NewReader(tc.body), tc.file, map[bool]Format{true: FormatOFAC, false: FormatTagPack}[strings.HasSuffix(tc.file, ".xml")], Options{})
		var ie *chains.InputError
		if !errors.As(err, &ie) || utf8.RuneCountInString(err.Error()) > maxErrLen {
			t.Fatalf("%s: got %.300v (%d characters), want a short input error", tc.file, err, len(fmt.Sprint(err)))
		}
	}
}
