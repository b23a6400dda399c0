package chains

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"
)

// Amount is a non-negative whole number of an asset's base units (wei, sun,
// the token's smallest unit). The zero value is 0. An Amount is immutable:
// every operation returns a new value and never changes its operands.
type Amount struct{ v *big.Int }

var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// NewAmount returns n base units; n must not be negative.
func NewAmount(n uint64) Amount { return Amount{new(big.Int).SetUint64(n)} }

// AmountFromBig copies b; it returns an error if b is negative.
func AmountFromBig(b *big.Int) (Amount, error) {
	if b == nil {
		return Amount{}, nil
	}
	if b.Sign() < 0 {
		return Amount{}, fmt.Errorf("negative amount %s", b)
	}
	return Amount{new(big.Int).Set(b)}, nil
}

// ParseAmount reads a base-unit integer written in decimal ("1500000"), with
// no sign, point or exponent. Values above 2^256-1 are rejected: no token
// can hold them.
func ParseAmount(s string) (Amount, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Amount{}, fmt.Errorf("empty amount")
	}
	for _, r := range t {
		if r < '0' || r > '9' {
			return Amount{}, fmt.Errorf("not a base-unit amount: %q: want decimal digits only", s)
		}
	}
	v, ok := new(big.Int).SetString(t, 10)
	if !ok {
		return Amount{}, fmt.Errorf("not a base-unit amount: %q", s)
	}
	if v.Cmp(maxUint256) > 0 {
		return Amount{}, fmt.Errorf("amount %q exceeds 2^256-1", s)
	}
	return Amount{v}, nil
}

// ParseDisplayAmount reads an amount written in display units ("1,500.25")
// and returns it in base units for an asset with the given decimals. It fails
// if the value has more fractional digits than the asset.
func ParseDisplayAmount(s string, decimals uint8) (Amount, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if len(t) > 100 || strings.ContainsAny(t, "eE") {
		return Amount{}, fmt.Errorf("not an amount: %q: want digits with an optional decimal point", s)
	}
	d, err := decimal.NewFromString(t)
	if err != nil {
		return Amount{}, fmt.Errorf("not an amount: %q", s)
	}
	if d.Sign() < 0 {
		return Amount{}, fmt.Errorf("negative amount %q", s)
	}
	shifted := d.Shift(int32(decimals))
	if !shifted.Equal(shifted.Truncate(0)) {
		return Amount{}, fmt.Errorf("amount %q has more than %d decimals", s, decimals)
	}
	v := shifted.BigInt()
	if v.Cmp(maxUint256) > 0 {
		return Amount{}, fmt.Errorf("amount %q exceeds 2^256-1", s)
	}
	return Amount{v}, nil
}

// MustParseAmount is ParseAmount for tests; it panics on error.
func MustParseAmount(s string) Amount {
	a, err := ParseAmount(s)
	if err != nil {
		panic(err)
	}
	return a
}

func (a Amount) big() *big.Int {
	if a.v == nil {
		return new(big.Int)
	}
	return a.v
}

// Big returns a copy of the value.
func (a Amount) Big() *big.Int { return new(big.Int).Set(a.big()) }

// Int64 returns the value and true when it fits an int64.
func (a Amount) Int64() (int64, bool) {
	if a.v == nil {
		return 0, true
	}
	if !a.v.IsInt64() {
		return 0, false
	}
	return a.v.Int64(), true
}

// IsZero reports whether a is 0.
func (a Amount) IsZero() bool { return a.v == nil || a.v.Sign() == 0 }

// Cmp compares a and b: -1, 0 or +1.
func (a Amount) Cmp(b Amount) int { return a.big().Cmp(b.big()) }

// Add returns a+b.
func (a Amount) Add(b Amount) Amount { return Amount{new(big.Int).Add(a.big(), b.big())} }

// Sub returns a−b, or 0 and false when b > a.
func (a Amount) Sub(b Amount) (Amount, bool) {
	if a.Cmp(b) < 0 {
		return Amount{}, false
	}
	return Amount{new(big.Int).Sub(a.big(), b.big())}, true
}

// SubFloor returns max(0, a−b).
func (a Amount) SubFloor(b Amount) Amount {
	d, ok := a.Sub(b)
	if !ok {
		return Amount{}
	}
	return d
}

// Min returns the smaller of a and b.
func (a Amount) Min(b Amount) Amount {
	if a.Cmp(b) <= 0 {
		return a
	}
	return b
}

// MulDiv returns floor(a·n/d). It panics if d is 0.
func (a Amount) MulDiv(n, d Amount) Amount {
	if d.IsZero() {
		panic("chains: MulDiv by zero")
	}
	p := new(big.Int).Mul(a.big(), n.big())
	return Amount{p.Quo(p, d.big())}
}

// String returns the base-unit integer in decimal.
func (a Amount) String() string { return a.big().String() }

// Format shows the amount in display units of an asset with the given
// decimals, without trailing zeros ("1500.25").
func (a Amount) Format(decimals uint8) string {
	return decimal.NewFromBigInt(a.big(), 0).Shift(-int32(decimals)).String()
}

// FormatFixed shows the amount in display units with exactly places
// fractional digits, rounded toward zero, and thousands separators
// ("1,500.25").
func (a Amount) FormatFixed(decimals uint8, places int32) string {
	d := decimal.NewFromBigInt(a.big(), 0).Shift(-int32(decimals)).Truncate(places)
	s := d.StringFixed(places)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// FormatExact shows the whole amount in display units with thousands
// separators and at least places fractional digits (fewer when the
// asset has fewer decimals), more where the amount has them: nothing is
// rounded away ("1,500.25", "0.000001").
func (a Amount) FormatExact(decimals uint8, places int32) string {
	s := a.FormatFixed(decimals, int32(decimals))
	places = min(places, int32(decimals))
	intPart, frac, ok := strings.Cut(s, ".")
	if !ok {
		return s
	}
	for int32(len(frac)) > places && strings.HasSuffix(frac, "0") {
		frac = frac[:len(frac)-1]
	}
	if frac == "" {
		return intPart
	}
	return intPart + "." + frac
}

// MarshalText writes the decimal base-unit integer.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads what ParseAmount reads.
func (a *Amount) UnmarshalText(b []byte) error {
	p, err := ParseAmount(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
