-- name: upsert_local_backend
INSERT INTO storage_backends (name, backend_type, root_path)
VALUES (%(name)s, 'local_fs', %(root_path)s)
ON CONFLICT (name) DO UPDATE SET root_path = excluded.root_path, updated_at = now()
RETURNING *;

-- name: local_backend_by_root
SELECT * FROM storage_backends WHERE backend_type = 'local_fs' AND root_path = %(root_path)s;

-- name: deactivate_backends
UPDATE storage_backends SET is_active = false, updated_at = now()
 WHERE backend_type = %(backend_type)s AND is_active AND id <> %(keep_id)s;

-- name: activate_backend
UPDATE storage_backends SET is_active = true, updated_at = now() WHERE id = %(backend_id)s RETURNING *;

-- name: upsert_object_backend
INSERT INTO storage_backends (name, backend_type, container_name, config)
VALUES (%(name)s, 'object_storage', %(bucket)s, %(config)s)
ON CONFLICT (name) DO UPDATE SET container_name = excluded.container_name, config = excluded.config, updated_at = now()
RETURNING *;

-- name: list_backends
SELECT * FROM storage_backends ORDER BY backend_type, id;

-- name: active_backend
SELECT * FROM storage_backends WHERE backend_type = %(backend_type)s AND is_active;

-- name: backend_by_name
SELECT * FROM storage_backends WHERE name = %(name)s;

-- name: get_backend
SELECT * FROM storage_backends WHERE id = %(backend_id)s;

-- name: download_context
-- What the download of one song reads before resolving it, in one round trip: the song (its artists in
-- order), the active library root (root_id NULL: none is set), the locator the song's file had on that
-- root before it went missing (reused, never renamed) and the song's pin (pin_none NULL: no pin).
-- No row: the song is no longer in the catalog.
SELECT s.*, ar.names AS artist_names, ar.remote_ids AS artist_remote_ids,
       r.id AS root_id, r.root_path,
       (SELECT l.locator FROM file_assets a
          JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'missing'
         WHERE a.song_id = s.id AND l.backend_id = r.id
         ORDER BY l.id DESC LIMIT 1) AS lost_locator,
       p.source AS pin_source, p.remote_id AS pin_remote_id, p.none AS pin_none
  FROM songs s
  LEFT JOIN LATERAL (SELECT array_agg(a.name ORDER BY l.position, a.id) AS names,
                            array_agg(a.remote_artist_id ORDER BY l.position, a.id) AS remote_ids
                       FROM artist_songs l JOIN artists a ON a.id = l.artist_id
                      WHERE l.song_id = s.id) ar ON true
  LEFT JOIN storage_backends r ON r.backend_type = 'local_fs' AND r.is_active
  LEFT JOIN song_pins p ON p.song_id = s.id
 WHERE s.id = %(song_id)s;

-- name: register_download
-- A downloaded file in one statement: its asset (kept when the song has this very file already), its
-- primary location on the library root, the song's presence there, its download task and its file facts.
-- A statement does not see its own writes: the presence is the song's other active locations on the
-- root, as they were, plus this one (what refresh_presence computes after the location is written).
WITH asset AS (
    INSERT INTO file_assets (song_id, source_platform, source_remote_id, quality_label, ext, bitrate_kbps,
                             file_size_bytes, checksum_sha256, media_bytes, media_sha256, metadata, codec,
                             sample_rate_hz, duration_s)
    VALUES (%(song_id)s, %(source_platform)s, %(source_remote_id)s, %(quality_label)s, %(ext)s, %(bitrate_kbps)s,
            %(file_size_bytes)s, %(checksum_sha256)s, %(media_bytes)s, %(media_sha256)s, %(metadata)s, %(codec)s,
            %(sample_rate_hz)s, %(duration_s)s)
    ON CONFLICT (song_id, checksum_sha256) DO UPDATE SET updated_at = now()
    RETURNING id, file_size_bytes, (xmax = 0) AS created
), location AS (
    INSERT INTO file_locations (file_asset_id, backend_id, locator, size_bytes, status, is_primary, verified_at)
    SELECT asset.id, %(backend_id)s, %(locator)s, %(file_size_bytes)s, 'active', true, now() FROM asset
    ON CONFLICT (file_asset_id, backend_id, locator) DO UPDATE
       SET status = 'active', size_bytes = excluded.size_bytes, verified_at = now(), updated_at = now()
    RETURNING id
), others AS (
    SELECT count(l.id) AS locations, coalesce(sum(a.file_size_bytes), 0) AS bytes
      FROM file_assets a
      JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active' AND l.backend_id = %(backend_id)s
     WHERE a.song_id = %(song_id)s AND NOT (l.file_asset_id = (SELECT id FROM asset) AND l.locator = %(locator)s)
), presence AS (
    INSERT INTO song_backend_presence (song_id, backend_id, active_locations, bytes)
    SELECT %(song_id)s, %(backend_id)s, others.locations + 1, others.bytes + asset.file_size_bytes
      FROM others, asset
    ON CONFLICT (song_id, backend_id) DO UPDATE
       SET active_locations = excluded.active_locations, bytes = excluded.bytes, updated_at = now()
), task AS (
    INSERT INTO download_tasks (song_id, status, attempts, last_job_id, source_platform, source_remote_id,
                                quality_label, file_asset_id)
    SELECT %(song_id)s, 'succeeded', 1, %(job_id)s, %(source_platform)s, %(source_remote_id)s, %(quality_label)s,
           asset.id
      FROM asset
    ON CONFLICT (song_id) DO UPDATE
       SET status = excluded.status, attempts = download_tasks.attempts + 1, last_job_id = excluded.last_job_id,
           source_platform = excluded.source_platform, source_remote_id = excluded.source_remote_id,
           quality_label = excluded.quality_label, file_asset_id = excluded.file_asset_id,
           last_error = NULL, updated_at = now()
), facts AS (
    UPDATE songs SET ext = %(song_ext)s, file_size_bytes = %(file_size_bytes)s, quality_label = %(quality_label)s,
           updated_at = now()
     WHERE id = %(song_id)s
)
SELECT location.id AS location_id, asset.created FROM location, asset;

-- name: upsert_file_location
INSERT INTO file_locations (file_asset_id, backend_id, container_name, locator, public_url, etag, size_bytes,
                            status, is_primary, verified_at)
VALUES (%(file_asset_id)s, %(backend_id)s, %(container_name)s, %(locator)s, %(public_url)s, %(etag)s,
        %(size_bytes)s, 'active', %(is_primary)s, now())
ON CONFLICT (file_asset_id, backend_id, locator) DO UPDATE
   SET status = 'active', etag = coalesce(excluded.etag, file_locations.etag),
       public_url = coalesce(excluded.public_url, file_locations.public_url),
       size_bytes = excluded.size_bytes, verified_at = now(), updated_at = now()
RETURNING id, (xmax = 0) AS created;

-- name: refresh_presence
-- song_backend_presence is derived from file_locations; recompute one song on one backend.
INSERT INTO song_backend_presence (song_id, backend_id, active_locations, bytes)
SELECT %(song_id)s, %(backend_id)s, count(l.id), coalesce(sum(a.file_size_bytes), 0)
  FROM file_assets a
  JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active' AND l.backend_id = %(backend_id)s
 WHERE a.song_id = %(song_id)s
ON CONFLICT (song_id, backend_id) DO UPDATE
   SET active_locations = excluded.active_locations, bytes = excluded.bytes, updated_at = now();

-- name: record_download_task
INSERT INTO download_tasks (song_id, status, attempts, last_job_id, source_platform, source_remote_id, quality_label,
                            file_asset_id, last_error)
VALUES (%(song_id)s, %(status)s, 1, %(job_id)s, %(source_platform)s, %(source_remote_id)s, %(quality_label)s,
        %(file_asset_id)s, %(error)s)
ON CONFLICT (song_id) DO UPDATE
   SET status = excluded.status, attempts = download_tasks.attempts + 1, last_job_id = excluded.last_job_id,
       source_platform = coalesce(excluded.source_platform, download_tasks.source_platform),
       source_remote_id = coalesce(excluded.source_remote_id, download_tasks.source_remote_id),
       quality_label = coalesce(excluded.quality_label, download_tasks.quality_label),
       file_asset_id = coalesce(excluded.file_asset_id, download_tasks.file_asset_id),
       last_error = excluded.last_error, updated_at = now();

-- name: upload_source_of_asset
-- The local copy an upload reads from (the primary active local location).
SELECT a.id AS file_asset_id, a.song_id, a.checksum_sha256, a.file_size_bytes, a.ext, l.id AS location_id,
       l.locator, l.backend_id AS local_backend_id, b.root_path
  FROM file_assets a
  JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
  JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
 WHERE a.id = %(file_asset_id)s
 ORDER BY l.is_primary DESC, l.id
 LIMIT 1;

-- name: assets_sharing_location
-- Every asset (one per song) whose active local copy is this very file.
SELECT a.id AS file_asset_id, a.song_id, l.id AS location_id
  FROM file_locations l JOIN file_assets a ON a.id = l.file_asset_id
 WHERE l.backend_id = %(backend_id)s AND l.locator = %(locator)s AND l.status = 'active'
 ORDER BY a.id;

-- name: upsert_upload_task
-- One try of an upload: every try counts in attempts; a failed one also in failures, with its error and time
-- (kept after a later success, so an outage stays visible).
INSERT INTO upload_tasks (file_asset_id, source_location_id, target_backend_id, target_container_name, target_locator,
                          status, attempts, etag, last_error, failures, last_failed_at)
VALUES (%(file_asset_id)s, %(source_location_id)s, %(backend_id)s, %(container_name)s, %(locator)s, %(status)s, 1,
        %(etag)s, %(error)s, CASE WHEN %(error)s::text IS NULL THEN 0 ELSE 1 END,
        CASE WHEN %(error)s::text IS NULL THEN NULL ELSE now() END)
ON CONFLICT (file_asset_id, target_backend_id, target_locator) DO UPDATE
   SET status = excluded.status, attempts = upload_tasks.attempts + 1, etag = coalesce(excluded.etag, upload_tasks.etag),
       source_location_id = excluded.source_location_id,
       last_error = coalesce(excluded.last_error, upload_tasks.last_error),
       failures = upload_tasks.failures + excluded.failures,
       last_failed_at = coalesce(excluded.last_failed_at, upload_tasks.last_failed_at), updated_at = now();

-- name: same_source_file
-- A file already in the library for the same source track and quality (another song resolved to it).
SELECT a.*, l.locator, l.backend_id, b.root_path
  FROM file_assets a
  JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
  JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
 WHERE a.source_platform = %(source)s AND a.source_remote_id = %(remote_id)s
   AND (a.quality_label = %(quality)s OR a.metadata ->> 'claimed_quality' = %(quality)s)
 ORDER BY l.is_primary DESC, a.id
 LIMIT 1;

-- name: songs_for_download
-- Several songs with, for each, one of its active local files (if any): the download precheck.
SELECT s.id, s.remote_song_id, s.non_music, s.non_music_reason,
       coalesce((SELECT p.none FROM song_pins p WHERE p.song_id = s.id), false) AS pinned_none,
       (SELECT l.locator FROM file_assets a
          JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
          JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
         WHERE a.song_id = s.id
         ORDER BY l.is_primary DESC, l.id
         LIMIT 1) AS present_locator
  FROM songs s WHERE s.id = ANY(%(song_ids)s::bigint[]);

-- name: assets_already_uploaded
-- Which of these file assets already have an active copy on the backend.
SELECT l.file_asset_id, l.locator FROM file_locations l
 WHERE l.file_asset_id = ANY(%(asset_ids)s::bigint[]) AND l.backend_id = %(backend_id)s AND l.status = 'active';

-- name: upload_task_attempts
-- How often uploading this file to this key was tried already (the parking back-off grows with it).
SELECT attempts FROM upload_tasks
 WHERE file_asset_id = %(file_asset_id)s AND target_backend_id = %(backend_id)s AND target_locator = %(locator)s;

-- name: lyrics_target
-- The song's local file for the lyrics backfill (the primary one first) and the download source it came from.
SELECT b.root_path, l.locator, a.source_platform, a.source_remote_id
  FROM file_assets a
  JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
  JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
 WHERE a.song_id = %(song_id)s
 ORDER BY l.is_primary DESC, l.id
 LIMIT 1;
