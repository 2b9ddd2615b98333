-- name: job_tree_stage_ids
-- The job's sync and download stages (either may be absent: NULL).
SELECT (SELECT id FROM job_stages WHERE job_id = %(job_id)s AND stage = 'sync') AS sync_stage_id,
       (SELECT id FROM job_stages WHERE job_id = %(job_id)s AND stage = 'download') AS download_stage_id;

-- name: job_tree_playlists
-- A page of the job's playlists (its scope in order, then those its sync stage synced) with their
-- progress: songs linked, songs with an active local file, and this job's download items by status.
-- Items are found through (job_stage_id, item_key), the unique index: never a scan of the job's items.
WITH linked AS (
    SELECT playlist_id, position::bigint AS position FROM job_playlists WHERE job_id = %(job_id)s
    UNION ALL
    SELECT ref_id, 1000000000 + seq FROM job_items WHERE job_stage_id = %(sync_stage_id)s AND kind = 'playlist'
), page AS (
    SELECT playlist_id, min(position) AS position FROM linked GROUP BY playlist_id
     ORDER BY min(position), playlist_id
     LIMIT %(limit)s OFFSET %(offset)s
)
SELECT p.id, p.platform, p.name, p.sync_status, p.track_count, c.*
  FROM page JOIN playlists p ON p.id = page.playlist_id
 CROSS JOIN LATERAL (
       SELECT count(*) AS total,
              count(*) FILTER (WHERE EXISTS (
                  SELECT 1 FROM file_assets a
                    JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
                    JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
                   WHERE a.song_id = ps.song_id)) AS downloaded,
              count(*) FILTER (WHERE i.status = 'running') AS running,
              count(*) FILTER (WHERE i.status = 'failed') AS failed,
              count(*) FILTER (WHERE i.status = 'unavailable') AS unavailable,
              count(*) FILTER (WHERE i.status = 'skipped') AS skipped
         FROM playlist_songs ps
         LEFT JOIN job_items i ON i.job_stage_id = %(download_stage_id)s AND i.item_key = 'song:' || ps.song_id
        WHERE ps.playlist_id = p.id) c
 ORDER BY page.position, page.playlist_id;

-- name: job_tree_playlist_count
SELECT count(*) AS playlists FROM (
    SELECT playlist_id FROM job_playlists WHERE job_id = %(job_id)s
    UNION
    SELECT ref_id FROM job_items WHERE job_stage_id = %(sync_stage_id)s AND kind = 'playlist'
) linked;

-- name: job_tree_has_playlist
-- Whether the playlist is one of the job's (its scope or its sync stage's items).
SELECT EXISTS (SELECT 1 FROM job_playlists WHERE job_id = %(job_id)s AND playlist_id = %(playlist_id)s)
    OR EXISTS (SELECT 1 FROM job_items WHERE job_stage_id = %(sync_stage_id)s
                                         AND item_key = 'playlist:' || %(playlist_id)s::bigint) AS linked;

-- name: job_tree_song_count
SELECT count(*) AS songs FROM playlist_songs WHERE playlist_id = %(playlist_id)s;

-- name: job_tree_songs
-- A page of a playlist's songs in track order: this job's download item (if any) and the library
-- file (primary first) each has.
WITH page AS (
    SELECT song_id, position FROM playlist_songs WHERE playlist_id = %(playlist_id)s
     ORDER BY position, song_id
     LIMIT %(limit)s OFFSET %(offset)s
)
SELECT page.position, s.id AS song_id, s.name, s.singers, s.non_music, s.non_music_reason,
       i.id AS item_id, i.status AS item_status, i.error, i.skip_reason, i.failure_class,
       f.source_platform, f.quality_label, f.file_size_bytes
  FROM page JOIN songs s ON s.id = page.song_id
  LEFT JOIN job_items i ON i.job_stage_id = %(download_stage_id)s AND i.item_key = 'song:' || page.song_id
  LEFT JOIN LATERAL (SELECT a.source_platform, a.quality_label, coalesce(l.size_bytes, a.file_size_bytes) AS file_size_bytes
                       FROM file_assets a
                       JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
                       JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
                      WHERE a.song_id = s.id
                      ORDER BY l.is_primary DESC, l.id LIMIT 1) f ON true
 ORDER BY page.position, page.song_id;

-- name: list_job_logs
-- A job's log lines, newest first, before an id (0 = from the newest).
SELECT * FROM job_logs
 WHERE job_id = %(job_id)s AND (%(before_id)s = 0 OR id < %(before_id)s)
 ORDER BY id DESC
 LIMIT %(limit)s;
