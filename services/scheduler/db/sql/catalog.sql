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
