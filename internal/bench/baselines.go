package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"freezetrace/internal/synth"
)

// sqliteImport is the sqlite3 CLI's import, fed on standard input: the
// token_transfers table in ethereum-etl's layout, the CSV loaded with
// .import, and the three indexes freezetrace keeps on its own table.
const sqliteImport = `PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE token_transfers (token_address TEXT, from_address TEXT, to_address TEXT, value TEXT, transaction_hash TEXT, log_index INTEGER, block_number INTEGER);
.import --csv --skip 1 %s token_transfers
CREATE UNIQUE INDEX tt_key ON token_transfers (transaction_hash, token_address, log_index);
CREATE INDEX tt_from ON token_transfers (from_address, token_address, block_number);
CREATE INDEX tt_to ON token_transfers (to_address, token_address, block_number);
`

// reachQuery is the recursive CTE baseline. It starts from the recipients
// of the victim payments, at the payment's block, as hop 1, and follows
// the asset's transfers out of an address from the block it was reached
// at, one hop further each time, while the hop is below the limit, never
// out of a stop address (a labeled one or an exchange hot wallet). UNION,
// not UNION ALL, keeps each (addr, blk, hop) once, so the recursion ends.
// The recursive step reads tt_from (from_address, token_address,
// block_number). Its verbs are filled in by reachSQL: the victim payments,
// the asset (twice), the hot wallets and the hop limit.
const reachQuery = `WITH RECURSIVE
  stop(addr) AS (
    SELECT address FROM labels
    UNION VALUES %[3]s
  ),
  reach(addr, blk, hop) AS (
    SELECT to_address, block_number, 1
      FROM token_transfers
     WHERE transaction_hash IN (%[1]s) AND token_address = %[2]s
    UNION
    SELECT t.to_address, t.block_number, r.hop + 1
      FROM reach AS r
      JOIN token_transfers AS t
        ON t.from_address = r.addr AND t.token_address = %[2]s AND t.block_number >= r.blk
     WHERE r.hop < %[4]d AND r.addr NOT IN (SELECT addr FROM stop)
  )
SELECT count(DISTINCT addr) FROM reach;
`

// reachPy is the networkx baseline, written to the data directory and run
// with python3.
//
//go:embed reach.py
var reachPy []byte

// hexString is how addresses and hashes appear in the synthetic data;
// nothing else is written into SQL.
var hexString = regexp.MustCompile(`^0x[0-9a-f]+$`)

// sqlHex is s, lowercased and checked to be hex, as an SQL string literal.
func sqlHex(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !hexString.MatchString(s) {
		return "", fmt.Errorf("not a hex address or hash: %q", s)
	}
	return "'" + s + "'", nil
}

func sqlHexList(xs []string, sep string, wrap func(string) string) (string, error) {
	var out []string
	for _, x := range xs {
		q, err := sqlHex(x)
		if err != nil {
			return "", err
		}
		out = append(out, wrap(q))
	}
	if len(out) == 0 {
		return "", errors.New("empty list")
	}
	return strings.Join(out, sep), nil
}

// reachSQL is reachQuery for case c.
func reachSQL(c synth.Case, hops int) (string, error) {
	victims, err := sqlHexList(c.VictimTxs, ", ", func(s string) string { return s })
	if err != nil {
		return "", fmt.Errorf("victim_txs: %w", err)
	}
	asset, err := sqlHex(c.Asset)
	if err != nil {
		return "", fmt.Errorf("asset: %w", err)
	}
	hot, err := sqlHexList(c.HotWallets, ", ", func(s string) string { return "(" + s + ")" })
	if err != nil {
		return "", fmt.Errorf("hot_wallets: %w", err)
	}
	return fmt.Sprintf(reachQuery, victims, asset, hot, hops), nil
}

// writeSQLiteImport writes the sqlite3 import script for transfers to
// path and returns path.
func writeSQLiteImport(path, transfers string) (string, error) {
	if strings.ContainsAny(transfers, "'\n") {
		return "", fmt.Errorf("sqlite3 import: cannot quote the path %q", transfers)
	}
	return path, os.WriteFile(path, fmt.Appendf(nil, sqliteImport, "'"+transfers+"'"), 0o644)
}

// sqlite3 is a command running the sqlite3 CLI on db with script on
// standard input, stopping at the first error.
func (b *bench) sqlite3(db, script string, readonly bool) command {
	args := []string{"-bail"}
	if readonly {
		args = append(args, "-readonly")
	}
	return command{path: b.tools.sqlite3, args: append(args, db), dir: b.cfg.root, stdin: script}
}

// sqliteLabels is the command that loads the labels' addresses into db's
// table labels(address TEXT).
func (b *bench) sqliteLabels(s *sizeResult, db string) (command, error) {
	addrs, err := readLabels(s.path("labels.csv"))
	if err != nil {
		return command{}, err
	}
	script := "CREATE TABLE labels (address TEXT);\n"
	if len(addrs) > 0 {
		rows, err := sqlHexList(addrs, ",\n  ", func(s string) string { return "(" + s + ")" })
		if err != nil {
			return command{}, fmt.Errorf("labels.csv: %w", err)
		}
		script += "INSERT INTO labels (address) VALUES\n  " + rows + ";\n"
	}
	path := s.path("labels.sql")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		return command{}, err
	}
	return b.sqlite3(db, path, false), nil
}

// baselineRun is one measured reachability baseline.
type baselineRun struct {
	run       result
	addresses int    // distinct addresses reached; -1 unknown
	load      string // networkx: seconds reading and building the graph
	search    string // networkx: seconds searching
	plan      string // CTE: SQLite's query plan
	note      string // why the figures are missing despite a clean exit
}

// baselines measures the recursive CTE and the networkx search.
func (b *bench) baselines(ctx context.Context, s *sizeResult) {
	if len(s.c.VictimTxs) == 0 {
		s.cte = &baselineRun{run: skipped(noVictims), addresses: -1}
		s.nx = &baselineRun{run: skipped(noVictims), addresses: -1}
		return
	}
	s.cte = b.cte(ctx, s)
	if ctx.Err() != nil {
		return
	}
	s.nx = b.networkx(ctx, s)
}

func (b *bench) cte(ctx context.Context, s *sizeResult) *baselineRun {
	if b.tools.sqliteSkip != "" {
		return &baselineRun{run: skipped(b.tools.sqliteSkip), addresses: -1}
	}
	q, err := reachSQL(s.c, maxHops)
	if err != nil {
		return &baselineRun{run: result{err: err}, addresses: -1}
	}
	db := s.path("sqlite3.db")
	query, plan := s.path("reach.sql"), s.path("reach-plan.sql")
	if err := os.WriteFile(query, []byte(q), 0o644); err != nil {
		return &baselineRun{run: result{err: err}, addresses: -1}
	}
	if err := os.WriteFile(plan, []byte("EXPLAIN QUERY PLAN "+q), 0o644); err != nil {
		return &baselineRun{run: result{err: err}, addresses: -1}
	}
	br := &baselineRun{addresses: -1}
	b.logf("recursive CTE: query plan (untimed)")
	if r := b.exec(ctx, b.sqlite3(db, plan, true)); r.ok() {
		br.plan = strings.TrimSpace(r.stdout)
	}
	b.logf("recursive CTE")
	br.run = b.execTimeout(ctx, b.cfg.cteTimeout, b.sqlite3(db, query, true))
	if br.run.ok() {
		if br.addresses = lastInt(br.run.stdout); br.addresses < 0 {
			br.note = "no count in the output"
		}
	}
	return br
}

func (b *bench) networkx(ctx context.Context, s *sizeResult) *baselineRun {
	if b.tools.pythonSkip != "" {
		return &baselineRun{run: skipped(b.tools.pythonSkip), addresses: -1}
	}
	script := filepath.Join(b.cfg.data, "reach.py")
	if err := os.WriteFile(script, reachPy, 0o644); err != nil {
		return &baselineRun{run: result{err: err}, addresses: -1}
	}
	b.logf("networkx search")
	br := &baselineRun{addresses: -1}
	br.run = b.exec(ctx, command{path: b.tools.python, dir: b.cfg.root, args: []string{
		script, "--transfers", s.path("token_transfers.csv"), "--case", s.path("case.json"),
		"--labels", s.path("labels.csv"), "--max-hops", strconv.Itoa(maxHops),
	}})
	if br.run.ok() {
		kv := keyValues(br.run.stdout)
		if br.addresses = parseCount(kv["addresses"]); br.addresses < 0 {
			br.note = "no count in the output"
		}
		br.load, br.search = kv["load_seconds"], kv["search_seconds"]
	}
	return br
}

// lastInt is the integer on out's last non-blank line, -1 if there is none.
func lastInt(out string) int {
	lines := strings.Fields(strings.TrimSpace(out))
	if len(lines) == 0 {
		return -1
	}
	return parseCount(lines[len(lines)-1])
}

// keyValues reads "key value" lines.
func keyValues(out string) map[string]string {
	kv := map[string]string{}
	for l := range strings.Lines(out) {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), " "); ok {
			kv[k] = strings.TrimSpace(v)
		}
	}
	return kv
}

// planIndexLine is the line of an EXPLAIN QUERY PLAN that uses index, or "".
func planIndexLine(plan, index string) string {
	for l := range strings.Lines(plan) {
		if strings.Contains(l, "INDEX "+index+" ") || strings.HasSuffix(strings.TrimSpace(l), "INDEX "+index) {
			return strings.TrimLeft(strings.TrimSpace(l), "|`- ")
		}
	}
	return ""
}
