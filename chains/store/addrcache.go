package store

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"freezetrace/chains"
)

// addrCache maps address ids to their 20 bytes, so that reading transfers
// needs no join per row. It only ever holds ids read from committed rows,
// and a committed id never changes meaning (addresses are never deleted or
// renumbered), so it never goes stale, even with another process writing.
type addrCache struct {
	mu sync.RWMutex
	m  map[int64][20]byte
}

// resolveAddresses sets each transfer's From and To, in family fam, from the
// address ids in ids (aligned with ts), reading the ids it has not seen.
func (db *DB) resolveAddresses(ctx context.Context, ts []chains.Transfer, ids [][2]int64, fam chains.Family) error {
	c := &db.addrs
	var missing []any
	seen := map[int64]bool{}
	c.mu.RLock()
	for _, p := range ids {
		for _, id := range p {
			if _, ok := c.m[id]; !ok && !seen[id] {
				seen[id] = true
				missing = append(missing, id)
			}
		}
	}
	c.mu.RUnlock()
	for start := 0; start < len(missing); start += addressesPerQuery {
		part := missing[start:min(start+addressesPerQuery, len(missing))]
		rows, err := db.sql.QueryContext(ctx, `SELECT id, addr FROM addresses WHERE id IN (?`+strings.Repeat(",?", len(part)-1)+`)`, part...)
		if err != nil {
			return fmt.Errorf("addresses: %w", err)
		}
		c.mu.Lock()
		if c.m == nil {
			c.m = map[int64][20]byte{}
		}
		for rows.Next() {
			var id int64
			var ab []byte
			if err := rows.Scan(&id, &ab); err != nil {
				c.mu.Unlock()
				rows.Close()
				return fmt.Errorf("addresses: %w", err)
			}
			if len(ab) != 20 {
				c.mu.Unlock()
				rows.Close()
				return fmt.Errorf("address %d: stored with %d bytes", id, len(ab))
			}
			c.m[id] = [20]byte(ab)
		}
		c.mu.Unlock()
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("addresses: %w", err)
		}
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i := range ts {
		from, okf := c.m[ids[i][0]]
		to, okt := c.m[ids[i][1]]
		if !okf || !okt {
			return fmt.Errorf("transfer %s:%d: address id %d or %d is not stored", ts[i].Tx, ts[i].Position, ids[i][0], ids[i][1])
		}
		ts[i].From, ts[i].To = chains.NewAddress(fam, from), chains.NewAddress(fam, to)
	}
	return nil
}
