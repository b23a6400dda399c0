package chains

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/base58"
	"golang.org/x/crypto/sha3"
)

// tronPrefix is the version byte of TRON mainnet addresses.
const tronPrefix = 0x41

// Address is an account or contract address: 20 bytes and the family that
// says how to show them. The zero Address is "no address"; Address values are
// comparable and usable as map keys.
type Address struct {
	fam Family
	b   [20]byte
}

// NewAddress builds an address of family f from its 20 bytes.
func NewAddress(f Family, b [20]byte) Address { return Address{fam: f, b: b} }

// AddressFromSlice builds an address of family f from a 20-byte slice.
func AddressFromSlice(f Family, b []byte) (Address, error) {
	if len(b) != 20 {
		return Address{}, fmt.Errorf("address: want 20 bytes, got %d", len(b))
	}
	var a Address
	a.fam = f
	copy(a.b[:], b)
	return a, nil
}

// ParseAddress parses an address whose family is plain from its form:
// "0x" + 40 hex digits is EVM, "T…" base58check or "41" + 40 hex digits is TRON.
func ParseAddress(s string) (Address, error) {
	t := strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(t, "T"):
		return parseTRON(t)
	case len(t) == 42 && strings.HasPrefix(t, "41"), len(t) == 44 && strings.HasPrefix(t, "0x41"):
		return parseTRON(t)
	}
	return parseEVM(t)
}

// MustParseAddress is ParseAddress for tests and constants; it panics on error.
func MustParseAddress(s string) Address {
	a, err := ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

func parseEVM(s string) (Address, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "0x") && !strings.HasPrefix(t, "0X") {
		return Address{}, fmt.Errorf("not an EVM address: %q: want 0x followed by 40 hex digits", s)
	}
	h := t[2:]
	if len(h) != 40 {
		return Address{}, fmt.Errorf("not an EVM address: %q: want 40 hex digits, got %d", s, len(h))
	}
	var a Address
	if _, err := hex.Decode(a.b[:], []byte(h)); err != nil {
		return Address{}, fmt.Errorf("not an EVM address: %q: bad hex", s)
	}
	a.fam = FamilyEVM
	if h != strings.ToLower(h) && h != strings.ToUpper(h) && a.checksumHex()[2:] != h {
		return Address{}, fmt.Errorf("bad EIP-55 checksum in %q (want %s)", s, a.checksumHex())
	}
	return a, nil
}

func parseTRON(s string) (Address, error) {
	t := strings.TrimSpace(s)
	var a Address
	a.fam = FamilyTRON
	switch {
	case strings.HasPrefix(t, "T"):
		if len(t) != 34 {
			return Address{}, fmt.Errorf("not a TRON address: %q: want 34 base58 characters, got %d", s, len(t))
		}
		payload, version, err := base58.CheckDecode(t)
		if errors.Is(err, base58.ErrChecksum) {
			return Address{}, fmt.Errorf("not a TRON address: %q: bad base58check checksum", s)
		}
		if err != nil {
			return Address{}, fmt.Errorf("not a TRON address: %q: %v", s, err)
		}
		if version != tronPrefix || len(payload) != 20 {
			return Address{}, fmt.Errorf("not a TRON address: %q: wrong version byte 0x%02x", s, version)
		}
		copy(a.b[:], payload)
		return a, nil
	case len(t) == 42 && strings.HasPrefix(t, "41"), len(t) == 44 && strings.HasPrefix(t, "0x41"):
		h := t[len(t)-40:]
		if _, err := hex.Decode(a.b[:], []byte(h)); err != nil {
			return Address{}, fmt.Errorf("not a TRON address: %q: bad hex", s)
		}
		return a, nil
	case len(t) == 42 && (strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X")):
		if _, err := hex.Decode(a.b[:], []byte(t[2:])); err != nil {
			return Address{}, fmt.Errorf("not a TRON address: %q: bad hex", s)
		}
		return a, nil
	}
	return Address{}, fmt.Errorf("not a TRON address: %q: want base58check T… or 41-prefixed hex", s)
}

// Family returns the address family; FamilyNone for the zero Address.
func (a Address) Family() Family { return a.fam }

// Bytes returns the 20 address bytes.
func (a Address) Bytes() [20]byte { return a.b }

// IsZero reports whether a is the zero Address (no family, all zero bytes).
func (a Address) IsZero() bool { return a == Address{} }

// IsNull reports whether the 20 bytes are all zero (the mint/burn address).
func (a Address) IsNull() bool { return a.b == [20]byte{} }

// In returns the same 20 bytes as an address of family f.
func (a Address) In(f Family) Address { return Address{fam: f, b: a.b} }

// Hex returns the lowercase 0x-prefixed hex of the 20 bytes.
func (a Address) Hex() string { return "0x" + hex.EncodeToString(a.b[:]) }

// String shows the address as its chain's users write it: EIP-55 for EVM,
// base58check "T…" for TRON, "" for the zero Address.
func (a Address) String() string {
	switch a.fam {
	case FamilyEVM:
		return a.checksumHex()
	case FamilyTRON:
		return base58.CheckEncode(a.b[:], tronPrefix)
	}
	if a.b == [20]byte{} {
		return ""
	}
	return a.Hex()
}

// Compare orders addresses by family, then bytes.
func (a Address) Compare(b Address) int {
	if a.fam != b.fam {
		if a.fam < b.fam {
			return -1
		}
		return 1
	}
	return bytes.Compare(a.b[:], b.b[:])
}

// MarshalText writes String().
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads what ParseAddress reads; empty text is the zero Address.
func (a *Address) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*a = Address{}
		return nil
	}
	p, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}

// checksumHex is the EIP-55 mixed-case form.
func (a Address) checksumHex() string {
	low := hex.EncodeToString(a.b[:])
	k := sha3.NewLegacyKeccak256()
	k.Write([]byte(low))
	sum := k.Sum(nil)
	out := []byte(low)
	for i := range out {
		if out[i] < 'a' {
			continue
		}
		nib := sum[i/2]
		if i%2 == 0 {
			nib >>= 4
		}
		if nib&0xf >= 8 {
			out[i] -= 'a' - 'A'
		}
	}
	return "0x" + string(out)
}
