package trace_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/trace"
)

// freezing is a source whose issuer has frozen the addresses in frozen.
type freezing struct {
	chains.Source
	frozen map[chains.Address]chains.Freeze
	err    error
}

func (f freezing) FreezeStatus(_ context.Context, asset chains.AssetID, addr chains.Address, block, since uint64) (chains.Freeze, error) {
	if f.err != nil {
		return chains.Freeze{}, f.err
	}
	z, ok := f.frozen[addr]
	if !ok {
		return chains.Freeze{Issuer: "Tether", Block: block}, nil
	}
	z.Block = block
	return z, nil
}

// usdtXfer is xfer in USDT, the asset whose issuer can freeze.
func usdtXfer(b uint64, from, to chains.Address, v uint64) chains.Transfer {
	t := xfer(b, from, to, v)
	t.Asset = chains.USDTEthereum
	return t
}

func heldCase(t *testing.T) (*trace.Result, chains.Address, chains.Address) {
	V, S, T := addr(1), addr(2), addr(3)
	pay, split := usdtXfer(10, V, S, 100), usdtXfer(11, S, T, 30)
	src := newSource(pay, split)
	src.AddAsset(chains.Asset{ID: chains.USDTEthereum, Symbol: "USDT", Decimals: 2})
	c := trace.Case{Chain: chains.Ethereum, Asset: chains.USDTEthereum, Payments: []trace.Payment{{Tx: pay.Tx}}}
	r := run(t, src, trace.NewLabelAttributor(src), c, trace.Options{Rule: trace.FIFO})
	return r, S, T
}

func TestHoldingsLiveAfterTheTrace(t *testing.T) {
	r, S, T := heldCase(t)
	X := addr(9)
	// The live source has what happened after the trace's data: S moved
	// 50 on at block 20, and Tether froze T.
	live := newSource(usdtXfer(10, addr(1), S, 100), usdtXfer(11, S, T, 30), usdtXfer(20, S, X, 50))
	live.EnableBalances()
	tx := txh(424242)
	src := freezing{Source: live, frozen: map[chains.Address]chains.Freeze{T: {Frozen: true, Issuer: "Tether", Tx: tx, TxBlock: 25}}}
	hs, err := trace.Holdings(context.Background(), src, r, trace.HoldingOptions{Block: 30, Live: true, Now: epoch0})
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 {
		t.Fatalf("%d holdings, want S and T: %+v", len(hs), hs)
	}
	byAddr := map[chains.Address]trace.Holding{hs[0].Address: hs[0], hs[1].Address: hs[1]}
	s := byAddr[S]
	if s.State() != trace.StatePartial || s.Balance.String() != "20" || s.Traced.String() != "70" || !s.Live || s.Block != 30 {
		t.Errorf("S: state %s balance %v traced %s live %v block %d; want partial 20 of 70 at 30", s.State(), s.Balance, s.Traced, s.Live, s.Block)
	}
	if len(s.Onward) != 1 || s.Onward[0].To != X || s.Onward[0].Amount.String() != "50" || s.LastOut == nil || s.LastOut.Block != 20 {
		t.Errorf("S onward %+v last out %+v; want the 50 to X at block 20", s.Onward, s.LastOut)
	}
	if s.Freeze == nil || s.Freeze.Frozen {
		t.Errorf("S freeze %+v; want read and not frozen", s.Freeze)
	}
	if f := byAddr[T]; f.State() != trace.StateFrozen || f.Freeze.Tx != tx || f.Actionable() {
		t.Errorf("T: state %s freeze %+v; want frozen by tx %s and not actionable", f.State(), f.Freeze, tx)
	}
}

func TestHoldingsOfflineSayAsOf(t *testing.T) {
	r, S, _ := heldCase(t)
	// An offline cache: no balance, no freeze status, no transfers beyond
	// what is stored.
	off := freezing{Source: offlineSource{newSource()}, err: chains.ErrOffline}
	hs, err := trace.Holdings(context.Background(), off, r, trace.HoldingOptions{Block: trace.DataEnd(r)})
	if err != nil {
		t.Fatal(err)
	}
	s := hs[0]
	if s.Address != S || s.Live || s.Block != 11 {
		t.Fatalf("holding %+v; want S, not live, at the end of the data (block 11)", s)
	}
	if s.Balance == nil || s.Balance.String() != "70" || s.State() != trace.StateHolds {
		t.Errorf("balance %v state %s; want 70 from the ledger, holds", s.Balance, s.State())
	}
	if s.Freeze != nil || !strings.Contains(strings.Join(s.Warnings, "|"), "freeze status not read") {
		t.Errorf("freeze %+v warnings %q; want no status and a warning", s.Freeze, s.Warnings)
	}
}

func TestHoldingsFrozenLabel(t *testing.T) {
	r, S, _ := heldCase(t)
	for i := range r.Endpoints {
		if r.Endpoints[i].Address == S {
			r.Endpoints[i].Labels = append(r.Endpoints[i].Labels, chains.Label{Chain: chains.Ethereum, Address: S,
				Category: chains.CategoryFrozen, Source: "usdt_blacklist.yaml"})
		}
	}
	hs, err := trace.Holdings(context.Background(), offlineSource{newSource()}, r, trace.HoldingOptions{Block: 11})
	if err != nil {
		t.Fatal(err)
	}
	if hs[0].State() != trace.StateFrozen || !strings.Contains(hs[0].Freeze.Note, "usdt_blacklist.yaml") {
		t.Errorf("holding %+v; want frozen by the label", hs[0])
	}
}

func TestHoldingsStopOnRealErrors(t *testing.T) {
	r, _, _ := heldCase(t)
	boom := errors.New("connection reset")
	_, err := trace.Holdings(context.Background(), freezing{Source: newSource(), err: boom}, r, trace.HoldingOptions{Block: 11})
	if !errors.Is(err, boom) {
		t.Errorf("err %v; want the source's failure", err)
	}
}

// offlineSource answers nothing but block times and stored transfers.
type offlineSource struct{ chains.Source }

func (offlineSource) Balance(context.Context, chains.Chain, chains.Address, chains.AssetID, uint64) (chains.Amount, error) {
	return chains.Amount{}, chains.ErrOffline
}
