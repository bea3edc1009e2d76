-- A body's status feed asks for its newest events of a few kinds. With
-- only (body_id, id), SQLite walks every event of the body, newest first,
-- to find them: all of a large body's "issued" events when it has had no
-- status change. With the kind in the index it reads just the matches.
CREATE INDEX events_body_kind ON events(body_id, kind, id);
