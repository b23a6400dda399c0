package screen

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"freezetrace/chains"
)

// Level is how risky an address is, from its score under a Policy.
type Level string

// The levels, in rising order, and Unknown: an address the data says
// nothing about (no transfer in the window, no label), which is never
// "none".
const (
	LevelNone    Level = "none"
	LevelLow     Level = "low"
	LevelMedium  Level = "medium"
	LevelHigh    Level = "high"
	LevelSevere  Level = "severe"
	LevelUnknown Level = "unknown"
)

// Levels lists the scored levels in rising order (Unknown is not one).
var Levels = []Level{LevelNone, LevelLow, LevelMedium, LevelHigh, LevelSevere}

// ParseLevel reads a level name (case-insensitive), Unknown included.
func ParseLevel(s string) (Level, error) {
	l := Level(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Levels, l) || l == LevelUnknown {
		return l, nil
	}
	return "", chains.Invalid(fmt.Errorf("unknown level %q (known: none, low, medium, high, severe, unknown)", s))
}

// Rank orders levels: none 0 … severe 4; Unknown ranks -1.
func (l Level) Rank() int { return slices.Index(Levels, l) }

// CategoryCase is the risk category of addresses that held the taint of a
// traced case (Options.Cases).
const CategoryCase chains.Category = "case"

// Policy turns what screening found into a score and a level:
//
//	score = max over every hit of weight(category) × decay^hops
//
// where a direct hit (a label of the address itself) has hops 0, and an
// indirect one the hops of its nearest path. The level is the highest one
// whose threshold the score reaches; a score of 0 is "none".
type Policy struct {
	// Weights are the risk categories and their weight (0–100). A
	// category not listed, or listed with 0, is no risk: its labels are
	// shown but never scored, and screening stops at it like tracing does
	// at a service.
	Weights map[chains.Category]float64 `yaml:"weights" json:"weights"`
	// Decay multiplies the weight for each hop, in (0, 1].
	Decay float64 `yaml:"decay" json:"decay"`
	// Thresholds are the lowest score of each level above none.
	Thresholds map[Level]float64 `yaml:"levels" json:"levels"`
	// Source names where the policy came from: a file, or "built-in".
	Source string `yaml:"-" json:"source"`
}

//go:embed policy.yaml
var defaultPolicy []byte

// DefaultPolicy is the policy used when none is given (policy.yaml, which
// `freezetrace screen --print-policy` prints as a starting point).
func DefaultPolicy() Policy {
	p, err := ParsePolicy(bytes.NewReader(defaultPolicy), "built-in")
	if err != nil {
		panic("screen: the built-in policy does not parse: " + err.Error())
	}
	return p
}

// DefaultPolicyYAML returns the text of the built-in policy.
func DefaultPolicyYAML() []byte { return slices.Clone(defaultPolicy) }

// MaxPolicySize bounds a policy file.
const MaxPolicySize = 64 << 10

// ParsePolicy reads a policy in YAML; name says where it came from and
// begins every error. Unknown keys, categories and levels are errors, as
// are weights outside 0–100, a decay outside (0, 1] and thresholds that do
// not rise with the levels.
func ParsePolicy(r io.Reader, name string) (Policy, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxPolicySize+1))
	if err != nil {
		return Policy{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(b) > MaxPolicySize {
		return Policy{}, chains.Invalid(fmt.Errorf("%s: larger than %d bytes", name, MaxPolicySize))
	}
	var raw struct {
		Weights    map[string]float64 `yaml:"weights" json:"weights"`
		Decay      *float64           `yaml:"decay" json:"decay"`
		Thresholds map[string]float64 `yaml:"levels" json:"levels"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return Policy{}, chains.Invalid(fmt.Errorf("%s: empty policy", name))
		}
		return Policy{}, chains.Invalid(fmt.Errorf("%s: %s", name, yamlMessage(err)))
	}
	p := Policy{Weights: map[chains.Category]float64{}, Thresholds: map[Level]float64{}, Source: name}
	bad := func(format string, a ...any) (Policy, error) {
		return Policy{}, chains.Invalid(fmt.Errorf("%s: "+format, append([]any{name}, a...)...))
	}
	for k, w := range raw.Weights {
		c := chains.Category(strings.ToLower(k))
		if c != CategoryCase {
			var err error
			if c, err = chains.ParseCategory(k); err != nil {
				return bad("weights: %v (or %q)", err, CategoryCase)
			}
		}
		if math.IsNaN(w) || w < 0 || w > 100 {
			return bad("weights: %s is %v, want 0–100", k, w)
		}
		if w > 0 {
			p.Weights[c] = w
		}
	}
	if len(p.Weights) == 0 {
		return bad("weights: no category has a weight above 0")
	}
	if raw.Decay == nil {
		return bad("decay: missing (the factor applied for each hop, e.g. 0.5)")
	}
	if d := *raw.Decay; math.IsNaN(d) || d <= 0 || d > 1 {
		return bad("decay is %v, want more than 0 and at most 1", d)
	}
	p.Decay = *raw.Decay
	for k, v := range raw.Thresholds {
		l := Level(strings.ToLower(k))
		if l.Rank() <= 0 {
			return bad("levels: %q is not low, medium, high or severe", k)
		}
		if math.IsNaN(v) || v <= 0 || v > 100 {
			return bad("levels: %s is %v, want more than 0 and at most 100", k, v)
		}
		p.Thresholds[l] = v
	}
	prev, prevName := 0.0, ""
	for _, l := range Levels[1:] {
		v, ok := p.Thresholds[l]
		if !ok {
			return bad("levels: %s missing", l)
		}
		if v <= prev {
			return bad("levels: %s (%v) is not above %s (%v)", l, v, prevName, prev)
		}
		prev, prevName = v, string(l)
	}
	return p, nil
}

// unknownField is how yaml.v3 reports a key KnownFields refuses.
var unknownField = regexp.MustCompile(`field (\S+) not found in type .*`)

// yamlMessage is a yaml error without the library's prefix and Go type
// names: "line 4: unknown key colour (known: weights, decay, levels)".
func yamlMessage(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:\n  ")
	return unknownField.ReplaceAllString(s, "unknown key $1 (known: weights, decay, levels)")
}

// Risky reports whether category c has a weight.
func (p Policy) Risky(c chains.Category) bool { return p.Weights[c] > 0 }

// Score is the score of a hit of category c at hops (0: direct).
func (p Policy) Score(c chains.Category, hops int) float64 {
	return p.Weights[c] * math.Pow(p.Decay, float64(hops))
}

// Level is the level a score reaches.
func (p Policy) Level(score float64) Level {
	out := LevelNone
	for _, l := range Levels[1:] {
		if score >= p.Thresholds[l] {
			out = l
		}
	}
	return out
}

// Categories are the risk categories, sorted by weight (highest first),
// then name.
func (p Policy) Categories() []chains.Category {
	cs := make([]chains.Category, 0, len(p.Weights))
	for c := range p.Weights {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b chains.Category) int {
		if p.Weights[a] != p.Weights[b] {
			if p.Weights[a] > p.Weights[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(string(a), string(b))
	})
	return cs
}
