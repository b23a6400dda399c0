-- Balances fetched from an archive node: addr's balance of asset at the end
-- of block. Only final (confirmed) blocks are stored, so a row never changes.
CREATE TABLE balances (
  asset        INTEGER NOT NULL,
  address      BLOB    NOT NULL,
  block        INTEGER NOT NULL,
  amount       TEXT    NOT NULL,
  source       TEXT    NOT NULL,
  retrieved_at INTEGER NOT NULL,
  PRIMARY KEY (asset, address, block)
) WITHOUT ROWID;
