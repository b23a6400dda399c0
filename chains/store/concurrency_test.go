package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

// A holder is another process (this test binary again, see
// TestHoldWriteLock) that takes the write lock of a database file and
// keeps it until told to commit.
type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startHolder starts a holder on path and returns once it holds the write
// lock. mode "import" holds it inside a store Import that has stored
// holdRows transfers; mode "raw" holds it with a plain BEGIN IMMEDIATE and
// never opens the file through Open (so it migrates nothing).
func startHolder(t *testing.T, path, mode string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHoldWriteLock$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "FREEZETRACE_TEST_HOLD_DB="+path, "FREEZETRACE_TEST_HOLD_MODE="+mode)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		h.stdin.Close()
		h.cmd.Process.Kill()
		h.cmd.Wait()
	})
	if line, err := h.out.ReadString('\n'); line != "locked\n" {
		t.Fatalf("holder: got %q, %v; want \"locked\"", line, err)
	}
	return h
}

// commit tells the holder to commit and waits for it to exit.
func (h *holder) commit(t *testing.T) {
	t.Helper()
	if _, err := io.WriteString(h.stdin, "commit\n"); err != nil {
		t.Fatal(err)
	}
	line, _ := h.out.ReadString('\n')
	if err := h.cmd.Wait(); err != nil || line != "committed\n" {
		t.Fatalf("holder: %q, %v", line, err)
	}
}

const holdRows = 50

// holdTransfers are what a holder in mode "import" stores.
func holdTransfers() []chains.Transfer {
	ts := make([]chains.Transfer, holdRows)
	for i := range ts {
		ts[i] = tr(9000+i, uint64(9000+i), 0, bob, carol, uint64(i+1))
	}
	return ts
}

// TestHoldWriteLock is the holder process; run directly it does nothing.
func TestHoldWriteLock(t *testing.T) {
	path := os.Getenv("FREEZETRACE_TEST_HOLD_DB")
	if path == "" {
		t.Skip("the process startHolder starts")
	}
	if err := holdWriteLock(path, os.Getenv("FREEZETRACE_TEST_HOLD_MODE")); err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		os.Exit(3)
	}
}

func holdWriteLock(path, mode string) error {
	ctx := context.Background()
	wait := func() error {
		fmt.Println("locked")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if line != "commit\n" {
			return fmt.Errorf("told %q (%v), want commit", line, err)
		}
		return nil
	}
	switch mode {
	case "import":
		db, err := Open(ctx, path)
		if err != nil {
			return err
		}
		defer db.Close()
		im, err := db.BeginImport(ctx, ImportInfo{Chain: chains.Ethereum, File: "held.csv", Format: "test", Time: time.Unix(1_700_000_000, 0)})
		if err != nil {
			return err
		}
		defer im.Rollback()
		if _, err := im.PutTransfers(ctx, holdTransfers()); err != nil {
			return err
		}
		if err := wait(); err != nil {
			return err
		}
		if _, err := im.Commit(ctx, ImportCounts{Read: holdRows, Added: holdRows}); err != nil {
			return err
		}
	case "raw":
		sdb, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
		if err != nil {
			return err
		}
		defer sdb.Close()
		tx, err := sdb.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.Exec(`INSERT INTO blocks (chain, number, time) VALUES ('ethereum', 424242, 1)`); err != nil {
			return err
		}
		if err := wait(); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("mode %q", mode)
	}
	fmt.Println("committed")
	return nil
}

// TestOpenReaderNotBlockedByImport opens and reads a database while
// another process's import holds its write lock, uncommitted. The holder
// commits only when told, after the reader has finished, so the reader
// finishing at all shows it did not wait for the writer (before, Open
// checked the migrations under BEGIN IMMEDIATE and waited two minutes).
// The reader sees the last committed state; after the commit, the import
// too.
func TestOpenReaderNotBlockedByImport(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	before := []chains.Transfer{tr(1, 10, 0, alice, bob, 100), tr(2, 11, 0, bob, carol, 60)}
	if _, err := db.PutTransfers(ctx, before); err != nil {
		t.Fatal(err)
	}
	db.Close()

	h := startHolder(t, path, "import")

	// The holder commits only after the reader is done, so a reader that
	// waits for it fails (SQLITE_BUSY after the two-minute busy timeout);
	// this bound, below that timeout and far above what an unblocked Open
	// takes even on a loaded machine, only makes it fail sooner.
	rctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	start := time.Now()
	r, err := Open(rctx, path)
	if err != nil {
		t.Fatalf("open while an import holds the write lock: %v (after %s)", err, time.Since(start))
	}
	defer r.Close()
	q := chains.Query{Chain: chains.Ethereum, Address: bob, Asset: usdt, From: 0, To: chains.Latest}
	got, err := r.CachedTransfers(rctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, before) {
		t.Fatalf("read during the import:\ngot  %+v\nwant %+v (the committed state)", got, before)
	}
	if v, err := r.SchemaVersion(rctx); err != nil || v != latestVersion(t) {
		t.Fatalf("schema version %d, %v; want %d", v, err, latestVersion(t))
	}

	h.commit(t)
	got, err = r.CachedTransfers(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(before) + holdRows; len(got) != want {
		t.Fatalf("after the import committed: %d transfers of bob, want %d", len(got), want)
	}
}

// TestOpenMigrationWaitIsBounded opens a file of an older schema while
// another process holds its write lock: Open must migrate, so it waits,
// but only as long as it was told, then says which database is locked and
// by whom, as a *LockedError (not bad input: exit code 1), having changed
// nothing. Once the lock is free the same Open migrates.
func TestOpenMigrationWaitIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old := latestVersion(t) - 1
	writeOldSchema(t, path, old)

	h := startHolder(t, path, "raw")
	_, err := open(ctx, path, 300*time.Millisecond)
	var le *LockedError
	if !errors.As(err, &le) {
		t.Fatalf("open a locked file that needs a migration: got %v, want a *LockedError", err)
	}
	var ie *chains.InputError
	if errors.As(err, &ie) {
		t.Errorf("a locked file is reported as bad input: %v", err)
	}
	msg := err.Error()
	if le.Path != path || !strings.Contains(msg, "database "+path+" is locked") || strings.Contains(msg, "\n") {
		t.Errorf("message %q: want one line naming the database", msg)
	}
	if !strings.Contains(msg, fmt.Sprintf("to upgrade its schema from version %d to %d;", old, latestVersion(t))) {
		t.Errorf("message %q does not say what Open was waiting to do", msg)
	}
	if runtime.GOOS == "linux" && procLocksWork(t) {
		if want := "process " + strconv.Itoa(h.cmd.Process.Pid) + " ("; !strings.Contains(le.Holder, want) {
			t.Errorf("holder %q, want it to name %s…)", le.Holder, want)
		}
	}
	if v := rawVersion(t, path); v != old {
		t.Errorf("schema version %d after the refused open, want %d (unchanged)", v, old)
	}

	h.commit(t)
	db, err := open(ctx, path, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v != latestVersion(t) {
		t.Fatalf("schema version %d, %v after the lock was freed; want %d", v, err, latestVersion(t))
	}
}

// procLocksWork reports whether this kernel shows POSIX locks in
// /proc/locks (some sandboxes hide it).
func procLocksWork(t *testing.T) bool {
	b, err := os.ReadFile("/proc/locks")
	if err != nil || !strings.Contains(string(b), "POSIX") {
		t.Log("/proc/locks shows no POSIX locks: not checking the holder's name")
		return false
	}
	return true
}

// latestVersion is the newest migration this package knows.
func latestVersion(t testing.TB) int {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	return latest(ms)
}

// writeOldSchema writes at path a database as a freezetrace of schema
// version v left it: migrations 1…v, in WAL mode.
func writeOldSchema(t testing.TB, path string, v int) {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	stmts := []string{`PRAGMA journal_mode = WAL`, `CREATE TABLE schema_version (version INTEGER NOT NULL)`,
		`INSERT INTO schema_version VALUES (` + strconv.Itoa(v) + `)`}
	for _, m := range ms {
		if m.version <= v {
			stmts = append(stmts, m.sql)
		}
	}
	for _, s := range stmts {
		if _, err := sdb.Exec(s); err != nil {
			t.Fatalf("%.40s: %v", s, err)
		}
	}
}

// rawVersion reads the schema version without Open.
func rawVersion(t testing.TB, path string) int {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var v int
	if err := sdb.QueryRow(`SELECT version FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
