package synth

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// A dataset is a function of its size and seed, and has the shape the
// benchmarks rely on.
func TestGenerate(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ca, err := Generate(a, 200_000, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(b, 200_000, 3); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"token_transfers.csv", "blocks.csv", "labels.csv", "tokens.csv", "case.json"} {
		x, err := os.ReadFile(filepath.Join(a, f))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Fatalf("%s differs between two runs of one seed", f)
		}
	}
	if ca.Transfers < 200_000 || len(ca.VictimTxs) < 4 || ca.HotTx == "" || ca.Laundering < 50 {
		t.Fatalf("case: %+v", ca)
	}
	// Rows parse, blocks rise, USDT senders never spend more than they hold.
	f, err := os.Open(filepath.Join(a, "token_transfers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != ca.Transfers {
		t.Fatalf("%d rows, case says %d", len(rows)-1, ca.Transfers)
	}
	bal := map[string]uint64{}
	var last uint64
	degree := map[string]map[string]bool{}
	for _, r := range rows[1:] {
		blk, err := strconv.ParseUint(r[6], 10, 64)
		if err != nil || blk < last {
			t.Fatalf("block %q after %d", r[6], last)
		}
		last = blk
		if r[0] != USDT {
			continue
		}
		v, err := strconv.ParseUint(r[3], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		if r[1] != "0x0000000000000000000000000000000000000000" {
			if bal[r[1]] < v {
				t.Fatalf("%s sends %d holding %d", r[1], v, bal[r[1]])
			}
			bal[r[1]] -= v
		}
		bal[r[2]] += v
		for _, p := range [][2]string{{r[1], r[2]}, {r[2], r[1]}} {
			if degree[p[0]] == nil {
				degree[p[0]] = map[string]bool{}
			}
			degree[p[0]][p[1]] = true
		}
	}
	// Power law: the busiest customers have hundreds of counterparties,
	// most have a handful.
	if n := len(degree[ca.HotWallet]); n < 1000 {
		t.Fatalf("hot wallet has %d counterparties", n)
	}
	small := 0
	for _, d := range degree {
		if len(d) <= 3 {
			small++
		}
	}
	if small*2 < len(degree) {
		t.Fatalf("only %d of %d addresses have 3 counterparties or fewer", small, len(degree))
	}
}
