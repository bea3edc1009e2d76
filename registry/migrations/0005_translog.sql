-- The public transparency log: a Merkle tree (RFC 6962) over the
-- certificate events, in the layout of golang.org/x/mod/sumdb/tlog, and the
-- signed checkpoints of it. Everything here is append-only, like events.

-- One row per leaf: which event the leaf at index idx logs. certificate_id
-- is kept so that a deleted event row can still be reported by certificate.
CREATE TABLE translog_leaves (
	idx            INTEGER PRIMARY KEY, -- leaf index, from 0
	event_id       INTEGER NOT NULL UNIQUE,
	certificate_id INTEGER NOT NULL
);
CREATE INDEX translog_leaves_certificate ON translog_leaves(certificate_id, idx);

-- The tree's stored hashes, indexed as tlog.StoredHashIndex numbers them.
CREATE TABLE translog_hashes (
	id   INTEGER PRIMARY KEY, -- tlog stored hash index
	hash BLOB NOT NULL CHECK (length(hash) = 32)
);

-- Every checkpoint ever signed, so that the history of checkpoints can be
-- audited: each must be consistent with the tree.
CREATE TABLE translog_checkpoints (
	id        INTEGER PRIMARY KEY,
	size      INTEGER NOT NULL,
	root      BLOB NOT NULL CHECK (length(root) = 32),
	note      TEXT NOT NULL, -- the signed note, as served at /log/checkpoint
	signed_at TEXT NOT NULL
);
CREATE INDEX translog_checkpoints_size ON translog_checkpoints(size);

CREATE TRIGGER translog_leaves_no_update BEFORE UPDATE ON translog_leaves
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_leaves_no_delete BEFORE DELETE ON translog_leaves
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_hashes_no_update BEFORE UPDATE ON translog_hashes
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_hashes_no_delete BEFORE DELETE ON translog_hashes
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_checkpoints_no_update BEFORE UPDATE ON translog_checkpoints
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER translog_checkpoints_no_delete BEFORE DELETE ON translog_checkpoints
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
