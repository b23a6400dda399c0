package crash

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// openRO opens the database at path read-only: the checks never write to
// it. A killed writer may have left a hot rollback journal (a new file's
// first transactions run before it is switched to WAL), which only a
// writer may roll back, as the next freezetrace run does: the database is
// then opened as a copy, journal included, and rolled back there. done
// closes it (and removes the copy).
func openRO(path string) (db *sql.DB, done func(), err error) {
	if db, err = openDSN("file:" + path + "?mode=ro&_pragma=busy_timeout(10000)"); err != nil {
		return nil, nil, err
	}
	var n int
	err = db.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&n)
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) || se.Code() != sqlite3.SQLITE_READONLY_ROLLBACK {
		return db, func() { db.Close() }, nil // any other error shows in the checks' queries
	}
	db.Close()
	dir, err := os.MkdirTemp(filepath.Dir(filepath.Dir(path)), "hot-journal-")
	if err != nil {
		return nil, nil, err
	}
	cp := filepath.Join(dir, filepath.Base(path))
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if err == nil {
			err = os.WriteFile(cp+suffix, b, 0o644)
		}
		if err != nil && !(suffix != "" && os.IsNotExist(err)) {
			os.RemoveAll(dir)
			return nil, nil, err
		}
	}
	if db, err = openDSN("file:" + cp + "?_pragma=busy_timeout(10000)"); err == nil {
		err = db.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&n)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("roll back the hot journal of %s in a copy: %w", path, err)
	}
	return db, func() { db.Close(); os.RemoveAll(dir) }, nil
}

func openDSN(dsn string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// checkDB runs the checks every state must pass, killed or finished: the
// file's integrity, no duplicate rows, and (given the uninterrupted run's
// index) coverage with its data. A database not created yet passes.
func checkDB(path string, ref *dbIndex) []problem {
	if !exists(path) {
		return nil
	}
	db, done, err := openRO(path)
	if err != nil {
		return []problem{{"open", err.Error()}}
	}
	defer done()
	var probs []problem
	rows, err := queryStrings(db, `PRAGMA integrity_check`)
	if err != nil {
		return []problem{{"integrity_check", err.Error()}}
	}
	if len(rows) != 1 || rows[0] != "ok" {
		probs = append(probs, problem{"integrity_check", fmt.Sprintf("%q", rows)})
	}
	tables, err := tableNames(db)
	if err != nil {
		return append(probs, problem{"open", err.Error()})
	}
	// What must be unique, whatever indexes a killed bulk load left.
	dups := []struct{ table, key string }{
		{"transfers", "tx, asset, position"},
		{"labels", "chain, address, source, entity, category, asset, heuristic"},
		{"addresses", "addr"},
		{"assets", "chain, contract"},
		{"tx_coverage", "chain, tx"},
	}
	for _, d := range dups {
		if !tables[d.table] {
			continue
		}
		q := fmt.Sprintf(`SELECT count(*), coalesce(sum(n), 0), coalesce(max(k), '') FROM
			(SELECT count(*) AS n, quote(%s) AS k FROM %s GROUP BY %s HAVING count(*) > 1)`,
			strings.ReplaceAll(d.key, ", ", ")||','||quote("), d.table, d.key)
		var groups, n int
		var example string
		if err := db.QueryRow(q).Scan(&groups, &n, &example); err != nil {
			probs = append(probs, problem{"duplicates", fmt.Sprintf("%s: %v", d.table, err)})
			continue
		}
		if groups > 0 {
			probs = append(probs, problem{"duplicates", fmt.Sprintf("%s: %d keys (%s) stored %d times in all, e.g. %s",
				d.table, groups, d.key, n, clip(example))})
		}
	}
	if ref != nil && hasCoverage(db, tables) {
		got, err := readIndex(db, tables)
		if err != nil {
			return append(probs, problem{"coverage without its data", err.Error()})
		}
		probs = append(probs, coverageProblems(got, ref, lineID, true)...)
	}
	return probs
}

// hasCoverage says whether any coverage table has a row.
func hasCoverage(db *sql.DB, tables map[string]bool) bool {
	for _, t := range []string{"coverage", "pair_coverage", "tx_coverage"} {
		var n int
		if tables[t] && db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %q LIMIT 1)`, t)).Scan(&n) == nil && n > 0 {
			return true
		}
	}
	return false
}

func queryStrings(db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.Query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func tableNames(db *sql.DB) (map[string]bool, error) {
	names, err := queryStrings(db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m, nil
}

type column struct {
	name, typ string
	pk        bool
}

func columns(db *sql.DB, table string) ([]column, error) {
	rows, err := db.Query(`SELECT name, type, pk FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cs []column
	for rows.Next() {
		var c column
		var pk int
		if err := rows.Scan(&c.name, &c.typ, &pk); err != nil {
			return nil, err
		}
		c.pk = pk > 0
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

// The database's run-dependent columns: when a row was fetched or
// imported. They are left out of the canonical dump.
var runDependentColumns = map[string]bool{"retrieved_at": true, "imported_at": true}

const assetKeySQL = `coalesce((SELECT a.chain || ':' || hex(a.contract) FROM assets a WHERE a.id = t.asset), 'asset#' || t.asset)`

// dumpDB dumps the database canonically: the schema, and each table's
// rows as sorted lines, with surrogate integer ids replaced by what they
// stand for (an asset by chain and contract, an address by its bytes) and
// run-dependent columns left out, so that two runs that stored the same
// data dump the same whatever order they stored it in. Two tables are
// logs of runs, not data, and are summarised: imports per file (rows read,
// skipped, newest block, and the sum of rows added over every run: a
// re-run of a file already stored adds a row with nothing added), and
// coverage and pair_coverage as the union of their block ranges (a range
// fetched in two parts, before a kill and after, covers what it covers
// fetched in one).
func dumpDB(path string) (map[string]string, error) {
	if !exists(path) {
		return map[string]string{}, nil
	}
	db, done, err := openRO(path)
	if err != nil {
		return nil, err
	}
	defer done()
	out := map[string]string{}
	schema, err := queryStrings(db, `SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '')
		FROM sqlite_master ORDER BY type, name`)
	if err != nil {
		return nil, fmt.Errorf("dump %s: %w", path, err)
	}
	out["schema"] = strings.Join(schema, "\n")
	tables, err := tableNames(db)
	if err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(tables) {
		lines, err := tableLines(db, name, -1)
		if err != nil {
			return nil, fmt.Errorf("dump %s: %s: %w", path, name, err)
		}
		slices.Sort(lines)
		out[name] = strings.Join(lines, "\n")
	}
	return out, nil
}

// tableLines returns a table's rows as the dump writes them, unsorted;
// with after ≥ 0, only the rows whose rowid is above it (a plain table
// with a rowid only).
func tableLines(db *sql.DB, name string, after int64) ([]string, error) {
	cs, err := columns(db, name)
	if err != nil {
		return nil, err
	}
	switch name {
	case "imports":
		return queryLines(db, `SELECT chain, file, format, max(rows_read), max(rows_skipped), max(max_block), sum(rows_added)
			FROM imports GROUP BY chain, file, format`)
	case "coverage", "pair_coverage":
		return dumpRanges(db, name, cs)
	}
	q := fmt.Sprintf(`SELECT %s FROM %q t`, strings.Join(selectList(cs), ", "), name)
	if after >= 0 {
		q += fmt.Sprintf(" WHERE t.rowid > %d", after)
	}
	return queryLines(db, q)
}

// selectList is a table's columns as the dump shows them.
func selectList(cs []column) []string {
	var sel []string
	for _, c := range cs {
		switch {
		case runDependentColumns[c.name]:
		case c.name == "id" && c.pk && strings.EqualFold(c.typ, "INTEGER"):
		case c.name == "asset":
			sel = append(sel, assetKeySQL)
		case c.name == "from_id" || c.name == "to_id":
			sel = append(sel, fmt.Sprintf(`(SELECT hex(addr) FROM addresses WHERE id = t.%s)`, c.name))
		default:
			sel = append(sel, fmt.Sprintf("t.%q", c.name))
		}
	}
	if len(sel) == 0 {
		sel = append(sel, "count(*)")
	}
	return sel
}

// dumpRanges dumps a coverage table as the merged block ranges of each
// key (every column but the range and the run-dependent ones).
func dumpRanges(db *sql.DB, table string, cs []column) ([]string, error) {
	var key []column
	for _, c := range cs {
		if c.name != "from_block" && c.name != "to_block" {
			key = append(key, c)
		}
	}
	sel := selectList(key)
	lines, err := queryLines(db, fmt.Sprintf(`SELECT %s, t.from_block || '-' || t.to_block FROM %q t`, strings.Join(sel, ", "), table))
	if err != nil {
		return nil, err
	}
	by := map[string][][2]int64{}
	for _, l := range lines {
		i := strings.LastIndexByte(l, '\t')
		k, r := l[:i], strings.Trim(l[i+1:], `"`)
		a, b, _ := strings.Cut(r, "-")
		from, err1 := strconv.ParseInt(a, 10, 64)
		to, err2 := strconv.ParseInt(b, 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("range %q: %w", r, err)
		}
		by[k] = append(by[k], [2]int64{from, to})
	}
	var out []string
	for k, rs := range by {
		var parts []string
		for _, r := range mergeRanges(rs) {
			parts = append(parts, fmt.Sprintf("%d-%d", r[0], r[1]))
		}
		out = append(out, k+"\t"+strings.Join(parts, ","))
	}
	return out, nil
}

// mergeRanges returns the union of inclusive block ranges, sorted, with
// touching ranges joined.
func mergeRanges(rs [][2]int64) [][2]int64 {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b [2]int64) int {
		if a[0] != b[0] {
			return cmpInt(a[0], b[0])
		}
		return cmpInt(a[1], b[1])
	})
	var out [][2]int64
	for _, r := range rs {
		if n := len(out); n > 0 && r[0] <= out[n-1][1]+1 {
			out[n-1][1] = max(out[n-1][1], r[1])
			continue
		}
		out = append(out, r)
	}
	return out
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// queryLines runs q and returns each row as tab-separated values: NULL,
// integers and reals as SQLite writes them, text quoted, blobs as x'HEX'.
func queryLines(db *sql.DB, q string) ([]string, error) {
	rows, err := db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		fields := make([]string, len(vals))
		for i, v := range vals {
			fields[i] = formatValue(v)
		}
		out = append(out, strings.Join(fields, "\t"))
	}
	return out, rows.Err()
}

func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return fmt.Sprintf("x'%X'", v)
	case string:
		return strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	default:
		return fmt.Sprint(v)
	}
}

// A dbState is a database's content without its schema: per table, the
// number of rows and a sum of their hashes (an empty table and one not
// created yet are the same state).
type dbState map[string]tableSum

// tableSum sums up a table's rows as the dump writes them: their number
// and the sum of a hash of each, which does not depend on their order and
// grows row by row, so a table that only gains rows is summed up by adding
// its new ones. maxRowid is the largest rowid (-1: the table has none).
type tableSum struct {
	rows     int
	sum      uint64
	maxRowid int64
}

func (s tableSum) add(lines []string) tableSum {
	for _, l := range lines {
		h := sha256.Sum256([]byte(l))
		s.sum += binary.LittleEndian.Uint64(h[:8])
		s.rows++
	}
	return s
}

// stateOf sums up the database at path. With prev (the state of the same
// file before more rows were added, in an import that only adds rows),
// plain tables with a rowid are summed up from prev by their new rows.
func stateOf(path string, prev dbState) (dbState, error) {
	st := dbState{}
	if !exists(path) {
		return st, nil
	}
	db, done, err := openRO(path)
	if err != nil {
		return nil, err
	}
	defer done()
	tables, err := tableNames(db)
	if err != nil {
		return nil, err
	}
	for name := range tables {
		if name == "schema_version" {
			continue
		}
		var maxRowid int64 = -1
		var n int
		if db.QueryRow(fmt.Sprintf(`SELECT coalesce(max(rowid), 0), count(*) FROM %q`, name)).Scan(&maxRowid, &n) != nil {
			maxRowid = -1 // WITHOUT ROWID
		}
		var s tableSum
		var lines []string
		if p, ok := prev[name]; ok && maxRowid >= 0 && p.maxRowid >= 0 && name != "imports" && name != "coverage" && name != "pair_coverage" {
			if lines, err = tableLines(db, name, p.maxRowid); err == nil {
				s = p.add(lines)
			}
			if err == nil && s.rows != n {
				s, err = tableSum{}, nil // rows went away: sum them up whole
			}
		}
		if s.rows == 0 && err == nil {
			if lines, err = tableLines(db, name, -1); err == nil {
				s = tableSum{}.add(lines)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, name, err)
		}
		if s.rows > 0 {
			s.maxRowid = maxRowid
			st[name] = s
		}
	}
	return st, nil
}

// sameState compares two states by content, not by rowids.
func sameState(a, b dbState) bool {
	return maps.EqualFunc(a, b, func(x, y tableSum) bool { return x.rows == y.rows && x.sum == y.sum })
}

// inStates says whether the database at path holds one of the states,
// and if not, between which two it lies (names[i] names states[i]).
func inStates(path string, states []dbState, names []string) (bool, string, error) {
	st, err := stateOf(path, nil)
	if err != nil {
		return false, "", err
	}
	for _, s := range states {
		if sameState(s, st) {
			return true, "", nil
		}
	}
	// The last state no table of which has more rows than st.
	below := 0
	for i, s := range states {
		if !slices.ContainsFunc(sortedKeys(s), func(t string) bool { return s[t].rows > st[t].rows }) {
			below = i
		}
	}
	var parts []string
	for _, t := range sortedKeys(st) {
		if st[t].rows == states[below][t].rows {
			continue
		}
		d := fmt.Sprintf("%s has %d rows, %d after %s", t, st[t].rows, states[below][t].rows, names[below])
		if below+1 < len(states) {
			d += fmt.Sprintf(" and %d after %s", states[below+1][t].rows, names[below+1])
		}
		parts = append(parts, d)
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("as many rows as after %s, other content", names[below]))
	}
	return false, strings.Join(parts, "; "), nil
}
