-- Pair coverage: block ranges [from_block, to_block] in which every
-- transfer of asset from from_addr to to_addr is stored (one filtered
-- query, e.g. eth_getLogs with both topics set). Written in the
-- transaction that stores them, like coverage.
CREATE TABLE pair_coverage (
  asset        INTEGER NOT NULL,
  from_addr    BLOB    NOT NULL,
  to_addr      BLOB    NOT NULL,
  from_block   INTEGER NOT NULL,
  to_block     INTEGER NOT NULL,
  source       TEXT    NOT NULL,
  retrieved_at INTEGER NOT NULL
);
CREATE INDEX pair_coverage_key ON pair_coverage (asset, from_addr, to_addr, from_block);
