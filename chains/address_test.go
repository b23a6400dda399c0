package chains

import (
	"strings"
	"testing"
)

// The test vectors of EIP-55 itself (all caps, all lower, mixed).
var eip55Vectors = []string{
	"0x52908400098527886E0F7030069857D2E4169EE7",
	"0x8617E340B3D01FA5F11F306F4090FD50E238070D",
	"0xde709f2102306220921060314715629080e2fb77",
	"0x27b1fdb04752bbc536007a920d24acb045561c26",
	"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
	"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
	"0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
	"0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
}

func TestEIP55RoundTrip(t *testing.T) {
	for _, v := range eip55Vectors {
		a, err := ParseAddress(v)
		if err != nil {
			t.Fatalf("ParseAddress(%s): %v", v, err)
		}
		if a.Family() != FamilyEVM {
			t.Errorf("%s: family %v, want evm", v, a.Family())
		}
		if got := a.String(); got != v {
			t.Errorf("String() = %s, want %s", got, v)
		}
		if got := a.Hex(); got != strings.ToLower(v) {
			t.Errorf("Hex() = %s, want %s", got, strings.ToLower(v))
		}
		// Any single-case spelling is accepted and shows checksummed.
		for _, s := range []string{strings.ToLower(v), "0x" + strings.ToUpper(v[2:])} {
			b, err := ParseAddress(s)
			if err != nil || b != a {
				t.Errorf("ParseAddress(%s) = %v, %v; want %s", s, b, err, v)
			}
		}
	}
}

func TestTRONRoundTrip(t *testing.T) {
	const b58, hex41 = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "41a614f803b6fd780986a42c78ec9c7f77e6ded13c"
	a, err := ParseAddress(b58)
	if err != nil {
		t.Fatal(err)
	}
	if a.Family() != FamilyTRON || a.String() != b58 {
		t.Fatalf("got %v %s, want tron %s", a.Family(), a, b58)
	}
	if got := a.Hex(); got != "0x"+hex41[2:] {
		t.Fatalf("Hex() = %s, want 0x%s", got, hex41[2:])
	}
	for _, s := range []string{hex41, "0x" + hex41} {
		b, err := ParseAddress(s)
		if err != nil || b != a {
			t.Errorf("ParseAddress(%s) = %v, %v; want %s", s, b, err, b58)
		}
	}
	// TRC-20 logs carry the 20 bytes as 0x-hex; the chain says it is TRON.
	b, err := Tron.ParseAddress("0x" + hex41[2:])
	if err != nil || b != a {
		t.Errorf("Tron.ParseAddress(0x…) = %v, %v; want %s", b, err, b58)
	}
	if a != USDTTron.Contract {
		t.Errorf("USDTTron contract %s, want %s", USDTTron.Contract, b58)
	}
	// Same bytes, other family: not equal, and shown the other way (the
	// EIP-55 form as go-ethereum writes it).
	if e := a.In(FamilyEVM); e == a || e.String() != "0xa614f803B6FD780986A42c78Ec9c7f77e6DeD13C" {
		t.Errorf("In(evm) = %s", e)
	}
}

func TestParseAddressErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "bad EIP-55 checksum"},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe", "want 40 hex digits, got 39"},
		{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAzz", "bad hex"},
		{"5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "not an EVM address"},
		{"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "bad base58check checksum"},
		{"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6", "not a TRON address"},
		{"T0000000000000000000000000000000000", "not a TRON address"},
		{"", "not an EVM address"},
	} {
		_, err := ParseAddress(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseAddress(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
	if _, err := Ethereum.ParseAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"); err == nil {
		t.Error("Ethereum.ParseAddress accepted a TRON address")
	}
	if _, err := Tron.ParseAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed1234"); err == nil {
		t.Error("Tron.ParseAddress accepted 22 bytes")
	}
}

func TestAddressText(t *testing.T) {
	a := MustParseAddress(eip55Vectors[4])
	b, _ := a.MarshalText()
	var c Address
	if err := c.UnmarshalText(b); err != nil || c != a {
		t.Fatalf("text round trip: %v, %v", c, err)
	}
	if err := c.UnmarshalText(nil); err != nil || !c.IsZero() || c.String() != "" {
		t.Fatalf("empty text: %v, %v; want the zero address", c, err)
	}
	if !NewAddress(FamilyEVM, [20]byte{}).IsNull() || NewAddress(FamilyEVM, [20]byte{}).IsZero() {
		t.Error("IsNull/IsZero confused")
	}
	if a.Compare(a) != 0 || a.Compare(a.In(FamilyTRON)) >= 0 {
		t.Error("Compare: want family first")
	}
	if _, err := AddressFromSlice(FamilyEVM, make([]byte, 19)); err == nil {
		t.Error("AddressFromSlice accepted 19 bytes")
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, v := range eip55Vectors {
		f.Add(v)
	}
	f.Add("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	f.Add("41a614f803b6fd780986a42c78ec9c7f77e6ded13c")
	f.Add("0x41a614f803b6fd780986a42c78ec9c7f77e6ded13c")
	f.Add("T")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		if a.Family() != FamilyEVM && a.Family() != FamilyTRON {
			t.Fatalf("ParseAddress(%q): family %v", s, a.Family())
		}
		b, err := ParseAddress(a.String())
		if err != nil || b != a {
			t.Fatalf("ParseAddress(%q) = %s, which parses back as %v, %v", s, a, b, err)
		}
		c, err := a.Family().chain().ParseAddress(a.String())
		if err != nil || c != a {
			t.Fatalf("chain parse of %s: %v, %v", a, c, err)
		}
	})
}

// chain returns a chain of family f, for tests.
func (f Family) chain() Chain {
	if f == FamilyTRON {
		return Tron
	}
	return Ethereum
}
