package screen

import (
	"errors"
	"strings"
	"testing"

	"freezetrace/chains"
)

// The built-in policy scores the documented examples.
func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	for _, c := range []struct {
		cat  chains.Category
		hops int
		want Level
	}{
		{chains.CategorySanctioned, 0, LevelSevere},
		{chains.CategorySanctioned, 1, LevelHigh},
		{chains.CategorySanctioned, 2, LevelMedium},
		{chains.CategorySanctioned, 3, LevelLow},
		{chains.CategoryMixer, 0, LevelHigh},
		{chains.CategoryMixer, 1, LevelMedium},
		{chains.CategoryMixer, 2, LevelLow},
		{chains.CategoryScam, 1, LevelMedium},
		{CategoryCase, 1, LevelMedium},
		{chains.CategoryExchange, 0, LevelNone},
	} {
		if got := p.Level(p.Score(c.cat, c.hops)); got != c.want {
			t.Errorf("%s at %d hops: %s, want %s", c.cat, c.hops, got, c.want)
		}
	}
	if p.Risky(chains.CategoryExchange) || !p.Risky(chains.CategoryFrozen) {
		t.Error("exchange must be no risk, frozen one")
	}
	if got := p.Categories(); got[0] != chains.CategorySanctioned {
		t.Errorf("categories %v: sanctioned first", got)
	}
}

func TestParsePolicy(t *testing.T) {
	ok := "weights: {sanctioned: 100, scam: 50}\ndecay: 0.9\nlevels: {low: 5, medium: 20, high: 60, severe: 95}\n"
	p, err := ParsePolicy(strings.NewReader(ok), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Level(p.Score(chains.CategorySanctioned, 2)) != LevelHigh || p.Source != "p.yaml" {
		t.Errorf("sanctioned at 2 hops under decay 0.9 is 81: want high, got %s", p.Level(p.Score(chains.CategorySanctioned, 2)))
	}
	for _, c := range []struct{ name, text, want string }{
		{"EmptyFile", "", "empty policy"},
		{"UnknownKey", ok + "hops: 3\n", "line 4: unknown key hops (known: weights, decay, levels)"},
		{"UnknownCategory", strings.Replace(ok, "scam", "pirates", 1), `unknown category "pirates"`},
		{"WeightRange", strings.Replace(ok, "100", "101", 1), "want 0–100"},
		{"NoWeights", strings.Replace(ok, "{sanctioned: 100, scam: 50}", "{sanctioned: 0}", 1), "no category has a weight"},
		{"NoDecay", strings.Replace(ok, "decay: 0.9\n", "", 1), "decay: missing"},
		{"DecayRange", strings.Replace(ok, "0.9", "1.5", 1), "at most 1"},
		{"UnknownLevel", strings.Replace(ok, "low:", "lowish:", 1), `"lowish" is not`},
		{"MissingLevel", strings.Replace(ok, "low: 5, ", "", 1), "low missing"},
		{"NotRising", strings.Replace(ok, "medium: 20", "medium: 70", 1), "is not above"},
		{"DuplicateKey", ok + "decay: 0.5\n", "already defined"},
		{"TooLarge", ok + "#" + strings.Repeat("x", MaxPolicySize), "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParsePolicy(strings.NewReader(c.text), "p.yaml")
			var ie *chains.InputError
			if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "p.yaml") {
				t.Errorf("got %v, want an input error naming p.yaml with %q", err, c.want)
			}
		})
	}
}

func TestParseLevelAndDirection(t *testing.T) {
	if l, err := ParseLevel(" HIGH "); err != nil || l != LevelHigh {
		t.Errorf("ParseLevel: %s %v", l, err)
	}
	if _, err := ParseLevel("extreme"); err == nil {
		t.Error("ParseLevel accepted extreme")
	}
	if d, err := ParseDirection("out"); err != nil || d != DirOut {
		t.Errorf("ParseDirection: %s %v", d, err)
	}
	if _, err := ParseDirection("up"); err == nil {
		t.Error("ParseDirection accepted up")
	}
	if LevelUnknown.Rank() >= 0 || LevelSevere.Rank() != 4 {
		t.Error("ranks")
	}
}

// ParsePolicy never panics, and a policy it accepts scores within 0–100
// and has rising levels.
func FuzzParsePolicy(f *testing.F) {
	f.Add(string(DefaultPolicyYAML()))
	f.Add("weights: {sanctioned: 100}\ndecay: 1\nlevels: {low: 1, medium: 2, high: 3, severe: 4}\n")
	f.Add("weights: [1, 2]\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePolicy(strings.NewReader(text), "fuzz.yaml")
		if err != nil {
			return
		}
		prev := 0.0
		for _, l := range Levels[1:] {
			if p.Thresholds[l] <= prev {
				t.Fatalf("levels do not rise: %v", p.Thresholds)
			}
			prev = p.Thresholds[l]
		}
		for _, c := range p.Categories() {
			if s := p.Score(c, 0); s <= 0 || s > 100 {
				t.Fatalf("%s scores %v", c, s)
			}
		}
	})
}
