package chains

import (
	"strings"
	"testing"
)

// FuzzParseAssetID reads "chain:contract" and "chain:native" as --asset
// and case files write them: an id read writes back (String) as text that
// reads as the same id, on a known chain, with a contract of that chain's
// family.
func FuzzParseAssetID(f *testing.F) {
	for _, s := range []string{
		"ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7", "tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", "eth:native",
		"tron:", "bsc:0x55d398326f99059ff775485246999027b3197955", "TRX:TEkxiTehnzSmSe2XqrBj4w32RUN966rdz8",
		"ethereum:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t", " polygon : native", "nochain:native", "ethereum",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseAssetID(s)
		if err != nil {
			return
		}
		if !id.Chain.Valid() || (!id.IsNative() && id.Contract.Family() != id.Chain.Family()) {
			t.Fatalf("ParseAssetID(%q) = %+v", s, id)
		}
		back, err := ParseAssetID(id.String())
		if err != nil || back != id {
			t.Fatalf("ParseAssetID(%q) = %s, which reads back as %+v, %v", s, id, back, err)
		}
	})
}

// FuzzParseDisplayAmount reads amounts in display units ("1,500.25"), as
// exports and case files write them: an amount read is never negative nor
// past uint256, and written with Format at the same decimals it reads
// back as itself.
func FuzzParseDisplayAmount(f *testing.F) {
	for _, s := range []string{"1,500.25", "0.000001", "1500", "00012.50", "-1", "1e6", "1.0000001", ".5", "5.", " 7 ", "1,,0", "+3"} {
		f.Add(s, uint8(6))
	}
	f.Add("0.000000000000000001", uint8(18))
	f.Fuzz(func(t *testing.T, s string, decimals uint8) {
		decimals %= 40
		a, err := ParseDisplayAmount(s, decimals)
		if err != nil {
			return
		}
		if a.Big().Sign() < 0 || a.Big().BitLen() > 256 {
			t.Fatalf("ParseDisplayAmount(%q, %d) = %s, outside uint256", s, decimals, a)
		}
		text := a.Format(decimals)
		if b, err := ParseDisplayAmount(text, decimals); err != nil || b.Cmp(a) != 0 {
			t.Fatalf("ParseDisplayAmount(%q, %d) = %s, written %q, reads back as %s, %v", s, decimals, a, text, b, err)
		}
		if strings.ContainsAny(text, "eE-") {
			t.Fatalf("Format(%d) of %s = %q", decimals, a, text)
		}
	})
}
