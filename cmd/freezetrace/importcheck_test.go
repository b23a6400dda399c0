package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// blocksCSV is an ethereum-etl blocks file for blocks from..to, every
// hash filled with one hex digit.
func blocksCSV(from, to int, digit string) string {
	var b strings.Builder
	b.WriteString("number,hash,timestamp\n")
	for n := from; n <= to; n++ {
		fmt.Fprintf(&b, "%d,0x%s,%d\n", n, strings.Repeat(digit, 64), 1660000000+n-from)
	}
	return b.String()
}

// wantExit2 runs an import that must be refused: exit 2, nothing on
// stdout, one line on stderr holding want.
func wantExit2(t *testing.T, want string, args ...string) {
	t.Helper()
	code, out, errOut := runCLI(t, append([]string{"import"}, args...)...)
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and no output", code, out, errOut, exitUsage)
	}
	if !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("stderr %q: want one line containing %q", errOut, want)
	}
}

// TestImportKeepsWhatIsStored runs the attacks on `freezetrace import`:
// each file must be stored exactly, or refused with exit 2 and nothing of
// it stored.
func TestImportKeepsWhatIsStored(t *testing.T) {
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "ft.db")
	tt := writeTemp(t, "tt.csv", tokenTransfersCSV)
	if code, _, errOut := runCLI(t, "import", "--db", dbFile, "--format", "etl-token-transfers", tt); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	stats := func() string {
		_, out, _ := runCLI(t, "db", "stats", "--db", dbFile)
		return out
	}
	t.Run("ErrBlocksOtherHash", func(t *testing.T) {
		// Before: exit 0, "added 0", and the transfers of blocks 100-101
		// deleted.
		if code, out, errOut := runCLI(t, "import", "--db", dbFile, "--format", "etl-blocks", writeTemp(t, "b1.csv", blocksCSV(100, 101, "1"))); code != 0 || !strings.Contains(out, "read 2, added 2") {
			t.Fatalf("b1: exit %d, %q %q", code, out, errOut)
		}
		b2 := writeTemp(t, "b2.csv", blocksCSV(100, 101, "2"))
		wantExit2(t, b2+":2: block 100: hash 0x"+strings.Repeat("2", 64)+" here, 0x"+strings.Repeat("1", 64)+" in the database", "--db", dbFile, "--format", "etl-blocks", b2)
		if s := stats(); !strings.Contains(s, "transfers    2\n") {
			t.Fatalf("after the refused blocks file:\n%s", s)
		}
	})
	t.Run("ErrTruncated", func(t *testing.T) {
		// Before: exit 0, block 10 stored for 101.
		wantExit2(t, "cut.csv:3: the last line has no line end: the file looks truncated",
			"--db", dbFile, "--format", "etl-token-transfers", writeTemp(t, "cut.csv", strings.Replace(tokenTransfersCSV, ",7,101\n", ",8,10", 1)))
	})
	t.Run("ErrConflict", func(t *testing.T) {
		// Before: exit 0, "added 0": the stored value kept.
		fixed := writeTemp(t, "fixed.csv", strings.Replace(tokenTransfersCSV, ",2500000,", ",2600000,", 1))
		wantExit2(t, "fixed.csv:2: transaction 0x0101010101010101010101010101010101010101010101010101010101010101 position 4 (ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7): value 2600000 here, 2500000 in the database",
			"--db", dbFile, "--format", "etl-token-transfers", fixed)
		code, out, errOut := runCLI(t, "import", "--db", dbFile, "--format", "etl-token-transfers", "--replace", fixed)
		if code != 0 || out != fixed+": read 2, added 0, skipped 0, already stored 1, replaced 1 (1 zero-value, stored and flagged)\n" {
			t.Fatalf("--replace: exit %d, %q %q", code, out, errOut)
		}
		code, out, _ = runCLI(t, "db", "imports", "--db", dbFile)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 4 || !strings.Contains(lines[0], "ALREADY STORED  REPLACED") ||
			!strings.Contains(lines[3], "etl-token-transfers  2     0      0        1               1 ") || !strings.Contains(lines[1], " - ") {
			t.Fatalf("db imports: exit %d\n%s", code, out)
		}
	})
	t.Run("Repeated", func(t *testing.T) {
		rows := strings.SplitAfter(tokenTransfersCSV, "\n")
		twice := writeTemp(t, "twice.csv", rows[0]+rows[1]+rows[1])
		code, out, _ := runCLI(t, "import", "--db", filepath.Join(t.TempDir(), "x.db"), "--format", "etl-token-transfers", twice)
		if code != 0 || out != twice+": read 2, added 1, skipped 1 (1 repeated in the file)\n" {
			t.Fatalf("exit %d, %q", code, out)
		}
	})
	t.Run("ErrDuplicateHeader", func(t *testing.T) {
		f := writeTemp(t, "hdr.csv", strings.Replace(tokenTransfersCSV, "log_index", "value", 1))
		wantExit2(t, `hdr.csv:1: column "value" appears twice in the header`, "--db", dbFile, "--format", "etl-token-transfers", f)
	})
	t.Run("ErrBounds", func(t *testing.T) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte("token_address,from_address,to_address,value,transaction_hash,log_index,block_number\n"))
		zw.Write(bytes.Repeat([]byte("0"), 64<<20))
		zw.Close()
		big := filepath.Join(t.TempDir(), "big.csv.gz")
		if err := os.WriteFile(big, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		wantExit2(t, "big.csv.gz:2: line longer than 1048576 bytes", "--db", dbFile, "--format", "etl-token-transfers", big)
		var small bytes.Buffer
		zw = gzip.NewWriter(&small)
		zw.Write([]byte(tokenTransfersCSV))
		zw.Close()
		cut := filepath.Join(t.TempDir(), "cut.csv.gz")
		if err := os.WriteFile(cut, small.Bytes()[:small.Len()-10], 0o644); err != nil {
			t.Fatal(err)
		}
		wantExit2(t, cut+": not a readable gzip file (damaged or cut short)", "--db", dbFile, "--format", "etl-token-transfers", cut)
		huge := writeTemp(t, "huge.csv", strings.Replace(tokenTransfersCSV, ",2500000,", ","+strings.Repeat("7", 500_000)+",", 1))
		code, _, errOut := runCLI(t, "import", "--db", dbFile, "--format", "etl-token-transfers", huge)
		if code != exitUsage || len(errOut) > 300 || !strings.Contains(errOut, `huge.csv:2: value: "77777777`) || !strings.Contains(errOut, `"… has 500000 characters`) {
			t.Fatalf("huge value: exit %d, %d bytes of stderr: %.300s", code, len(errOut), errOut)
		}
		wantExit2(t, `y.csv:2: timestamp: "253402300800" seconds is after the year 9999`, "--db", dbFile, "--format", "etl-blocks",
			writeTemp(t, "y.csv", "number,hash,timestamp\n7,0x"+strings.Repeat("ab", 32)+",253402300800\n"))
	})
	t.Run("ErrTronscan", func(t *testing.T) {
		const hdr = "transaction_id,block_ts,from_address,to_address,quant,contract_address,tokenDecimal,event_index\n"
		row := "ee00000000000000000000000000000000000000000000000000000000000001,1767225903000,TJB725SjJZ1HR8EBiAARFyBuiNyi1GSjvf,TJB8DqA9wVdjH4FuquaEe2SXGn1xLEkzVN,3000000000,TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t,6,0\n"
		tdb := filepath.Join(t.TempDir(), "tron.db")
		wantExit2(t, "scan.csv:2: the last line has no line end", "--db", tdb, "--format", "tronscan", writeTemp(t, "scan.csv", hdr+row[:len(row)-3]))
		scan := writeTemp(t, "scan.csv", hdr+row+row)
		if code, out, errOut := runCLI(t, "import", "--db", tdb, "--format", "tronscan", scan); code != 0 || out != scan+": read 2, added 1, skipped 1 (1 repeated in the file)\n" {
			t.Fatalf("tronscan: exit %d, %q %q", code, out, errOut)
		}
		fixed := writeTemp(t, "fixed.csv", hdr+strings.Replace(row, ",3000000000,", ",3000000001,", 1))
		wantExit2(t, "fixed.csv:2: transaction ee00000000000000000000000000000000000000000000000000000000000001 position 0 (tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t): value 3000000001 here, 3000000000 in the database",
			"--db", tdb, "--format", "tronscan", fixed)
		if code, out, errOut := runCLI(t, "import", "--db", tdb, "--format", "tronscan", "--replace", fixed); code != 0 || !strings.Contains(out, "replaced 1") {
			t.Fatalf("tronscan --replace: exit %d, %q %q", code, out, errOut)
		}
	})
	if s := stats(); !strings.Contains(s, "transfers    2\n") || !strings.Contains(s, "imports      3\n") {
		t.Fatalf("after the refused files:\n%s", s)
	}
}
