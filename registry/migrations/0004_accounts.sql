-- Accounts of the people and systems that publish: users (registry operators
-- and body publishers), their server-side sessions, login attempts for
-- throttling, API keys and the API's idempotency records. Secrets are never
-- stored: passwords as Argon2id hashes, session tokens and API keys as
-- SHA-256 hashes. Every change is also appended to events (the audit log).

CREATE TABLE users (
	id               INTEGER PRIMARY KEY,
	name             TEXT NOT NULL UNIQUE COLLATE NOCASE,
	role             TEXT NOT NULL CHECK (role IN ('operator', 'publisher')),
	body_id          INTEGER REFERENCES bodies(id),
	password         TEXT NOT NULL,           -- Argon2id PHC string
	totp_secret      TEXT NOT NULL DEFAULT '', -- base32; empty when TOTP is off
	totp_last_step   INTEGER NOT NULL DEFAULT 0, -- a TOTP code is accepted once
	disabled         INTEGER NOT NULL DEFAULT 0,
	created          TEXT NOT NULL,
	password_changed TEXT NOT NULL,
	CHECK (role = 'operator' AND body_id IS NULL OR role = 'publisher' AND body_id IS NOT NULL)
);

CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY, -- hex SHA-256 of the cookie's token
	user_id    INTEGER NOT NULL REFERENCES users(id),
	created    TEXT NOT NULL,
	last_seen  TEXT NOT NULL,
	remote_addr TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

-- Failed logins, by account name and by address, for throttling. Old rows
-- are pruned.
CREATE TABLE login_failures (
	id  INTEGER PRIMARY KEY,
	key TEXT NOT NULL, -- "user:NAME" or "addr:IP"
	at  TEXT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(key, at);

CREATE TABLE api_keys (
	id         INTEGER PRIMARY KEY,
	key_hash   TEXT NOT NULL UNIQUE, -- hex SHA-256 of the key
	prefix     TEXT NOT NULL,        -- the key's first characters, to tell keys apart
	body_id    INTEGER NOT NULL REFERENCES bodies(id),
	name       TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created    TEXT NOT NULL,
	expires    TEXT NOT NULL,
	revoked    TEXT NOT NULL DEFAULT '',
	last_used  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX api_keys_body ON api_keys(body_id);

-- One row per Idempotency-Key a key has used: the request's hash and the
-- response, replayed when the same request comes again.
CREATE TABLE api_idempotency (
	key_id       INTEGER NOT NULL REFERENCES api_keys(id),
	idem_key     TEXT NOT NULL,
	request_hash TEXT NOT NULL,
	status       INTEGER NOT NULL,
	response     BLOB NOT NULL,
	created      TEXT NOT NULL,
	PRIMARY KEY (key_id, idem_key)
) WITHOUT ROWID;

CREATE INDEX events_at ON events(at);
CREATE INDEX events_actor ON events(actor, id);
