-- The newest block and retrieval time of the coverage per chain and
-- source, kept as coverage is added (and recomputed for a chain when a
-- reorg cuts its ranges), so that provenance reads a few rows however
-- large the cache grows.
CREATE TABLE coverage_sources (
  chain        TEXT    NOT NULL,
  source       TEXT    NOT NULL,
  max_block    INTEGER NOT NULL,
  retrieved_at INTEGER NOT NULL,
  PRIMARY KEY (chain, source)
) WITHOUT ROWID;
INSERT INTO coverage_sources (chain, source, max_block, retrieved_at)
  SELECT a.chain, c.source, max(c.to_block), max(c.retrieved_at)
  FROM coverage c JOIN assets a ON a.id = c.asset GROUP BY a.chain, c.source;
