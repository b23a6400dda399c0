-- Counterparty counts an upstream gave: addr had more than max_count
-- distinct counterparties of asset in [from_block, to_block]. Stored so that
-- a re-run stops at the same busy wallet without asking again.
CREATE TABLE peer_counts (
  asset        INTEGER NOT NULL,
  address      BLOB    NOT NULL,
  from_block   INTEGER NOT NULL,
  to_block     INTEGER NOT NULL,
  max_count    INTEGER NOT NULL,
  count        INTEGER NOT NULL,
  source       TEXT    NOT NULL,
  retrieved_at INTEGER NOT NULL,
  PRIMARY KEY (asset, address, from_block, max_count, to_block)
) WITHOUT ROWID;
