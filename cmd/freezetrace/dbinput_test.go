package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"freezetrace/chains/store"
)

// TestDBBadInput gives every kind of command a --db that names no
// database freezetrace can use: a text file, a directory, another
// program's SQLite database, a database of a newer schema, a file in a
// directory that does not exist. Each exits 2 with one line naming --db
// and the path, and a hint, and leaves the file as it was. Before, the
// text file and the other program's database exited 1 (or were written
// to), and the newer schema was opened as if it were known.
func TestDBBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("victim,address\nalice,0x11\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	folder := filepath.Join(dir, "folder")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.sqlite")
	sqlDo(t, other, `CREATE TABLE contacts (name TEXT)`, `INSERT INTO contacts VALUES ('x')`)
	newer := filepath.Join(dir, "newer.db")
	db, err := store.Open(context.Background(), newer)
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	sqlDo(t, newer, `UPDATE schema_version SET version = `+strconv.Itoa(v+1))
	missing := filepath.Join(dir, "gone", "case.db")

	transfers := writeTemp(t, "tt.csv", tokenTransfersCSV)
	// Each command's words, then (after --db PATH) the rest of its
	// arguments.
	commands := map[string][2][]string{
		"DBStats":    {{"db", "stats"}, nil},
		"Trace":      {{"trace"}, {"--offline", "--victim-tx", "0x0101010101010101010101010101010101010101010101010101010101010101"}},
		"Import":     {{"import"}, {"--format", "etl-token-transfers", transfers}},
		"LabelsShow": {{"labels", "show"}, {"0x1111111111111111111111111111111111111111"}},
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"Text", text, "--db " + text + ": not a freezetrace database (no SQLite header)"},
		{"Directory", folder, "--db " + folder + " is a directory, not a database file"},
		{"OtherProgram", other, "--db " + other + ": not a freezetrace database (a SQLite database without freezetrace's schema_version table)"},
		{"NewerSchema", newer, "--db " + newer + ": schema version " + strconv.Itoa(v+1) + ", newer than this freezetrace knows (" + strconv.Itoa(v) + "); open it with a newer freezetrace"},
		{"NoDirectory", missing, "--db " + missing + ": directory " + filepath.Dir(missing) + " does not exist"},
	} {
		for cmd, args := range commands {
			t.Run(c.name+"/"+cmd, func(t *testing.T) {
				before := readAll(t, c.path)
				code, out, errOut := runCLI(t, slices.Concat(args[0], []string{"--db", c.path}, args[1])...)
				lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
				if code != exitUsage || lines[0] != "freezetrace: "+c.want || len(lines) != 2 || !strings.HasPrefix(lines[1], "Try: ") {
					t.Errorf("exit %d, stderr %q\nwant exit 2, %q and a hint", code, errOut, "freezetrace: "+c.want)
				}
				if out != "" {
					t.Errorf("stdout %q", out)
				}
				if after := readAll(t, c.path); !bytes.Equal(before, after) {
					t.Errorf("%s changed", c.path)
				}
				for _, side := range []string{"-wal", "-shm", "-journal"} {
					if _, err := os.Stat(c.path + side); err == nil {
						t.Errorf("%s%s created", c.path, side)
					}
				}
				if _, err := os.Stat(filepath.Dir(missing)); err == nil {
					t.Errorf("%s created", filepath.Dir(missing))
				}
			})
		}
	}
}

// TestDefaultDBIsDirectory: with no --db, the database lives in the user's
// cache directory; a directory in its place is a usage error that says
// which path (before, it failed inside the store with exit code 1).
func TestDefaultDBIsDirectory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the cache directory follows XDG_CACHE_HOME on Linux only")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("FREEZETRACE_DB", "")
	p := filepath.Join(cache, "freezetrace", "freezetrace.db")
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runCLI(t, "db", "stats")
	if want := "freezetrace: the database " + p + " is a directory, not a database file\nTry: --db case.db\n"; code != exitUsage || errOut != want {
		t.Errorf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
}

// readAll is the file's contents; nil for a directory or no file.
func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) && !strings.Contains(err.Error(), "is a directory") {
		t.Fatal(err)
	}
	return b
}

// sqlDo runs stmts on the SQLite file at path directly, as another program
// would (rollback journal, no freezetrace schema checks).
func sqlDo(t *testing.T, path string, stmts ...string) {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	for _, s := range stmts {
		if _, err := sdb.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
}
