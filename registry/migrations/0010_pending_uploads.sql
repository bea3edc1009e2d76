-- Bulk uploads kept between their preview and their confirmation. They live
-- in the database, not in a temporary folder: a restart loses none, nothing
-- is left behind on disk, and every process serving the registry sees them.
-- Rows older than an hour are deleted when the next upload arrives.
CREATE TABLE pending_uploads (
	id       INTEGER PRIMARY KEY,
	token    TEXT NOT NULL UNIQUE,  -- random, the id in the confirmation URL
	user_id  INTEGER NOT NULL REFERENCES users(id),
	body_id  INTEGER NOT NULL,
	name     TEXT NOT NULL,         -- the file's name, for its format and the page
	sha256   BLOB NOT NULL,         -- checked before the confirmation imports it
	content  BLOB NOT NULL,
	created  TEXT NOT NULL
);
CREATE INDEX pending_uploads_created ON pending_uploads(created);
