package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

func TestBuiltinDirectory(t *testing.T) {
	d := BuiltinDirectory()
	if d.Origin != "built-in" {
		t.Errorf("origin = %q, want built-in", d.Origin)
	}
	want := map[string]string{
		"binance": KindExchange, "okx": KindExchange, "coinbase": KindExchange, "kraken": KindExchange,
		"kucoin": KindExchange, "bybit": KindExchange, "htx": KindExchange, "bitget": KindExchange,
		"gate": KindExchange, "tether": KindIssuer, "circle": KindIssuer,
		"fixedfloat": KindInstantExchanger, "changenow": KindInstantExchanger, "sideshift": KindInstantExchanger,
		"exch": KindInstantExchanger, "thorchain": KindBridge, "across": KindBridge, "hop": KindBridge,
	}
	for key, kind := range want {
		e, ok := d.Lookup(key)
		if !ok {
			t.Errorf("no entry %q", key)
			continue
		}
		if e.Key != key || e.Kind != kind {
			t.Errorf("%s: got key %q kind %q, want kind %q", key, e.Key, e.Kind, kind)
		}
		if len(e.Sources) == 0 {
			t.Errorf("%s: no sources", key)
		}
		if _, err := time.Parse(time.DateOnly, e.LastChecked); err != nil {
			t.Errorf("%s: last_checked %q: %v", key, e.LastChecked, err)
		}
	}
	for _, e := range d.Entries {
		if e.LawEnforcement.Portal == "" && e.LawEnforcement.Email == "" && e.LawEnforcement.Notes == "" {
			t.Errorf("%s: law_enforcement neither gives a channel nor says why not", e.Key)
		}
		if e.Victims.Portal == "" && e.Victims.Email == "" && e.Victims.Notes == "" {
			t.Errorf("%s: victims neither gives a channel nor says why not", e.Key)
		}
	}
}

func TestDirectoryLookup(t *testing.T) {
	d := BuiltinDirectory()
	cases := []struct{ entity, want string }{
		{"binance", "binance"},
		{"Binance", "binance"},
		{"  BINANCE  ", "binance"},
		{"binance.com", "binance"},
		{"Binance-com", "binance"},
		{"binance_hot_wallet", "binance"},
		{"Binance Hot  Wallet", "binance"},
		{"OKEx", "okx"},
		{"Huobi Global", "htx"},
		{"USDT", "tether"},
		{"USD Coin", "circle"},
		{"gate.io", "gate"},
		{"Gate", "gate"},
		{"FixedFloat.com", "fixedfloat"},
		{"changenow.io", "changenow"},
		{"SideShift.ai", "sideshift"},
		{"eXch", "exch"},
		{"THORChain", "thorchain"},
		{"Across Protocol", "across"},
		{"Hop", "hop"},
		{"binanc", ""},
		{"", ""},
		{" . ", ""},
	}
	for _, c := range cases {
		e, ok := d.Lookup(c.entity)
		switch {
		case c.want == "" && (ok || e != nil):
			t.Errorf("Lookup(%q) = %v, %v; want nil, false", c.entity, e, ok)
		case c.want != "" && (!ok || e == nil || e.Key != c.want):
			t.Errorf("Lookup(%q) = %v, %v; want %s", c.entity, e, ok, c.want)
		}
	}
}

const okEntry = `recipients:
  - key: examplex
    name: ExampleX
    kind: exchange
    aliases: [examplex.io, Example X Hot Wallet]
    law_enforcement:
      portal: https://examplex.io/le
      email: le@examplex.io
    last_checked: "2026-11-30"
    sources: [https://examplex.io/le]
`

func TestLoadDirectory(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := writeDirectory(t, okEntry+`  - key: binance
    name: Binance (as we know it)
    kind: exchange
    aliases: [bnb exchange]
    law_enforcement:
      email: police-desk@binance.example
    last_checked: "2026-12-02"
    sources: [https://binance.example/le]
`)
		d, err := LoadDirectory(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := path + " + built-in"; d.Origin != want {
			t.Errorf("origin = %q, want %q", d.Origin, want)
		}
		if got, want := len(d.Entries), len(BuiltinDirectory().Entries)+1; got != want {
			t.Errorf("%d entries, want %d", got, want)
		}
		if d.Entries[0].Key != "binance" || d.Entries[len(d.Entries)-1].Key != "examplex" {
			t.Errorf("order: first %q last %q, want binance replaced in place and examplex appended",
				d.Entries[0].Key, d.Entries[len(d.Entries)-1].Key)
		}
		b, ok := d.Lookup("BNB Exchange")
		if !ok || b.LawEnforcement.Email != "police-desk@binance.example" || b.LawEnforcement.Portal != "" {
			t.Errorf("binance = %+v, want the user's entry whole", b)
		}
		if _, ok := d.Lookup("Binance Hot Wallet"); ok {
			t.Error("the replaced entry's built-in alias still resolves")
		}
		if x, ok := d.Lookup("example-x-hot-wallet"); !ok || x.Key != "examplex" {
			t.Errorf("Lookup(example-x-hot-wallet) = %v, %v; want examplex", x, ok)
		}
		if _, ok := d.Lookup("okx"); !ok {
			t.Error("built-in okx is gone")
		}
	})
	t.Run("ErrAliasCollidesWithBuiltin", func(t *testing.T) {
		path := writeDirectory(t, strings.Replace(okEntry, "examplex.io, ", "examplex.io, OKEx, ", 1))
		_, err := LoadDirectory(path)
		wantInvalid(t, err, path+`:5: "OKEx" of entry "examplex" also names entry "okx" (built-in recipients.yaml:`)
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.yaml")
		_, err := LoadDirectory(path)
		wantInvalid(t, err, "directory file "+path)
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("err = %v, want it to wrap os.ErrNotExist", err)
		}
	})
	t.Run("ErrDirectory", func(t *testing.T) {
		dir := t.TempDir()
		_, err := LoadDirectory(dir)
		wantInvalid(t, err, "is a directory, not a file")
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		path := writeDirectory(t, okEntry+"#"+strings.Repeat("x", maxDirectorySize)+"\n")
		_, err := LoadDirectory(path)
		wantInvalid(t, err, path+": the directory file is larger than 1 MiB")
	})
}

func TestParseDirectory(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		d, err := ParseDirectory("dir.yaml", []byte(okEntry))
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Entries) != 1 || d.Origin != "dir.yaml" || d.Entries[0].LawEnforcement.Email != "le@examplex.io" {
			t.Errorf("got %+v", d)
		}
	})
	t.Run("OKEmptyList", func(t *testing.T) {
		d, err := ParseDirectory("dir.yaml", []byte("recipients: []\n"))
		if err != nil || len(d.Entries) != 0 {
			t.Fatalf("got %v, %v; want an empty directory", d, err)
		}
	})
	second := strings.Replace(strings.Replace(okEntry, "examplex", "other", 2), "Example X Hot Wallet", "Other Hot Wallet", 1)
	second = strings.Replace(second, "name: ExampleX", "name: Other", 1)
	twoEntries := okEntry + strings.TrimPrefix(second, "recipients:\n")
	bad := []struct{ name, text, want string }{
		{"ErrUnknownField", strings.Replace(okEntry, "    kind:", "    colour: red\n    kind:", 1), `dir.yaml:4: unknown field "colour"`},
		{"ErrUnknownChannelField", strings.Replace(okEntry, "      email:", "      fax: 1\n      email:", 1), `dir.yaml:8: unknown field "fax"`},
		{"ErrUnknownTopField", "version: 2\n" + okEntry, `dir.yaml:1: unknown field "version"`},
		{"ErrBadKind", strings.Replace(okEntry, "kind: exchange", "kind: bank", 1), `dir.yaml:4: entry "examplex": unknown kind "bank" (want exchange, issuer, instant_exchanger, bridge)`},
		{"ErrKindCase", strings.Replace(okEntry, "kind: exchange", "kind: Bridge", 1), `dir.yaml:4: entry "examplex": unknown kind "Bridge"`},
		{"ErrKindSpelling", strings.Replace(okEntry, "kind: exchange", "kind: instant-exchanger", 1), `dir.yaml:4: entry "examplex": unknown kind "instant-exchanger"`},
		{"ErrNoKey", strings.Replace(okEntry, "key: examplex", "key: ''", 1), "dir.yaml:2: key is required"},
		{"ErrBadKey", strings.Replace(okEntry, "key: examplex", "key: Example_X", 1), `dir.yaml:2: key "Example_X": want lowercase`},
		{"ErrNoName", strings.Replace(okEntry, "name: ExampleX", "name: ' '", 1), `dir.yaml:2: entry "examplex": name is required`},
		{"ErrBadDate", strings.Replace(okEntry, "2026-11-30", "2026-02-30", 1), `dir.yaml:9: entry "examplex": last_checked "2026-02-30" is not a date`},
		{"ErrDateFormat", strings.Replace(okEntry, "2026-11-30", "30/11/2026", 1), `dir.yaml:9: entry "examplex": last_checked "30/11/2026"`},
		{"ErrDuplicateKey", twoEntries + "  - key: examplex\n    name: Again\n    kind: issuer\n", `dir.yaml:20: key "examplex" is already used at line 2`},
		{"ErrAliasCollision", strings.Replace(twoEntries, "Other Hot Wallet", "example_x hot-wallet", 1),
			`dir.yaml:14: "example_x hot-wallet" of entry "other" also names entry "examplex" (dir.yaml:2)`},
		{"ErrNameCollision", strings.Replace(twoEntries, "name: Other", "name: examplex.io", 1),
			`dir.yaml:12: "examplex.io" of entry "other" also names entry "examplex" (dir.yaml:2)`},
		{"ErrHTTPSource", strings.Replace(okEntry, "sources: [https://examplex.io/le]", "sources:\n      - https://examplex.io/a\n      - http://examplex.io/le", 1),
			`dir.yaml:12: entry "examplex": source "http://examplex.io/le" is not an https URL`},
		{"ErrHTTPPortal", strings.Replace(okEntry, "portal: https://", "portal: http://", 1), `dir.yaml:7: entry "examplex": law_enforcement.portal "http://examplex.io/le" is not an https URL`},
		{"ErrEmail", strings.Replace(okEntry, "le@examplex.io", "le@@examplex.io", 1), `dir.yaml:8: entry "examplex": law_enforcement.email "le@@examplex.io" is not an email address`},
		{"ErrEmailNoAt", strings.Replace(okEntry, "le@examplex.io", "le.examplex.io", 1), `dir.yaml:8: entry "examplex": law_enforcement.email`},
		{"ErrEmptyAlias", strings.Replace(okEntry, "[examplex.io, ", "[examplex.io, '', ", 1), `dir.yaml:5: entry "examplex": alias 2 is empty`},
		{"ErrTwoDocuments", okEntry + "---\nrecipients: []\n", "dir.yaml:11: a directory file holds one document"},
		{"ErrNoRecipients", "# nothing here\nrecipients:\n", "dir.yaml:2: recipients is required"},
		{"ErrEmpty", "# only a comment\n", "dir.yaml: the directory file is empty"},
		{"ErrSyntax", "recipients: [\n", "dir.yaml:"},
		{"ErrWrongType", strings.Replace(okEntry, "aliases: [examplex.io, Example X Hot Wallet]", "aliases: {a: 1}", 1), "dir.yaml:5:"},
		{"ErrTooLarge", okEntry + "#" + strings.Repeat("x", maxDirectorySize), "dir.yaml: the directory file is larger than 1 MiB"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDirectory("dir.yaml", []byte(c.text))
			wantInvalid(t, err, c.want)
		})
	}
}

func TestDirectoryKinds(t *testing.T) {
	for _, kind := range []string{KindExchange, KindIssuer, KindInstantExchanger, KindBridge} {
		t.Run(kind, func(t *testing.T) {
			d, err := ParseDirectory("dir.yaml", []byte(strings.Replace(okEntry, "kind: exchange", "kind: "+kind, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Entries[0].Kind; got != kind {
				t.Errorf("kind = %q, want %q", got, kind)
			}
		})
	}
	if got, want := strings.Join(Kinds, ","), "exchange,issuer,instant_exchanger,bridge"; got != want {
		t.Errorf("Kinds = %s, want %s", got, want)
	}
	if ValidKind("") || ValidKind("defi") {
		t.Error("ValidKind accepts a kind that is not one of Kinds")
	}
}

// TestBuiltinDirectoryServiceKinds checks that the entities the shipped
// services list names as instant exchangers and bridges are directory
// entries of that kind, so that a letter finds them.
func TestBuiltinDirectoryServiceKinds(t *testing.T) {
	d := BuiltinDirectory()
	for _, c := range []struct{ entity, kind string }{
		{"FixedFloat", KindInstantExchanger}, {"THORChain", KindBridge}, {"Across", KindBridge}, {"Hop", KindBridge},
	} {
		e, ok := d.Lookup(c.entity)
		if !ok || e.Kind != c.kind {
			t.Errorf("Lookup(%q) = %v, %v; want an entry of kind %s", c.entity, e, ok, c.kind)
		}
	}
}

func writeDirectory(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "recipients.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func wantInvalid(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var ie *chains.InputError
	if !errors.As(err, &ie) {
		t.Errorf("err = %v (%T), want a chains.InputError", err, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
}
