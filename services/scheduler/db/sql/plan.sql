-- name: job_playlist_count
SELECT count(*) AS playlists FROM job_playlists WHERE job_id = %(job_id)s;

-- name: plan_sync_scoped
-- One item per playlist of the job, in the job's order.
INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, label, seq, payload)
SELECT %(job_id)s, %(stage_id)s, 'playlist:' || p.id, 'playlist', p.id,
       left(p.platform || ' · ' || p.name, 300), jp.position,
       jsonb_build_object('platform', p.platform, 'remote_playlist_id', p.remote_playlist_id, 'kind', p.kind)
  FROM job_playlists jp JOIN playlists p ON p.id = jp.playlist_id
 WHERE jp.job_id = %(job_id)s
ON CONFLICT (job_stage_id, item_key) DO NOTHING;

-- name: plan_sync_all
-- Every playlist of the chosen platforms (least recently synced first), up to the limit.
INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, label, seq, payload)
SELECT %(job_id)s, %(stage_id)s, 'playlist:' || p.id, 'playlist', p.id,
       left(p.platform || ' · ' || p.name, 300), row_number() OVER (ORDER BY p.last_synced_at NULLS FIRST, p.id),
       jsonb_build_object('platform', p.platform, 'remote_playlist_id', p.remote_playlist_id, 'kind', p.kind)
  FROM playlists p
 WHERE cardinality(%(sources)s::text[]) = 0 OR p.platform = ANY(%(sources)s::text[])
 ORDER BY p.last_synced_at NULLS FIRST, p.id
 LIMIT %(limit)s
ON CONFLICT (job_stage_id, item_key) DO NOTHING;

-- name: plan_download_scoped
-- Every song of the job's playlists once, in playlist order then track order. Songs already
-- downloaded are planned too and skipped when processed, so they count as done for progress.
INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, label, seq, payload)
SELECT %(job_id)s, %(stage_id)s, 'song:' || s.id, 'song', s.id,
       left(s.name || ' — ' || s.singers, 300), row_number() OVER (ORDER BY o.first_position, s.id), '{}'::jsonb
  FROM (SELECT ps.song_id, min(jp.position::bigint * 1000000 + ps.position) AS first_position
          FROM job_playlists jp JOIN playlist_songs ps ON ps.playlist_id = jp.playlist_id
         WHERE jp.job_id = %(job_id)s
         GROUP BY ps.song_id
         ORDER BY first_position
         LIMIT %(limit)s) o
  JOIN songs s ON s.id = o.song_id
ON CONFLICT (job_stage_id, item_key) DO NOTHING;

-- name: plan_download_synced
-- Every song of the playlists this job's sync stage synced (a sync_download scoped by sources, not
-- by playlist ids), once, in sync order then track order.
INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, label, seq, payload)
SELECT %(job_id)s, %(stage_id)s, 'song:' || s.id, 'song', s.id,
       left(s.name || ' — ' || s.singers, 300), row_number() OVER (ORDER BY o.first_position, s.id), '{}'::jsonb
  FROM (SELECT ps.song_id, min(i.seq::bigint * 1000000 + ps.position) AS first_position
          FROM job_items i
          JOIN job_stages st ON st.id = i.job_stage_id AND st.stage = 'sync'
          JOIN playlist_songs ps ON ps.playlist_id = i.ref_id
         WHERE i.job_id = %(job_id)s AND i.kind = 'playlist' AND i.status = 'succeeded'
         GROUP BY ps.song_id
         ORDER BY first_position
         LIMIT %(limit)s) o
  JOIN songs s ON s.id = o.song_id
ON CONFLICT (job_stage_id, item_key) DO NOTHING;

-- name: plan_download_all
-- Songs of the chosen platforms with no active local file (music only), up to the limit.
INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, label, seq, payload)
SELECT %(job_id)s, %(stage_id)s, 'song:' || s.id, 'song', s.id,
       left(s.name || ' — ' || s.singers, 300), row_number() OVER (ORDER BY s.id), '{}'::jsonb
  FROM songs s
 WHERE NOT s.non_music
   AND (cardinality(%(sources)s::text[]) = 0 OR s.platform = ANY(%(sources)s::text[]))
   AND NOT EXISTS (SELECT 1 FROM file_assets a
                     JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
                     JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
                    WHERE a.song_id = s.id)
 ORDER BY s.id
 LIMIT %(limit)s
ON CONFLICT (job_stage_id, item_key) DO NOTHING;

-- name: plan_upload
-- One item per local file with no active copy on the target backend (scoped to the job's playlists when
-- it has any). Songs sharing one file (several assets, one locator) give one item: one upload per file.
INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, label, seq, payload)
SELECT %(job_id)s, %(stage_id)s, 'file:' || f.id, 'file', f.id, f.label,
       row_number() OVER (ORDER BY f.id), jsonb_build_object('backend_id', %(backend_id)s::bigint)
  FROM (SELECT DISTINCT ON (l.backend_id, l.locator) a.id,
               left(s.name || ' — ' || s.singers || ' [' || a.quality_label || ']', 300) AS label
          FROM file_assets a
          JOIN songs s ON s.id = a.song_id
          JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
          JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
         WHERE NOT EXISTS (SELECT 1 FROM file_locations r
                            WHERE r.file_asset_id = a.id AND r.backend_id = %(backend_id)s AND r.status = 'active')
           AND (NOT %(scoped)s OR EXISTS (SELECT 1 FROM job_playlists jp
                                            JOIN playlist_songs ps ON ps.playlist_id = jp.playlist_id
                                           WHERE jp.job_id = %(job_id)s AND ps.song_id = a.song_id))
           AND (cardinality(%(sources)s::text[]) = 0 OR s.platform = ANY(%(sources)s::text[]))
         ORDER BY l.backend_id, l.locator, a.id) f
 ORDER BY f.id
 LIMIT %(limit)s
ON CONFLICT (job_stage_id, item_key) DO NOTHING;

-- name: stage_item_total
SELECT count(*) AS items FROM job_items WHERE job_stage_id = %(stage_id)s;

-- name: playlists_ready_for_export
-- The job's playlists whose songs in this download stage are all settled and not exported yet
-- (all of them when the stage has ended: the last safety net, also for playlists with nothing to do).
SELECT p.id, p.platform, p.remote_playlist_id, p.name, p.source_url
  FROM job_playlists jp JOIN playlists p ON p.id = jp.playlist_id
 WHERE jp.job_id = %(job_id)s
   AND NOT coalesce((SELECT s.hooks -> 'exported' FROM job_stages s WHERE s.id = %(stage_id)s) ? p.id::text, false)
   AND NOT EXISTS (SELECT 1 FROM playlist_songs ps
                     JOIN job_items i ON i.job_stage_id = %(stage_id)s AND i.kind = 'song' AND i.ref_id = ps.song_id
                    WHERE ps.playlist_id = p.id AND i.status IN ('queued', 'running', 'interrupted'))
 ORDER BY jp.position;

-- name: playlist_export_entries
-- A playlist's songs in order with the absolute path of one active local file each (if any).
SELECT s.name, s.singers, s.duration_s, f.root_path, f.locator
  FROM playlist_songs ps
  JOIN songs s ON s.id = ps.song_id
  LEFT JOIN LATERAL (SELECT b.root_path, l.locator FROM file_assets a
                       JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
                       JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
                      WHERE a.song_id = s.id
                      ORDER BY l.is_primary DESC, l.id LIMIT 1) f ON true
 WHERE ps.playlist_id = %(playlist_id)s
 ORDER BY ps.position;

-- name: mark_playlist_exported
UPDATE job_stages
   SET hooks = jsonb_set(hooks, '{exported}', coalesce(hooks -> 'exported', '[]'::jsonb) || to_jsonb(%(playlist_id)s::text)),
       updated_at = now()
 WHERE id = %(stage_id)s;

-- name: plan_lyrics
-- The lyrics backfill: songs with an active local file (of the job's playlists when it has any, of the
-- chosen platforms), up to the limit. Songs sharing one file give one item: one .lrc per file.
INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, label, seq, payload)
SELECT %(job_id)s, %(stage_id)s, 'song:' || f.song_id, 'song', f.song_id, f.label,
       row_number() OVER (ORDER BY f.song_id), '{}'::jsonb
  FROM (SELECT DISTINCT ON (l.backend_id, l.locator) s.id AS song_id,
               left(s.name || ' — ' || s.singers, 300) AS label
          FROM songs s
          JOIN file_assets a ON a.song_id = s.id
          JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
          JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
         WHERE (NOT %(scoped)s OR EXISTS (SELECT 1 FROM job_playlists jp
                                            JOIN playlist_songs ps ON ps.playlist_id = jp.playlist_id
                                           WHERE jp.job_id = %(job_id)s AND ps.song_id = s.id))
           AND (cardinality(%(sources)s::text[]) = 0 OR s.platform = ANY(%(sources)s::text[]))
         ORDER BY l.backend_id, l.locator, s.id) f
 ORDER BY f.song_id
 LIMIT %(limit)s
ON CONFLICT (job_stage_id, item_key) DO NOTHING;
