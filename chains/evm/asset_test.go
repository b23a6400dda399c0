package evm

import (
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
)

func abiString(s string) []byte {
	out := common.LeftPadBytes(big.NewInt(32).Bytes(), 32)
	out = append(out, common.LeftPadBytes(big.NewInt(int64(len(s))).Bytes(), 32)...)
	padded := make([]byte, (len(s)+31)/32*32)
	copy(padded, s)
	return append(out, padded...)
}

func TestDecodeSymbol(t *testing.T) {
	b32 := make([]byte, 32)
	copy(b32, "MKR")
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"ABIString", abiString("USDT"), "USDT"},
		{"Bytes32", b32, "MKR"},
		{"ControlCharsDropped", abiString("US\x00D\x1bT"), "USDT"},
		{"LengthPastEnd", append(common.LeftPadBytes([]byte{32}, 32), common.LeftPadBytes([]byte{200}, 32)...), ""},
		{"Empty", nil, ""},
		{"Odd", []byte{1, 2, 3}, ""},
	} {
		if got := DecodeSymbol(c.in); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

// FuzzDecodeSymbol: whatever a contract returns, the symbol is valid UTF-8
// without control characters, at most 64 bytes long, and decoding never
// panics; an ABI-encoded printable string comes back as it was.
func FuzzDecodeSymbol(f *testing.F) {
	f.Add(abiString("USDT"))
	f.Add([]byte("EOS\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := DecodeSymbol(b)
		if !utf8.ValidString(s) || len(s) > 64*utf8.UTFMax {
			t.Fatalf("DecodeSymbol(%x) = %q", b, s)
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("control character in %q", s)
			}
		}
		if printable(string(b)) && len(b) > 0 && len(b) <= 64 {
			if got := DecodeSymbol(abiString(string(b))); got != strings.TrimSpace(string(b)) {
				t.Fatalf("round trip of %q gave %q", b, got)
			}
		}
	})
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// FuzzDecodeTransfer: any log decodes to a transfer only when it is a
// 3-topic, 32-byte Transfer, and the amount is the data's integer.
func FuzzDecodeTransfer(f *testing.F) {
	f.Add(3, make([]byte, 32), uint64(7))
	f.Add(4, make([]byte, 0), uint64(1))
	f.Fuzz(func(t *testing.T, topics int, data []byte, index uint64) {
		if topics < 0 || topics > 5 {
			return
		}
		l := Log{Data: data, Index: hexutil.Uint64(index), BlockNumber: 1}
		for i := range topics {
			h := common.Hash{byte(i + 1)}
			if i == 0 {
				h = TransferTopic
			}
			l.Topics = append(l.Topics, h)
		}
		tr, ok := DecodeTransfer(chains.Ethereum, l)
		want := topics == 3 && len(data) == 32 && index <= 0xffffffff
		if ok != want {
			t.Fatalf("topics %d data %d index %d: ok %v", topics, len(data), index, ok)
		}
		if ok && tr.Amount.Big().Cmp(new(big.Int).SetBytes(data)) != 0 {
			t.Fatalf("amount %s from %x", tr.Amount, data)
		}
	})
}
