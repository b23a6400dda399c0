package report

import (
	"errors"
	"strings"
	"testing"

	"freezetrace/chains"
)

// FuzzParseDirectory reads arbitrary recipient directories (the
// --directory file): a bad file is an input error naming it; a good one
// holds only valid entries, and each entry is what Lookup finds under its
// key, its name and each of its aliases.
func FuzzParseDirectory(f *testing.F) {
	entry := "  - key: binance\n    name: Binance\n    legal_name: \"\"\n    kind: exchange\n    aliases: [binance.com, Binance Hot Wallet]\n" +
		"    law_enforcement:\n      portal: https://www.binance.com/en/support/law-enforcement\n      email: \"\"\n      notes: >-\n        Law Enforcement Request System.\n" +
		"    victims:\n      email: help@binance.example\n    asks_for:\n      - copies of official supporting documents\n" +
		"    last_checked: 2025-01-15\n    sources:\n      - https://www.binance.com/en/support/law-enforcement\n"
	f.Add("recipients:\n" + entry)
	f.Add("recipients:\n" + entry + strings.ReplaceAll(entry, "binance", "binance-us"))
	f.Add("recipients:\n" + entry + "  - key: tether\n    name: Tether\n    kind: issuer\n    aliases: [USDT, binance.com]\n")
	f.Add("recipients:\n  - key: Bad Key\n    name: x\n    kind: exchange\n")
	f.Add("recipients:\n  - key: x\n    name: x\n    kind: bank\n")
	f.Add("recipients:\n  - key: x\n    name: x\n    kind: issuer\n    last_checked: 2025-13-01\n    sources: [http://x.example]\n")
	f.Add("recipients: []\n---\nrecipients: []\n")
	f.Add("recipients:\n  - key: x\n    name: x\n    kind: issuer\n    colour: red\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseDirectory("f.yaml", []byte(text))
		if err != nil {
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error %v: want an input error naming f.yaml", err)
			}
			return
		}
		for i := range d.Entries {
			e := &d.Entries[i]
			if !directoryKey.MatchString(e.Key) || strings.TrimSpace(e.Name) == "" || !ValidKind(e.Kind) {
				t.Fatalf("accepted entry %+v", e)
			}
			for _, s := range append(append([]string{}, e.Sources...), e.LawEnforcement.Portal, e.Victims.Portal) {
				if s != "" && !httpsURL(s) {
					t.Fatalf("entry %q: %q is not an https URL", e.Key, s)
				}
			}
			for _, name := range append([]string{e.Key, e.Name}, e.Aliases...) {
				if got, ok := d.Lookup(name); !ok || got != e {
					t.Fatalf("Lookup(%q) = %v, %v; want entry %q", name, got, ok, e.Key)
				}
			}
		}
	})
}
