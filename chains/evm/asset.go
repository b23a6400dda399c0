package evm

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"freezetrace/chains"
)

// Selectors of the ERC-20 calls the source makes.
var (
	selSymbol   = []byte{0x95, 0xd8, 0x9b, 0x41}
	selDecimals = []byte{0x31, 0x3c, 0xe5, 0x67}
)

// Asset returns a token's symbol and decimals, asked in one batch of
// eth_call; the native coin's come from the chain table. ErrNotFound when
// the address holds no code or does not answer decimals().
func (s *Source) Asset(ctx context.Context, id chains.AssetID) (chains.Asset, error) {
	if err := s.check(ctx, id.Chain); err != nil {
		return chains.Asset{}, err
	}
	if id.IsNative() {
		return id.Chain.Native(), nil
	}
	var code, sym, dec hexutil.Bytes
	var symErr, decErr error
	elems := []rpc.BatchElem{
		{Method: "eth_getCode", Args: []any{id.Contract.Hex(), "latest"}, Result: &code},
		{Method: "eth_call", Args: []any{callArgs(id.Contract, selSymbol), "latest"}, Result: &sym},
		{Method: "eth_call", Args: []any{callArgs(id.Contract, selDecimals), "latest"}, Result: &dec},
	}
	s.calls.Add(int64(len(elems)))
	if err := s.client.BatchCallContext(ctx, elems); err != nil {
		if ctx.Err() != nil {
			return chains.Asset{}, ctx.Err()
		}
		return chains.Asset{}, scrub(fmt.Errorf("asset %s: %w", id, err), s.url)
	}
	if elems[0].Error != nil {
		return chains.Asset{}, scrub(fmt.Errorf("asset %s: code: %w", id, elems[0].Error), s.url)
	}
	symErr, decErr = elems[1].Error, elems[2].Error
	if len(code) == 0 {
		return chains.Asset{}, fmt.Errorf("asset %s: no contract at that address: %w", id, chains.ErrNotFound)
	}
	if decErr != nil || len(dec) < 32 {
		return chains.Asset{}, fmt.Errorf("asset %s: decimals() gives no answer, not an ERC-20: %w", id, chains.ErrNotFound)
	}
	d, ok := DecodeDecimals(dec)
	if !ok {
		return chains.Asset{}, fmt.Errorf("asset %s: decimals() returned %s", id, hexutil.Encode(dec))
	}
	a := chains.Asset{ID: id, Decimals: d}
	if symErr == nil {
		a.Symbol = DecodeSymbol(sym)
	}
	return a, nil
}

// DecodeDecimals reads a uint8 returned as a 32-byte word.
func DecodeDecimals(b []byte) (uint8, bool) {
	if len(b) < 32 {
		return 0, false
	}
	v := new(big.Int).SetBytes(b[:32])
	if !v.IsUint64() || v.Uint64() > 255 {
		return 0, false
	}
	return uint8(v.Uint64()), true
}

// DecodeSymbol reads what symbol() returned: an ABI string, or a bytes32
// padded with zeros (MKR, early EOS and SAI). Control characters and
// invalid UTF-8 are dropped and at most 64 bytes are read; the result is
// untrusted and for display only. "" when b is neither form.
func DecodeSymbol(b []byte) string {
	var raw []byte
	switch {
	case len(b) >= 64 && new(big.Int).SetBytes(b[:32]).Cmp(big.NewInt(32)) == 0:
		n := new(big.Int).SetBytes(b[32:64])
		if !n.IsUint64() || n.Uint64() > uint64(len(b)-64) {
			return ""
		}
		raw = b[64 : 64+n.Uint64()]
	case len(b) == 32:
		raw = b
	default:
		return ""
	}
	if len(raw) > 64 {
		raw = raw[:64]
	}
	var sb strings.Builder
	for len(raw) > 0 {
		r, size := utf8.DecodeRune(raw)
		raw = raw[size:]
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			continue
		}
		sb.WriteRune(r)
	}
	return strings.TrimSpace(sb.String())
}
