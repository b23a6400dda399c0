package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"freezetrace/chains"
)

// ConfirmedHead is the newest block of c the cache treats as final: the
// upstream's head (stored for HeadTTL, so a warm re-run asks nothing) less
// ConfirmDepth (nothing for a FinalOnly upstream, whose head is final), and when that head was fetched, so that a re-run inside
// HeadTTL says the same. ok is false offline, or when the upstream cannot
// tell its head; the caller then answers "as of the end of the data".
func (s *Source) ConfirmedHead(ctx context.Context, c chains.Chain) (n uint64, at time.Time, ok bool, err error) {
	if s.opt.Offline || s.up == nil {
		return 0, time.Time{}, false, nil
	}
	h, ok, err := s.head(ctx, c)
	if err != nil || !ok {
		return 0, time.Time{}, false, err
	}
	at = s.opt.Clock().UTC()
	var unix int64
	switch err := s.db.sql.QueryRowContext(ctx, `SELECT retrieved_at FROM heads WHERE chain = ? AND number = ?`, string(c), int64(h)).Scan(&unix); {
	case err == nil:
		at = time.Unix(unix, 0).UTC()
	case !errors.Is(err, sql.ErrNoRows):
		return 0, time.Time{}, false, fmt.Errorf("read head of %s: %w", c, err)
	}
	if h < s.depth() {
		return 0, at, true, nil
	}
	return h - s.depth(), at, true, nil
}
