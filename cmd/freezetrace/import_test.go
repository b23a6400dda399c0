package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const tokenTransfersCSV = "token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n" +
	"0xdac17f958d2ee523a2206206994597c13d831ec7,0x1111111111111111111111111111111111111111,0x2222222222222222222222222222222222222222,2500000,0x" + "0101010101010101010101010101010101010101010101010101010101010101" + ",4,100\n" +
	"0xdac17f958d2ee523a2206206994597c13d831ec7,0x2222222222222222222222222222222222222222,0x3333333333333333333333333333333333333333,0,0x" + "0202020202020202020202020202020202020202020202020202020202020202" + ",7,101\n"

func writeTemp(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestImport(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "ft.db")
	f := writeTemp(t, "tt.csv", tokenTransfersCSV)
	t.Run("OK", func(t *testing.T) {
		code, out, errOut := runCLI(t, "import", "--db", dbFile, "--chain", "ethereum", "--format", "etl-token-transfers", f)
		if code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		if want := f + ": read 2, added 2, skipped 0 (1 zero-value, stored and flagged)\n"; out != want {
			t.Fatalf("got %q, want %q", out, want)
		}
		if errOut != "" {
			t.Errorf("stderr not a terminal, yet got %q", errOut)
		}
	})
	t.Run("Again", func(t *testing.T) {
		code, out, _ := runCLI(t, "import", "--db", dbFile, "--format", "etl-token-transfers", f)
		if code != 0 || !strings.Contains(out, "read 2, added 0, skipped 0") {
			t.Fatalf("exit %d, out %q; want 0 added", code, out)
		}
	})
	t.Run("EnvDB", func(t *testing.T) {
		t.Setenv("FREEZETRACE_DB", dbFile)
		code, out, _ := runCLI(t, "db", "stats")
		if code != 0 || !strings.Contains(out, "transfers    2") {
			t.Fatalf("exit %d, out %q", code, out)
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"ErrUnknownChain", []string{"--chain", "dogecoin", "--format", "etl-token-transfers", f},
			[]string{`unknown chain "dogecoin"`, "Try: --chain arbitrum|base|bsc|ethereum|optimism|polygon|tron"}},
		{"ErrUnknownFormat", []string{"--format", "csv", f},
			[]string{`unknown format "csv"`, "Try: --format etl-token-transfers|etl-transactions|etl-blocks|etl-tokens|etl-contracts"}},
		{"ErrMalformed", []string{"--format", "etl-token-transfers", writeTemp(t, "bad.csv", tokenTransfersCSV+"0xdac17f958d2ee523a2206206994597c13d831ec7,0x11,0x22,1,0x00,1,1\n")},
			[]string{"bad.csv:4: from_address: not an EVM address"}},
		{"ErrWrongFormat", []string{"--format", "etl-blocks", f}, []string{"tt.csv:1: missing column number, hash, timestamp"}},
		{"ErrNoFiles", []string{"--format", "etl-blocks"}, []string{"no files given"}},
		{"ErrMissingFile", []string{"--format", "etl-blocks", f + ".nope"}, []string{"no such file"}},
		{"ErrNoFormat", []string{f}, []string{"format"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"import", "--db", dbFile}, tc.args...)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d (stderr %q)", code, exitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
	// The malformed file left nothing behind.
	code, out, _ := runCLI(t, "db", "stats", "--db", dbFile)
	if code != 0 || !strings.Contains(out, "transfers    2") || !strings.Contains(out, "imports      2") {
		t.Fatalf("after failed imports: exit %d, out %q", code, out)
	}
}

func TestDBStats(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "ft.db")
	tok := writeTemp(t, "tokens.csv", "address,symbol,name,decimals\n0xdac17f958d2ee523a2206206994597c13d831ec7,USDT,Tether USD,6\n")
	if code, _, errOut := runCLI(t, "import", "--db", dbFile, "--format", "etl-tokens", tok); code != 0 {
		t.Fatalf("import tokens: %s", errOut)
	}
	if code, _, errOut := runCLI(t, "import", "--db", dbFile, "--format", "etl-token-transfers", writeTemp(t, "tt.csv", tokenTransfersCSV)); code != 0 {
		t.Fatalf("import transfers: %s", errOut)
	}
	code, out, errOut := runCLI(t, "db", "stats", "--db", dbFile)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"(schema 11)",
		"transfers    2\n",
		"imports      2\n",
		"ethereum  2          1       100          101         0\n",
		`ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7  "USDT"  6         erc20  2          1`,
		"file import  ethereum  101           ",
		"tokens.csv, tt.csv",
		"(none)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stats lack %q:\n%s", want, out)
		}
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	if code, _, errOut := runCLI(t, "db", "stats", "--db", missing); code != exitUsage || !strings.Contains(errOut, "no database at") {
		t.Errorf("missing database: exit %d, stderr %q; want %d", code, errOut, exitUsage)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("db stats created %s", missing)
	}
	if code, _, _ := runCLI(t, "db", "stats", "--db", dbFile, "--assets", "-1"); code != exitUsage {
		t.Errorf("--assets -1: exit %d, want %d", code, exitUsage)
	}
}
