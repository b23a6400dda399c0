package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"freezetrace/chains"
)

// Activity is what the cache holds of one address on one chain: how many
// stored transfers of any asset it sent or received, and the first and
// last of them. It says nothing of blocks the cache never fetched.
type Activity struct {
	Transfers   int
	First, Last uint64 // blocks; 0 when Transfers is 0
	FirstTime   time.Time
	LastTime    time.Time // zero when the block time is not stored
}

const activityQuery = `SELECT count(*), coalesce(min(t.block), 0), coalesce(max(t.block), 0)
	FROM transfers t JOIN assets a ON a.id = t.asset
	WHERE a.chain = ?1 AND (t.from_id = (SELECT id FROM addresses WHERE addr = ?2)
	   OR t.to_id = (SELECT id FROM addresses WHERE addr = ?2))`

// Activity reads addr's stored activity on c: two index range scans,
// whatever the size of the database.
func (db *DB) Activity(ctx context.Context, c chains.Chain, addr chains.Address) (Activity, error) {
	var a Activity
	var first, last int64
	ab := addr.Bytes()
	if err := db.row(ctx, activityQuery, string(c), ab[:]).Scan(&a.Transfers, &first, &last); err != nil {
		return a, fmt.Errorf("activity of %s: %w", addr, err)
	}
	a.First, a.Last = uint64(first), uint64(last)
	if a.Transfers == 0 {
		return a, nil
	}
	var err error
	if a.FirstTime, err = db.storedTime(ctx, c, a.First); err != nil {
		return a, err
	}
	a.LastTime, err = db.storedTime(ctx, c, a.Last)
	return a, err
}

// storedTime is the stored time of block n, zero when none is stored.
func (db *DB) storedTime(ctx context.Context, c chains.Chain, n uint64) (time.Time, error) {
	var t int64
	err := db.row(ctx, `SELECT time FROM blocks WHERE chain = ? AND number = ?`, string(c), int64(n)).Scan(&t)
	switch {
	case err == sql.ErrNoRows:
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("time of %s block %d: %w", c, n, err)
	}
	return time.Unix(t, 0).UTC(), nil
}
