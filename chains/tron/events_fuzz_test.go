package tron

import (
	"encoding/json"
	"strings"
	"testing"

	"freezetrace/chains"
)

// FuzzEvents decodes receipts (which come from outside) into venue events
// and internal TRX transfers and checks what comes out: no panic; events
// of known kinds at positions that index the log, with the shape their
// topic0 names, wrap events only from wrappers; internal transfers of TRX,
// from successful receipts, at 1 + their index, never to the sender.
func FuzzEvents(f *testing.F) {
	top := strings.Repeat("00", 12) + strings.Repeat("5a", 20)
	f.Add([]byte(`{"id":"ab","blockNumber":5,"log":[{"address":"a614f803b6fd780986a42c78ec9c7f77e6ded13c","topics":["` + swapV2Topic + `","` + top + `","` + top + `"],"data":"` + strings.Repeat("00", 128) + `"}]}`))
	f.Add([]byte(`{"id":"ab","log":[{"address":"41891cdb91d149f23b1a45d9c5ca78a88d0cb44c18","topics":["` + withdrawalTopic + `","` + top + `"],"data":"` + strings.Repeat("01", 32) + `"}]}`))
	f.Add([]byte(`{"id":"ab","log":[{"address":"","topics":["` + tokenPurchaseTopic + `","","",""],"data":""}]}`))
	f.Add([]byte(`{"id":"ab","internal_transactions":[{"caller_address":"41` + strings.Repeat("5a", 20) + `","transferTo_address":"41` + strings.Repeat("6b", 20) + `","callValueInfo":[{"callValue":5}]}]}`))
	f.Add([]byte(`{"id":"ab","internal_transactions":[{"caller_address":"x","transferTo_address":"y","callValueInfo":[{"callValue":-1},{"callValue":9223372036854775807},{"callValue":9223372036854775807},{"callValue":9223372036854775807}]}]}`))
	wrappers := wrapperSet(nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r txInfoResp
		if json.Unmarshal(data, &r) != nil {
			return
		}
		if evs, err := r.events(chains.TxHash{1}, wrappers); err == nil {
			checkEvents(t, &r, evs, wrappers)
		}
		ts, err := r.internalTransfers(chains.TxHash{1})
		if err != nil {
			return
		}
		if r.failed() && len(ts) > 0 {
			t.Fatal("a failed transaction moved TRX")
		}
		for _, tr := range ts {
			i := int(tr.Position) - 1
			if i < 0 || i >= len(r.InternalTransactions) || r.InternalTransactions[i].Rejected || tr.From == tr.To ||
				!tr.Asset.IsNative() || tr.Amount.Big().Sign() <= 0 || tr.Block != r.BlockNumber {
				t.Fatalf("bad internal transfer %+v from %s", tr, data)
			}
		}
	})
}

func checkEvents(t *testing.T, r *txInfoResp, evs []chains.TxEvent, wrappers map[chains.Address]bool) {
	t.Helper()
	if evs == nil {
		t.Fatal("nil events, want an empty slice")
	}
	if r.failed() && len(evs) > 0 {
		t.Fatal("a failed transaction emitted events")
	}
	last := -1
	for _, e := range evs {
		if int(e.Position) <= last || int(e.Position) >= len(r.Log) {
			t.Fatalf("event %+v out of order or past the log", e)
		}
		last = int(e.Position)
		l := r.Log[e.Position]
		shape, ok := eventShapes[strings.ToLower(strip0x(l.Topics[0]))]
		if !ok || shape.kind != e.Kind || len(l.Topics) != shape.topics || len(strip0x(l.Data)) != 2*shape.data {
			t.Fatalf("event %+v from log %+v", e, l)
		}
		if shape.wrapper && !wrappers[e.Contract] {
			t.Fatalf("wrap event from %s, not a wrapper", e.Contract)
		}
		if e.Contract.Family() != chains.FamilyTRON || e.Block != r.BlockNumber {
			t.Fatalf("event %+v", e)
		}
	}
}
