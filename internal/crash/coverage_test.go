package crash

import (
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// An xfer is a stored transfer by its natural keys: asset as
// "CHAIN:CONTRACTHEX", hashes and addresses as upper-case hex (as SQLite's
// hex() writes them).
type xfer struct {
	asset, tx, from, to string
	position, block     int64
	line                string // every stored field, for comparing whole rows
}

// span is a coverage row: addr (and to, for pair coverage) of asset in
// the blocks [from, to].
type span struct {
	asset, addr, to string
	from, last      int64
}

// dbIndex is what a database holds of transfers and coverage.
type dbIndex struct {
	transfers []xfer
	byAddr    map[string][]int // asset|addr → transfers from or to it
	byPair    map[string][]int // asset|from|to
	byTx      map[string][]int // chain|tx
	coverage  []span
	pairs     []span
	txs       []string // chain|tx of tx_coverage
	// what the index vouches for: merged ranges per asset|addr and
	// asset|from|to, and whole transactions; nil maps vouch for everything
	// (the upstream's own list of transfers).
	covered     map[string][][2]int64
	pairCovered map[string][][2]int64
	txCovered   map[string]bool
	// assets lists the assets a truth index knows (nil: every asset).
	assets map[string]bool
}

func newIndex(ts []xfer) *dbIndex {
	ix := &dbIndex{transfers: ts, byAddr: map[string][]int{}, byPair: map[string][]int{}, byTx: map[string][]int{}}
	for i, x := range ts {
		ix.byAddr[x.asset+"|"+x.from] = append(ix.byAddr[x.asset+"|"+x.from], i)
		if x.to != x.from {
			ix.byAddr[x.asset+"|"+x.to] = append(ix.byAddr[x.asset+"|"+x.to], i)
		}
		ix.byPair[x.asset+"|"+x.from+"|"+x.to] = append(ix.byPair[x.asset+"|"+x.from+"|"+x.to], i)
		chain, _, _ := strings.Cut(x.asset, ":")
		ix.byTx[chain+"|"+x.tx] = append(ix.byTx[chain+"|"+x.tx], i)
	}
	return ix
}

// loadIndex reads the transfers and coverage of the database at path.
func loadIndex(path string) (*dbIndex, error) {
	db, done, err := openRO(path)
	if err != nil {
		return nil, err
	}
	defer done()
	tables, err := tableNames(db)
	if err != nil {
		return nil, err
	}
	return readIndex(db, tables)
}

func readIndex(db *sql.DB, tables map[string]bool) (*dbIndex, error) {
	var ts []xfer
	if tables["transfers"] {
		cs, err := columns(db, "transfers")
		if err != nil {
			return nil, err
		}
		// Before migration 0003 the addresses are stored in the row.
		from, to := "hex(t.from_addr)", "hex(t.to_addr)"
		if slices.ContainsFunc(cs, func(c column) bool { return c.name == "from_id" }) {
			from, to = "(SELECT hex(addr) FROM addresses WHERE id = t.from_id)", "(SELECT hex(addr) FROM addresses WHERE id = t.to_id)"
		}
		rows, err := db.Query(fmt.Sprintf(`SELECT %s, hex(t.tx), t.position, t.block, coalesce(%s, '?'), coalesce(%s, '?'),
			t.tx_index, coalesce(t.time, -1), t.amount, t.zero FROM transfers t`, assetKeySQL, from, to))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var x xfer
			var txIndex, tm, zero int64
			var amount string
			if err := rows.Scan(&x.asset, &x.tx, &x.position, &x.block, &x.from, &x.to, &txIndex, &tm, &amount, &zero); err != nil {
				rows.Close()
				return nil, err
			}
			x.line = fmt.Sprintf("%s %s:%d block %d tx_index %d time %d %s→%s %s zero=%d", x.asset, x.tx, x.position, x.block, txIndex, tm, x.from, x.to, amount, zero)
			ts = append(ts, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	ix := newIndex(ts)
	ix.covered, ix.pairCovered, ix.txCovered = map[string][][2]int64{}, map[string][][2]int64{}, map[string]bool{}
	if tables["coverage"] {
		lines, err := queryStrings(db, `SELECT `+assetKeySQL+` || '|' || hex(t.address) || '|' || t.from_block || '|' || t.to_block FROM coverage t`)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			s, err := parseSpan(l, false)
			if err != nil {
				return nil, err
			}
			ix.coverage = append(ix.coverage, s)
			k := s.asset + "|" + s.addr
			ix.covered[k] = mergeRanges(append(ix.covered[k], [2]int64{s.from, s.last}))
		}
	}
	if tables["pair_coverage"] {
		lines, err := queryStrings(db, `SELECT `+assetKeySQL+` || '|' || hex(t.from_addr) || '|' || hex(t.to_addr) || '|' || t.from_block || '|' || t.to_block FROM pair_coverage t`)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			s, err := parseSpan(l, true)
			if err != nil {
				return nil, err
			}
			ix.pairs = append(ix.pairs, s)
			k := s.asset + "|" + s.addr + "|" + s.to
			ix.pairCovered[k] = mergeRanges(append(ix.pairCovered[k], [2]int64{s.from, s.last}))
		}
	}
	if tables["tx_coverage"] {
		txs, err := queryStrings(db, `SELECT chain || '|' || hex(tx) FROM tx_coverage`)
		if err != nil {
			return nil, err
		}
		ix.txs = txs
		for _, k := range txs {
			ix.txCovered[k] = true
		}
	}
	return ix, nil
}

func parseSpan(l string, pair bool) (span, error) {
	f := strings.Split(l, "|")
	n := 4
	if pair {
		n = 5
	}
	if len(f) != n {
		return span{}, fmt.Errorf("coverage row %q", l)
	}
	s := span{asset: f[0], addr: f[1]}
	if pair {
		s.to = f[2]
	}
	var err1, err2 error
	s.from, err1 = strconv.ParseInt(f[n-2], 10, 64)
	s.last, err2 = strconv.ParseInt(f[n-1], 10, 64)
	if err1 != nil || err2 != nil {
		return span{}, fmt.Errorf("coverage row %q", l)
	}
	return s, nil
}

// lineID compares transfers whole; keyID by identity (asset, tx, position)
// only, for a truth that knows no more than that.
func lineID(x xfer) string { return x.line }
func keyID(x xfer) string  { return fmt.Sprintf("%s %s:%d", x.asset, x.tx, x.position) }

func covers(rs [][2]int64, from, to int64) bool {
	for _, r := range rs {
		if r[0] <= from && to <= r[1] {
			return true
		}
	}
	return false
}

// coverageProblems checks every coverage row of got against want: the
// transfers got holds in the covered range must be exactly those want
// holds there (compared by id). With vouch, want must cover the range
// itself (it is another database, not the upstream's full list).
func coverageProblems(got, want *dbIndex, id func(xfer) string, vouch bool) []problem {
	var probs []problem
	check := func(what string, covered bool, g, w []string) {
		if vouch && !covered {
			probs = append(probs, problem{"coverage without its data", what + ": the uninterrupted run covers no such range"})
			return
		}
		missing, extra := setDiff(w, g), setDiff(g, w)
		if len(missing)+len(extra) == 0 {
			return
		}
		d := fmt.Sprintf("%s: %d transfers stored, %d expected", what, len(g), len(w))
		if len(missing) > 0 {
			d += fmt.Sprintf("; %d missing, e.g. %s", len(missing), missing[0])
		}
		if len(extra) > 0 {
			d += fmt.Sprintf("; %d not expected, e.g. %s", len(extra), extra[0])
		}
		probs = append(probs, problem{"coverage without its data", d})
	}
	pick := func(ix *dbIndex, idx []int, from, to int64) []string {
		var out []string
		for _, i := range idx {
			if x := ix.transfers[i]; x.block >= from && x.block <= to {
				out = append(out, id(x))
			}
		}
		slices.Sort(out)
		return out
	}
	known := func(asset string) bool { return want.assets == nil || want.assets[asset] }
	for _, c := range got.coverage {
		if !known(c.asset) {
			continue
		}
		k := c.asset + "|" + c.addr
		check(fmt.Sprintf("coverage of %s for 0x%s, blocks %d-%d", c.asset, c.addr, c.from, c.last),
			want.covered == nil || covers(want.covered[k], c.from, c.last),
			pick(got, got.byAddr[k], c.from, c.last), pick(want, want.byAddr[k], c.from, c.last))
	}
	for _, c := range got.pairs {
		if !known(c.asset) {
			continue
		}
		k := c.asset + "|" + c.addr + "|" + c.to
		check(fmt.Sprintf("pair coverage of %s from 0x%s to 0x%s, blocks %d-%d", c.asset, c.addr, c.to, c.from, c.last),
			want.pairCovered == nil || covers(want.pairCovered[k], c.from, c.last),
			pick(got, got.byPair[k], c.from, c.last), pick(want, want.byPair[k], c.from, c.last))
	}
	if want.assets == nil {
		for _, k := range got.txs {
			check("tx coverage of "+k, want.txCovered == nil || want.txCovered[k],
				pick(got, got.byTx[k], 0, 1<<62), pick(want, want.byTx[k], 0, 1<<62))
		}
	}
	return probs
}

// coverageAgainst checks an uninterrupted run's coverage against the
// upstream's own transfers.
func coverageAgainst(ref *dbIndex, truth []xfer) []problem {
	tx := newIndex(truth)
	tx.assets = map[string]bool{}
	for _, x := range truth {
		tx.assets[x.asset] = true
	}
	return coverageProblems(ref, tx, keyID, false)
}

// setDiff returns the elements of a (sorted) not in b (sorted).
func setDiff(a, b []string) []string {
	var out []string
	j := 0
	for _, s := range a {
		for j < len(b) && b[j] < s {
			j++
		}
		if j < len(b) && b[j] == s {
			j++
			continue
		}
		out = append(out, s)
	}
	return out
}
