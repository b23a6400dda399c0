package evmlog

import (
	"fmt"
	"math/big"
	"strings"

	"freezetrace/chains"
)

// maxMemo is the most bytes of a THORChain memo read; THORChain's own
// limits are far below it.
const maxMemo = 256

// thorDeposit reads a THORChain router deposit's memo (the ABI string
// after the amount) and, for a swap, its destination. The memo itself goes
// into no field.
func thorDeposit(l Log, ev *chains.TxEvent) string {
	memo, ok, note := readABIString(l.Data, 1)
	if ok {
		ev.DestChain, ev.Recipient = ParseThorMemo(memo)
	}
	if note != "" {
		return "THORChain memo: " + note
	}
	return ""
}

// readABIString reads the ABI-encoded string whose offset is data word i, at
// most maxMemo bytes of it, without trusting the offset or the length. ok
// is false when there is no such string; note says why, or that the
// string was cut.
func readABIString(data []byte, i int) (s string, ok bool, note string) {
	off := new(big.Int).SetBytes(word(data, i))
	if !off.IsUint64() || off.Uint64() > uint64(len(data)) || uint64(len(data))-off.Uint64() < 32 {
		return "", false, fmt.Sprintf("string offset %s outside %d data bytes", off, len(data))
	}
	start := int(off.Uint64()) + 32
	n := new(big.Int).SetBytes(data[start-32 : start])
	if !n.IsUint64() || n.Uint64() > uint64(len(data)-start) {
		return "", false, fmt.Sprintf("string length %s past the %d data bytes", n, len(data))
	}
	b := data[start : start+int(n.Uint64())]
	if len(b) > maxMemo {
		return string(b[:maxMemo]), true, fmt.Sprintf("memo of %d bytes cut to %d", len(b), maxMemo)
	}
	return string(b), true, ""
}

// thorShortAssets are THORChain's one-letter asset names and their chains
// (dev.thorchain.org, "Memo Length Reduction").
var thorShortAssets = map[string]string{
	"a": "AVAX", "b": "BTC", "c": "BCH", "d": "DOGE", "e": "ETH", "g": "GAIA", "l": "LTC", "n": "BNB", "r": "THOR", "s": "BSC",
}

// ParseThorMemo reads the destination of a THORChain swap memo,
// SWAP:ASSET:DESTADDR[:LIM[:AFFILIATE:FEE]] (SWAP also written "s" or
// "="): the chain of ASSET (the part before ".", "/" or "~", or the chain
// of a one-letter asset name) and DESTADDR. Both are empty for any other
// memo, and each is empty when it holds characters no chain name or
// address (or THORName) has.
func ParseThorMemo(memo string) (destChain, recipient string) {
	if len(memo) > maxMemo {
		memo = memo[:maxMemo]
	}
	parts := strings.Split(memo, ":")
	if len(parts) < 2 {
		return "", ""
	}
	switch strings.ToUpper(strings.TrimSpace(parts[0])) {
	case "SWAP", "S", "=":
	default:
		return "", ""
	}
	asset := strings.TrimSpace(parts[1])
	if i := strings.IndexAny(asset, "./~"); i >= 0 {
		destChain = strings.ToUpper(asset[:i])
	} else {
		destChain = thorShortAssets[strings.ToLower(asset)]
	}
	if !plain(destChain, 16, false) {
		destChain = ""
	}
	if len(parts) > 2 {
		recipient = strings.TrimSpace(parts[2])
	}
	if !plain(recipient, 128, true) {
		recipient = ""
	}
	return destChain, recipient
}

// plain reports whether s is 1 to max ASCII letters and digits (and, with
// punct, ".", "_" and "-", which THORNames may hold).
func plain(s string, max int, punct bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case punct && (r == '.' || r == '_' || r == '-'):
		default:
			return false
		}
	}
	return true
}
