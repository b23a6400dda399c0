package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
)

// clusterDB stores a small TRON USDT scene: two scammers pay one deposit
// address, which sweeps into a labeled Binance hot wallet; a third
// address only pays the hot wallet.
func clusterDB(t *testing.T) (db string, hot, dep, s1, s2, loner chains.Address, sweep chains.TxHash) {
	t.Helper()
	db = filepath.Join(t.TempDir(), "ft.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	mk := func(n byte) chains.Address {
		var b [20]byte
		b[0], b[19] = 0x11, n
		return chains.NewAddress(chains.FamilyTRON, b)
	}
	hot, dep, s1, s2, loner = mk(1), mk(2), mk(3), mk(4), mk(5)
	t0 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	var ts []chains.Transfer
	pay := func(i byte, from, to chains.Address, amount uint64, hours int) chains.TxHash {
		var h chains.TxHash
		h[0], h[31] = 0x55, i
		ts = append(ts, chains.Transfer{Chain: chains.Tron, Tx: h, Block: uint64(70_000_000 + hours*1200),
			Time: t0.Add(time.Duration(hours) * time.Hour), From: from, To: to, Asset: chains.USDTTron, Amount: chains.NewAmount(amount)})
		return h
	}
	pay(1, s1, dep, 2_000_000, 1)
	pay(2, s2, dep, 3_000_000, 2)
	sweep = pay(3, dep, hot, 5_000_000, 3)
	pay(4, loner, hot, 7_000_000, 4)
	if _, err := st.PutTransfers(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutLabels(ctx, []chains.Label{
		{Chain: chains.Tron, Address: hot, Entity: "Binance", Category: chains.CategoryExchange, Source: "test pack", Confidence: 90},
		{Chain: chains.Tron, Address: s1, Entity: "Ring\x1b[31m", Category: chains.CategoryScam, Source: "reports", Confidence: 70},
	}); err != nil {
		t.Fatal(err)
	}
	return
}

func TestClusterCommand(t *testing.T) {
	db, hot, dep, s1, s2, loner, sweep := clusterDB(t)

	t.Run("Text", func(t *testing.T) {
		code, out, errOut := runCLI(t, "cluster", "--db", db, s2.String(), dep.String(), hot.String(), loner.String())
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if rawControl.MatchString(out) {
			t.Fatalf("raw control characters in output: %q", out)
		}
		parts := strings.Split(out, "\n\n")
		if len(parts) != 4 {
			t.Fatalf("want 4 reports:\n%s", out)
		}
		for i, wants := range [][]string{
			{s2.String(), "cluster cluster:tron:" + dep.String(), "3 members", "propagated within cluster", `"Ring\x1b[31m"`, "derived by cluster"},
			{"deposit \"Binance\"", "deposit address of \"Binance\": received 5000000, forwarded 5000000", "sweep " + chains.Tron.FormatTx(sweep), s1.String() + "  paid a deposit address", dep.String() + "  deposit address"},
			{"exchange \"Binance\"", "in no cluster"},
			{"no label, not a deposit address", "in no cluster"},
		} {
			for _, w := range wants {
				if !strings.Contains(parts[i], w) {
					t.Errorf("report %d lacks %q:\n%s", i, w, parts[i])
				}
			}
		}
	})
	t.Run("JSON", func(t *testing.T) {
		code, out, errOut := runCLI(t, "cluster", "--db", db, "--json", s1.String())
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got []struct {
			Cluster struct {
				ID       string           `json:"id"`
				Members  []chains.Address `json:"members"`
				Evidence []chains.TxHash  `json:"evidence"`
				Deposits []chains.Address `json:"deposit_addresses"`
			} `json:"cluster"`
			Attribution struct {
				Labels []chains.Label `json:"labels"`
			} `json:"attribution"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if len(got) != 1 || len(got[0].Cluster.Members) != 3 || len(got[0].Cluster.Evidence) != 3 ||
			len(got[0].Cluster.Deposits) != 1 || got[0].Cluster.Deposits[0] != dep {
			t.Fatalf("got %+v", got)
		}
		if ls := got[0].Attribution.Labels; len(ls) != 1 || ls[0].Entity != "Ring\x1b[31m" {
			t.Fatalf("labels %+v: the label text must come back as data", ls)
		}
	})
	t.Run("StricterThresholdFindsNothing", func(t *testing.T) {
		code, out, _ := runCLI(t, "cluster", "--db", db, "--window", "30m", dep.String())
		if code != 0 || !strings.Contains(out, "no label, not a deposit address") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
	t.Run("UsageErrors", func(t *testing.T) {
		for _, args := range [][]string{
			{"cluster", "--db", db},
			{"cluster", "--db", db, "--min-forwarded", "0", dep.String()},
			{"cluster", "--db", db, "--asset", "dai", dep.String()},
			{"cluster", "--db", db, "Tnot-an-address"},
		} {
			if code, _, errOut := runCLI(t, args...); code != exitUsage {
				t.Errorf("%v: exit %d (%s), want %d", args, code, errOut, exitUsage)
			}
		}
	})
}

func TestClusterSave(t *testing.T) {
	db, _, dep, _, s2, _, sweep := clusterDB(t)
	code, out, errOut := runCLI(t, "cluster", "--db", db, "--save", dep.String(), s2.String())
	if code != 0 || !strings.Contains(out, "saved 3 derived labels (3 new)") {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	code, out, _ = runCLI(t, "labels", "show", "--db", db, dep.String())
	if code != 0 || !strings.Contains(out, `deposit "Binance", confidence 80, derived by deposit-sweep`) ||
		!strings.Contains(out, "evidence "+chains.Tron.FormatTx(sweep)) {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	code, out, _ = runCLI(t, "cluster", "--db", db, "--save", dep.String(), s2.String())
	if code != 0 || !strings.Contains(out, "saved 3 derived labels (0 new)") {
		t.Fatalf("second save: exit %d:\n%s", code, out)
	}
}
