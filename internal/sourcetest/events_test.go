package sourcetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/mem"
)

// datasetEvents are events of two transactions of dataset.
func datasetEvents() []chains.TxEvent {
	ev := func(tx byte, block uint64, pos uint32, kind chains.EventKind) chains.TxEvent {
		return chains.TxEvent{Chain: chains.Ethereum, Tx: chains.TxHash{0x77, 31: tx}, Block: block, Position: pos, Contract: addr(0xcc), Kind: kind}
	}
	return []chains.TxEvent{ev(1, 2, 5, chains.EventUnwrap), ev(1, 2, 3, chains.EventUniswapV2Swap), ev(4, 5, 1, chains.EventWrap)}
}

// eventHarness is memHarness with datasetEvents, held by the source.
func eventHarness() Harness {
	h := memHarness()
	h.Events = datasetEvents()
	base := h.New
	h.New = func(t *testing.T) chains.Source {
		s := base(t).(*mem.Source)
		s.AddEvents(datasetEvents()...)
		return s
	}
	return h
}

// bentEvents breaks the EventReader contract by changing the answers.
type bentEvents struct {
	*mem.Source
	change func([]chains.TxEvent, error) ([]chains.TxEvent, error)
}

func (b *bentEvents) TxEvents(ctx context.Context, c chains.Chain, tx chains.TxHash) ([]chains.TxEvent, error) {
	return b.change(b.Source.TxEvents(ctx, c, tx))
}

// noEvents is a source that is no chains.EventReader.
type noEvents struct{ chains.Source }

func TestEventReaderCheck(t *testing.T) {
	if ps := probe(t, eventHarness(), "EventReader"); len(ps) != 0 {
		t.Errorf("the events a source holds: %v", ps)
	}
	for name, change := range map[string]func([]chains.TxEvent, error) ([]chains.TxEvent, error){
		"Reversed": func(evs []chains.TxEvent, err error) ([]chains.TxEvent, error) { slices.Reverse(evs); return evs, err },
		"Twice":    func(evs []chains.TxEvent, err error) ([]chains.TxEvent, error) { return append(evs, evs...), err },
		"Dropped": func(evs []chains.TxEvent, err error) ([]chains.TxEvent, error) {
			return slices.DeleteFunc(evs, func(e chains.TxEvent) bool { return e.Kind == chains.EventWrap }), err
		},
		"NilForNone": func(evs []chains.TxEvent, err error) ([]chains.TxEvent, error) {
			if len(evs) == 0 {
				return nil, err
			}
			return evs, err
		},
		"UnknownTxEmpty": func(evs []chains.TxEvent, err error) ([]chains.TxEvent, error) {
			if errors.Is(err, chains.ErrNotFound) {
				return []chains.TxEvent{}, nil
			}
			return evs, err
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := eventHarness()
			base := h.New
			h.New = func(t *testing.T) chains.Source { return &bentEvents{Source: base(t).(*mem.Source), change: change} }
			if ps := probe(t, h, "EventReader"); len(ps) == 0 {
				t.Error("check EventReader found nothing wrong")
			} else {
				t.Logf("found: %s", ps[0])
			}
		})
	}
	t.Run("HarnessEventOfNoTransaction", func(t *testing.T) {
		h := eventHarness()
		h.Events = append(h.Events, chains.TxEvent{Chain: chains.Ethereum, Tx: unknownTx, Kind: chains.EventWrap})
		if ps := probe(t, h, "EventReader"); len(ps) == 0 {
			t.Error("found nothing wrong")
		}
	})
	t.Run("SkipsNoEventReader", func(t *testing.T) {
		h := memHarness()
		base := h.New
		h.New = func(t *testing.T) chains.Source { return noEvents{base(t)} }
		tr, err := h.truth()
		if err != nil {
			t.Fatal(err)
		}
		c := newChecker(t, &h, tr)
		checkEventReader(c)
		if len(c.problems) != 0 || c.skipped == "" {
			t.Errorf("problems %v, skipped %q; want a skip", c.problems, c.skipped)
		}
	})
}
