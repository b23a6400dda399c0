package trace_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace"
)

// randomSwapGraph is a random history of the token and ETH between a few
// addresses, with victim payments of the token and swaps both ways
// through one venue (token for ETH, ETH for the token, each one
// transaction with the pair's Swap event).
func randomSwapGraph(seed uint64) (*mem.Source, []chains.Transfer) {
	rng := rand.New(rand.NewPCG(seed, seed^0x51a9))
	nAddr := 3 + rng.IntN(6)
	P, R := addr(900), addr(901)
	bal := map[chains.AssetID][]uint64{token: make([]uint64, nAddr), eth: make([]uint64, nAddr)}
	var ts, pays []chains.Transfer
	var evs []chains.TxEvent
	block := uint64(10)
	for i := 0; i < 30+rng.IntN(60); i++ {
		block += uint64(1 + rng.IntN(2))
		tx := txh(block*1000 + uint64(i))
		x := rng.IntN(nAddr)
		tok := func(from, to chains.Address, v uint64, pos uint32) chains.Transfer {
			t := xfer(block, from, to, v)
			t.Tx, t.Position = tx, pos
			return t
		}
		coin := func(from, to chains.Address, v uint64, pos uint32) chains.Transfer {
			return native(block, 1, pos, tx, from, to, chains.NewAmount(v))
		}
		switch k := rng.IntN(10); {
		case len(pays) < 3 && (i%5 == 0 || k == 0):
			v := 1 + rng.Uint64N(10_000)
			t := tok(addr(uint32(1000+len(pays))), addr(uint32(x)), v, 0)
			bal[token][x] += v
			pays = append(pays, t)
			ts = append(ts, t)
		case k == 1:
			v := 1 + rng.Uint64N(10_000)
			a := token
			if rng.IntN(2) == 0 {
				a = eth
			}
			from := addr(uint32(2000 + rng.IntN(3)))
			if a == token {
				ts = append(ts, tok(from, addr(uint32(x)), v, 0))
			} else {
				ts = append(ts, coin(from, addr(uint32(x)), v, 0))
			}
			bal[a][x] += v
		case k <= 4 && bal[token][x] > 0: // token for ETH
			v := 1 + rng.Uint64N(bal[token][x])
			got := 1 + rng.Uint64N(3*v+1)
			ts = append(ts, tok(addr(uint32(x)), P, v, 5), coin(R, addr(uint32(x)), got, 2))
			evs = append(evs, chains.TxEvent{Chain: chains.Ethereum, Tx: tx, Block: block, Position: 6, Contract: P, Kind: chains.EventUniswapV2Swap})
			bal[token][x] -= v
			bal[eth][x] += got
		case k <= 6 && bal[eth][x] > 0: // ETH for the token: the received leg sorts first
			v := 1 + rng.Uint64N(bal[eth][x])
			got := 1 + rng.Uint64N(v+1)
			ts = append(ts, coin(addr(uint32(x)), R, v, 0), tok(P, addr(uint32(x)), got, 7))
			evs = append(evs, chains.TxEvent{Chain: chains.Ethereum, Tx: tx, Block: block, Position: 8, Contract: P, Kind: chains.EventUniswapV2Swap})
			bal[eth][x] -= v
			bal[token][x] += got
		default:
			a := token
			if rng.IntN(2) == 0 {
				a = eth
			}
			to := (x + 1 + rng.IntN(nAddr-1)) % nAddr
			v := 1 + rng.Uint64N(bal[a][x]+1) // may exceed the balance: a shortfall
			if a == token {
				ts = append(ts, tok(addr(uint32(x)), addr(uint32(to)), v, 0))
			} else {
				ts = append(ts, coin(addr(uint32(x)), addr(uint32(to)), v, 0))
			}
			bal[a][x] -= min(v, bal[a][x])
			bal[a][to] += v
		}
	}
	src := newSource(ts...)
	src.SetContract(chains.Ethereum, P)
	src.SetContract(chains.Ethereum, R)
	src.AddEvents(evs...)
	return src, pays
}

// TestSwapProperties: over random histories with swaps both ways, under
// every rule, a conversion never creates taint (tainted received ≤
// received, per source the rule's floor), a swap that carried no taint
// converts nothing, trace.json reads back (ReadJSON recomputes every
// conversion and, but for poison, checks that each source's taint is
// conserved in every asset). (The worth of taint in the victims' asset is
// not conserved: a round trip at two rates can gain or lose.)
func TestSwapProperties(t *testing.T) {
	conversions := 0
	for seed := uint64(1); seed <= 150; seed++ {
		src, pays := randomSwapGraph(seed)
		if len(pays) == 0 {
			continue
		}
		for _, rule := range trace.Rules {
			r := run(t, src, nil, txCase(pays...), trace.Options{Rule: rule, MaxDegree: -1})
			for _, c := range r.Conversions {
				conversions++
				got := c.Received[0]
				if got.Tainted.Cmp(got.Amount) > 0 {
					t.Fatalf("seed %d %s: conversion %s made %s tainted of %s received", seed, rule, c.Tx, got.Tainted, got.Amount)
				}
				if c.Sent.Tainted.IsZero() && !got.Tainted.IsZero() {
					t.Fatalf("seed %d %s: conversion %s converted %s with no tainted input", seed, rule, c.Tx, got.Tainted)
				}
				if rule != trace.Poison && got.Amount.MulDiv(c.Sent.Tainted, c.Sent.Amount).Cmp(got.Tainted) < 0 {
					t.Fatalf("seed %d %s: conversion %s: %s tainted received, more than floor(received × tainted sent / sent)", seed, rule, c.Tx, got.Tainted)
				}
			}
			var b bytes.Buffer
			if err := trace.WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			if _, err := trace.ReadJSON(&b); err != nil {
				t.Fatalf("seed %d %s: ReadJSON: %v", seed, rule, err)
			}
		}
	}
	if conversions < 100 {
		t.Fatalf("only %d conversions over all seeds: the generator does not exercise swaps", conversions)
	}
	t.Logf("%d conversions checked", conversions)
}
