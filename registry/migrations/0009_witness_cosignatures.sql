-- Cosignatures of the transparency log's checkpoints by independent
-- witnesses (c2sp.org/tlog-witness, c2sp.org/tlog-cosignature). A
-- cosignature signs the checkpoint's text (origin, size, root), not the
-- log's own signature, so it is kept by tree size and root: it holds for
-- every checkpoint note of that tree. Append-only, like the log.
CREATE TABLE translog_cosignatures (
	id          INTEGER PRIMARY KEY,
	size        INTEGER NOT NULL,
	root        BLOB NOT NULL CHECK (length(root) = 32),
	witness     TEXT NOT NULL, -- the witness's key name
	key_hash    INTEGER NOT NULL, -- the signed-note key hash of its key
	line        TEXT NOT NULL, -- the signature line, "— name base64", as the witness sent it
	cosigned_at TEXT NOT NULL, -- the time in the cosignature (RFC 3339)
	received_at TEXT NOT NULL,
	UNIQUE (size, root, witness, key_hash)
);
CREATE INDEX translog_cosignatures_witness ON translog_cosignatures(witness, key_hash, size);

CREATE TRIGGER translog_cosignatures_no_update BEFORE UPDATE ON translog_cosignatures
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_cosignatures_no_delete BEFORE DELETE ON translog_cosignatures
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
