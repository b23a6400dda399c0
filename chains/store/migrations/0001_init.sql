-- Assets: one row per (chain, contract); the integer id is what other
-- tables store. contract is the 20 address bytes, empty for the native coin.
-- symbol and decimals are NULL until known; kind is '', 'native', 'erc20'
-- or 'erc721'.
CREATE TABLE assets (
  id       INTEGER PRIMARY KEY,
  chain    TEXT    NOT NULL,
  contract BLOB    NOT NULL,
  symbol   TEXT,
  decimals INTEGER,
  kind     TEXT    NOT NULL DEFAULT '',
  UNIQUE (chain, contract)
);

-- Transfers: the chain is the asset's chain. Addresses and hashes are raw
-- bytes (20 and 32). amount is the base-unit integer in decimal; zero flags
-- zero-value transfers (address poisoning). time is unix seconds, NULL when
-- the source gave none (it is then read from blocks).
CREATE TABLE transfers (
  id        INTEGER PRIMARY KEY,
  tx        BLOB    NOT NULL,
  asset     INTEGER NOT NULL,
  position  INTEGER NOT NULL,
  tx_index  INTEGER NOT NULL,
  block     INTEGER NOT NULL,
  time      INTEGER,
  from_addr BLOB    NOT NULL,
  to_addr   BLOB    NOT NULL,
  amount    TEXT    NOT NULL,
  zero      INTEGER NOT NULL
);
CREATE UNIQUE INDEX transfers_key ON transfers (tx, asset, position);
CREATE INDEX transfers_from ON transfers (asset, from_addr, block);
CREATE INDEX transfers_to ON transfers (asset, to_addr, block);

-- Blocks: hash is NULL when the source gave only the time.
CREATE TABLE blocks (
  chain  TEXT    NOT NULL,
  number INTEGER NOT NULL,
  hash   BLOB,
  time   INTEGER NOT NULL,
  PRIMARY KEY (chain, number)
) WITHOUT ROWID;

-- Contracts: what is known about whether an address holds code.
CREATE TABLE contracts (
  chain       TEXT    NOT NULL,
  address     BLOB    NOT NULL,
  is_contract INTEGER NOT NULL,
  source      TEXT    NOT NULL,
  PRIMARY KEY (chain, address)
) WITHOUT ROWID;

-- Labels: every chains.Label field. asset is 0 when the label is about
-- every asset; evidence is space-separated 0x-hex transaction hashes.
CREATE TABLE labels (
  id         INTEGER PRIMARY KEY,
  chain      TEXT    NOT NULL,
  address    BLOB    NOT NULL,
  entity     TEXT    NOT NULL,
  category   TEXT    NOT NULL,
  asset      INTEGER NOT NULL DEFAULT 0,
  source     TEXT    NOT NULL,
  date       TEXT    NOT NULL DEFAULT '',
  note       TEXT    NOT NULL DEFAULT '',
  confidence INTEGER NOT NULL,
  heuristic  TEXT    NOT NULL DEFAULT '',
  evidence   TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX labels_key ON labels (chain, address, source, entity, category, asset, heuristic);

-- Coverage: block ranges [from_block, to_block] of (address, asset) whose
-- transfers are all stored. Written in the transaction that stores them.
CREATE TABLE coverage (
  asset        INTEGER NOT NULL,
  address      BLOB    NOT NULL,
  from_block   INTEGER NOT NULL,
  to_block     INTEGER NOT NULL,
  source       TEXT    NOT NULL,
  retrieved_at INTEGER NOT NULL
);
CREATE INDEX coverage_key ON coverage (asset, address, from_block);

-- Transactions whose transfers (every asset) are all stored.
CREATE TABLE tx_coverage (
  chain        TEXT    NOT NULL,
  tx           BLOB    NOT NULL,
  source       TEXT    NOT NULL,
  retrieved_at INTEGER NOT NULL,
  PRIMARY KEY (chain, tx)
) WITHOUT ROWID;

-- Imports: the provenance of imported files.
CREATE TABLE imports (
  id           INTEGER PRIMARY KEY,
  chain        TEXT    NOT NULL,
  file         TEXT    NOT NULL,
  format       TEXT    NOT NULL,
  rows_read    INTEGER NOT NULL,
  rows_added   INTEGER NOT NULL,
  rows_skipped INTEGER NOT NULL,
  max_block    INTEGER NOT NULL,
  imported_at  INTEGER NOT NULL
);

-- Heads: the newest block an upstream reported, and when.
CREATE TABLE heads (
  chain        TEXT    NOT NULL PRIMARY KEY,
  number       INTEGER NOT NULL,
  retrieved_at INTEGER NOT NULL
);
