package tron

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"

	"freezetrace/chains"
)

// noteAsset remembers token metadata seen in a listing.
func (s *Source) noteAsset(id chains.AssetID, symbol string, decimals int) {
	if decimals < 0 || decimals > 255 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.assets[id]; !ok {
		s.assets[id] = chains.Asset{ID: id, Symbol: symbol, Decimals: uint8(decimals)}
	}
}

// Asset returns an asset's symbol and decimals: TRX for the native coin, for
// a TRC-20 token what the transfer listings said or else what the
// contract's symbol() and decimals() return. ErrNotFound when the contract
// does not answer them.
func (s *Source) Asset(ctx context.Context, id chains.AssetID) (chains.Asset, error) {
	if err := checkChain(id.Chain); err != nil {
		return chains.Asset{}, err
	}
	if id.IsNative() {
		return chains.Tron.Native(), nil
	}
	s.mu.Lock()
	a, ok := s.assets[id]
	s.mu.Unlock()
	if ok {
		return a, nil
	}
	dec, err := s.call(ctx, id.Contract, "decimals()")
	if err != nil {
		return chains.Asset{}, fmt.Errorf("asset %s: decimals: %w", id, err)
	}
	d := new(big.Int).SetBytes(dec)
	if len(dec) == 0 || !d.IsUint64() || d.Uint64() > 255 {
		return chains.Asset{}, fmt.Errorf("asset %s: decimals() gave %x: %w", id, dec, chains.ErrNotFound)
	}
	sym, err := s.call(ctx, id.Contract, "symbol()")
	if err != nil {
		return chains.Asset{}, fmt.Errorf("asset %s: symbol: %w", id, err)
	}
	a = chains.Asset{ID: id, Symbol: abiString(sym), Decimals: uint8(d.Uint64())}
	s.mu.Lock()
	s.assets[id] = a
	s.mu.Unlock()
	return a, nil
}

// call runs a constant (read-only) contract function without arguments and
// returns its raw result. ErrNotFound when the call fails or returns nothing.
func (s *Source) call(ctx context.Context, contract chains.Address, selector string) ([]byte, error) {
	req := map[string]string{
		"owner_address":     hex41(contract),
		"contract_address":  hex41(contract),
		"function_selector": selector,
		"parameter":         "",
	}
	var r constantResp
	if err := s.c.post(ctx, "/wallet/triggerconstantcontract", req, &r); err != nil {
		return nil, err
	}
	if !r.Result.Result || len(r.ConstantResult) == 0 || r.ConstantResult[0] == "" {
		return nil, chains.ErrNotFound
	}
	b, err := hex.DecodeString(r.ConstantResult[0])
	if err != nil {
		return nil, s.c.scrub(fmt.Errorf("bad constant_result %q", snippet([]byte(r.ConstantResult[0]))))
	}
	return b, nil
}

// abiString decodes an ABI-encoded string, or a bytes32 some old tokens
// return, keeping printable UTF-8 only.
func abiString(b []byte) string {
	var raw []byte
	if len(b) >= 64 {
		off := new(big.Int).SetBytes(b[:32])
		// Compared without adding, so that an offset or a length near
		// 2^64 cannot wrap around.
		if off.IsUint64() && off.Uint64() <= uint64(len(b))-32 {
			o := off.Uint64()
			n := new(big.Int).SetBytes(b[o : o+32])
			if n.IsUint64() && n.Uint64() <= uint64(len(b))-o-32 {
				raw = b[o+32 : o+32+n.Uint64()]
			}
		}
	}
	if raw == nil && len(b) == 32 {
		raw = bytes.TrimRight(b, "\x00")
	}
	if !utf8.Valid(raw) {
		return ""
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, string(raw))
}

// IsContract reports whether addr holds a deployed contract.
func (s *Source) IsContract(ctx context.Context, chain chains.Chain, addr chains.Address) (bool, error) {
	if err := checkChain(chain); err != nil {
		return false, err
	}
	var r contractResp
	if err := s.c.post(ctx, "/wallet/getcontract", map[string]string{"value": hex41(addr)}, &r); err != nil {
		return false, fmt.Errorf("contract %s: %w", addr, err)
	}
	return r.Bytecode != "" || r.ContractAddress != "", nil
}

// Balance returns addr's balance of a TRC-20 token at the end of the
// confirmed head this Source answers for (Head, once read), from the
// token's balanceOf on the solidified state (see tokenBalance). TRON nodes
// keep no historical state: any other block, and TRX, give ErrUnsupported
// without a request.
func (s *Source) Balance(ctx context.Context, chain chains.Chain, addr chains.Address, asset chains.AssetID, block uint64) (chains.Amount, error) {
	if err := checkChain(chain); err != nil {
		return chains.Amount{}, err
	}
	if asset.Chain != chains.Tron || asset.IsNative() || addr.Family() != chains.FamilyTRON {
		return chains.Amount{}, fmt.Errorf("tron balance of %s in %s at block %d: %w", addr, asset, block, chains.ErrUnsupported)
	}
	return s.tokenBalance(ctx, addr, asset, block)
}
