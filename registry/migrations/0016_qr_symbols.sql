-- Stored QR symbols (issue 14). A certificate page draws its signed QR
-- code inline; encoding it (go-qrcode: mask penalties, Reed–Solomon) costs
-- ~0.6 ms, six times the rest of the page, and over a million certificates
-- an in-memory cache never hits. This table keeps each certificate's
-- symbol as bits (qrimage.Pack: side, modules without the quiet zone,
-- CRC-32C; ~275 bytes at version 7), with the sum of the exact content it
-- encodes: a certificate whose QR content changed (new claims, a new key,
-- another base URL) no longer matches and is encoded again.
--
-- Derived data: not logged, not part of the row audit, never trusted
-- without its checks, and rebuilt by `certreg qr --prepare` or by serve in
-- the background. Writing it does not change the registry's generation.
-- Keyed by the certificate's row id (the number key's row, which never
-- changes); certificates are never deleted, so no foreign key.
CREATE TABLE qr_symbols (
	certificate_id INTEGER PRIMARY KEY,
	content_sum BLOB NOT NULL,
	modules BLOB NOT NULL
);

-- Where serve's background filler stands: scope names the keys, base URL
-- and stored form of a walk that stored every certificate's symbol, and
-- last_event the newest event when that walk began. A serve started with
-- the same scope only looks at certificates with later events, instead of
-- walking the registry again.
CREATE TABLE qr_symbols_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	scope TEXT NOT NULL,
	last_event INTEGER NOT NULL
);
