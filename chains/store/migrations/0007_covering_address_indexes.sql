-- The address indexes carry the counterparty's id as well, so that
-- counting an address's counterparties reads the index alone, with no
-- lookup of the table row per transfer.
DROP INDEX transfers_from;
CREATE INDEX transfers_from ON transfers (from_id, asset, block, to_id);
DROP INDEX transfers_to;
CREATE INDEX transfers_to ON transfers (to_id, asset, block, from_id);
