package mem_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/mem"
)

func ev(tx chains.TxHash, block uint64, pos uint32, kind chains.EventKind) chains.TxEvent {
	return chains.TxEvent{Chain: chains.Ethereum, Tx: tx, Block: block, Position: pos, Contract: c, Kind: kind}
}

func TestTxEvents(t *testing.T) {
	ctx := context.Background()
	swapTx, plain := tr(4, 0, a, b, 10), tr(6, 0, b, a, 1)
	s := mem.New(swapTx, plain)
	bridgeTx := chains.TxHash{0xbb}
	bridge := ev(bridgeTx, 9, 2, chains.EventBridgeDeposit)
	bridge.DestChain, bridge.Recipient = "BTC", "bc1qexample"
	// Added out of order, and position 5 twice: the later one is kept.
	s.AddEvents(ev(swapTx.Tx, 4, 7, chains.EventUnwrap), ev(swapTx.Tx, 4, 5, chains.EventWrap), bridge)
	s.AddEvents(ev(swapTx.Tx, 4, 5, chains.EventUniswapV2Swap))

	t.Run("OK", func(t *testing.T) {
		got, err := s.TxEvents(ctx, chains.Ethereum, swapTx.Tx)
		want := []chains.TxEvent{ev(swapTx.Tx, 4, 5, chains.EventUniswapV2Swap), ev(swapTx.Tx, 4, 7, chains.EventUnwrap)}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, %v; want %+v", got, err, want)
		}
	})
	t.Run("EventsWithoutTransfers", func(t *testing.T) {
		got, err := s.TxEvents(ctx, chains.Ethereum, bridgeTx)
		if err != nil || !reflect.DeepEqual(got, []chains.TxEvent{bridge}) {
			t.Errorf("got %+v, %v; want %+v", got, err, bridge)
		}
	})
	t.Run("TransfersWithoutEvents", func(t *testing.T) {
		got, err := s.TxEvents(ctx, chains.Ethereum, plain.Tx)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %#v, %v; want an empty slice", got, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, q := range []struct {
			chain chains.Chain
			tx    chains.TxHash
		}{{chains.Ethereum, chains.TxHash{0xee}}, {chains.BSC, swapTx.Tx}} {
			if got, err := s.TxEvents(ctx, q.chain, q.tx); !errors.Is(err, chains.ErrNotFound) {
				t.Errorf("%s %s: got %v, %v; want chains.ErrNotFound", q.chain, q.tx, got, err)
			}
		}
	})
	t.Run("AnswerIsACopy", func(t *testing.T) {
		got, _ := s.TxEvents(ctx, chains.Ethereum, swapTx.Tx)
		got[0].Kind = chains.EventCurveExchange
		again, _ := s.TxEvents(ctx, chains.Ethereum, swapTx.Tx)
		if again[0].Kind != chains.EventUniswapV2Swap {
			t.Errorf("changing an answer changed the source: kind %s", again[0].Kind)
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.TxEvents(cctx, chains.Ethereum, swapTx.Tx); !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
	})
}

// TestTxEventsConcurrent adds and reads events from several goroutines
// (run with -race); every event added is then held once.
func TestTxEventsConcurrent(t *testing.T) {
	ctx := context.Background()
	x := tr(1, 0, a, b, 1)
	s := mem.New(x)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 10 {
				s.AddEvents(ev(x.Tx, 1, uint32(w*10+i), chains.EventWrap))
				if _, err := s.TxEvents(ctx, chains.Ethereum, x.Tx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got, err := s.TxEvents(ctx, chains.Ethereum, x.Tx)
	if err != nil || len(got) != 80 {
		t.Fatalf("got %d events, %v; want 80", len(got), err)
	}
	for i, e := range got {
		if e.Position != uint32(i) {
			t.Fatalf("event %d at position %d, want %d", i, e.Position, i)
		}
	}
}
