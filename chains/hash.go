package chains

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
)

// TxHash is a 32-byte transaction hash (a TRON transaction id is one too).
type TxHash [32]byte

// ParseTxHash reads 64 hex digits, with or without a 0x prefix.
func ParseTxHash(s string) (TxHash, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		t = t[2:]
	}
	var h TxHash
	if len(t) != 64 {
		return h, fmt.Errorf("not a transaction hash: %q: want 64 hex digits, got %d", s, len(t))
	}
	if _, err := hex.Decode(h[:], []byte(t)); err != nil {
		return h, fmt.Errorf("not a transaction hash: %q: bad hex", s)
	}
	return h, nil
}

// MustParseTxHash is ParseTxHash for tests; it panics on error.
func MustParseTxHash(s string) TxHash {
	h, err := ParseTxHash(s)
	if err != nil {
		panic(err)
	}
	return h
}

// String returns lowercase 0x-prefixed hex. Use Chain.FormatTx to show a
// hash the way a given chain writes it.
func (h TxHash) String() string { return "0x" + hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zero.
func (h TxHash) IsZero() bool { return h == TxHash{} }

// Compare orders hashes bytewise.
func (h TxHash) Compare(o TxHash) int { return bytes.Compare(h[:], o[:]) }

// MarshalText writes String().
func (h TxHash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText reads what ParseTxHash reads.
func (h *TxHash) UnmarshalText(b []byte) error {
	p, err := ParseTxHash(string(b))
	if err != nil {
		return err
	}
	*h = p
	return nil
}
