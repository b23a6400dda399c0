-- Addresses: one row per 20-byte address seen in a transfer. Transfers
-- store the integer id instead of the bytes: rows and the two address
-- indexes are smaller, and a bulk load binds two integers per row where it
-- bound two blobs. The dictionary is shared by every chain, as transfers'
-- address bytes were; the chain is still the asset's.
CREATE TABLE addresses (
  id   INTEGER PRIMARY KEY,
  addr BLOB    NOT NULL UNIQUE
);
INSERT INTO addresses (addr)
  SELECT from_addr FROM transfers UNION SELECT to_addr FROM transfers;

-- Transfers: from_id and to_id replace from_addr and to_addr. tx_prefix is
-- the first 7 bytes of tx as a big-endian integer: it leads the unique
-- key, which stays unique per (tx, asset, position) because tx_prefix is a
-- function of tx, and lets SQLite's sorter order almost every pair of keys
-- by one integer comparison when a bulk load rebuilds the index. Each
-- address index leads with the address id for the same reason (asset has
-- few distinct values).
--
-- The table is rebuilt by copying rather than with ALTER TABLE ... RENAME:
-- a rename opens the connection's temporary database, and a connection
-- with that open cannot change temp_store inside a transaction, which the
-- index rebuild of a bulk load does.
CREATE TABLE transfers_copy AS
  SELECT t.id, t.tx, t.asset, t.position, t.tx_index, t.block, t.time,
         f.id AS from_id, o.id AS to_id, t.amount, t.zero
  FROM transfers t JOIN addresses f ON f.addr = t.from_addr JOIN addresses o ON o.addr = t.to_addr;
DROP TABLE transfers;
CREATE TABLE transfers (
  id        INTEGER PRIMARY KEY,
  tx_prefix INTEGER NOT NULL,
  tx        BLOB    NOT NULL,
  asset     INTEGER NOT NULL,
  position  INTEGER NOT NULL,
  tx_index  INTEGER NOT NULL,
  block     INTEGER NOT NULL,
  time      INTEGER,
  from_id   INTEGER NOT NULL,
  to_id     INTEGER NOT NULL,
  amount    TEXT    NOT NULL,
  zero      INTEGER NOT NULL
);
INSERT INTO transfers (id, tx_prefix, tx, asset, position, tx_index, block, time, from_id, to_id, amount, zero)
  SELECT id,
         (instr('0123456789ABCDEF', substr(h,  1, 1)) - 1) * 4503599627370496 +
         (instr('0123456789ABCDEF', substr(h,  2, 1)) - 1) * 281474976710656 +
         (instr('0123456789ABCDEF', substr(h,  3, 1)) - 1) * 17592186044416 +
         (instr('0123456789ABCDEF', substr(h,  4, 1)) - 1) * 1099511627776 +
         (instr('0123456789ABCDEF', substr(h,  5, 1)) - 1) * 68719476736 +
         (instr('0123456789ABCDEF', substr(h,  6, 1)) - 1) * 4294967296 +
         (instr('0123456789ABCDEF', substr(h,  7, 1)) - 1) * 268435456 +
         (instr('0123456789ABCDEF', substr(h,  8, 1)) - 1) * 16777216 +
         (instr('0123456789ABCDEF', substr(h,  9, 1)) - 1) * 1048576 +
         (instr('0123456789ABCDEF', substr(h, 10, 1)) - 1) * 65536 +
         (instr('0123456789ABCDEF', substr(h, 11, 1)) - 1) * 4096 +
         (instr('0123456789ABCDEF', substr(h, 12, 1)) - 1) * 256 +
         (instr('0123456789ABCDEF', substr(h, 13, 1)) - 1) * 16 +
         (instr('0123456789ABCDEF', substr(h, 14, 1)) - 1) * 1,
         tx, asset, position, tx_index, block, time, from_id, to_id, amount, zero
  FROM (SELECT *, hex(substr(tx, 1, 7)) AS h FROM transfers_copy) ORDER BY id;
DROP TABLE transfers_copy;
CREATE UNIQUE INDEX transfers_key ON transfers (tx_prefix, tx, asset, position);
CREATE INDEX transfers_from ON transfers (from_id, asset, block);
CREATE INDEX transfers_to ON transfers (to_id, asset, block);
