-- name: stats
SELECT (SELECT count(*) FROM playlists) AS playlists,
       (SELECT count(*) FROM playlists WHERE sync_status = 'synced') AS synced_playlists,
       (SELECT count(*) FROM songs) AS songs,
       (SELECT count(*) FROM artists) AS artists,
       (SELECT count(*) FROM job_runs WHERE status IN ('running', 'pause_requested')) AS jobs_running,
       (SELECT count(*) FROM job_runs WHERE status = 'queued') AS jobs_queued;

-- name: backend_stats
-- Distinct files per backend: songs sharing one file (same source track) count once.
SELECT b.name, b.backend_type, count(f.locator) AS locations, coalesce(sum(f.size), 0)::bigint AS bytes
  FROM storage_backends b
  LEFT JOIN (SELECT DISTINCT ON (l.backend_id, l.locator) l.backend_id, l.locator,
                    coalesce(l.size_bytes, a.file_size_bytes) AS size
               FROM file_locations l JOIN file_assets a ON a.id = l.file_asset_id
              WHERE l.status = 'active'
              ORDER BY l.backend_id, l.locator) f ON f.backend_id = b.id
 GROUP BY b.id, b.name, b.backend_type
 ORDER BY b.backend_type, b.id;
