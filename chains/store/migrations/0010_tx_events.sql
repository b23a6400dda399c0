-- Transactions whose events (chains.TxEvent) are all stored, written in
-- the transaction that stores them: a row here with no tx_events rows is
-- a transaction known to have emitted none. block is the transaction's
-- block when known (from its events or its stored transfers), NULL
-- otherwise; a reorganisation of that block forgets the row and the
-- events. source names where they came from; retrieved_at is unix
-- seconds, NULL for events stored from a file.
CREATE TABLE tx_event_coverage (
  chain        TEXT    NOT NULL,
  tx           BLOB    NOT NULL,
  block        INTEGER,
  source       TEXT    NOT NULL,
  retrieved_at INTEGER,
  PRIMARY KEY (chain, tx)
) WITHOUT ROWID;

-- The events of those transactions that a source recognised. position is
-- the log index; contract the 20 bytes of the emitting contract; kind a
-- chains.EventKind; dest_chain and recipient the bridge deposit's own
-- words, '' when it names none.
CREATE TABLE tx_events (
  chain      TEXT    NOT NULL,
  tx         BLOB    NOT NULL,
  position   INTEGER NOT NULL,
  block      INTEGER NOT NULL,
  contract   BLOB    NOT NULL,
  kind       TEXT    NOT NULL,
  dest_chain TEXT    NOT NULL DEFAULT '',
  recipient  TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (chain, tx, position)
) WITHOUT ROWID;
CREATE INDEX tx_events_block ON tx_events (chain, block);
CREATE INDEX tx_event_coverage_block ON tx_event_coverage (chain, block);
