-- Verification: how often each certificate was checked, and the receipts
-- that record what the registry said at the moment of a check.

-- A statistic, updated in place: the count and time of the last check. It
-- does not bump the registry's generation, so checks never invalidate the
-- page cache.
CREATE TABLE verify_counts (
	certificate_id INTEGER PRIMARY KEY REFERENCES certificates(id),
	count          INTEGER NOT NULL,
	first_at       TEXT NOT NULL,
	last_at        TEXT NOT NULL
);

-- A receipt is evidence for a tender file: once written it never changes.
CREATE TABLE verify_receipts (
	id             TEXT PRIMARY KEY,            -- 16 base32 characters, random
	created_at     TEXT NOT NULL,
	number         TEXT NOT NULL,               -- as checked, upper case
	certificate_id INTEGER REFERENCES certificates(id),
	verdict        TEXT NOT NULL,
	signature      TEXT NOT NULL,
	body           TEXT NOT NULL                -- the verification as JSON
);
CREATE INDEX verify_receipts_number ON verify_receipts(number, created_at);

CREATE TRIGGER verify_receipts_no_update BEFORE UPDATE ON verify_receipts
BEGIN SELECT RAISE(ABORT, 'verification receipts are immutable'); END;
CREATE TRIGGER verify_receipts_no_delete BEFORE DELETE ON verify_receipts
BEGIN SELECT RAISE(ABORT, 'verification receipts are immutable'); END;
