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

// activityWhere selects addr's transfers on a chain: two index range scans.
const activityWhere = `FROM transfers t JOIN assets a ON a.id = t.asset
	WHERE a.chain = ?1 AND (t.from_id = (SELECT id FROM addresses WHERE addr = ?2)
	   OR t.to_id = (SELECT id FROM addresses WHERE addr = ?2))`

// The first and the last of them, each with its time when the transfer
// carries one (SQLite gives the other columns of the row min or max chose).
const (
	activityFirst = `SELECT count(*), coalesce(min(t.block), 0), t.time ` + activityWhere
	activityLast  = `SELECT coalesce(max(t.block), 0), t.time ` + activityWhere
)

// Activity reads addr's stored activity on c, whatever the size of the
// database. Times come from the transfers, else from the stored blocks.
func (db *DB) Activity(ctx context.Context, c chains.Chain, addr chains.Address) (Activity, error) {
	var a Activity
	var first, last int64
	var ft, lt sql.NullInt64
	ab := addr.Bytes()
	if err := db.row(ctx, activityFirst, string(c), ab[:]).Scan(&a.Transfers, &first, &ft); err != nil {
		return a, fmt.Errorf("activity of %s: %w", addr, err)
	}
	if a.Transfers == 0 {
		return a, nil
	}
	if err := db.row(ctx, activityLast, string(c), ab[:]).Scan(&last, &lt); err != nil {
		return a, fmt.Errorf("activity of %s: %w", addr, err)
	}
	a.First, a.Last = uint64(first), uint64(last)
	var err error
	if a.FirstTime, err = db.timeOf(ctx, c, a.First, ft); err != nil {
		return a, err
	}
	a.LastTime, err = db.timeOf(ctx, c, a.Last, lt)
	return a, err
}

// timeOf is a transfer's time, else the stored time of its block n, zero
// when neither is stored.
func (db *DB) timeOf(ctx context.Context, c chains.Chain, n uint64, own sql.NullInt64) (time.Time, error) {
	if own.Valid {
		return time.Unix(own.Int64, 0).UTC(), nil
	}
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
