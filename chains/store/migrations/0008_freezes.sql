-- Issuers' freeze statuses read from their contracts: whether the issuer
-- of asset (whose row names the chain) had frozen address at the end of
-- block, and the freezing transaction when the source found it (tx,
-- tx_block and tx_time NULL otherwise, with note saying why). destroyed is
-- the destroyed frozen balance in base units, NULL when none was. since is
-- the first block the source searched for the freezing transaction, so
-- that a frozen status without one is asked again when a caller searches
-- from earlier. Only final (confirmed) blocks are stored.
CREATE TABLE freezes (
  asset        INTEGER NOT NULL,
  address      BLOB    NOT NULL,
  block        INTEGER NOT NULL,
  frozen       INTEGER NOT NULL,
  issuer       TEXT    NOT NULL,
  tx           BLOB,
  tx_block     INTEGER,
  tx_time      INTEGER,
  destroyed    TEXT,
  note         TEXT    NOT NULL,
  since        INTEGER NOT NULL,
  source       TEXT    NOT NULL,
  retrieved_at INTEGER NOT NULL,
  PRIMARY KEY (asset, address, block)
) WITHOUT ROWID;
