package report

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"

	"freezetrace/chains"
)

// Phone is a telephone number in E.164 form ("+442079460000"). The case
// file may group its digits with spaces, dashes, dots or brackets; any
// other form is an error, because the FAR standard asks for E.164 and a
// recipient must be able to dial it.
type Phone string

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// UnmarshalYAML reads a phone number and normalises it to E.164.
func (p *Phone) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a phone number is text, e.g. \"+44 20 7946 0000\"", n.Line)
	}
	raw := strings.TrimSpace(n.Value)
	if raw == "" {
		*p = ""
		return nil
	}
	v := strings.Map(func(r rune) rune {
		if strings.ContainsRune(" -.()\u00a0", r) {
			return -1
		}
		return r
	}, raw)
	if !e164.MatchString(v) {
		return fmt.Errorf("line %d: phone %q is not an international number in E.164 form (+, country code, number: \"+44 20 7946 0000\")", n.Line, raw)
	}
	*p = Phone(v)
	return nil
}

// Date is a calendar date in UTC, written YYYY-MM-DD.
type Date struct{ time.Time }

// UnmarshalYAML reads a YYYY-MM-DD date.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && strings.TrimSpace(n.Value) == "" {
		d.Time = time.Time{}
		return nil
	}
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(n.Value))
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("line %d: date %q is not YYYY-MM-DD", n.Line, n.Value)
	}
	d.Time = t
	return nil
}

// String is the date as YYYY-MM-DD, or "" for none.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// USD is an amount of US dollars, exact, at most to the cent.
type USD struct{ decimal.Decimal }

// UnmarshalYAML reads a dollar amount: digits with an optional point and
// cents, optionally grouped with commas ("40,000.00").
func (u *USD) UnmarshalYAML(n *yaml.Node) error {
	s := strings.ReplaceAll(strings.TrimSpace(n.Value), ",", "")
	d, err := decimal.NewFromString(s)
	if n.Kind != yaml.ScalarNode || err != nil || d.IsNegative() || d.Exponent() < -2 || len(s) > 20 {
		return fmt.Errorf("line %d: lost_usd %q is not an amount of US dollars (e.g. 40000.00)", n.Line, n.Value)
	}
	u.Decimal = d
	return nil
}

// String shows the amount as "40,000.00 USD".
func (u USD) String() string {
	cents, err := chains.ParseAmount(u.Shift(2).StringFixed(0))
	if err != nil {
		return u.StringFixed(2) + " USD" // not reached: UnmarshalYAML admits no negative amount
	}
	return cents.FormatFixed(2, 2) + " USD"
}
