package report

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
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
	dot := dotGraph("big", r, r.Origins, r.Flows, r.Endpoints, newAssets(r), m, "TB")
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

func TestDotGraph(t *testing.T) {
	r := fixtureResult()
	as, m := newAssets(r), catalogue["en"]
	dot := string(dotGraph("NFT-2024-0117", r, r.Origins, r.Flows, r.Endpoints, as, m, "TB"))
	t.Run("Ranks", func(t *testing.T) {
		for _, s := range r.Origins {
			if !regexp.MustCompile(`\{ rank=min; [^}]*` + regexp.QuoteMeta(nodeID(addrKey{s.Chain, s.From}))).MatchString(dot) {
				t.Errorf("victim %s is not on the first rank", s.From)
			}
		}
		for _, e := range r.Endpoints {
			if !regexp.MustCompile(`\{ rank=max; [^}]*` + regexp.QuoteMeta(nodeID(addrKey{e.Chain, e.Address}))).MatchString(dot) {
				t.Errorf("endpoint %s is not on the last rank", e.Address)
			}
		}
	})
	t.Run("EdgeLabels", func(t *testing.T) {
		for _, f := range r.Flows {
			want := as.money(f.Tainted, f.Asset) + `\ntx ` + shortAddr(f.Chain.FormatTx(f.Tx)) + `\n` + f.Time.UTC().Format("2006-01-02 15:04") + " UTC"
			if !strings.Contains(dot, `label="`+want+`"`) {
				t.Errorf("no edge labeled %q", want)
			}
		}
	})
	t.Run("NodeLabels", func(t *testing.T) {
		a := depOKX.String()
		want := `label="` + a[:21] + `\n` + a[21:] + `\nexchange\nOKX\n15,000.00 USDT"`
		if !strings.Contains(dot, want) {
			t.Errorf("no endpoint node %s", want)
		}
		if want := `label="` + shortAddr(poolT.String()) + `", tooltip=`; !strings.Contains(dot, want) {
			t.Errorf("no intermediate node %s", want)
		}
		if want := `\nvictim S1\nvictim-1", tooltip=`; !strings.Contains(dot, want) {
			t.Errorf("no victim node %s", want)
		}
	})
	t.Run("Legend", func(t *testing.T) {
		_, legend, _ := strings.Cut(dot, "subgraph cluster_legend {")
		legend, _, _ = strings.Cut(legend, "  }\n")
		var got []string
		for _, m := range regexp.MustCompile(`"legend:([a-z_]+)"`).FindAllStringSubmatch(legend, -1) {
			got = append(got, m[1])
		}
		if want := "victim address exchange held mixer bridge"; strings.Join(got, " ") != want {
			t.Errorf("legend entries %v, want %s", got, want)
		}
		lr := string(dotGraph("x", r, r.Origins, r.Flows, r.Endpoints, as, m, "LR"))
		if i, j := strings.Index(lr, `"legend:bridge"`), strings.Index(lr, `"legend:victim"`); i > j {
			t.Errorf("left to right, the legend is not written bottom up")
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		if again := string(dotGraph("NFT-2024-0117", r, r.Origins, r.Flows, r.Endpoints, as, m, "TB")); again != dot {
			t.Errorf("two DOT outputs of the same graph differ")
		}
	})
}

func TestEdgeLabel(t *testing.T) {
	at := time.Date(2024, 3, 1, 9, 30, 59, 0, time.UTC)
	tx := txh("edge")
	short := shortAddr(chains.Ethereum.FormatTx(tx))
	for _, tc := range []struct {
		name string
		e    dotEdge
		want string
	}{
		{"One", dotEdge{count: 1, tx: tx, first: at, last: at}, "5 USDT|tx " + short + "|2024-03-01 09:30 UTC"},
		{"OneTimeUnknown", dotEdge{count: 1, tx: tx}, "5 USDT|tx " + short + "|time unknown"},
		{"SeveralTimeUnknown", dotEdge{count: 2, tx: tx}, "5 USDT|2 tx|time unknown"},
		{"Several", dotEdge{count: 3, tx: tx, first: at, last: at.Add(26 * time.Hour)}, "5 USDT|3 tx|2024-03-01 09:30 UTC –|2024-03-02 11:30 UTC"},
		{"SeveralAtOnce", dotEdge{count: 2, tx: tx, first: at, last: at}, "5 USDT|2 tx|2024-03-01 09:30 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.Join(edgeLabel(chains.Ethereum, &tc.e, "5 USDT", catalogue["en"]), "|"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestAddEdge(t *testing.T) {
	g := &diagram{nodes: map[addrKey]*dotNode{}, edges: map[edgeKey]*dotEdge{}}
	k := edgeKey{chains.Ethereum, cE, splitE, chains.USDTEthereum, 0}
	g.addEdge(k, usdt(1, 0), txh("b"), t0.Add(time.Hour))
	g.addEdge(k, usdt(2, 0), txh("a"), t0)
	g.addEdge(k, usdt(3, 0), txh("c"), t0.Add(2*time.Hour))
	e := g.edges[k]
	if e.count != 3 || e.tainted.Cmp(usdt(6, 0)) != 0 || e.tx != txh("a") || !e.first.Equal(t0) || !e.last.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("edge %+v, want 3 transfers of 6 USDT from %v (tx a) to %v", e, t0, t0.Add(2*time.Hour))
	}
}

func TestWrapText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Binance", "Binance"},
		{"Example   Bridge\nLtd", "Example Bridge Ltd"},
		{"a very long exchange name that goes on", "a very long exchange|name that goes on"},
		{strings.Repeat("x", 25), strings.Repeat("x", 20) + "|xxxxx"},
		{strings.Repeat("word ", 20), "word word word word|word word word word|word word word word…"},
	} {
		if got := strings.Join(wrapText(tc.in, 20), "|"); got != tc.want {
			t.Errorf("wrapText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLayoutChoice checks that each graph keeps the direction that scales
// larger onto the page, writes that one to graph.dot, and writes the same
// graph.dot when only DOT is asked for.
func TestLayoutChoice(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *trace.Result
		want string
	}{
		{"Fixture", fixtureResult(), "LR"},
		{"Chain30", chainResult(30), "TB"},
		{"FanOut40", bigResult(40), "LR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := testWriter(t, tc.r)
			d, err := w.graph("", "x", tc.r.Origins, tc.r.Flows, tc.r.Endpoints)
			if err != nil {
				t.Fatal(err)
			}
			if d.Rankdir != tc.want {
				t.Errorf("kept %s, want %s", d.Rankdir, tc.want)
			}
			other := map[string]string{"TB": "LR", "LR": "TB"}[d.Rankdir]
			alt, err := w.svg.layout(w.ctx, dotGraph("x", tc.r, tc.r.Origins, tc.r.Flows, tc.r.Endpoints, w.as, w.m, other))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := d.fitScale(figurePageW, figurePageH), alt.fitScale(figurePageW, figurePageH); a < b {
				t.Errorf("kept %s at scale %.2f, %s scales to %.2f", d.Rankdir, a, other, b)
			}
			if !bytes.Contains(w.files["graph.dot"], []byte("rankdir="+d.Rankdir+",")) || !bytes.HasPrefix(w.files["graph.svg"], []byte("<?xml")) {
				t.Errorf("graph.dot or graph.svg not written with the layout kept")
			}
			dotOnly := &writer{ctx: w.ctx, r: w.r, c: w.c, want: map[Format]bool{FormatDOT: true}, files: map[string][]byte{}, as: w.as, m: w.m}
			if _, err := dotOnly.graph("", "x", tc.r.Origins, tc.r.Flows, tc.r.Endpoints); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(dotOnly.files["graph.dot"], w.files["graph.dot"]) {
				t.Errorf("graph.dot depends on the other formats asked for")
			}
			if _, ok := dotOnly.files["graph.svg"]; ok {
				t.Errorf("graph.svg written when only DOT was asked for")
			}
		})
	}
}
