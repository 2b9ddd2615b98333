-- name: playlist_pool
-- The console's playlist pool: filtered, classified (see catalogsync.playlist_pool), one page and
-- the total. Progress comes from the counters kept on playlists (migration 0011), so the filter
-- never aggregates playlist_songs; running counts read only the running items (partial index).
-- The keyword is a literal, case-insensitive part of the name (strpos: `%` and `_` are not wildcards,
-- and it costs half of ILIKE's scan).
WITH running AS (
    SELECT ps.playlist_id, count(DISTINCT i.ref_id) AS n
      FROM job_items i
      JOIN job_stages st ON st.id = i.job_stage_id AND st.stage = 'download'
      JOIN playlist_songs ps ON ps.song_id = i.ref_id
     WHERE i.status = 'running' AND i.kind = 'song'
     GROUP BY ps.playlist_id
), classified AS (
    SELECT p.id, p.platform, p.remote_playlist_id, p.name, p.kind, p.track_count, p.sync_status, p.wanted,
           p.play_count, p.source_url, p.linked_songs AS song_count, p.downloaded_songs AS downloaded_count,
           coalesce(r.n, 0) AS running_count,
           CASE WHEN p.sync_status <> 'synced' THEN 'unsynced'
                WHEN r.n > 0 THEN 'downloading'
                WHEN p.linked_songs > 0 AND p.downloaded_songs >= p.linked_songs THEN 'downloaded'
                WHEN p.downloaded_songs > 0 THEN 'partial'
                ELSE 'not_downloaded' END AS status
      FROM playlists p LEFT JOIN running r ON r.playlist_id = p.id
     WHERE (%(ids)s::bigint[] IS NULL OR p.id = ANY(%(ids)s::bigint[]))
       AND (%(platform)s = '' OR p.platform = %(platform)s)
       AND (%(pool_kind)s = '' OR EXISTS (SELECT 1 FROM pool_playlists pp JOIN playlist_pools pl ON pl.id = pp.pool_id
                                           WHERE pp.playlist_id = p.id AND pl.pool_kind = %(pool_kind)s))
       AND (%(keyword)s = '' OR strpos(lower(p.name), lower(%(keyword)s)) > 0 OR p.remote_playlist_id = %(keyword)s)
       AND (NOT %(wanted_only)s OR p.wanted)
)
SELECT *, count(*) OVER () AS total_rows
  FROM classified
 WHERE (%(status)s = '' OR status = %(status)s)
 ORDER BY id
 LIMIT %(limit)s OFFSET %(offset)s;

-- name: set_playlists_wanted
UPDATE playlists SET wanted = %(wanted)s, updated_at = now()
 WHERE id = ANY(%(ids)s::bigint[]) AND wanted <> %(wanted)s
RETURNING id;

-- name: insert_export_bundle
INSERT INTO export_bundles (name, playlist_ids) VALUES (%(name)s, %(playlist_ids)s);

-- name: get_export_bundle
-- A bundle younger than a day (older ones are gone for good: export again).
SELECT name, playlist_ids FROM export_bundles
 WHERE name = %(name)s AND created_at > now() - interval '1 day';

-- name: delete_old_export_bundles
DELETE FROM export_bundles WHERE created_at <= now() - interval '1 day';

-- name: playlist_zip_entries
-- Every song of the playlists in order, with the absolute path of one active local file (if any).
SELECT ps.playlist_id, s.name, s.singers, s.duration_s, f.root_path, f.locator
  FROM playlist_songs ps
  JOIN songs s ON s.id = ps.song_id
  LEFT JOIN LATERAL (SELECT b.root_path, l.locator FROM file_assets a
                       JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
                       JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
                      WHERE a.song_id = s.id
                      ORDER BY l.is_primary DESC, l.id LIMIT 1) f ON true
 WHERE ps.playlist_id = ANY(%(playlist_ids)s::bigint[])
 ORDER BY ps.playlist_id, ps.position;
