package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"freezetrace/chains"
)

// PutFileTxEvents puts the venue events of transaction tx of chain c, read
// from a file, through the import: evs are every event tx emitted of the
// kinds sources recognise (none: tx is stored as known to have emitted
// none), decoded from rows logs of the file, the first at line. It returns
// rows when it stored them, 0 when the same events were stored already
// (counted as stored rows, not stored again) or put earlier by this
// import (counted as repeated rows: the import remembers the line of each
// transaction it put, a few dozen bytes each).
//
// Events that differ from the stored ones (another kind, contract or
// position, or a transaction known with none) are an error naming both
// unless ImportInfo.Replace, when the file's replace them; differing from
// what this import put earlier is always an error. A list that is not
// tx's (see checkEvents) is a mistake in the input (chains.Invalid).
func (im *Import) PutFileTxEvents(ctx context.Context, c chains.Chain, tx chains.TxHash, evs []chains.TxEvent, rows, line int) (int, error) {
	if im.done {
		return 0, errors.New("import: already finished")
	}
	what := "events of transaction " + c.FormatTx(tx)
	evs, err := checkEvents(c, tx, evs)
	if err != nil {
		return 0, chains.Invalid(fmt.Errorf("%s: %s: %w", im.at(line), what, err))
	}
	im.used[kindEvents] = true
	if len(evs) > 0 && c == im.info.Chain {
		im.maxBlock = max(im.maxBlock, evs[0].Block)
	}
	stored, known, err := readTxEvents(ctx, im, c, tx)
	if err != nil {
		return 0, fmt.Errorf("import %s: %w", im.info.File, err)
	}
	earlier, again := im.eventsPut[tx]
	switch {
	case again && !sameEvents(stored, evs):
		return 0, im.eventsConflict(c, tx, line, evs, stored, where(earlier, true), false)
	case again:
		im.repeated[kindEvents] += rows
		return 0, nil
	case known && sameEvents(stored, evs):
		im.stored[kindEvents] += rows
		if im.b == nil {
			im.judged++
		}
		im.eventsPut[tx] = int32(line)
		return 0, nil
	}
	if known && !im.info.Replace {
		return 0, im.eventsConflict(c, tx, line, evs, stored, where(0, false), true)
	}
	if err := im.lock(ctx); err != nil {
		return 0, err
	}
	if err := im.b.PutTxEvents(ctx, c, tx, evs, importSource, time.Time{}); err != nil {
		return 0, fmt.Errorf("import %s: %w", im.info.File, err)
	}
	if known {
		im.replaced++
		im.rewrote = true
	}
	im.eventsPut[tx] = int32(line)
	return rows, nil
}

// readTxEvents reads the stored events of tx as CachedTxEvents does,
// through the import's write transaction if open, else its connection.
func readTxEvents(ctx context.Context, im *Import, c chains.Chain, tx chains.TxHash) ([]chains.TxEvent, bool, error) {
	rows, err := im.querier().QueryContext(ctx, cachedEventsQuery, string(c), tx[:])
	if err != nil {
		return nil, false, fmt.Errorf("read events of transaction %s: %w", c.FormatTx(tx), err)
	}
	defer rows.Close()
	known, out := false, []chains.TxEvent{}
	for rows.Next() {
		known = true
		e, ok, err := im.db.scanEvent(rows, c, tx)
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
	return out, known, nil
}

// sameEvents reports whether a and b (each in position order) are the same
// events.
func sameEvents(a, b []chains.TxEvent) bool {
	return slices.Equal(a, b)
}

// eventsConflict is the error for a file's events of tx (at line) that
// differ from others (there).
func (im *Import) eventsConflict(c chains.Chain, tx chains.TxHash, line int, here, other []chains.TxEvent, there string, stored bool) error {
	msg := fmt.Sprintf("%s: events of transaction %s: %s here, %s %s", im.at(line), c.FormatTx(tx), eventList(here), eventList(other), there)
	if stored {
		msg += " (import with --replace to store the file's events instead)"
	}
	return chains.Invalid(errors.New(msg))
}

// eventList shows events in one line: "none", or "kind by contract at
// position, …".
func eventList(evs []chains.TxEvent) string {
	if len(evs) == 0 {
		return "none"
	}
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = fmt.Sprintf("%s by %s at %d", e.Kind, e.Contract, e.Position)
		if e.DestChain != "" || e.Recipient != "" {
			parts[i] += fmt.Sprintf(" (to %q on %q)", e.Recipient, e.DestChain)
		}
	}
	return strings.Join(parts, ", ")
}
