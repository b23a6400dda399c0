package tron_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/chains/tron"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestOptionsFromEnv(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		o, err := tron.OptionsFromEnv(env(map[string]string{tron.EnvKey: " k1 ", tron.EnvURL: "http://127.0.0.1:8090", tron.EnvRate: "4.5"}))
		if err != nil || o.APIKey != "k1" || o.BaseURL != "http://127.0.0.1:8090" || o.RateLimit != 4.5 {
			t.Fatalf("got %+v, %v", o, err)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		src, name, err := tron.Upstream(env(nil))
		if err != nil || src == nil || name != "trongrid https://api.trongrid.io" {
			t.Fatalf("got %v, %q, %v", src, name, err)
		}
	})
	for _, c := range []struct{ name, k, v string }{
		{"ErrRate", tron.EnvRate, "fast"},
		{"ErrZeroRate", tron.EnvRate, "0"},
		{"ErrURL", tron.EnvURL, "ftp://host/secret-path"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := tron.Upstream(env(map[string]string{c.k: c.v, tron.EnvKey: "secret-key"}))
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.k) || strings.Contains(err.Error(), "secret") {
				t.Fatalf("got %v; want an input error naming %s without secrets", err, c.k)
			}
		})
	}
}

// TestLoadTronscanIntoStore imports an export into the database as the CLI's
// import command does, twice, and reads it back offline.
func TestLoadTronscanIntoStore(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	load := func() (int, int) {
		f, err := os.Open("testdata/tronscan_trc20.csv")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		im, err := db.BeginImport(ctx, store.ImportInfo{Chain: chains.Tron, File: "tronscan_trc20.csv", Format: "tronscan", Time: base})
		if err != nil {
			t.Fatal(err)
		}
		defer im.Rollback()
		read, added, err := tron.LoadTronscan(ctx, f, "tronscan_trc20.csv", tron.ExportOptions{}, nil, im)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := im.Commit(ctx, store.ImportCounts{Read: read, Added: added}); err != nil {
			t.Fatal(err)
		}
		return read, added
	}
	if r, a := load(); r != 7 || a != 7 {
		t.Fatalf("first import: read %d added %d, want 7 and 7", r, a)
	}
	if r, a := load(); r != 7 || a != 0 {
		t.Fatalf("second import: read %d added %d, want 7 and 0", r, a)
	}
	src := db.Source()
	got, err := src.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, To: chains.Latest})
	if err != nil {
		t.Fatal(err)
	}
	sameTransfers(t, got, []chains.Transfer{t1, t2, t3a, t3b, t4, t5})
	a, err := src.Asset(ctx, usdt)
	if err != nil || a != usdtAsset {
		t.Fatalf("asset: got %+v, %v", a, err)
	}
}

// TestImportThenFetch imports an export without event indexes and then
// fetches the same address from TronGrid through the store. Resolved, the
// two agree on every transfer; as read, the transfer that sits after an
// Approval event gets a second identity, and the store holds it twice.
func TestImportThenFetch(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		resolve bool
		want    int
	}{{"Resolved", true, 8}, {"AsRead", false, 9}} {
		t.Run(c.name, func(t *testing.T) {
			g := newScenario(t)
			db, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			up := newSource(t, g, tron.Options{})
			f, err := os.Open("testdata/tronscan_token_transfers.json")
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			im, err := db.BeginImport(ctx, store.ImportInfo{Chain: chains.Tron, File: "x.json", Format: "tronscan", Time: base})
			if err != nil {
				t.Fatal(err)
			}
			var via *tron.Source
			if c.resolve {
				via = up
			}
			read, added, err := tron.LoadTronscan(ctx, f, "x.json", tron.ExportOptions{}, via, im)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := im.Commit(ctx, store.ImportCounts{Read: read, Added: added}); err != nil {
				t.Fatal(err)
			}
			s := store.NewSource(db, up, store.Options{Name: "trongrid"})
			got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, To: chains.Latest})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.want {
				t.Fatalf("got %d transfers, want %d:%s", len(got), c.want, show(got))
			}
			if c.resolve {
				sameTransfers(t, got, []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7})
			}
		})
	}
}
