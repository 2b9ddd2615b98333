-- name: local_duplicate_locations
-- Active locations of one file asset on one local backend, in groups of two or more (the seeds'
-- duplicate definition); one row per location, groups in asset order.
WITH groups AS (
    SELECT l.file_asset_id, l.backend_id
      FROM file_locations l
      JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
     WHERE l.status = 'active'
     GROUP BY l.file_asset_id, l.backend_id
    HAVING count(*) > 1
)
SELECT l.id AS location_id, l.file_asset_id, l.backend_id, l.locator, l.is_primary,
       a.song_id, s.name AS song_name, b.name AS backend_name, b.root_path
  FROM groups g
  JOIN file_locations l ON l.file_asset_id = g.file_asset_id AND l.backend_id = g.backend_id AND l.status = 'active'
  JOIN storage_backends b ON b.id = l.backend_id
  JOIN file_assets a ON a.id = l.file_asset_id
  JOIN songs s ON s.id = a.song_id
 ORDER BY l.file_asset_id, l.backend_id, l.id;

-- name: lock_jobs_for_maintenance
-- Holds off job starts (lane admission writes job_runs) while dedupe changes locations.
LOCK TABLE job_runs IN SHARE ROW EXCLUSIVE MODE;

-- name: running_work
SELECT (SELECT count(*) FROM job_runs WHERE status IN ('running', 'pause_requested')) AS jobs,
       (SELECT count(*) FROM job_items WHERE status = 'running') AS items;

-- name: repoint_upload_tasks
WITH moved AS (
    UPDATE upload_tasks SET source_location_id = %(keep_id)s, updated_at = now()
     WHERE source_location_id = ANY(%(drop_ids)s)
    RETURNING 1
)
SELECT count(*) AS moved FROM moved;

-- name: repoint_job_items
WITH moved AS (
    UPDATE job_items SET file_location_id = %(keep_id)s, updated_at = now()
     WHERE file_location_id = ANY(%(drop_ids)s)
    RETURNING 1
)
SELECT count(*) AS moved FROM moved;

-- name: deactivate_locations
UPDATE file_locations SET status = 'inactive', is_primary = false, updated_at = now()
 WHERE id = ANY(%(drop_ids)s) AND status = 'active';

-- name: settle_kept_location
-- The kept location: primary when any of its group was, and 'missing' when its file is not on disk.
UPDATE file_locations
   SET is_primary = is_primary OR %(primary)s,
       status = CASE WHEN %(exists)s THEN status ELSE 'missing' END,
       verified_at = now(), updated_at = now()
 WHERE id = %(keep_id)s;
