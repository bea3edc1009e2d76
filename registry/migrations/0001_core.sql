-- Core schema: bodies, schemes, certificates, and the append-only event log
-- from which every certificate's public history is read.

CREATE TABLE bodies (
	id        INTEGER PRIMARY KEY,
	approval  TEXT NOT NULL UNIQUE,
	name_zh   TEXT NOT NULL,
	name_en   TEXT NOT NULL DEFAULT '',
	website   TEXT NOT NULL DEFAULT '',
	province  TEXT NOT NULL DEFAULT '',
	city      TEXT NOT NULL DEFAULT '',
	contact   TEXT NOT NULL DEFAULT '',
	disabled  INTEGER NOT NULL DEFAULT 0,
	created   TEXT NOT NULL
);

CREATE TABLE schemes (
	code       TEXT PRIMARY KEY,
	definition TEXT NOT NULL -- the scheme's JSON, as in data/schemes.json
);

CREATE TABLE certificates (
	id                  INTEGER PRIMARY KEY,
	number              TEXT NOT NULL,
	number_key          TEXT NOT NULL UNIQUE, -- upper-case number: numbers compare case-insensitively
	holder_name         TEXT NOT NULL,
	holder_credit_code  TEXT NOT NULL,
	credit_code_warning INTEGER NOT NULL DEFAULT 0,
	holder_address      TEXT NOT NULL DEFAULT '',
	province            TEXT NOT NULL,
	city                TEXT NOT NULL DEFAULT '',
	scheme              TEXT NOT NULL REFERENCES schemes(code),
	score               REAL,
	level               TEXT NOT NULL,
	scope               TEXT NOT NULL,
	first_issue_date    TEXT NOT NULL,
	issue_date          TEXT NOT NULL,
	expiry_date         TEXT NOT NULL,
	body_id             INTEGER NOT NULL REFERENCES bodies(id),
	status              TEXT NOT NULL CHECK (status IN ('valid','suspended','revoked','withdrawn')),
	status_date         TEXT NOT NULL,
	stage1_date         TEXT,
	stage2_date         TEXT,
	cpsq                REAL,
	surveillance        TEXT NOT NULL DEFAULT '[]', -- JSON list of audits
	created_at          TEXT NOT NULL,
	updated_at          TEXT NOT NULL,
	version             INTEGER NOT NULL DEFAULT 1,
	CHECK (expiry_date > issue_date),
	CHECK (stage2_date IS NULL OR stage1_date IS NOT NULL AND stage2_date >= stage1_date)
);
CREATE INDEX certificates_credit_code ON certificates(holder_credit_code);
CREATE INDEX certificates_body ON certificates(body_id, issue_date);
CREATE INDEX certificates_issue ON certificates(issue_date, id);
CREATE INDEX certificates_place ON certificates(province, city, issue_date);
CREATE INDEX certificates_level ON certificates(scheme, level, issue_date);
CREATE INDEX certificates_status ON certificates(status, expiry_date);

-- Every write appends events; nothing updates or deletes them.
CREATE TABLE events (
	id             INTEGER PRIMARY KEY,
	certificate_id INTEGER REFERENCES certificates(id),
	body_id        INTEGER REFERENCES bodies(id),
	kind           TEXT NOT NULL,
	effective_date TEXT,
	reason         TEXT NOT NULL DEFAULT '',
	actor          TEXT NOT NULL,
	source         TEXT NOT NULL,
	remote_addr    TEXT NOT NULL DEFAULT '',
	at             TEXT NOT NULL,
	changes        TEXT NOT NULL DEFAULT '[]', -- JSON list of {field, before, after}
	snapshot       TEXT NOT NULL DEFAULT ''    -- the certificate's record after the event, as JSON
);
CREATE INDEX events_certificate ON events(certificate_id, id);
CREATE INDEX events_kind ON events(kind, id);
CREATE INDEX events_body ON events(body_id, id);

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- A certificate that has history can never be deleted.
CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates
BEGIN SELECT RAISE(ABORT, 'certificates are never deleted: revoke or withdraw them'); END;

-- Holder-name search. The trigram index serves queries of three characters
-- or more; the bigram table serves two-character queries (宁波, 电器), the
-- most common Chinese searches, which trigrams cannot.
CREATE VIRTUAL TABLE holder_fts USING fts5(holder_name, content='certificates', content_rowid='id', tokenize='trigram');
-- Each row holds the name's overlapping two-character pieces, separated by
-- spaces, so that a two-character query is one token lookup. Written by the
-- store (SQL cannot split a string into bigrams).
CREATE VIRTUAL TABLE holder_bigram_fts USING fts5(bigrams, content='', contentless_delete=1, tokenize='unicode61');

-- Both search tables are written by the store in the same transaction as
-- the certificate, not by triggers: a trigger makes every insert a
-- multi-statement write with its own savepoint, and FTS5 flushes its
-- pending index data at every savepoint, which makes bulk imports slow.

-- A counter every write bumps, so that readers (page caches) can tell cheaply
-- whether anything changed, whichever process wrote.
CREATE TABLE registry_state (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	generation INTEGER NOT NULL
);
INSERT INTO registry_state VALUES (1, 0);
