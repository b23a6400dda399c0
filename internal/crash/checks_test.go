package crash

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The harness's own checks must catch what they are for: these tests
// break each on purpose.

func manifestOf(files tree) []byte {
	var b strings.Builder
	for _, n := range sortedKeys(files) {
		s := sha256.Sum256(files[n])
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(s[:]), n)
	}
	return []byte(b.String())
}

func TestManifestProblem(t *testing.T) {
	report := tree{"a/letter.md": []byte("letter"), "overview.md": []byte("overview")}
	whole := tree{manifestName: manifestOf(report)}
	for k, v := range report {
		whole[k] = v
	}
	if msg := manifestProblem(whole); msg != "" {
		t.Fatalf("a complete report: %s", msg)
	}
	for _, tc := range []struct {
		name  string
		edit  func(tree)
		wants string
	}{
		{"ErrMissing", func(f tree) { delete(f, "overview.md") }, "1 listed files missing (e.g. overview.md)"},
		{"ErrHash", func(f tree) { f["a/letter.md"] = []byte("half") }, "1 files with another hash than listed (e.g. a/letter.md)"},
		{"ErrUnlisted", func(f tree) { f["b/old.md"] = nil }, "1 files not listed (e.g. b/old.md)"},
		{"ErrNoManifest", func(f tree) { delete(f, manifestName) }, "no MANIFEST.sha256"},
		{"ErrEmptyManifest", func(f tree) { f[manifestName] = nil }, "an empty MANIFEST.sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tree{}
			for k, v := range whole {
				f[k] = v
			}
			tc.edit(f)
			if got := manifestProblem(f); !strings.Contains(got, tc.wants) {
				t.Errorf("got %q, want it to say %q", got, tc.wants)
			}
		})
	}
}

func TestCoverageProblems(t *testing.T) {
	x := func(tx string, block int64) xfer {
		return xfer{asset: "ethereum:AA", tx: tx, from: "F", to: "T", position: 0, block: block, line: tx}
	}
	cov := func(ix *dbIndex, from, to int64) *dbIndex {
		ix.coverage = []span{{asset: "ethereum:AA", addr: "F", from: from, last: to}}
		ix.covered = map[string][][2]int64{"ethereum:AA|F": {{from, to}}}
		return ix
	}
	ref := cov(newIndex([]xfer{x("1", 10), x("2", 20), x("3", 30)}), 0, 100)
	t.Run("OK", func(t *testing.T) {
		got := cov(newIndex([]xfer{x("1", 10), x("2", 20)}), 0, 25)
		if ps := coverageProblems(got, ref, lineID, true); len(ps) != 0 {
			t.Errorf("got %v, want none", ps)
		}
	})
	t.Run("ErrCoverageWithoutData", func(t *testing.T) {
		got := cov(newIndex([]xfer{x("1", 10)}), 0, 25)
		ps := coverageProblems(got, ref, lineID, true)
		if len(ps) != 1 || !strings.Contains(ps[0].detail, "1 missing, e.g. 2") {
			t.Errorf("got %v, want transfer 2 missing", ps)
		}
	})
	t.Run("ErrBeyondReference", func(t *testing.T) {
		got := cov(newIndex(nil), 0, 200)
		if ps := coverageProblems(got, ref, lineID, true); len(ps) != 1 || !strings.Contains(ps[0].detail, "covers no such range") {
			t.Errorf("got %v, want a range the uninterrupted run does not cover", ps)
		}
	})
}

func TestMergeRanges(t *testing.T) {
	got := mergeRanges([][2]int64{{51, 144}, {0, 50}, {200, 210}, {205, 206}})
	want := [][2]int64{{0, 144}, {200, 210}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestNormaliseTrace(t *testing.T) {
	in := `{"schema":"freezetrace.trace/v1","provenance":[{"chain":"ethereum","block":144,"retrieved":"2026-12-01T18:19:03Z"}],` +
		`"holdings":[{"block":144,"checked":"2026-12-01T18:19:03Z","balance":"10"}]}`
	other := strings.ReplaceAll(in, "18:19:03", "18:20:00")
	a, err := normaliseTrace("out/trace.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	b, err := normaliseTrace("out/trace.json", []byte(other))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Errorf("retrieval times still differ:\n%s\n%s", a, b)
	}
	if c, _ := normaliseTrace("out/trace.json", []byte(strings.Replace(in, `"10"`, `"11"`, 1))); string(c) == string(a) {
		t.Error("a balance changed and the normalised files are equal")
	}
	if _, err := normaliseTrace("out/trace.json", []byte(in[:len(in)/2])); err == nil {
		t.Error("half a trace.json normalised without an error")
	}
}

func TestCheckDBDuplicates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE transfers (id INTEGER PRIMARY KEY, tx BLOB, asset INTEGER, position INTEGER)`,
		`INSERT INTO transfers (tx, asset, position) VALUES (x'01', 1, 0), (x'01', 1, 0), (x'01', 1, 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	ps := checkDB(path, nil)
	if len(ps) != 1 || ps[0].check != "duplicates" || !strings.Contains(ps[0].detail, "transfers: 1 keys") {
		t.Errorf("got %v, want one duplicated transfer", ps)
	}
}

// A writer killed inside a transaction on a file still in rollback-journal
// mode leaves a hot journal; the checks see the database as the next
// writer will, rolled back.
func TestOpenROHotJournal(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "live.db")
	db, err := openDSN("file:" + live + "?_pragma=journal_mode(delete)&_pragma=cache_size(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (x); INSERT INTO t VALUES (1)`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// Far more than one page of cache: the transaction spills into the file.
	if _, err := tx.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
		INSERT INTO t SELECT randomblob(500) FROM n`); err != nil {
		t.Fatal(err)
	}
	// The files as a SIGKILL would leave them.
	crashed := filepath.Join(dir, "crashed")
	if err := os.Mkdir(crashed, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-journal"} {
		b, err := os.ReadFile(live + suffix)
		if err != nil {
			t.Fatalf("no %s while the transaction is open: %v", live+suffix, err)
		}
		if err := os.WriteFile(filepath.Join(crashed, "db.sqlite"+suffix), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(crashed, "db.sqlite")
	plain, err := openDSN("file:" + path + "?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = plain.QueryRow(`SELECT count(*) FROM t`).Scan(&n)
	plain.Close()
	var se *sqlite.Error
	if !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_READONLY_ROLLBACK {
		t.Fatalf("a plain read-only open: %v, want it refused for the hot journal", err)
	}
	if ps := checkDB(path, nil); len(ps) != 0 {
		t.Errorf("checks of a hot journal's database: %v", ps)
	}
	d, err := dumpDB(path)
	if err != nil {
		t.Fatal(err)
	}
	if d["t"] != "1" {
		t.Errorf("table t dumps as %.80q, want the one row committed before", d["t"])
	}
	if _, err := os.Stat(path + "-journal"); err != nil {
		t.Errorf("the checks touched the killed state: %v", err)
	}
}
