package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"freezetrace/internal/shareddata"
)

// labelFile writes body to a new file named name in a temporary folder.
func labelFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawControl matches bytes a terminal would act on.
var rawControl = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f]|\u202e")

const hostileEntity = "<script>alert(1)</script> =HYPERLINK(\"http://evil\",\"x\")\x1b[2J\x07\r\u202eevil"

func TestLabelsImportShowStats(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ft.db")
	csv := labelFile(t, "mine.csv", "chain,address,entity,category,source\n"+
		"ethereum,0x28c6c06298d514db089934071355e5743bf21d60,Binance,exchange,my notes\n"+
		"tron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,\""+strings.ReplaceAll(hostileEntity, `"`, `""`)+"\",scam\n"+
		"bsc,0x28c6c06298d514db089934071355e5743bf21d60,Binance BSC,exchange\n"+
		"ethereum,0xnope,x,exchange\n")

	t.Run("Import", func(t *testing.T) {
		code, out, errOut := runCLI(t, "labels", "import", "--db", db, "--format", "csv", csv)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if !regexp.MustCompile(`total \(1 files\)\s+4\s+3\s+3\s+0\s+1`).MatchString(out) {
			t.Errorf("totals line missing:\n%s", out)
		}
		for _, want := range []string{"ethereum  exchange  1       1", "tron      scam      1       1", "mine.csv:5: ethereum address"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("AgainAddsNothing", func(t *testing.T) {
		code, out, errOut := runCLI(t, "labels", "import", "--db", db, "--format", "csv", csv)
		if code != 0 || !regexp.MustCompile(`total \(1 files\)\s+4\s+3\s+0\s`).MatchString(out) {
			t.Fatalf("exit %d, out:\n%s%s", code, out, errOut)
		}
	})
	t.Run("ShowEscapes", func(t *testing.T) {
		code, out, errOut := runCLI(t, "labels", "show", "--db", db, "TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if rawControl.MatchString(out) {
			t.Fatalf("raw control characters reached the terminal: %q", out)
		}
		for _, want := range []string{`<script>alert(1)</script> =HYPERLINK(\"http://evil\",\"x\")\x1b[2J\a\r\u202eevil`, "source \"file mine.csv\"", "scam"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ShowChain", func(t *testing.T) {
		code, out, _ := runCLI(t, "labels", "show", "--db", db, "--chain", "bsc", "0x28c6c06298d514db089934071355e5743bf21d60")
		if code != 0 || !strings.Contains(out, `"Binance BSC"`) || strings.Contains(out, "my notes") {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		code, out, _ = runCLI(t, "labels", "show", "--db", db, "0x0000000000000000000000000000000000000001")
		if code != 0 || !strings.Contains(out, "0 labels") {
			t.Fatalf("unknown address: exit %d:\n%s", code, out)
		}
	})
	t.Run("Stats", func(t *testing.T) {
		code, out, _ := runCLI(t, "labels", "stats", "--db", db)
		if code != 0 || !regexp.MustCompile(`tron\s+scam\s+1`).MatchString(out) || !regexp.MustCompile(`total\s+3`).MatchString(out) {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	})
}

func TestLabelsUsageErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ft.db")
	bad := labelFile(t, "bad.csv", "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,A,exchange\nethereum,0x12,B,exchange\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"Strict", []string{"labels", "import", "--db", db, "--format", "csv", "--strict", bad}, "bad.csv:2:"},
		{"NoFormat", []string{"labels", "import", "--db", db, bad}, "format"},
		{"UnknownFormat", []string{"labels", "import", "--db", db, "--format", "xls", bad}, "unknown label format"},
		{"NoPath", []string{"labels", "import", "--db", db, "--format", "csv"}, "no file"},
		{"MissingPath", []string{"labels", "import", "--db", db, "--format", "csv", bad + ".gone"}, "bad.csv.gone"},
		{"BadDate", []string{"labels", "import", "--db", db, "--format", "csv", "--date", "yesterday", bad}, "--date"},
		{"BadAddress", []string{"labels", "show", "--db", db, "0x12"}, "not an EVM address"},
		{"TronWithEVMChain", []string{"labels", "show", "--db", db, "--chain", "bsc", "TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9"}, "TRON address"},
		{"NoDatabase", []string{"labels", "stats", "--db", db + ".none"}, "import data first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, exitUsage, tc.want)
			}
		})
	}
	// Strict mode imported nothing from the bad file.
	code, out, _ := runCLI(t, "labels", "show", "--db", db, "0x28c6c06298d514db089934071355e5743bf21d60")
	if code != 0 || !strings.Contains(out, "0 labels") {
		t.Fatalf("after a strict failure: exit %d:\n%s", code, out)
	}
}

// The real TagPacks and OFAC lists import; the known entries are there.
func TestLabelsImportSharedData(t *testing.T) {
	packs := shareddata.Path(t, "labels", "graphsense-tagpacks", "packs")
	ofac := shareddata.Path(t, "labels", "ofac-sanctioned-0xb10c")
	db := filepath.Join(t.TempDir(), "ft.db")
	code, out, errOut := runCLI(t, "labels", "import", "--db", db, "--format", "tagpack", packs)
	if code != 0 {
		t.Fatalf("tagpack import: exit %d: %s", code, errOut)
	}
	t.Logf("tagpacks:\n%s", out)
	code, out, errOut = runCLI(t, "labels", "import", "--db", db, "--format", "ofac", ofac)
	if code != 0 {
		t.Fatalf("ofac import: exit %d: %s", code, errOut)
	}
	t.Logf("ofac lists:\n%s", out)
	code, out, _ = runCLI(t, "labels", "stats", "--db", db)
	t.Logf("stats:\n%s", out)
	if code != 0 {
		t.Fatalf("stats: exit %d", code)
	}
	code, out, _ = runCLI(t, "labels", "show", "--db", db,
		"0x28c6c06298d514db089934071355e5743bf21d60", "TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR", "TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre")
	if code != 0 {
		t.Fatalf("show: exit %d", code)
	}
	for _, want := range []string{
		"0x28C6c06298d514Db089934071355E5743bf21d60 on ethereum", `exchange "binance", confidence 90`,
		"TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR on tron", "about tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t only",
		"TBHTJqAy4DhHhmT3dNceJYNRz4SdLofLre on tron: 1 labels", "Digital Currency Address - TRX",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
}

// A file that cannot be read at all is reported and stores nothing; the
// others are imported and the command exits 2.
func TestLabelsImportUnreadableFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ft.db")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("title: [broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := "title: ok\ncurrency: TRX\ncategory: exchange\nactor: okx\ntags:\n- address: TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9\n"
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "labels", "import", "--db", db, "--format", "tagpack", dir)
	if code != exitUsage || !strings.Contains(out, "a.yaml:") || !strings.Contains(errOut, "1 of 2 files failed and stored nothing") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "labels", "show", "--db", db, "TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9")
	if code != 0 || !strings.Contains(out, `exchange "okx"`) {
		t.Fatalf("the readable file was not imported: exit %d\n%s", code, out)
	}
}
