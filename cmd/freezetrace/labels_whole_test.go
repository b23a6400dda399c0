package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/labels"
	"freezetrace/chains/store"
)

// storedLabels counts the labels in the database at path, by
// "chain/category"; a database that does not exist holds none.
func storedLabels(t *testing.T, path string) (map[string]int64, int64) {
	t.Helper()
	by := map[string]int64{}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return by, 0
	}
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := db.LabelStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, s := range st {
		by[string(s.Chain)+"/"+string(s.Category)] = s.Labels
		total += s.Labels
	}
	return by, total
}

// killCategories are the categories of the rows killFile writes, in file
// order: each is a chain and category of its own, so the import writes
// them as separate groups.
var killCategories = []struct{ chain, cat string }{
	{"ethereum", "exchange"}, {"tron", "sanctioned"}, {"bsc", "scam"}, {"polygon", "mixer"},
}

// labelCSV writes a CSV of perCategory rows for each of killCategories,
// with a distinct address per row, to dir/name.
func labelCSV(t *testing.T, dir, name string, perCategory int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("chain,address,entity,category\n")
	n := 0
	for _, c := range killCategories {
		for i := 0; i < perCategory; i++ {
			n++
			addr := fmt.Sprintf("0x%040x", n)
			if c.chain == "tron" {
				addr = fmt.Sprintf("0x41%040x", n)
			}
			fmt.Fprintf(&b, "%s,%s,Entity %d,%s\n", c.chain, addr, n, c.cat)
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// An error on the last label of a file stores nothing of the file, though
// its other labels are of other chains and categories.
func TestLabelsStoreFileErrorOnLastLabelStoresNothing(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ft.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := chains.MustParseAddress("0x28c6c06298d514db089934071355e5743bf21d60")
	ls := []chains.Label{
		{Chain: chains.Ethereum, Address: a, Entity: "A", Category: chains.CategoryExchange, Source: "s", Confidence: 100},
		{Chain: chains.BSC, Address: a, Entity: "B", Category: chains.CategorySanctioned, Source: "s", Confidence: 100},
		{Chain: chains.Polygon, Address: a, Entity: "C", Category: chains.CategoryScam, Source: "s", Confidence: 100},
		{Chain: chains.Chain("dogecoin"), Address: a, Entity: "D", Category: chains.CategoryScam, Source: "s", Confidence: 100},
	}
	if _, err := storeFile(ctx, db, ls, nil); err == nil {
		t.Fatal("a label on an unknown chain was stored")
	}
	if by, n := storedLabels(t, path); n != 0 {
		t.Fatalf("after an error on the last label %d labels are stored: %v", n, by)
	}
	groups, err := storeFile(ctx, db, ls[:3], nil)
	if err != nil || len(groups) != 3 || groups[2].added != 1 {
		t.Fatalf("the good labels: %v, groups %+v", err, groups)
	}
	if _, n := storedLabels(t, path); n != 3 {
		t.Fatalf("%d labels stored, want 3", n)
	}
}

// A file that is bad as a whole stores nothing, even from the rows before
// the fault, and exits 2 with file:line.
func TestLabelsImportBadFileStoresNothing(t *testing.T) {
	dir := t.TempDir()
	good := labelCSV(t, dir, "rows.csv", 5)
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, last string
		strict     bool
		want       string // the whole of stderr's first line, after the file's path
	}{
		{"UnterminatedQuoteOnLastRow", "polygon,0x00000000000000000000000000000000000000ff,\"Mixer,mixer\n", false, ":22: unterminated quote"},
		{"StrictBadLastRow", "polygon,0x00ff,Mixer,mixer\n", true, ":22: polygon address: not an EVM address"},
		{"StrictTooLongLastRow", "polygon,0x00000000000000000000000000000000000000ff," + strings.Repeat("é", 10<<10) + ",mixer\n", true,
			`:22: entity is 10240 characters, over the limit of 500: "` + strings.Repeat("é", 80) + `"…`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "ft.db")
			p := filepath.Join(t.TempDir(), "list.csv")
			if err := os.WriteFile(p, append(append([]byte{}, body...), tc.last...), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{"labels", "import", "--db", db, "--format", "csv"}
			if tc.strict {
				args = append(args, "--strict")
			}
			code, out, errOut := runCLI(t, append(args, p)...)
			first, _, _ := strings.Cut(errOut, "\n")
			if code != exitUsage || !strings.HasPrefix(first, "freezetrace: "+p+tc.want) {
				t.Fatalf("exit %d, stderr %.300q; want exit 2 and %q", code, errOut, p+tc.want)
			}
			if !strings.Contains(out, "1 files failed (nothing stored from them):") {
				t.Errorf("summary does not say the file failed:\n%.2000s", out)
			}
			if by, n := storedLabels(t, db); n != 0 {
				t.Fatalf("%d labels of the bad file stored: %v", n, by)
			}
		})
	}
}

// In a folder, a bad file stores nothing, the others are imported, the
// summary names the bad one and the exit code is 2.
func TestLabelsImportFolderWithBadFile(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("Strict=%v", strict), func(t *testing.T) {
			dir := t.TempDir()
			a := "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,Binance,exchange\n"
			b := "tron,TMuA6YqfCeX8EhbfYEg5y7S4DqzSJireY9,Scammer,scam\n"
			bad := "ethereum,0x8589427373d6d84e98730d7795d8f6f8731fda16,Mixer,mixer\n" +
				"ethereum,0x722122df12d4e14e13ac3b6895a86e84145b6967,\"Tornado,mixer\n" +
				"ethereum,0x5a52e96bacdabb82fd05763e25335261b270efcb,Other,other\n"
			if strict {
				bad = "ethereum,0x8589427373d6d84e98730d7795d8f6f8731fda16,Mixer,mixer\nethereum,0x12,Bad,mixer\n"
			}
			for name, body := range map[string]string{"a.csv": a, "b.csv": bad, "c.csv": b} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			db := filepath.Join(t.TempDir(), "ft.db")
			args := []string{"labels", "import", "--db", db, "--format", "csv"}
			if strict {
				args = append(args, "--strict")
			}
			code, out, errOut := runCLI(t, append(args, dir)...)
			badPath := filepath.Join(dir, "b.csv")
			if code != exitUsage || !strings.Contains(errOut, "labels import: 1 of 3 files failed and stored nothing, the others were imported; first: "+badPath+":2: ") {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			for _, want := range []string{badPath + "  -     -       -      -        failed", "1 files failed (nothing stored from them):\n  " + badPath + ":2: ",
				"ethereum  exchange  1       1", "tron      scam      1       1"} {
				if !strings.Contains(out, want) {
					t.Errorf("summary lacks %q:\n%s", want, out)
				}
			}
			if by, n := storedLabels(t, db); n != 2 || by["ethereum/exchange"] != 1 || by["tron/scam"] != 1 {
				t.Fatalf("stored %v, want the two good files' labels only", by)
			}
		})
	}
}

func TestLabelsImportSourceTooLong(t *testing.T) {
	db := filepath.Join(t.TempDir(), "ft.db")
	p := labelFile(t, "a.csv", "ethereum,0x28c6c06298d514db089934071355e5743bf21d60,Binance,exchange\n")
	code, _, errOut := runCLI(t, "labels", "import", "--db", db, "--format", "csv", "--source", strings.Repeat("x", labels.MaxSource+1), p)
	if code != exitUsage || !strings.HasPrefix(errOut, "freezetrace: --source is 2001 characters, over the limit of 2000\n") {
		t.Fatalf("exit %d, stderr %.300q", code, errOut)
	}
}

// The helper process of TestLabelsImportKilled: it imports one file as
// the CLI does and says on stderr how much of it is written, inside the
// file's transaction, after each chain and category.
func labelsImportHelper() {
	o := labelsImportOptions{
		DB: os.Getenv("FREEZETRACE_TEST_LABELS_DB"), Format: labels.FormatCSV,
		Paths: []string{os.Getenv("FREEZETRACE_TEST_LABELS_FILE")},
		written: func(_ string, n, total int) {
			fmt.Fprintf(os.Stderr, "written %d of %d\n", n, total)
		},
	}
	if err := runLabelsImport(context.Background(), o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

// A process killed (SIGKILL) while it imports a file leaves all of the
// file's labels or none: after each chain and category is written, when
// the old code had committed it, and at points in time through a run of
// the real CLI.
func TestLabelsImportKilled(t *testing.T) {
	if os.Getenv("FREEZETRACE_TEST_LABELS_DB") != "" {
		labelsImportHelper()
		return
	}
	if testing.Short() {
		t.Skip("spawns and kills processes")
	}
	const perCategory = 2500
	total := int64(perCategory * len(killCategories))
	file := labelCSV(t, t.TempDir(), "big.csv", perCategory)

	// check runs cmd and kills it (SIGKILL) once it says on stderr that it
	// has written killAt labels, or after the time after, whichever is
	// set; then the database must hold all of the file or none of it. It
	// returns the number of labels stored and whether the kill came before
	// the import ended.
	check := func(t *testing.T, db string, cmd *exec.Cmd, killAt int, after time.Duration) (int64, bool) {
		t.Helper()
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if after > 0 {
			timer := time.AfterFunc(after, func() { cmd.Process.Kill() })
			defer timer.Stop()
		}
		var tail []string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var n, of int
			if _, err := fmt.Sscanf(sc.Text(), "written %d of %d", &n, &of); err == nil && killAt > 0 && n >= killAt {
				cmd.Process.Kill()
			}
			tail = append(tail, sc.Text())
		}
		err = cmd.Wait()
		var ee *exec.ExitError
		killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL
		if err != nil && !killed {
			t.Fatalf("import: %v\n%s", err, strings.Join(tail, "\n"))
		}
		by, n := storedLabels(t, db)
		if n != 0 && n != total {
			t.Fatalf("killed mid-import: %d of the file's %d labels stored: %v", n, total, by)
		}
		return n, killed
	}

	t.Run("AfterEachCategory", func(t *testing.T) {
		for k := 1; k <= len(killCategories); k++ {
			t.Run(strconv.Itoa(k), func(t *testing.T) {
				db := filepath.Join(t.TempDir(), "ft.db")
				cmd := exec.Command(os.Args[0], "-test.run", "^TestLabelsImportKilled$", "-test.count", "1")
				cmd.Env = append(os.Environ(), "FREEZETRACE_TEST_LABELS_DB="+db, "FREEZETRACE_TEST_LABELS_FILE="+file)
				n, killed := check(t, db, cmd, k*perCategory, 0)
				if !killed {
					t.Fatalf("the import ended before the kill")
				}
				// Until the last category is written, the commit is not
				// even begun.
				if k < len(killCategories) && n != 0 {
					t.Fatalf("killed after %d of %d categories: %d labels stored, want 0", k, len(killCategories), n)
				}
			})
		}
	})

	t.Run("RealCLI", func(t *testing.T) {
		exe, err := exec.LookPath("freezetrace") // installed by testscript.Main in TestMain
		if err != nil {
			t.Fatal(err)
		}
		// A full run first, to know how long one takes.
		db := filepath.Join(t.TempDir(), "ft.db")
		start := time.Now()
		if out, err := exec.Command(exe, "labels", "import", "--db", db, "--format", "csv", file).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		full := time.Since(start)
		if _, n := storedLabels(t, db); n != total {
			t.Fatalf("a full run stored %d labels, want %d", n, total)
		}
		kills := 0
		for _, frac := range []float64{0.2, 0.4, 0.6, 0.8} {
			t.Run(fmt.Sprint(frac), func(t *testing.T) {
				db := filepath.Join(t.TempDir(), "ft.db")
				cmd := exec.Command(exe, "labels", "import", "--db", db, "--format", "csv", file)
				n, killed := check(t, db, cmd, 0, time.Duration(frac*float64(full)))
				if killed {
					kills++
				}
				t.Logf("killed %v at %.0f%% of a full run: %d labels stored", killed, 100*frac, n)
			})
		}
		if kills == 0 {
			t.Fatalf("every run ended before its kill (a full run took %v)", full)
		}
	})
}
