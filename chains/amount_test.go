package chains

import (
	"math/big"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	max := "115792089237316195423570985008687907853269984665640564039457584007913129639935"
	for _, tc := range []struct{ in, want, err string }{
		{"0", "0", ""},
		{"1500000", "1500000", ""},
		{" 007 ", "7", ""},
		{max, max, ""},
		{max[:len(max)-1] + "6", "", "exceeds 2^256-1"},
		{"-1", "", "want decimal digits only"},
		{"1.5", "", "want decimal digits only"},
		{"1e6", "", "want decimal digits only"},
		{"0x10", "", "want decimal digits only"},
		{"", "", "empty amount"},
	} {
		a, err := ParseAmount(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseAmount(%q) = %s, %v; want an error containing %q", tc.in, a, err, tc.err)
			}
			continue
		}
		if err != nil || a.String() != tc.want {
			t.Errorf("ParseAmount(%q) = %s, %v; want %s", tc.in, a, err, tc.want)
		}
	}
}

func TestAmountArithmetic(t *testing.T) {
	a, b := NewAmount(3000), NewAmount(7000)
	if s := a.Add(b); s.String() != "10000" || a.String() != "3000" || b.String() != "7000" {
		t.Errorf("Add: %s (operands %s, %s)", s, a, b)
	}
	if d, ok := b.Sub(a); !ok || d.String() != "4000" {
		t.Errorf("Sub: %s %v", d, ok)
	}
	if d, ok := a.Sub(b); ok || !d.IsZero() {
		t.Errorf("Sub below zero: %s %v; want 0 false", d, ok)
	}
	if d := a.SubFloor(b); !d.IsZero() {
		t.Errorf("SubFloor: %s", d)
	}
	// The haircut example of the design: 4,000 of 10,000 holding 3,000 taint.
	if got := NewAmount(4000).MulDiv(a, a.Add(b)); got.String() != "1200" {
		t.Errorf("MulDiv = %s, want 1200", got)
	}
	if got := NewAmount(10).MulDiv(NewAmount(1), NewAmount(3)); got.String() != "3" {
		t.Errorf("MulDiv rounds down: got %s, want 3", got)
	}
	if a.Min(b) != a || b.Min(a) != a {
		t.Error("Min")
	}
	var zero Amount
	if !zero.IsZero() || zero.String() != "0" || zero.Cmp(NewAmount(0)) != 0 {
		t.Error("zero value is not 0")
	}
	defer func() {
		if recover() == nil {
			t.Error("MulDiv by zero did not panic")
		}
	}()
	a.MulDiv(a, zero)
}

func TestAmountImmutable(t *testing.T) {
	x := big.NewInt(5)
	a, err := AmountFromBig(x)
	if err != nil {
		t.Fatal(err)
	}
	x.SetInt64(9)
	a.Big().SetInt64(11)
	if a.String() != "5" {
		t.Fatalf("amount changed through its big.Int: %s", a)
	}
	if _, err := AmountFromBig(big.NewInt(-1)); err == nil {
		t.Error("AmountFromBig accepted a negative number")
	}
}

func TestAmountFormat(t *testing.T) {
	for _, tc := range []struct {
		base     string
		decimals uint8
		places   int32
		format   string
		fixed    string
	}{
		{"1500250000", 6, 2, "1500.25", "1,500.25"},
		{"1500259999", 6, 2, "1500.259999", "1,500.25"},
		{"1000000000000000000", 18, 4, "1", "1.0000"},
		{"1", 18, 0, "0.000000000000000001", "0"},
		{"123456789", 0, 0, "123456789", "123,456,789"},
		{"0", 6, 2, "0", "0.00"},
	} {
		a := MustParseAmount(tc.base)
		if got := a.Format(tc.decimals); got != tc.format {
			t.Errorf("%s.Format(%d) = %s, want %s", tc.base, tc.decimals, got, tc.format)
		}
		if got := a.FormatFixed(tc.decimals, tc.places); got != tc.fixed {
			t.Errorf("%s.FormatFixed(%d, %d) = %s, want %s", tc.base, tc.decimals, tc.places, got, tc.fixed)
		}
	}
	if a, err := ParseDisplayAmount("1,500.25", 6); err != nil || a.String() != "1500250000" {
		t.Errorf("ParseDisplayAmount = %s, %v", a, err)
	}
	if _, err := ParseDisplayAmount("1.0000001", 6); err == nil || !strings.Contains(err.Error(), "more than 6 decimals") {
		t.Errorf("too many decimals: %v", err)
	}
	if _, err := ParseDisplayAmount("1e999999999", 6); err == nil {
		t.Errorf("ParseDisplayAmount accepted an exponent")
	}
	if _, err := ParseDisplayAmount("-1", 6); err == nil {
		t.Error("negative display amount accepted")
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "1500000", "115792089237316195423570985008687907853269984665640564039457584007913129639935", "00012", "1.5"} {
		f.Add(s, uint8(6))
	}
	f.Fuzz(func(t *testing.T, s string, decimals uint8) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		out := a.String()
		if b, err := ParseAmount(out); err != nil || b.Cmp(a) != 0 || b.String() != out {
			t.Fatalf("round trip of %q: %s, %v", s, b, err)
		}
		if len(out) > 1 && out[0] == '0' {
			t.Fatalf("String() = %q has a leading zero", out)
		}
		decimals %= 40
		if b, err := ParseDisplayAmount(a.Format(decimals), decimals); err != nil || b.Cmp(a) != 0 {
			t.Fatalf("display round trip of %s at %d decimals: %s → %s, %v", a, decimals, a.Format(decimals), b, err)
		}
		if b, err := ParseDisplayAmount(a.FormatFixed(decimals, int32(decimals)), decimals); err != nil || b.Cmp(a) != 0 {
			t.Fatalf("fixed round trip of %s at %d decimals: %s → %s, %v", a, decimals, a.FormatFixed(decimals, int32(decimals)), b, err)
		}
	})
}
