package attribute

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/trace"
)

// The engine stops at a deposit address found by its sweep, names the
// exchange and why, carries the sweep as evidence and lists the cluster.
func TestTraceStopsAtDetectedDeposit(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	p1 := w.pay(victim1, scam1, 1000, 0)
	w.pay(victim2, scam2, 500, 1)
	w.pay(scam1, deposit, 1000, 2)
	w.pay(scam2, deposit, 500, 3)
	sweep := w.pay(deposit, hot, 1500, 4)

	res, err := trace.Run(ctx, w.src, New(w.src, w.src, Options{}),
		trace.Case{Chain: chain, Asset: usdt, Payments: []trace.Payment{{Tx: p1}}}, trace.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ep *trace.Endpoint
	for i := range res.Endpoints {
		if res.Endpoints[i].Address == deposit {
			ep = &res.Endpoints[i]
		}
	}
	if ep == nil {
		t.Fatalf("no endpoint at the deposit address: %+v", res.Endpoints)
	}
	if ep.Kind != trace.KindExchange || ep.Entity != "Binance" || ep.Category != chains.CategoryDeposit ||
		ep.Amount.String() != "1000" || !reflect.DeepEqual(ep.SweepTxs, []chains.TxHash{sweep}) ||
		!strings.Contains(ep.Reason, HeuristicDeposit) {
		t.Fatalf("endpoint %+v", ep)
	}
	if len(ep.Labels) == 0 || ep.Labels[0].Heuristic != HeuristicDeposit {
		t.Errorf("endpoint labels %+v", ep.Labels)
	}
	if len(res.Clusters) != 1 || !reflect.DeepEqual(res.Clusters[0].Members, sorted(deposit, scam1, scam2)) {
		t.Fatalf("clusters %+v", res.Clusters)
	}
}
