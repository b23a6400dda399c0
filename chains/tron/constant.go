package tron

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"freezetrace/chains"
)

// solidityCall is the constant-call endpoint that reads the solidified
// state: the state of the confirmed chain at the moment of the call.
const solidityCall = "/walletsolidity/triggerconstantcontract"

// constantWord calls a view function that takes one address, on the node's
// solidified state, and returns its one 32-byte result word. That state is
// the one at the confirmed head when asked, the head the Source keeps or a
// few blocks newer. It fails, saying what was wrong, when the node refuses
// the call, the call reverts or the answer is not one word, and with
// ErrUnsupported when the node has no such endpoint.
func (s *Source) constantWord(ctx context.Context, contract chains.Address, selector string, arg chains.Address) (w [32]byte, err error) {
	// The node's messages may quote the request, key and all.
	defer func() { err = s.c.scrub(err) }()
	a := arg.Bytes()
	req := map[string]any{
		"owner_address":     contract.String(),
		"contract_address":  contract.String(),
		"function_selector": selector,
		"parameter":         strings.Repeat("0", 24) + hex.EncodeToString(a[:]),
		"visible":           true,
	}
	var r constantResp
	err = s.c.post(ctx, solidityCall, req, &r)
	if unserved(err) {
		return w, fmt.Errorf("call %s: %w: %w", selector, err, chains.ErrUnsupported)
	}
	if err != nil {
		return w, fmt.Errorf("call %s: %w", selector, err)
	}
	switch {
	case r.Error != "":
		return w, fmt.Errorf("call %s: node error: %s", selector, snippet([]byte(r.Error)))
	case !r.Result.Result && r.Result.Code == "" && r.Result.Message == "":
		return w, fmt.Errorf("call %s: malformed answer: no result.result", selector)
	case !r.Result.Result:
		return w, fmt.Errorf("call %s: node refused the call: %s %s", selector, r.Result.Code, nodeText(r.Result.Message))
	case len(r.Transaction.Ret) > 0 && r.Transaction.Ret[0].Ret == "FAILED":
		return w, fmt.Errorf("call %s: the call reverted: %s", selector, revertReason(&r))
	case len(r.ConstantResult) == 0:
		return w, fmt.Errorf("call %s: malformed answer: no constant_result", selector)
	}
	b, err := hex.DecodeString(r.ConstantResult[0])
	if err != nil {
		return w, fmt.Errorf("call %s: malformed answer: constant_result[0] is not hex: %q", selector, snippet([]byte(r.ConstantResult[0])))
	}
	if len(b) != len(w) {
		return w, fmt.Errorf("call %s: malformed answer: constant_result[0] has %d bytes, want one 32-byte word", selector, len(b))
	}
	copy(w[:], b)
	return w, nil
}

// nodeText is a message as java-tron writes it: hex of UTF-8 text without
// visible, the text itself with it.
func nodeText(m string) string {
	if b, err := hex.DecodeString(m); err == nil && len(b) > 0 && utf8.Valid(b) {
		m = string(b)
	}
	return snippet([]byte(m))
}

// revertReason is the Error(string) reason of a reverted call, else the
// node's message.
func revertReason(r *constantResp) string {
	if len(r.ConstantResult) > 0 {
		b, err := hex.DecodeString(r.ConstantResult[0])
		if err == nil && len(b) > 4 && hex.EncodeToString(b[:4]) == "08c379a0" {
			if why := abiString(b[4:]); why != "" {
				return why
			}
		}
	}
	if m := nodeText(r.Result.Message); m != "" {
		return m
	}
	return "no reason given"
}

// tokenBalance is Balance for a TRC-20 token at the head the Source has
// read (and keeps). balanceOf(addr) is read on the solidified state, which
// may be a few blocks past that head; the transfers TronGrid lists for addr
// after the head's time are then undone, so the answer is the balance at
// the end of the head. ErrUnsupported, without a request, for any other
// block and while the head is not read yet (a caller cannot have had it
// from this Source then); also when a whole listing page of transfers
// followed the head (an account too busy to undo cheaply).
func (s *Source) tokenBalance(ctx context.Context, addr chains.Address, token chains.AssetID, block uint64) (chains.Amount, error) {
	s.mu.Lock()
	h := s.head
	s.mu.Unlock()
	if h == nil {
		return chains.Amount{}, fmt.Errorf("tron balance of %s at block %d: TronGrid reads only the newest state, and this source has not read its head yet: %w", addr, block, chains.ErrUnsupported)
	}
	head := h.BlockHeader.RawData.Number
	if block != head {
		return chains.Amount{}, fmt.Errorf("tron balance of %s at block %d: TronGrid reads only the newest state (block %d): %w", addr, block, head, chains.ErrUnsupported)
	}
	w, err := s.constantWord(ctx, token.Contract, "balanceOf(address)", addr)
	if err != nil {
		return chains.Amount{}, fmt.Errorf("tron balance of %s: %w", addr, err)
	}
	bal := new(big.Int).SetBytes(w[:])
	t, err := s.BlockTime(ctx, chains.Tron, head)
	if err != nil {
		return chains.Amount{}, err
	}
	q := url.Values{}
	q.Set("only_confirmed", "true")
	q.Set("limit", strconv.Itoa(s.pageSize))
	q.Set("contract_address", token.Contract.String())
	q.Set("min_timestamp", strconv.FormatInt(t.UnixMilli()+1, 10))
	path := "/v1/accounts/" + addr.String() + "/transactions/trc20"
	var p page[trc20Item]
	if err := s.c.get(ctx, path, q, &p); err != nil {
		return chains.Amount{}, fmt.Errorf("tron balance of %s: transfers after block %d: %w", addr, head, err)
	}
	if !p.Success {
		return chains.Amount{}, s.c.scrub(fmt.Errorf("tron balance of %s: %s: %s", addr, path, cmp.Or(p.Error, "success is false")))
	}
	if len(p.Data) >= s.pageSize {
		return chains.Amount{}, fmt.Errorf("tron balance of %s at block %d: %d or more transfers since: %w", addr, head, len(p.Data), chains.ErrUnsupported)
	}
	for _, it := range p.Data {
		if err := undo(bal, addr, token, it); err != nil {
			return chains.Amount{}, s.c.scrub(fmt.Errorf("tron balance of %s: %s: %w", addr, path, err))
		}
	}
	if bal.Sign() < 0 {
		return chains.Amount{}, fmt.Errorf("tron balance of %s at block %d: undoing the later transfers gives a negative balance: %w", addr, head, chains.ErrUnsupported)
	}
	if bal.BitLen() > 256 {
		return chains.Amount{}, fmt.Errorf("tron balance of %s at block %d: undoing the later transfers gives %s, above 2^256-1: the answers are inconsistent", addr, head, bal)
	}
	return chains.AmountFromBig(bal)
}

// undo takes a listed transfer back out of bal, addr's balance after it.
func undo(bal *big.Int, addr chains.Address, token chains.AssetID, it trc20Item) error {
	if it.Type != "" && it.Type != "Transfer" {
		return nil
	}
	if c, err := chains.Tron.ParseAddress(it.TokenInfo.Address); err != nil || c != token.Contract {
		return nil
	}
	v, err := chains.ParseAmount(it.Value)
	if err != nil {
		return fmt.Errorf("tx %s: %w", it.TransactionID, err)
	}
	from, errF := chains.Tron.ParseAddress(it.From)
	to, errT := chains.Tron.ParseAddress(it.To)
	if err := errors.Join(errF, errT); err != nil {
		return fmt.Errorf("tx %s: %w", it.TransactionID, err)
	}
	if to == addr {
		bal.Sub(bal, v.Big())
	}
	if from == addr {
		bal.Add(bal, v.Big())
	}
	return nil
}
