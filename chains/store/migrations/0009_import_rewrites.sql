-- How an import met rows the database already held. rows_stored counts the
-- file's rows identical to stored ones, which are not stored again;
-- rows_skipped now also counts rows repeating an earlier row of the same
-- file. rows_replaced counts stored rows (transfers, blocks, tokens) that
-- the file's differing rows replaced, which only an import run with
-- --replace (replace_allowed = 1) does; without it such a row stops the
-- import and nothing of the file is stored.
ALTER TABLE imports ADD COLUMN rows_stored INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN rows_replaced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE imports ADD COLUMN replace_allowed INTEGER NOT NULL DEFAULT 0;

-- rewrites.generation grows in every transaction that deletes or changes
-- stored transfers, blocks or tokens (a reorganisation seen by the live
-- source, an import with --replace). An import compares the file's rows with the stored
-- ones before it takes the write lock; once it holds the lock it checks that
-- the generation has not moved, so that no row it found stored was deleted or
-- changed meanwhile.
CREATE TABLE rewrites (generation INTEGER NOT NULL);
INSERT INTO rewrites (generation) VALUES (0);
