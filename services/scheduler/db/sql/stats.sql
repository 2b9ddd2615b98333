-- name: stats
SELECT (SELECT count(*) FROM playlists) AS playlists,
       (SELECT count(*) FROM playlists WHERE sync_status = 'synced') AS synced_playlists,
       (SELECT count(*) FROM songs) AS songs,
       (SELECT count(*) FROM artists) AS artists,
       (SELECT count(*) FROM job_runs WHERE status IN ('running', 'pause_requested')) AS jobs_running,
       (SELECT count(*) FROM job_runs WHERE status = 'queued') AS jobs_queued;

-- name: backend_stats
-- Distinct files per backend: songs sharing one file (same source track) count once. Reads each
-- backend's active locations in locator order from file_locations_active_locator (no sort); an
-- asset's size is looked up only for a location that has none of its own.
SELECT b.name, b.backend_type, coalesce(f.locations, 0) AS locations, coalesce(f.bytes, 0)::bigint AS bytes
  FROM storage_backends b
  LEFT JOIN LATERAL (
       SELECT count(*) AS locations,
              sum(coalesce(d.size_bytes,
                           (SELECT a.file_size_bytes FROM file_assets a WHERE a.id = d.file_asset_id))) AS bytes
         FROM (SELECT DISTINCT ON (l.locator) l.locator, l.size_bytes, l.file_asset_id
                 FROM file_locations l
                WHERE l.backend_id = b.id AND l.status = 'active'
                ORDER BY l.locator) d) f ON true
 ORDER BY b.backend_type, b.id;
