package attribute_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace/attribute"
)

var update = flag.Bool("update", false, "rewrite testdata/reports.json")

// reportScene: two payers pay one deposit address, which sweeps into a
// labeled Binance hot wallet; the first payer carries a hostile scam label;
// a fourth address only pays the hot wallet.
func reportScene(t *testing.T) (at *attribute.Attributor, dep, payer1, payer2, hot, loner chains.Address) {
	t.Helper()
	addr := func(n byte) chains.Address {
		var b [20]byte
		b[0], b[19] = 0xaa, n
		return chains.NewAddress(chains.FamilyEVM, b)
	}
	hot, dep, payer1, payer2, loner = addr(1), addr(2), addr(3), addr(4), addr(5)
	t0 := time.Date(2025, 1, 2, 3, 0, 0, 0, time.UTC)
	pay := func(i byte, from, to chains.Address, amount uint64, minutes int) chains.Transfer {
		return chains.Transfer{Chain: chains.Ethereum, Tx: chains.TxHash{i}, Block: 100 + uint64(minutes)*5, Time: t0.Add(time.Duration(minutes) * time.Minute),
			From: from, To: to, Asset: chains.USDTEthereum, Amount: chains.NewAmount(amount)}
	}
	src := mem.New(
		pay(1, payer1, dep, 2_000_000, 0),
		pay(2, payer2, dep, 3_000_000, 10),
		pay(3, dep, hot, 5_000_000, 40),
		pay(4, loner, hot, 7_000_000, 50),
	)
	src.AddLabel(chains.Label{Chain: chains.Ethereum, Address: hot, Entity: "Binance", Category: chains.CategoryExchange,
		Source: "exchange-wallets.yaml", Confidence: 90})
	src.AddLabel(chains.Label{Chain: chains.Ethereum, Address: payer1, Entity: "<b>Ring</b> & co\x1b[31m\u202e", Category: chains.CategoryScam,
		Source: "reports", Confidence: 70})
	return attribute.New(src, src, attribute.Options{}), dep, payer1, payer2, hot, loner
}

// TestWriteJSON compares the cluster command's JSON for every kind of
// address with testdata/reports.json (refresh with go test -update): a
// deposit address, a cluster member with a propagated label, a listed
// exchange wallet and an address that is none of these.
func TestWriteJSON(t *testing.T) {
	ctx := context.Background()
	at, dep, _, payer2, hot, loner := reportScene(t)
	var rs []attribute.Report
	for _, a := range []chains.Address{dep, payer2, hot, loner} {
		r, err := at.Report(ctx, a, chains.USDTEthereum)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	var b bytes.Buffer
	if err := attribute.WriteJSON(&b, rs); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "reports.json")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("got:\n%s\nwant (%s):\n%s", b.Bytes(), golden, want)
	}

	t.Run("Shape", func(t *testing.T) {
		var got []map[string]json.RawMessage
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		for i, wantKeys := range [][]string{
			{"chain", "address", "asset", "attribution", "deposit", "cluster"},
			{"chain", "address", "asset", "attribution", "cluster"},
			{"chain", "address", "asset", "attribution"},
			{"chain", "address", "asset", "attribution"},
		} {
			if len(got[i]) != len(wantKeys) {
				t.Errorf("report %d has %d fields, want %v", i, len(got[i]), wantKeys)
			}
			for _, k := range wantKeys {
				if _, ok := got[i][k]; !ok {
					t.Errorf("report %d lacks %q", i, k)
				}
			}
		}
		var loner struct {
			Attribution struct {
				Labels json.RawMessage `json:"labels"`
			} `json:"attribution"`
		}
		if err := json.Unmarshal(got[3]["attribution"], &loner.Attribution); err != nil {
			t.Fatal(err)
		}
		if string(loner.Attribution.Labels) != "[]" {
			t.Errorf("an address without labels: labels %s, want []", loner.Attribution.Labels)
		}
	})
	t.Run("LabelTextIsData", func(t *testing.T) {
		var got []attribute.Report
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		ls := got[1].Attribution.Labels
		if len(ls) != 1 || ls[0].Entity != "<b>Ring</b> & co\x1b[31m\u202e" {
			t.Errorf("labels %+v: want the propagated label's text unchanged", ls)
		}
		if bytes.Contains(b.Bytes(), []byte("<b>")) || bytes.Contains(b.Bytes(), []byte("\x1b")) {
			t.Error("markup or a raw escape character in the JSON")
		}
	})
}

func TestReportDerived(t *testing.T) {
	ctx := context.Background()
	at, dep, payer1, payer2, hot, _ := reportScene(t)
	for _, tc := range []struct {
		name string
		addr chains.Address
		want []string // heuristics of the derived labels
	}{
		{"DepositAddress", dep, []string{"deposit-sweep", "cluster"}},
		{"PropagatedLabel", payer2, []string{"cluster"}},
		{"OwnLabelOnly", payer1, nil},
		{"ListedWallet", hot, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := at.Report(ctx, tc.addr, chains.USDTEthereum)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range r.Derived() {
				got = append(got, l.Heuristic)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("derived %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("derived %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestWriteJSONEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := attribute.WriteJSON(&b, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "[]\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
