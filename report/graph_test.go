package report

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// bigResult is a fan-out of n addresses from one pool, each ending at an
// endpoint, as a large peel-and-split case looks.
func bigResult(n int) *trace.Result {
	r := fixtureResult()
	r.Flows, r.Endpoints, r.Ledger = nil, nil, nil
	src := r.Origins[2]
	r.Origins = r.Origins[2:]
	kinds := []trace.Kind{trace.KindHeld, trace.KindExchange, trace.KindMixer, trace.KindHopLimit, trace.KindDust}
	for i := 0; i < n; i++ {
		to := addr(chains.FamilyEVM, fmt.Sprintf("leaf %d", i))
		amt := chains.NewAmount(uint64(1_000_000 * (i + 1)))
		f := trace.Flow{Chain: chains.Ethereum, Tx: txh(fmt.Sprintf("leaf %d", i)), Block: src.Block + uint64(i) + 1,
			Time: src.Time.Add(time.Duration(i+1) * time.Minute), From: src.To, To: to, Asset: src.Asset, Amount: amt, Tainted: amt,
			Hop: 1, BySource: sh(src.ID, amt)}
		r.Flows = append(r.Flows, f)
		k := kinds[i%len(kinds)]
		e := trace.Endpoint{Chain: chains.Ethereum, Address: to, Kind: k, Asset: src.Asset, Amount: amt, Hops: 1,
			BySource: sh(src.ID, amt), Txs: []chains.TxHash{f.Tx}, Reason: "test"}
		if k == trace.KindExchange {
			e.Entity = fmt.Sprintf("Exchange %d", i%7)
		}
		r.Endpoints = append(r.Endpoints, e)
	}
	return r
}

func TestLargeGraphSVG(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a 300-node graph")
	}
	r := bigResult(300)
	m := catalogue["en"]
	dot := dotGraph("big", r.Origins, r.Flows, r.Endpoints, newAssets(r), m)
	svg, err := newSVGRenderer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer svg.Close()
	start := time.Now()
	b, err := svg.render(context.Background(), dot)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("300 endpoints: %d bytes of DOT, %d bytes of SVG in %v", len(dot), len(b), time.Since(start))
	checkXML(t, "big.svg", b)
	for _, e := range r.Endpoints {
		if !strings.Contains(string(b), e.Address.String()) {
			t.Fatalf("svg lacks endpoint %s", e.Address)
		}
	}
}
