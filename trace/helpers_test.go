package trace_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace"
)

var (
	token  = chains.AssetID{Chain: chains.Ethereum, Contract: addr(0xffff)}
	other  = chains.AssetID{Chain: chains.Ethereum, Contract: addr(0xfffe)}
	epoch0 = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
)

// addr returns a deterministic test address.
func addr(n uint32) chains.Address {
	var b [20]byte
	binary.BigEndian.PutUint32(b[16:], n)
	b[0] = 0xaa
	return chains.NewAddress(chains.FamilyEVM, b)
}

func txh(n uint64) chains.TxHash {
	var h chains.TxHash
	binary.BigEndian.PutUint64(h[24:], n)
	h[0] = 0x77
	return h
}

// xfer is a transfer of the test token in block b, its own transaction.
func xfer(b uint64, from, to chains.Address, v uint64) chains.Transfer {
	return chains.Transfer{
		Chain: chains.Ethereum, Tx: txh(b*1000 + 1), Position: 0, Block: b,
		Time: epoch0.Add(time.Duration(b) * 12 * time.Second), From: from, To: to,
		Asset: token, Amount: chains.NewAmount(v),
	}
}

func newSource(ts ...chains.Transfer) *mem.Source {
	s := mem.New(ts...)
	s.AddAsset(chains.Asset{ID: token, Symbol: "TOK", Decimals: 2})
	return s
}

func run(t *testing.T, src chains.Source, attr trace.Attributor, c trace.Case, o trace.Options) *trace.Result {
	t.Helper()
	r, err := trace.Run(context.Background(), src, attr, c, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

func txCase(ts ...chains.Transfer) trace.Case {
	c := trace.Case{Chain: chains.Ethereum, Asset: token}
	for _, t := range ts {
		c.Payments = append(c.Payments, trace.Payment{Tx: t.Tx, Position: t.Position, HasPosition: true})
	}
	return c
}

// amounts maps "kind address" to the endpoint amount.
func amounts(r *trace.Result) map[string]string {
	m := map[string]string{}
	for _, e := range r.Endpoints {
		m[string(e.Kind)+" "+e.Address.String()] = e.Amount.String()
	}
	return m
}
