-- name: upsert_pool
INSERT INTO playlist_pools (platform, pool_kind, name) VALUES (%(platform)s, %(pool_kind)s, %(name)s)
ON CONFLICT (platform, pool_kind, name) DO UPDATE SET updated_at = now()
RETURNING id;

-- name: upsert_playlists
-- Discovery results of one page, set-based.
INSERT INTO playlists (platform, remote_playlist_id, kind, name, cover_url, creator, description, source_url,
                       play_count, track_count, metadata)
SELECT %(platform)s, remote_id, kind, name, cover_url, creator, description, source_url, play_count, track_count, metadata
  FROM unnest(%(remote_ids)s::text[], %(kinds)s::text[], %(names)s::text[], %(covers)s::text[], %(creators)s::text[],
              %(descriptions)s::text[], %(source_urls)s::text[], %(play_counts)s::bigint[], %(track_counts)s::int[],
              %(metadata)s::jsonb[])
       AS p (remote_id, kind, name, cover_url, creator, description, source_url, play_count, track_count, metadata)
ON CONFLICT (platform, remote_playlist_id) DO UPDATE
   SET kind = excluded.kind, name = excluded.name, cover_url = excluded.cover_url, creator = excluded.creator,
       description = excluded.description, source_url = excluded.source_url, play_count = excluded.play_count,
       track_count = CASE WHEN excluded.track_count > 0 THEN excluded.track_count ELSE playlists.track_count END,
       metadata = playlists.metadata || excluded.metadata, updated_at = now()
RETURNING id, remote_playlist_id;

-- name: link_pool_playlists
INSERT INTO pool_playlists (pool_id, playlist_id, rank)
SELECT %(pool_id)s, playlist_id, rank FROM unnest(%(playlist_ids)s::bigint[], %(ranks)s::int[]) AS l (playlist_id, rank)
ON CONFLICT (pool_id, playlist_id) DO UPDATE SET rank = excluded.rank, last_seen_at = now();

-- name: playlists_by_ids
SELECT * FROM playlists WHERE id = ANY(%(playlist_ids)s::bigint[]);

-- name: upsert_songs
-- One playlist's tracks, deduplicated and sorted by the caller (consistent lock order).
INSERT INTO songs (platform, remote_song_id, name, singers, album, duration_s, cover_url, non_music, non_music_reason,
                   metadata)
SELECT platform, remote_id, name, singers, album, duration_s, cover_url, non_music, reason, metadata
  FROM unnest(%(platforms)s::text[], %(remote_ids)s::text[], %(names)s::text[], %(singers)s::text[],
              %(albums)s::text[], %(durations)s::int[], %(covers)s::text[], %(non_music)s::bool[],
              %(reasons)s::text[], %(metadata)s::jsonb[])
       AS s (platform, remote_id, name, singers, album, duration_s, cover_url, non_music, reason, metadata)
ON CONFLICT (platform, remote_song_id) DO UPDATE
   SET name = excluded.name, singers = excluded.singers, album = excluded.album, duration_s = excluded.duration_s,
       cover_url = excluded.cover_url, non_music = excluded.non_music, non_music_reason = excluded.non_music_reason,
       metadata = excluded.metadata, updated_at = now()
RETURNING id, platform, remote_song_id;

-- name: replace_playlist_songs
-- The playlist's tracks become exactly this ordered list.
WITH wanted AS (
    SELECT song_id, position FROM unnest(%(song_ids)s::bigint[], %(positions)s::int[]) AS w (song_id, position)
), removed AS (
    DELETE FROM playlist_songs ps
     WHERE ps.playlist_id = %(playlist_id)s AND NOT EXISTS (SELECT 1 FROM wanted w WHERE w.song_id = ps.song_id)
)
INSERT INTO playlist_songs (playlist_id, song_id, position)
SELECT %(playlist_id)s, song_id, position FROM wanted
ON CONFLICT (playlist_id, song_id) DO UPDATE SET position = excluded.position;

-- name: upsert_artists
INSERT INTO artists (platform, normalized_name, name, remote_artist_id)
SELECT platform, normalized, name, remote_id
  FROM unnest(%(platforms)s::text[], %(normalized)s::text[], %(names)s::text[], %(remote_ids)s::text[])
       AS a (platform, normalized, name, remote_id)
ON CONFLICT (platform, normalized_name) DO UPDATE
   SET remote_artist_id = CASE WHEN artists.remote_artist_id = '' THEN excluded.remote_artist_id
                               ELSE artists.remote_artist_id END,
       updated_at = now()
RETURNING id, platform, normalized_name;

-- name: link_artist_songs
INSERT INTO artist_songs (artist_id, song_id, position)
SELECT artist_id, song_id, position
  FROM unnest(%(artist_ids)s::bigint[], %(song_ids)s::bigint[], %(positions)s::smallint[]) AS l (artist_id, song_id, position)
ON CONFLICT (artist_id, song_id) DO UPDATE SET position = least(artist_songs.position, excluded.position);

-- name: artist_pools_of_playlist
-- The derived artist pool of every pool the playlist belongs to (created on first use).
WITH pools AS (
    SELECT p.id, p.platform, p.pool_kind, p.name
      FROM playlist_pools p JOIN pool_playlists pp ON pp.pool_id = p.id
     WHERE pp.playlist_id = %(playlist_id)s
)
INSERT INTO artist_pools (source_pool_id, platform, pool_kind, name)
SELECT id, platform, pool_kind, name FROM pools
ON CONFLICT (source_pool_id) DO UPDATE SET updated_at = now()
RETURNING id;

-- name: link_pool_artists
INSERT INTO pool_artists (artist_pool_id, artist_id)
SELECT pool_id, artist_id FROM unnest(%(pool_ids)s::bigint[]) AS p (pool_id)
 CROSS JOIN unnest(%(artist_ids)s::bigint[]) AS a (artist_id)
ON CONFLICT (artist_pool_id, artist_id) DO UPDATE SET last_seen_at = now();

-- name: mark_playlist_synced
UPDATE playlists
   SET sync_status = 'synced', last_synced_at = now(), last_sync_error = NULL,
       collected_song_count = %(song_count)s,
       track_count = CASE WHEN %(track_count)s > 0 THEN %(track_count)s ELSE track_count END,
       name = CASE WHEN %(name)s <> '' THEN %(name)s ELSE name END,
       cover_url = CASE WHEN %(cover_url)s <> '' THEN %(cover_url)s ELSE cover_url END,
       creator = CASE WHEN %(creator)s <> '' THEN %(creator)s ELSE creator END,
       description = CASE WHEN %(description)s <> '' THEN %(description)s ELSE description END,
       play_count = greatest(play_count, %(play_count)s), updated_at = now()
 WHERE id = %(playlist_id)s;

-- name: mark_playlist_sync_failed
UPDATE playlists SET sync_status = CASE WHEN sync_status = 'synced' THEN 'synced' ELSE 'failed' END,
       last_sync_error = %(error)s, updated_at = now()
 WHERE id = %(playlist_id)s;

-- name: get_song
SELECT * FROM songs WHERE id = %(song_id)s;

-- name: song_artists
SELECT a.name, a.remote_artist_id FROM artist_songs l JOIN artists a ON a.id = l.artist_id
 WHERE l.song_id = %(song_id)s ORDER BY l.position, a.id;
