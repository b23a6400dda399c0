package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"freezetrace/chains"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long a writer waits for another process's write
// transaction before giving up, and how long Open waits for the write lock
// when the file's schema needs a migration. Imports of large files hold
// the lock for seconds, so it is generous. Readers of an up-to-date file
// never wait: they read the last committed state (WAL).
const busyTimeout = 2 * time.Minute

// DB is an open freezetrace database. It is safe for concurrent use.
type DB struct {
	sql   *sql.DB
	path  string
	addrs addrCache

	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt // prepared read statements, by query

	assetMu  sync.Mutex
	assetIDs map[chains.AssetID]int64 // stored assets' row ids

	read atomic.Int64 // transfers read from the file
}

// TransfersRead is how many transfer rows reads of this DB have returned
// so far: what a trace cost in data.
func (db *DB) TransfersRead() int64 { return db.read.Load() }

// Open opens (creating if needed) the database file at path and brings its
// schema up to date.
//
// Open checks the schema with a read, so opening an up-to-date file never
// waits for a writer: readers of a file that another process is importing
// into see its last committed state. Only a new file, or one whose schema
// is older than this package's, takes the write lock: each numbered
// migration then runs in its own write transaction and re-checks the
// version under the lock, so two processes opening a new file at once
// apply each migration once. Waiting for that lock is bounded; past the
// bound Open returns a *LockedError.
//
// A path that names no database this package can use is refused before
// anything is written to it, with an error wrapped in chains.Invalid that
// matches ErrIsDirectory, ErrNoDirectory, ErrNotDatabase (not SQLite, or
// another program's SQLite database) or ErrNewerSchema (written by a newer
// freezetrace: never migrated down, never written).
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, busyTimeout)
}

// open is Open with the bound on waiting for a lock.
func open(ctx context.Context, path string, busy time.Duration) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open database: want a file path, got %q", path)
	}
	ms, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	exists, err := checkFile(path)
	if err != nil {
		return nil, err
	}
	sdb, err := sql.Open("sqlite", dsn(path, busy))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db := &DB{sql: sdb, path: path}
	if err := db.migrate(ctx, ms, exists, busy); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Check tells, without creating or changing anything, whether Open would
// accept path: nil for a freezetrace database of a schema this package
// knows (older ones included: Open migrates them), and for a path where no
// file exists yet (Open creates it) or an empty file; otherwise the error
// Open would return for it.
func Check(ctx context.Context, path string) error {
	exists, err := checkFile(path)
	if err != nil || !exists {
		return err
	}
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	sdb, err := sql.Open("sqlite", dsn(path, busyTimeout))
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer sdb.Close()
	st, err := readSchema(ctx, sdb, path, busyTimeout)
	if err != nil {
		return err
	}
	return st.usable(path, latest(ms))
}

// dsn is the data source name of the file at path: per-connection
// settings in the DSN (a PRAGMA run once would set one pooled connection
// only). None of them writes, so a connection to a file that turns out
// not to be ours changes nothing: journal_mode, which is a property of
// the file, is set once when the file is created (see migrate). Every
// write transaction takes the write lock when it begins (_txlock), waiting
// up to busy for another writer; reads are not transactions and never
// take it.
func dsn(path string, busy time.Duration) string {
	q := url.Values{}
	for _, p := range []string{
		"busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")",
		"synchronous(NORMAL)",
		"cache_size(-65536)",
		"temp_store(MEMORY)",
		"threads(2)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Close closes the database.
func (db *DB) Close() error {
	db.stmtMu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	db.stmts = nil
	db.stmtMu.Unlock()
	return db.sql.Close()
}

// row runs a one-row read through a statement prepared once (see prepared).
func (db *DB) row(ctx context.Context, query string, args ...any) scanner {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

// rows runs a read through a statement prepared once (see prepared).
func (db *DB) rows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// prepared returns query prepared once for the life of the DB: reads that
// run thousands of times per trace then skip parsing the SQL each time.
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	db.stmtMu.Lock()
	defer db.stmtMu.Unlock()
	if st, ok := db.stmts[query]; ok {
		return st, nil
	}
	st, err := db.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if db.stmts == nil {
		db.stmts = map[string]*sql.Stmt{}
	}
	db.stmts[query] = st
	return st, nil
}

// Path returns the file the database lives in.
func (db *DB) Path() string { return db.path }

// SchemaVersion returns the number of the newest migration applied.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.sql.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&v)
	return v, err
}

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	ents, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range ents {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", e.Name())
		}
		b, err := fs.ReadFile(migrations, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate brings the schema up to date. It reads the schema first and
// returns without taking the write lock when nothing is to be done.
func (db *DB) migrate(ctx context.Context, ms []migration, exists bool, busy time.Duration) error {
	want := latest(ms)
	var st schemaState
	if exists {
		var err error
		if st, err = readSchema(ctx, db.sql, db.path, busy); err != nil {
			return err
		}
		if err := st.usable(db.path, want); err != nil {
			return err
		}
		if st.version == want && st.wal {
			return nil
		}
	}
	doing := fmt.Sprintf("upgrade its schema from version %d to %d", st.version, want)
	if !st.known {
		doing = "create its schema"
	}
	if err := db.setWAL(ctx, busy, doing); err != nil {
		return err
	}
	for _, m := range ms {
		if m.version <= st.version {
			continue
		}
		if err := db.apply(ctx, m, want, doing); err != nil {
			return err
		}
	}
	return nil
}

// setWAL puts the file in WAL mode (once, when it is created), so that
// readers never wait for a writer. Two processes creating one file at
// once: the one that loses the race is told SQLITE_BUSY at once, without
// the busy handler; it waits and tries again, up to busy in all.
func (db *DB) setWAL(ctx context.Context, busy time.Duration, doing string) error {
	start := time.Now()
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		var mode string
		err := db.sql.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
		switch {
		case err == nil && strings.EqualFold(mode, "wal"):
			return nil
		case err == nil:
			return fmt.Errorf("open %s: journal mode is %s, want wal", db.path, mode)
		case isBusy(err) && time.Since(start) < busy:
		case isBusy(err):
			return db.locked(err, time.Since(start), doing)
		default:
			return db.classify(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// apply runs m unless it is already applied; the check and the change share
// one write transaction, so concurrent openers apply it once.
func (db *DB) apply(ctx context.Context, m migration, want int, doing string) error {
	start := time.Now()
	tx, err := db.sql.BeginTx(ctx, nil)
	if isBusy(err) {
		return db.locked(err, time.Since(start), doing)
	}
	if err != nil {
		return fmt.Errorf("open %s: migration %s: %w", db.path, m.name, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("open %s: create schema_version: %w", db.path, err)
	}
	var cur int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_version`).Scan(&cur)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version) VALUES (0)`); err != nil {
			return fmt.Errorf("open %s: %w", db.path, err)
		}
	case err != nil:
		return fmt.Errorf("open %s: %w", db.path, err)
	}
	if cur > want { // a newer freezetrace migrated it meanwhile
		return schemaState{version: cur, known: true}.usable(db.path, want)
	}
	if cur >= m.version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("open %s: migration %s: %w", db.path, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE schema_version SET version = ?`, m.version); err != nil {
		return fmt.Errorf("open %s: migration %s: %w", db.path, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("open %s: migration %s: %w", db.path, m.name, err)
	}
	return nil
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (or a variant of it).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == 5
}
