package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
)

func TestPlayAndExit(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "case.json")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--exit-after-play", "--out", out, "--etl", filepath.Join(dir, "etl")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "rpc http://127.0.0.1:") || strings.Count(stdout.String(), "victim tx 0x") != 3 {
		t.Errorf("stdout %q: want the RPC URL and three victim txs", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var p devchain.Played
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.VictimTxs) != 3 || len(p.Transfers) == 0 || p.Tokens["usdt"].Decimals != 6 {
		t.Errorf("case file: %d victim txs, %d transfers, usdt %+v", len(p.VictimTxs), len(p.Transfers), p.Tokens["usdt"])
	}
	// The issuer freezes the stash, and the log says so on one line.
	if len(p.Freezes) != 1 || p.Freezes[0].Actor != "stash" || p.Freezes[0].Address != fixtures.AddressOf("stash") {
		t.Fatalf("case file freezes %+v, want the stash's", p.Freezes)
	}
	f := p.Freezes[0]
	if want := fmt.Sprintf("\nfreeze tx %s %s usdt stash\n", f.Tx, f.Address); !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout %q: want the line %q", stdout.String(), strings.TrimSpace(want))
	}
	for _, f := range devchain.ETLFiles {
		if _, err := os.Stat(filepath.Join(dir, "etl", f)); err != nil {
			t.Error(err)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"--scenario", "nope", "--exit-after-play"}, {"--no-such-flag"}, {"extra"},
		{"--start", "yesterday", "--exit-after-play"}, {"--start", "now-3d", "--exit-after-play"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}

func TestParseStart(t *testing.T) {
	now := time.Date(2025, 6, 1, 9, 30, 15, 500_000_000, time.FixedZone("CEST", 2*3600))
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"now", time.Date(2025, 6, 1, 7, 30, 15, 0, time.UTC)},
		{"now-72h", time.Date(2025, 5, 29, 7, 30, 15, 0, time.UTC)},
		{"now-1h30m", time.Date(2025, 6, 1, 6, 0, 15, 0, time.UTC)},
		{"now+2h", time.Date(2025, 6, 1, 9, 30, 15, 0, time.UTC)},
		{"2025-05-29T09:00:00Z", time.Date(2025, 5, 29, 9, 0, 0, 0, time.UTC)},
		{"2025-05-29T11:00:00.9+02:00", time.Date(2025, 5, 29, 9, 0, 0, 0, time.UTC)},
	} {
		got, err := parseStart(tc.in, now)
		if err != nil || !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("parseStart(%q) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "yesterday", "now72h", "now-3d", "now-", "2025-05-29", "1969-12-31T23:59:59Z"} {
		if got, err := parseStart(in, now); err == nil {
			t.Errorf("parseStart(%q) = %s, want an error", in, got)
		}
	}
}

// TestStartFlag: with --start now-72h, every played transfer and freeze is
// dated within a day after the start, long before now.
func TestStartFlag(t *testing.T) {
	out := filepath.Join(t.TempDir(), "case.json")
	before := time.Now().Truncate(time.Second)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"--exit-after-play", "--start", "now-72h", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if strings.Count(stdout.String(), "victim tx 0x") != 3 {
		t.Errorf("stdout %q: want three victim txs", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var p devchain.Played
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	lo, hi := before.Add(-72*time.Hour), before.Add(-48*time.Hour)
	if len(p.Transfers) == 0 || len(p.Freezes) == 0 {
		t.Fatalf("%d transfers, %d freezes", len(p.Transfers), len(p.Freezes))
	}
	for _, tr := range p.Transfers {
		if tr.Time.Before(lo) || tr.Time.After(hi) {
			t.Errorf("transfer in block %d at %s, want between %s and %s", tr.Block, tr.Time, lo, hi)
		}
	}
	for _, f := range p.Freezes {
		if f.Time.Before(lo) || f.Time.After(hi) {
			t.Errorf("%s in block %d at %s, want between %s and %s", f.Kind, f.Block, f.Time, lo, hi)
		}
	}
}
