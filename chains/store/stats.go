package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"freezetrace/chains"
)

// TableRows is the row count of one table.
type TableRows struct {
	Table string
	Rows  int64
}

// ChainStats summarises one chain's stored data.
type ChainStats struct {
	Chain     chains.Chain
	Transfers int64
	Assets    int64 // assets with at least one stored transfer
	MinBlock  uint64
	MaxBlock  uint64 // block range of the stored transfers
	Blocks    int64  // stored block headers
}

// AssetStats summarises one asset's stored transfers.
type AssetStats struct {
	ID        chains.AssetID
	Symbol    string // "" when unknown
	Decimals  int    // -1 when unknown
	Kind      string
	Transfers int64
	Zero      int64 // zero-value transfers among them
}

// Stats is what the database holds, in a fixed order: tables as listed in
// the schema, chains and assets sorted by id.
type Stats struct {
	Tables []TableRows
	Chains []ChainStats
	Assets []AssetStats
}

// statTables are the tables Stats counts, in the order it lists them.
var statTables = []string{"transfers", "blocks", "assets", "contracts", "labels", "balances", "freezes", "coverage", "tx_coverage", "imports"}

// Stats counts rows per table and summarises chains and assets.
func (db *DB) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	for _, t := range statTables {
		var n int64
		if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM `+t).Scan(&n); err != nil {
			return s, fmt.Errorf("count %s: %w", t, err)
		}
		s.Tables = append(s.Tables, TableRows{t, n})
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT a.chain, a.contract, a.symbol, a.decimals, a.kind,
		(SELECT count(*) FROM transfers t WHERE t.asset = a.id),
		(SELECT count(*) FROM transfers t WHERE t.asset = a.id AND t.zero = 1)
		FROM assets a`)
	if err != nil {
		return s, fmt.Errorf("asset stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch string
		var contract []byte
		var sym sql.NullString
		var dec sql.NullInt64
		var st AssetStats
		if err := rows.Scan(&ch, &contract, &sym, &dec, &st.Kind, &st.Transfers, &st.Zero); err != nil {
			return s, fmt.Errorf("asset stats: %w", err)
		}
		c := chains.Chain(ch)
		st.ID = chains.AssetID{Chain: c}
		if len(contract) > 0 {
			if st.ID.Contract, err = chains.AddressFromSlice(c.Family(), contract); err != nil {
				return s, err
			}
		}
		st.Symbol, st.Decimals = sym.String, -1
		if dec.Valid {
			st.Decimals = int(dec.Int64)
		}
		s.Assets = append(s.Assets, st)
	}
	if err := rows.Err(); err != nil {
		return s, err
	}
	sort.Slice(s.Assets, func(i, j int) bool { return s.Assets[i].ID.Compare(s.Assets[j].ID) < 0 })

	crow, err := db.sql.QueryContext(ctx, `SELECT c.chain,
		(SELECT count(*) FROM transfers t JOIN assets a ON a.id = t.asset WHERE a.chain = c.chain),
		(SELECT count(DISTINCT t.asset) FROM transfers t JOIN assets a ON a.id = t.asset WHERE a.chain = c.chain),
		(SELECT coalesce(min(t.block), 0) FROM transfers t JOIN assets a ON a.id = t.asset WHERE a.chain = c.chain),
		(SELECT coalesce(max(t.block), 0) FROM transfers t JOIN assets a ON a.id = t.asset WHERE a.chain = c.chain),
		(SELECT count(*) FROM blocks b WHERE b.chain = c.chain)
		FROM (SELECT chain FROM assets UNION SELECT chain FROM blocks) c ORDER BY c.chain`)
	if err != nil {
		return s, fmt.Errorf("chain stats: %w", err)
	}
	defer crow.Close()
	for crow.Next() {
		var cs ChainStats
		var ch string
		var lo, hi int64
		if err := crow.Scan(&ch, &cs.Transfers, &cs.Assets, &lo, &hi, &cs.Blocks); err != nil {
			return s, fmt.Errorf("chain stats: %w", err)
		}
		cs.Chain, cs.MinBlock, cs.MaxBlock = chains.Chain(ch), uint64(lo), uint64(hi)
		s.Chains = append(s.Chains, cs)
	}
	return s, crow.Err()
}

// LabelCount is how many labels one chain has in one category.
type LabelCount struct {
	Chain    chains.Chain
	Category chains.Category
	Labels   int64
}

// LabelStats counts labels per chain and category, sorted by both.
func (db *DB) LabelStats(ctx context.Context) ([]LabelCount, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT chain, category, count(*) FROM labels GROUP BY chain, category ORDER BY chain, category`)
	if err != nil {
		return nil, fmt.Errorf("label stats: %w", err)
	}
	defer rows.Close()
	out := []LabelCount{}
	for rows.Next() {
		var c LabelCount
		var ch, cat string
		if err := rows.Scan(&ch, &cat, &c.Labels); err != nil {
			return nil, fmt.Errorf("label stats: %w", err)
		}
		c.Chain, c.Category = chains.Chain(ch), chains.Category(cat)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ImportSource is the Provenance.Source of imported files.
const ImportSource = "file import"

// Provenance lists, per chain and source, the newest block and time of the
// stored data, sorted by chain then source. It reads stored rows only, so
// the same file always gives the same answer.
func (db *DB) Provenance(ctx context.Context) ([]chains.Provenance, error) {
	var out []chains.Provenance
	rows, err := db.sql.QueryContext(ctx, `SELECT chain, max(max_block), max(imported_at) FROM imports GROUP BY chain`)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	for rows.Next() {
		var p chains.Provenance
		var ch string
		var blk, at int64
		if err := rows.Scan(&ch, &blk, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("provenance: %w", err)
		}
		p.Chain, p.Source, p.Block, p.Retrieved = chains.Chain(ch), ImportSource, uint64(blk), time.Unix(at, 0).UTC()
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		frows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT file FROM imports WHERE chain = ?`, string(out[i].Chain))
		if err != nil {
			return nil, fmt.Errorf("provenance: %w", err)
		}
		seen := map[string]bool{}
		var names []string
		for frows.Next() {
			var f string
			if err := frows.Scan(&f); err != nil {
				frows.Close()
				return nil, err
			}
			if b := filepath.Base(f); !seen[b] {
				seen[b] = true
				names = append(names, b)
			}
		}
		frows.Close()
		sort.Strings(names)
		out[i].Detail = strings.Join(names, ", ")
	}
	crow, err := db.sql.QueryContext(ctx, `SELECT chain, source, max_block, retrieved_at FROM coverage_sources`)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	defer crow.Close()
	for crow.Next() {
		var p chains.Provenance
		var ch string
		var blk, at int64
		if err := crow.Scan(&ch, &p.Source, &blk, &at); err != nil {
			return nil, fmt.Errorf("provenance: %w", err)
		}
		p.Chain, p.Block, p.Retrieved = chains.Chain(ch), uint64(blk), time.Unix(at, 0).UTC()
		out = append(out, p)
	}
	if err := crow.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Chain != out[j].Chain {
			return out[i].Chain < out[j].Chain
		}
		return out[i].Source < out[j].Source
	})
	return out, nil
}
