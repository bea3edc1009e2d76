-- Who has already been counted today: a check counts once per client, per
-- certificate, per day (UTC), so that reloading a verdict page, or a
-- script asking again and again, does not inflate "verified N times".
-- client is a hash of the day and the client's address, never the address
-- itself, and rows of earlier days are deleted by the next count: nothing
-- here outlives the day it counts.
CREATE TABLE verify_seen (
	day            TEXT NOT NULL,    -- YYYY-MM-DD, UTC
	certificate_id INTEGER NOT NULL REFERENCES certificates(id),
	client         TEXT NOT NULL,    -- hex of SHA-256(day, address), 16 bytes
	PRIMARY KEY (day, certificate_id, client)
) WITHOUT ROWID;
