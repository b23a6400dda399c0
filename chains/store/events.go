package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"freezetrace/chains"
)

var _ chains.EventReader = (*Source)(nil)

// TxEvents implements chains.EventReader. The events of a transaction
// stored whole answer, in position order (a transaction known to have
// emitted none answers an empty slice); else the upstream is asked
// (chains.ErrUnsupported when it is no chains.EventReader) and its answer
// is stored, with the mark that the transaction is known, in one
// transaction, when the transaction's block is final: a warm re-run asks
// nothing. An upstream error stores nothing. Offline, a transaction not
// stored fails with an error matching chains.ErrOffline and
// chains.ErrNotFound.
func (s *Source) TxEvents(ctx context.Context, c chains.Chain, tx chains.TxHash) ([]chains.TxEvent, error) {
	evs, known, err := s.db.CachedTxEvents(ctx, c, tx)
	if err != nil || known {
		return evs, err
	}
	what := "events of transaction " + c.FormatTx(tx)
	if s.opt.Offline {
		return nil, offline(what, chains.ErrNotFound)
	}
	er, ok := s.up.(chains.EventReader)
	if !ok {
		return nil, fmt.Errorf("%s: the upstream cannot read them: %w", what, chains.ErrUnsupported)
	}
	evs, err = er.TxEvents(ctx, c, tx)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", what, err)
	}
	if evs, err = checkEvents(c, tx, evs); err != nil {
		return nil, fmt.Errorf("fetch %s: upstream answered %w", what, err)
	}
	if final, err := s.eventsFinal(ctx, c, tx, evs); err != nil || !final {
		return evs, err
	}
	err = s.db.update(ctx, func(b *Batch) error { return b.PutTxEvents(ctx, c, tx, evs, s.opt.Name, s.opt.Clock()) })
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", what, err)
	}
	return evs, nil
}

// eventsFinal reports whether the events of tx may be cached: whether its
// block is final. The block is its events'; for a transaction with none,
// that of its stored transfers. With neither the block is unknown, and
// only an upstream that answers for final blocks alone (no head to
// compare with, or a confirmation depth of 0) is trusted.
func (s *Source) eventsFinal(ctx context.Context, c chains.Chain, tx chains.TxHash, evs []chains.TxEvent) (bool, error) {
	if len(evs) > 0 {
		return s.confirmed(ctx, c, evs[0].Block)
	}
	n, ok, err := txBlock(ctx, s.db.sql, c, tx)
	switch {
	case err != nil:
		return false, err
	case ok:
		return s.confirmed(ctx, c, n)
	}
	_, headed := s.up.(chains.HeadReader)
	return !headed || s.depth() == 0, nil
}

// checkEvents returns evs in position order, or an error when they are
// not the events of one transaction tx of chain c: another transaction's
// event, one of a kind not in chains.EventKinds, two at one position, or
// events in different blocks.
func checkEvents(c chains.Chain, tx chains.TxHash, evs []chains.TxEvent) ([]chains.TxEvent, error) {
	out := slices.Clone(evs)
	if out == nil {
		out = []chains.TxEvent{}
	}
	slices.SortStableFunc(out, func(a, b chains.TxEvent) int { return cmp.Compare(a.Position, b.Position) })
	for i, e := range out {
		switch {
		case e.Chain != c || e.Tx != tx:
			return nil, fmt.Errorf("an event at position %d of transaction %s on %s", e.Position, e.Chain.FormatTx(e.Tx), e.Chain)
		case !slices.Contains(chains.EventKinds, e.Kind):
			return nil, fmt.Errorf("an event at position %d of unknown kind %q", e.Position, string(e.Kind))
		case i > 0 && e.Position == out[i-1].Position:
			return nil, fmt.Errorf("two events at position %d", e.Position)
		case i > 0 && e.Block != out[i-1].Block:
			return nil, fmt.Errorf("events in blocks %d and %d", out[i-1].Block, e.Block)
		case e.Block > 1<<63-1:
			return nil, fmt.Errorf("an event at position %d in block %d", e.Position, e.Block)
		}
	}
	return out, nil
}

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// txBlock is the block of a stored transfer of transaction tx of chain c,
// and whether one is stored.
func txBlock(ctx context.Context, q rowQuerier, c chains.Chain, tx chains.TxHash) (uint64, bool, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT t.block FROM transfers t JOIN assets a ON a.id = t.asset
		WHERE t.tx_prefix = ? AND t.tx = ? AND a.chain = ? LIMIT 1`, txPrefix(tx), tx[:], string(c)).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("block of transaction %s: %w", c.FormatTx(tx), err)
	}
	return uint64(n), true, nil
}

// cachedEventsQuery reads the mark that a transaction's events are stored
// and its events in one statement, so one snapshot: no row when the
// transaction is not known, one row with NULL columns when it emitted
// none.
const cachedEventsQuery = `SELECT e.position, e.block, e.contract, e.kind, e.dest_chain, e.recipient
	FROM tx_event_coverage k LEFT JOIN tx_events e ON e.chain = k.chain AND e.tx = k.tx
	WHERE k.chain = ? AND k.tx = ? ORDER BY e.position`

// CachedTxEvents returns the stored events of transaction tx of chain c in
// position order, and whether the store holds them all (the transaction
// was stored whole, possibly with none). A stored kind this package does
// not know (a corrupt file, or one a newer freezetrace wrote) is an error
// naming the file and the row, not an event silently dropped.
func (db *DB) CachedTxEvents(ctx context.Context, c chains.Chain, tx chains.TxHash) ([]chains.TxEvent, bool, error) {
	rows, err := db.rows(ctx, cachedEventsQuery, string(c), tx[:])
	if err != nil {
		return nil, false, fmt.Errorf("read events of transaction %s: %w", c.FormatTx(tx), err)
	}
	defer rows.Close()
	known, out := false, []chains.TxEvent{}
	for rows.Next() {
		known = true
		e, ok, err := db.scanEvent(rows, c, tx)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out = append(out, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read events of transaction %s: %w", c.FormatTx(tx), err)
	}
	if !known {
		return nil, false, nil
	}
	return out, true, nil
}

// scanEvent reads one row of cachedEventsQuery; ok is false for the row of
// a transaction with no events.
func (db *DB) scanEvent(r scanner, c chains.Chain, tx chains.TxHash) (chains.TxEvent, bool, error) {
	var pos, blk sql.NullInt64
	var contract []byte
	var kind, dest, recipient sql.NullString
	if err := r.Scan(&pos, &blk, &contract, &kind, &dest, &recipient); err != nil {
		return chains.TxEvent{}, false, fmt.Errorf("read events of transaction %s: %w", c.FormatTx(tx), err)
	}
	if !pos.Valid {
		return chains.TxEvent{}, false, nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("database %s: tx_events row (chain %s, tx %s, position %d): %s; the file is corrupt or was written by a newer freezetrace",
			db.path, c, c.FormatTx(tx), pos.Int64, fmt.Sprintf(format, args...))
	}
	e := chains.TxEvent{Chain: c, Tx: tx, Position: uint32(pos.Int64), Block: uint64(blk.Int64),
		Kind: chains.EventKind(kind.String), DestChain: dest.String, Recipient: recipient.String}
	if !slices.Contains(chains.EventKinds, e.Kind) {
		return chains.TxEvent{}, false, bad("kind %q is not one this freezetrace knows", kind.String)
	}
	var err error
	if e.Contract, err = chains.AddressFromSlice(c.Family(), contract); err != nil {
		return chains.TxEvent{}, false, bad("contract: %v", err)
	}
	return e, true, nil
}

// PutTxEvents stores evs as every event of transaction tx of chain c (none:
// tx is stored as known to have emitted none), replacing what was stored
// of tx, with the mark that tx is known: source names where they came
// from, at when (the zero time: unknown). The events must be tx's (see
// checkEvents).
func (b *Batch) PutTxEvents(ctx context.Context, c chains.Chain, tx chains.TxHash, evs []chains.TxEvent, source string, at time.Time) error {
	what := "events of transaction " + c.FormatTx(tx)
	if !c.Valid() {
		return fmt.Errorf("put %s: unknown chain %q", what, string(c))
	}
	evs, err := checkEvents(c, tx, evs)
	if err != nil {
		return fmt.Errorf("put %s: %w", what, err)
	}
	var block, retrieved any
	if len(evs) > 0 {
		block = int64(evs[0].Block)
	} else if n, ok, err := txBlock(ctx, b.tx, c, tx); err != nil {
		return fmt.Errorf("put %s: %w", what, err)
	} else if ok {
		block = int64(n)
	}
	if !at.IsZero() {
		retrieved = at.Unix()
	}
	if _, err := b.tx.ExecContext(ctx, `DELETE FROM tx_events WHERE chain = ? AND tx = ?`, string(c), tx[:]); err != nil {
		return fmt.Errorf("put %s: %w", what, err)
	}
	if err := b.insertEvents(ctx, evs); err != nil {
		return fmt.Errorf("put %s: %w", what, err)
	}
	if _, err := b.tx.ExecContext(ctx, `INSERT OR REPLACE INTO tx_event_coverage (chain, tx, block, source, retrieved_at) VALUES (?, ?, ?, ?, ?)`,
		string(c), tx[:], block, source, retrieved); err != nil {
		return fmt.Errorf("put %s: %w", what, err)
	}
	return nil
}

// insertEvents inserts checked events through one prepared statement.
func (b *Batch) insertEvents(ctx context.Context, evs []chains.TxEvent) error {
	if len(evs) == 0 {
		return nil
	}
	ins, err := b.tx.PrepareContext(ctx, `INSERT INTO tx_events (chain, tx, position, block, contract, kind, dest_chain, recipient)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer ins.Close()
	for _, e := range evs {
		cb := e.Contract.Bytes()
		if _, err := ins.ExecContext(ctx, string(e.Chain), e.Tx[:], int64(e.Position), int64(e.Block), cb[:],
			string(e.Kind), e.DestChain, e.Recipient); err != nil {
			return fmt.Errorf("event at position %d: %w", e.Position, err)
		}
	}
	return nil
}

// importSource is the source PutTxEvents records for events stored from a
// file.
const importSource = "import"

// PutTxEvents stores the events of transaction tx of chain c, as an
// importer of offline files reads them, in one transaction: every event tx
// emitted of the kinds sources recognise (none: tx is stored as known to
// have emitted none), replacing what was stored of tx. A list that is not
// tx's (another transaction's event, a kind not in chains.EventKinds, two
// events at one position, events in two blocks) is a mistake in the input
// (chains.Invalid), and nothing is stored.
func (db *DB) PutTxEvents(ctx context.Context, c chains.Chain, tx chains.TxHash, evs []chains.TxEvent) error {
	if _, err := checkEvents(c, tx, evs); err != nil {
		return chains.Invalid(fmt.Errorf("put events of transaction %s: %w", c.FormatTx(tx), err))
	}
	return db.update(ctx, func(b *Batch) error { return b.PutTxEvents(ctx, c, tx, evs, importSource, time.Time{}) })
}
