-- Number-part search (issue 14). A query that holds a part of a number
-- ("00067" of "AS-2024-00067") finds the numbers holding it after their
-- first character; no B-tree index serves that, and LIKE '_%X%' read the
-- whole number index for every rare or absent part. This trigram index
-- holds each number key without its first character (a number starting
-- with the part is a prefix match, found by the number index), so a
-- phrase query finds exactly the candidates; the search checks each with
-- the LIKE it used before. Contentless: the keys are in certificates, and
-- the store writes this table beside the certificate, in bulk on import,
-- like the holder-name indexes (see 0001_core.sql on why not triggers).
-- Case-sensitive: keys are upper case, and folding would let a non-ASCII
-- letter (the Kelvin sign) match an ASCII one.
CREATE VIRTUAL TABLE number_fts USING fts5(tail, content='', contentless_delete=1, tokenize='trigram case_sensitive 1');
INSERT INTO number_fts(rowid, tail) SELECT id, substr(number_key, 2) FROM certificates;
INSERT INTO number_fts(number_fts) VALUES ('optimize');
