-- name: upsert_pin
-- An operator's pin for a song replaces any earlier one.
INSERT INTO song_pins (song_id, source, remote_id, none, note)
VALUES (%(song_id)s, %(source)s, %(remote_id)s, %(none)s, %(note)s)
ON CONFLICT (song_id) DO UPDATE
   SET source = excluded.source, remote_id = excluded.remote_id, none = excluded.none, note = excluded.note,
       created_at = now()
RETURNING *;

-- name: delete_pin
DELETE FROM song_pins WHERE song_id = %(song_id)s RETURNING song_id;

-- name: list_pins
SELECT * FROM song_pins ORDER BY created_at DESC, song_id LIMIT %(limit)s;

-- name: song_exists
SELECT id FROM songs WHERE id = %(song_id)s;
