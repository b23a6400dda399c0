package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"freezetrace/chains"
)

// TestOpenRefusesBadFiles opens paths that name no database freezetrace
// can use. Open and Check both refuse each with an error that matches its
// sentinel, is bad input (chains.InputError: exit code 2), names the path
// on one line, and leaves the directory as it was: the file unchanged, no
// -wal, -shm or -journal beside it. Before, a text file failed as an
// internal error ("create schema_version: file is not a database"),
// another program's SQLite database was switched to WAL and given
// freezetrace's tables, and a newer schema was opened as if it were known.
func TestOpenRefusesBadFiles(t *testing.T) {
	ctx := context.Background()
	newer := latestVersion(t) + 1
	for _, c := range []struct {
		name  string
		make  func(t *testing.T, path string)
		want  error
		inMsg string
	}{
		{"Text", func(t *testing.T, path string) { write(t, path, "chain,address\nethereum,0x11\n") },
			ErrNotDatabase, ": not a freezetrace database (no SQLite header)"},
		{"Short", func(t *testing.T, path string) { write(t, path, "hi") },
			ErrNotDatabase, ": not a freezetrace database (no SQLite header)"},
		{"Garbage", func(t *testing.T, path string) { write(t, path, string(sqliteHeader)+strings.Repeat("\xff", 4000)) },
			ErrNotDatabase, ": not a freezetrace database ("},
		{"OtherProgram", func(t *testing.T, path string) {
			sqlExec(t, path, `CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`, `INSERT INTO notes (body) VALUES ('mine')`)
		}, ErrNotDatabase, ": not a freezetrace database (a SQLite database without freezetrace's schema_version table)"},
		{"Directory", func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}, ErrIsDirectory, " is a directory"},
		{"NoDirectory", nil, ErrNoDirectory, "/missing does not exist"},
		{"NewerSchema", func(t *testing.T, path string) {
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.sql.Exec(`UPDATE schema_version SET version = ?`, newer); err != nil {
				t.Fatal(err)
			}
			db.Close()
		}, ErrNewerSchema, ": schema version " + strconv.Itoa(newer) + ", newer than this freezetrace knows (" + strconv.Itoa(latestVersion(t)) + "); open it with a newer freezetrace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "case.db")
			if c.make == nil {
				path = filepath.Join(dir, "missing", "case.db")
			} else {
				c.make(t, path)
			}
			before := snapshot(t, dir)
			for _, op := range []struct {
				name string
				run  func() error
			}{
				{"Open", func() error {
					db, err := Open(ctx, path)
					if err == nil {
						db.Close()
					}
					return err
				}},
				{"Check", func() error { return Check(ctx, path) }},
			} {
				err := op.run()
				if !errors.Is(err, c.want) {
					t.Fatalf("%s: got %v, want %v", op.name, err, c.want)
				}
				var ie *chains.InputError
				if !errors.As(err, &ie) {
					t.Errorf("%s: %v is not bad input", op.name, err)
				}
				if msg := err.Error(); !strings.HasPrefix(msg, path) || !strings.Contains(msg, c.inMsg) || strings.Contains(msg, "\n") {
					t.Errorf("%s: message %q, want %q…%q on one line", op.name, msg, path, c.inMsg)
				}
				if after := snapshot(t, dir); !equalSnapshots(before, after) {
					t.Errorf("%s changed the directory:\nbefore %v\nafter  %v", op.name, names(before), names(after))
				}
			}
		})
	}
}

// TestCheckCreatesNothing: Check of a path where no file is yet accepts
// it (Open creates it) without creating it; of an older schema, accepts it
// without migrating it.
func TestCheckCreatesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	if err := Check(ctx, path); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("Check created %v", names(snapshot(t, dir)))
	}
	old := latestVersion(t) - 1
	writeOldSchema(t, path, old)
	if err := Check(ctx, path); err != nil {
		t.Fatal(err)
	}
	if v := rawVersion(t, path); v != old {
		t.Fatalf("schema version %d after Check, want %d", v, old)
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sqlExec runs stmts on the file at path in SQLite's default (rollback
// journal) mode, as another program would.
func sqlExec(t *testing.T, path string, stmts ...string) {
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

// snapshot is every file under dir with its contents.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		if d.IsDir() {
			out[p+"/"] = nil
			return nil
		}
		b, err := os.ReadFile(p)
		out[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equalSnapshots(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

func names(s map[string][]byte) []string {
	var out []string
	for k := range s {
		out = append(out, filepath.Base(k))
	}
	return out
}
