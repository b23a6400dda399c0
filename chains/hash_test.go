package chains

import (
	"strings"
	"testing"
)

func TestTxHash(t *testing.T) {
	const s = "0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2"
	for _, in := range []string{s, s[2:], strings.ToUpper(s[2:]), " " + s + "\n"} {
		h, err := ParseTxHash(in)
		if err != nil || h.String() != s {
			t.Errorf("ParseTxHash(%q) = %s, %v; want %s", in, h, err, s)
		}
	}
	h := MustParseTxHash(s)
	if Tron.FormatTx(h) != s[2:] || Ethereum.FormatTx(h) != s {
		t.Errorf("FormatTx: tron %s, ethereum %s", Tron.FormatTx(h), Ethereum.FormatTx(h))
	}
	if got := Ethereum.TxURL(h); got != "https://etherscan.io/tx/"+s {
		t.Errorf("TxURL = %s", got)
	}
	var back TxHash
	b, _ := h.MarshalText()
	if err := back.UnmarshalText(b); err != nil || back != h {
		t.Errorf("text round trip: %s, %v", back, err)
	}
	if h.IsZero() || !(TxHash{}).IsZero() {
		t.Error("IsZero")
	}
	for _, tc := range []struct{ in, want string }{
		{s[:65], "want 64 hex digits, got 63"},
		{"0x" + strings.Repeat("zz", 32), "bad hex"},
		{"", "want 64 hex digits, got 0"},
	} {
		if _, err := ParseTxHash(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseTxHash(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func FuzzParseTxHash(f *testing.F) {
	f.Add("0x54f4d2da70b5dbb1b3729b2816621c2d56c02969668fa67fa30b8f7db3b8b5d2")
	f.Add("54F4D2DA70B5DBB1B3729B2816621C2D56C02969668FA67FA30B8F7DB3B8B5D2")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseTxHash(s)
		if err != nil {
			return
		}
		out := h.String()
		if len(out) != 66 || out != strings.ToLower(out) {
			t.Fatalf("String() = %q", out)
		}
		if b, err := ParseTxHash(out); err != nil || b != h {
			t.Fatalf("round trip of %q: %v, %v", s, b, err)
		}
	})
}
