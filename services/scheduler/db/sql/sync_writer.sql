-- name: update_songs
-- One playlist's unique tracks as binary arrays; metadata arrives as JSON text. Existing songs are
-- updated only where something changed, so songs shared by many playlists are neither rewritten nor
-- locked by every sync. The changed rows are locked in key order before any insert (insert_songs
-- runs next): two syncs that both change shared songs (a song's snapshot differs between a
-- platform's routes) then wait for each other in one order instead of deadlocking.
WITH fetched AS (
    SELECT platform, remote_id, name, singers, album, duration_s, cover_url, non_music,
           nullif(reason, '') AS reason, metadata::jsonb AS metadata
      FROM unnest(%(platforms)b::text[], %(remote_ids)b::text[], %(names)b::text[], %(singers)b::text[],
                  %(albums)b::text[], %(durations)b::int[], %(covers)b::text[], %(non_music)b::bool[],
                  %(reasons)b::text[], %(metadata)b::text[])
           AS s (platform, remote_id, name, singers, album, duration_s, cover_url, non_music, reason, metadata)
), changed AS (
    SELECT s.id, f.*
      FROM fetched f
      JOIN songs s ON s.platform = f.platform AND s.remote_song_id = f.remote_id
     WHERE (s.name, s.singers, s.album, s.duration_s, s.cover_url, s.non_music, s.non_music_reason, s.metadata)
           IS DISTINCT FROM (f.name, f.singers, f.album, f.duration_s, f.cover_url, f.non_music, f.reason, f.metadata)
     ORDER BY s.platform, s.remote_song_id
       FOR NO KEY UPDATE OF s
)
UPDATE songs s
   SET name = c.name, singers = c.singers, album = c.album, duration_s = c.duration_s, cover_url = c.cover_url,
       non_music = c.non_music, non_music_reason = c.reason, metadata = c.metadata, updated_at = now()
  FROM changed c
 WHERE s.id = c.id;

-- name: insert_songs
-- The playlist's new songs, inserted in key order (consistent lock order). Songs
-- that exist are left out before the insert: a conflicting insert would wait for a sync updating
-- that song, while that sync may wait for this one's updated rows.
WITH fetched AS (
    SELECT platform, remote_id, name, singers, album, duration_s, cover_url, non_music,
           nullif(reason, '') AS reason, metadata::jsonb AS metadata
      FROM unnest(%(platforms)b::text[], %(remote_ids)b::text[], %(names)b::text[], %(singers)b::text[],
                  %(albums)b::text[], %(durations)b::int[], %(covers)b::text[], %(non_music)b::bool[],
                  %(reasons)b::text[], %(metadata)b::text[])
           AS s (platform, remote_id, name, singers, album, duration_s, cover_url, non_music, reason, metadata)
)
INSERT INTO songs (platform, remote_song_id, name, singers, album, duration_s, cover_url, non_music,
                   non_music_reason, metadata)
SELECT platform, remote_id, name, singers, album, duration_s, cover_url, non_music, reason, metadata
  FROM fetched f
 WHERE NOT EXISTS (SELECT 1 FROM songs s WHERE s.platform = f.platform AND s.remote_song_id = f.remote_id)
 ORDER BY f.platform, f.remote_id
    ON CONFLICT (platform, remote_song_id) DO NOTHING;

-- name: write_playlist_songs
-- The playlist's tracks become exactly these songs at these positions (a new statement: it sees
-- the songs inserted just before, also by concurrent syncs). Each id is looked up by its unique key
-- in a scalar subquery (see write_artist_songs).
WITH looked_up AS MATERIALIZED (
    SELECT (SELECT s.id FROM songs s WHERE s.platform = w.platform AND s.remote_song_id = w.remote_id) AS song_id,
           w.position
      FROM unnest(%(platforms)b::text[], %(remote_ids)b::text[], %(positions)b::int[]) AS w (platform, remote_id, position)
), wanted AS (
    SELECT song_id, position FROM looked_up WHERE song_id IS NOT NULL
), removed AS (
    DELETE FROM playlist_songs ps
     WHERE ps.playlist_id = %(playlist_id)s AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.song_id = ps.song_id)
)
INSERT INTO playlist_songs (playlist_id, song_id, position)
SELECT %(playlist_id)s, song_id, position FROM wanted
ON CONFLICT (playlist_id, song_id) DO UPDATE SET position = excluded.position
 WHERE playlist_songs.position <> excluded.position;

-- name: write_artists
-- The playlist's derived artists (sorted by the caller): new ones inserted, a missing remote id filled in.
WITH fetched AS (
    SELECT * FROM unnest(%(platforms)b::text[], %(normalized)b::text[], %(names)b::text[], %(remote_ids)b::text[])
           AS a (platform, normalized, name, remote_id)
), inserted AS (
    INSERT INTO artists (platform, normalized_name, name, remote_artist_id)
    SELECT platform, normalized, name, remote_id FROM fetched
    ON CONFLICT (platform, normalized_name) DO NOTHING
)
UPDATE artists a SET remote_artist_id = f.remote_id, updated_at = now()
  FROM fetched f
 WHERE a.platform = f.platform AND a.normalized_name = f.normalized AND a.remote_artist_id = '' AND f.remote_id <> '';

-- name: write_artist_songs
-- Artist ↔ song links; a link keeps the artist's smallest position. Both ids are looked up by their
-- unique keys in scalar subqueries, which the planner cannot turn into joins: joined, a catalog
-- that had not been analyzed yet (a first sync into an empty one) got plans that scanned every
-- song of a platform for each link.
WITH links AS MATERIALIZED (
    SELECT (SELECT a.id FROM artists a WHERE a.platform = l.platform AND a.normalized_name = l.normalized)
           AS artist_id,
           (SELECT s.id FROM songs s WHERE s.platform = l.platform AND s.remote_song_id = l.remote_id) AS song_id,
           l.position
      FROM unnest(%(platforms)b::text[], %(normalized)b::text[], %(remote_ids)b::text[], %(positions)b::int[])
           AS l (platform, normalized, remote_id, position)
)
INSERT INTO artist_songs (artist_id, song_id, position)
SELECT artist_id, song_id, position
  FROM links
 WHERE artist_id IS NOT NULL AND song_id IS NOT NULL
 ORDER BY artist_id, song_id
ON CONFLICT (artist_id, song_id) DO UPDATE SET position = excluded.position
 WHERE excluded.position < artist_songs.position;

-- name: write_artist_pools
-- The derived artist pool of every pool the playlist belongs to, created on first use (never
-- rewritten: a row every sync of the pool updated would serialise them all).
INSERT INTO artist_pools (source_pool_id, platform, pool_kind, name)
SELECT p.id, p.platform, p.pool_kind, p.name
  FROM playlist_pools p JOIN pool_playlists pp ON pp.pool_id = p.id
 WHERE pp.playlist_id = %(playlist_id)s
 ORDER BY p.id
ON CONFLICT (source_pool_id) DO NOTHING;

-- name: write_pool_artists
-- Those artist pools hold the playlist's artists (a new statement: it sees pools created just before).
-- Links seen again get a new last_seen_at at most hourly: a link every sync of a pool rewrote (and
-- locked until commit) would serialise the syncs that share artists. Each link is found by its
-- primary key (reading a pool's links in full grew with the pool: 2 ms a sync at 12,000 artists),
-- and the artists are looked up once for both (the update, a CTE no one reads, runs after the
-- insert and does not see the links it inserted).
WITH links AS MATERIALIZED (
    SELECT ap.id AS artist_pool_id,
           (SELECT a.id FROM artists a WHERE a.platform = u.platform AND a.normalized_name = u.normalized)
           AS artist_id
      FROM pool_playlists pp
      JOIN artist_pools ap ON ap.source_pool_id = pp.pool_id
     CROSS JOIN unnest(%(platforms)b::text[], %(normalized)b::text[]) AS u (platform, normalized)
     WHERE pp.playlist_id = %(playlist_id)s
), touched AS (
    UPDATE pool_artists pa SET last_seen_at = now()
      FROM links l
     WHERE pa.artist_pool_id = l.artist_pool_id AND pa.artist_id = l.artist_id
       AND pa.last_seen_at < now() - interval '1 hour'
)
INSERT INTO pool_artists (artist_pool_id, artist_id)
SELECT artist_pool_id, artist_id FROM links WHERE artist_id IS NOT NULL
 ORDER BY 1, 2
ON CONFLICT (artist_pool_id, artist_id) DO NOTHING;
