package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"freezetrace/chains"
)

// What Open and Check say of a path that names no database this package
// can use. Each comes wrapped in chains.Invalid (the user named the wrong
// file) with the path; match them with errors.Is.
var (
	// ErrIsDirectory: the path is a directory.
	ErrIsDirectory = errors.New("is a directory")
	// ErrNoDirectory: no file is at the path and the directory it would
	// be created in does not exist.
	ErrNoDirectory = errors.New("no such directory")
	// ErrNotDatabase: the file is not a SQLite database, or is one of
	// another program (tables, but not freezetrace's schema_version).
	ErrNotDatabase = errors.New("not a freezetrace database")
	// ErrNewerSchema: the file was written by a newer freezetrace. This
	// one neither migrates it down nor writes to it.
	ErrNewerSchema = errors.New("schema newer than this freezetrace knows")
)

// fileError is a path that names no usable database; err is one of the
// sentinels above.
type fileError struct {
	path   string
	err    error
	detail string
}

func (e *fileError) Error() string {
	switch e.err {
	case ErrIsDirectory:
		return e.path + " is a directory"
	case ErrNoDirectory:
		return fmt.Sprintf("%s: directory %s does not exist", e.path, e.detail)
	case ErrNewerSchema:
		return fmt.Sprintf("%s: %s; open it with a newer freezetrace", e.path, e.detail)
	}
	return fmt.Sprintf("%s: %s (%s)", e.path, e.err, e.detail)
}

func (e *fileError) Unwrap() error { return e.err }

func badFile(path string, err error, detail string) error {
	return chains.Invalid(&fileError{path: path, err: err, detail: detail})
}

// LockedError is the answer of Open when it has to wait for the write
// lock (to create the file or migrate its schema) and another connection
// holds it for longer than Open waits. It is not a mistake in the input:
// the same command succeeds once the other process has finished.
type LockedError struct {
	Path   string
	Holder string // who holds the lock, e.g. "process 4242 (freezetrace import …)"; "" if unknown
	Doing  string // what Open was waiting to do, e.g. "upgrade its schema from version 8 to 9"
	Waited time.Duration
	Err    error // the driver's SQLITE_BUSY
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.Holder != "" {
		who = e.Holder
	}
	return fmt.Sprintf("database %s is locked: %s is writing to it; waited %s to %s; try again when it has finished",
		e.Path, who, e.Waited.Round(time.Second), e.Doing)
}

func (e *LockedError) Unwrap() error { return e.Err }

// locked is the LockedError of a wait for the lock that failed.
func (db *DB) locked(err error, waited time.Duration, doing string) error {
	return &LockedError{Path: db.path, Holder: lockHolder(db.path), Doing: doing, Waited: waited, Err: err}
}

// classify turns the driver's "not a database" and "malformed" errors
// into ErrNotDatabase, and wraps the others with the path.
func (db *DB) classify(err error) error {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch coded.Code() & 0xff {
		case 26, 11: // SQLITE_NOTADB, SQLITE_CORRUPT
			return badFile(db.path, ErrNotDatabase, err.Error())
		}
	}
	return fmt.Errorf("open %s: %w", db.path, err)
}

// sqliteHeader is how every SQLite database file begins.
var sqliteHeader = []byte("SQLite format 3\x00")

// checkFile looks at path without opening it as a database: whether a
// file is there (false: Open creates it), and an error if what is there
// cannot be a database.
func checkFile(path string) (bool, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(path)
		if dst, derr := os.Stat(dir); derr != nil || !dst.IsDir() {
			return false, badFile(path, ErrNoDirectory, dir)
		}
		return false, nil
	case err != nil:
		return false, fmt.Errorf("open %s: %w", path, err)
	case st.IsDir():
		return false, badFile(path, ErrIsDirectory, "")
	case !st.Mode().IsRegular():
		return false, badFile(path, ErrNotDatabase, "not a regular file")
	case st.Size() == 0:
		return true, nil // SQLite's empty database
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return false, fmt.Errorf("open %s: %w", path, err)
	}
	if !bytes.Equal(head, sqliteHeader) {
		return false, badFile(path, ErrNotDatabase, "no SQLite header")
	}
	return true, nil
}

// schemaState is what a read of a file tells about its schema.
type schemaState struct {
	version int  // the newest migration applied; 0 for a new file
	known   bool // the file has freezetrace's schema_version table
	foreign bool // the file has tables, but not schema_version
	wal     bool // the file is in WAL mode
}

// usable returns the error for a file in state st, given the newest
// migration this package knows.
func (st schemaState) usable(path string, want int) error {
	switch {
	case st.foreign:
		return badFile(path, ErrNotDatabase, "a SQLite database without freezetrace's schema_version table")
	case st.version > want:
		return badFile(path, ErrNewerSchema, fmt.Sprintf("schema version %d, newer than this freezetrace knows (%d)", st.version, want))
	}
	return nil
}

// readSchema reads the schema of the file behind sdb: plain reads, no
// transaction, so it never takes or waits for the write lock of a file in
// WAL mode.
func readSchema(ctx context.Context, sdb *sql.DB, path string, busy time.Duration) (schemaState, error) {
	db := &DB{sql: sdb, path: path}
	fail := func(err error, start time.Time) (schemaState, error) {
		if isBusy(err) {
			return schemaState{}, db.locked(err, time.Since(start), "read its schema version")
		}
		return schemaState{}, db.classify(err)
	}
	var st schemaState
	start := time.Now()
	var objects, marked int
	err := sdb.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(type = 'table' AND name = 'schema_version'), 0) FROM sqlite_master`).Scan(&objects, &marked)
	if err != nil {
		return fail(err, start)
	}
	var mode string
	if err := sdb.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fail(err, start)
	}
	st.wal = strings.EqualFold(mode, "wal")
	switch {
	case marked > 0:
		st.known = true
	case objects > 0:
		st.foreign = true
		return st, nil
	default:
		return st, nil // a new, empty file
	}
	err = sdb.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&st.version)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fail(err, start)
	}
	return st, nil
}

// latest is the newest version among ms (sorted by version).
func latest(ms []migration) int {
	if len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}
