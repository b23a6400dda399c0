package explorer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
)

// field is a value an explorer may write as a JSON string, a number or null.
type field string

// UnmarshalJSON accepts "123", 123 and null.
func (f *field) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0, string(b) == "null":
		*f = ""
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = field(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %.20s", b)
	}
	*f = field(n.String())
	return nil
}

// row is one record of tokentx, txlist or txlistinternal; each action fills
// the fields it has.
type row struct {
	BlockNumber      field `json:"blockNumber"`
	TimeStamp        field `json:"timeStamp"`
	Hash             field `json:"hash"`
	TransactionIndex field `json:"transactionIndex"`
	From             field `json:"from"`
	To               field `json:"to"`
	Value            field `json:"value"`
	ContractAddress  field `json:"contractAddress"`
	TokenName        field `json:"tokenName"`
	TokenSymbol      field `json:"tokenSymbol"`
	TokenDecimal     field `json:"tokenDecimal"`
	IsError          field `json:"isError"`
	TxReceiptStatus  field `json:"txreceipt_status"`
	TraceID          field `json:"traceId"`
	Type             field `json:"type"`
}

// parseRows reads a list result.
func parseRows(res json.RawMessage) ([]row, error) {
	var rows []row
	if err := json.Unmarshal(res, &rows); err != nil {
		return nil, fmt.Errorf("malformed rows (%s)", shortJSONError(err))
	}
	return rows, nil
}

// kind is what a row stands for.
type kind uint8

const (
	kindToken    kind = iota // a tokentx row
	kindNative               // a txlist row: the transaction's own value
	kindInternal             // a txlistinternal row
)

// maxTxIndex keeps transactionIndex×10,000 + k within a uint32.
const maxTxIndex = (1<<32 - 1) / 10000

// decoded is a row read into a transfer, before positions are set.
type decoded struct {
	t       chains.Transfer
	kind    kind
	traceID string
	skip    bool // a failed transaction or call
}

// decodeRow reads r as a transfer on chain. Failed transactions and calls
// come back with skip set. Token rows get TxIndex from transactionIndex;
// positions are set later (see the package doc).
func decodeRow(chain chains.Chain, k kind, r row) (decoded, error) {
	d := decoded{kind: k, traceID: string(r.TraceID)}
	if r.IsError == "1" || (k == kindNative && r.TxReceiptStatus == "0") {
		d.skip = true
	}
	if k == kindInternal {
		switch strings.ToLower(string(r.Type)) {
		case "delegatecall", "staticcall", "callcode":
			d.skip = true // moves no value of its own
		}
	}
	var err error
	if d.t.Block, err = strconv.ParseUint(string(r.BlockNumber), 10, 64); err != nil {
		return d, fmt.Errorf("blockNumber %q: not a block number", clip(r.BlockNumber))
	}
	ts, err := strconv.ParseInt(string(r.TimeStamp), 10, 64)
	if err != nil || ts < 0 {
		return d, fmt.Errorf("timeStamp %q: not a unix time", clip(r.TimeStamp))
	}
	d.t.Time = time.Unix(ts, 0).UTC()
	if d.t.Tx, err = chains.ParseTxHash(string(r.Hash)); err != nil {
		return d, fmt.Errorf("hash: %w", err)
	}
	if d.t.From, err = chain.ParseAddress(strings.ToLower(string(r.From))); err != nil {
		return d, fmt.Errorf("from: %w", err)
	}
	to := string(r.To)
	if to == "" && k != kindToken {
		to = string(r.ContractAddress) // a contract creation
	}
	if d.t.To, err = chain.ParseAddress(strings.ToLower(to)); err != nil {
		return d, fmt.Errorf("to: %w", err)
	}
	if d.t.Amount, err = chains.ParseAmount(string(r.Value)); err != nil {
		return d, fmt.Errorf("value: %w", err)
	}
	d.t.Chain = chain
	d.t.Asset = chains.NativeAsset(chain)
	if k == kindToken {
		c, err := chain.ParseAddress(strings.ToLower(string(r.ContractAddress)))
		if err != nil {
			return d, fmt.Errorf("contractAddress: %w", err)
		}
		d.t.Asset = chains.AssetID{Chain: chain, Contract: c}
	}
	if k != kindInternal {
		i, err := strconv.ParseUint(string(r.TransactionIndex), 10, 32)
		if err != nil || i > maxTxIndex {
			return d, fmt.Errorf("transactionIndex %q: not a transaction index", clip(r.TransactionIndex))
		}
		d.t.TxIndex = uint32(i)
	}
	return d, nil
}

func clip(f field) string {
	if len(f) > 40 {
		return string(f[:40]) + "…"
	}
	return string(f)
}

// rowAsset reads a token's metadata from a tokentx row.
func rowAsset(chain chains.Chain, r row) (chains.Asset, error) {
	c, err := chain.ParseAddress(strings.ToLower(string(r.ContractAddress)))
	if err != nil {
		return chains.Asset{}, fmt.Errorf("contractAddress: %w", err)
	}
	dec, err := strconv.ParseUint(string(r.TokenDecimal), 10, 8)
	if err != nil {
		return chains.Asset{}, fmt.Errorf("tokenDecimal %q: want 0-255", clip(r.TokenDecimal))
	}
	return chains.Asset{ID: chains.AssetID{Chain: chain, Contract: c}, Symbol: string(r.TokenSymbol), Decimals: uint8(dec)}, nil
}

// tokenPositions sets the explorer-order positions of token transfers given
// in the explorer's order: transactionIndex×10,000 + k, k counting the
// earlier rows of the same transaction.
func tokenPositions(ts []chains.Transfer) error {
	seen := map[chains.TxHash]uint32{}
	for i := range ts {
		k := seen[ts[i].Tx]
		if k >= 10000 {
			return fmt.Errorf("transaction %s has more than 10,000 transfers in one answer", ts[i].Tx)
		}
		seen[ts[i].Tx] = k + 1
		ts[i].Position = ts[i].TxIndex*10000 + k
	}
	return nil
}

// codeBits is how many bits of Position a traceId's code may fill.
const codeBits = 30

// tracePosition is the explorer-order position of an internal transfer:
// 1 + its traceId ("0_1_2", a call path) written with an order-preserving
// prefix code and padded to 30 bits, so that positions sort in depth-first
// call order and never collide with 0, the transaction's own value. Each
// path component c is written as n = c+2 in a code whose length grows with
// n (L−1 ones, a zero, the L−1 low bits of n, L = bit length of n), which
// orders like the numbers and never is all zeros, so a parent sorts before
// its children. Paths too long for 30 bits (very deep or very wide calls)
// go after every other position, ordered by a hash of the traceId.
func tracePosition(traceID string) uint32 {
	var acc uint64
	n := 0
	ok := true
	if traceID != "" {
		for _, part := range strings.Split(traceID, "_") {
			c, err := strconv.ParseUint(part, 10, 32)
			if err != nil {
				ok = false
				break
			}
			v := c + 2
			l := bits.Len64(v)
			code := ((uint64(1)<<(l-1))-1)<<l | v&((uint64(1)<<(l-1))-1)
			n += 2*l - 1
			if n > codeBits {
				ok = false
				break
			}
			acc = acc<<(2*l-1) | code
		}
	}
	if !ok {
		h := fnv.New32a()
		h.Write([]byte(traceID))
		return 1 + 1<<codeBits + h.Sum32()&(1<<codeBits-2)
	}
	return 1 + uint32(acc<<(codeBits-n))
}

// errWindowBlock is a single block with more rows than the result window.
var errWindowBlock = errors.New("one block holds more rows than the explorer's result window")
