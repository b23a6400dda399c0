package trace_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

func TestLedgerRow(t *testing.T) {
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	step := trace.Step{
		Seq: 7, Chain: chains.Ethereum, Address: addr(1), Asset: token, Tx: txh(9), Position: 2, Block: 100, Time: at,
		Event: "out", Counterparty: addr(2), Amount: chains.NewAmount(500), Tainted: chains.NewAmount(300),
		Balance: chains.NewAmount(40), Taint: chains.NewAmount(20), Detail: "fifo: oldest lots first",
		BySource: []trace.Share{{Source: "S1", Amount: chains.NewAmount(100)}, {Source: "S2", Amount: chains.NewAmount(200)}},
	}
	want := []string{"7", "ethereum", addr(1).String(), token.String(), "100", "2024-03-01T09:00:00Z",
		chains.Ethereum.FormatTx(txh(9)), "2", "out", addr(2).String(), "500", "300", "S1=100;S2=200", "40", "20",
		"fifo: oldest lots first"}
	if got := trace.LedgerRow(step); !slices.Equal(got, want) {
		t.Errorf("LedgerRow =\n %q\nwant\n %q", got, want)
	}
	if len(want) != len(trace.LedgerHeader) {
		t.Fatalf("%d cells, header has %d", len(want), len(trace.LedgerHeader))
	}

	t.Run("UnknownTimeAndOpening", func(t *testing.T) {
		s := step
		s.Time, s.Tx = time.Time{}, chains.TxHash{}
		got := trace.LedgerRow(s)
		if got[5] != "" || got[6] != "" {
			t.Errorf("time %q, tx %q; want both empty", got[5], got[6])
		}
	})
	t.Run("Hostile", func(t *testing.T) {
		s := step
		s.Detail = "=HYPERLINK(\"x\")\n\x1b[31m"
		s.BySource = []trace.Share{{Source: "-S1\u202e", Amount: chains.NewAmount(1)}}
		got := trace.LedgerRow(s)
		if got[15] != `'=HYPERLINK("x") [31m` || got[12] != "'-S1=1" {
			t.Errorf("detail %q, by_source %q; want them cleaned and neutralised", got[15], got[12])
		}
	})
}

// WriteLedgerCSV is the header and one LedgerRow per step, in order.
func TestWriteLedgerCSV(t *testing.T) {
	src, pays := randomGraph(5)
	r := run(t, src, nil, txCase(pays...), trace.Options{Rule: trace.FIFO})
	if len(r.Ledger) < 2 {
		t.Fatalf("%d ledger steps, want a few", len(r.Ledger))
	}
	var b bytes.Buffer
	if err := trace.WriteLedgerCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(r.Ledger)+1 || !slices.Equal(rows[0], trace.LedgerHeader) {
		t.Fatalf("%d rows starting %q; want the header and %d steps", len(rows), rows[0], len(r.Ledger))
	}
	for i, s := range r.Ledger {
		if want := trace.LedgerRow(s); !slices.Equal(rows[i+1], want) {
			t.Errorf("row %d = %q, want %q", i+1, rows[i+1], want)
		}
	}
}

func TestFormatShares(t *testing.T) {
	for _, c := range []struct {
		in   []trace.Share
		want string
	}{
		{nil, ""},
		{[]trace.Share{{Source: "S2", Amount: chains.NewAmount(250)}, {Source: "S1", Amount: chains.NewAmount(100)}}, "S2=250;S1=100"},
	} {
		if got := trace.FormatShares(c.in); got != c.want {
			t.Errorf("FormatShares(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}
