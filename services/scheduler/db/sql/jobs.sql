-- name: insert_job
-- A new job, queued in its lane.
INSERT INTO job_runs (job_type, lane, display_name, scope, config_snapshot, requested_by)
VALUES (%(job_type)s, %(lane)s, %(display_name)s, %(scope)s, %(config_snapshot)s, %(requested_by)s)
RETURNING *;

-- name: insert_stages
-- The job's stages in order (arrays of equal length).
INSERT INTO job_stages (job_id, stage, seq, workers)
SELECT %(job_id)s, stage, seq, workers
  FROM unnest(%(stages)s::text[], %(seqs)s::int[], %(workers)s::int[]) AS s (stage, seq, workers);

-- name: insert_job_playlists
-- Scope a job to playlists, in order; ignores ones already linked.
INSERT INTO job_playlists (job_id, playlist_id, position)
SELECT %(job_id)s, playlist_id, position
  FROM unnest(%(playlist_ids)s::bigint[], %(positions)s::int[]) AS p (playlist_id, position)
 WHERE EXISTS (SELECT 1 FROM playlists WHERE id = p.playlist_id)
ON CONFLICT DO NOTHING;

-- name: get_job
SELECT * FROM job_runs WHERE id = %(job_id)s;

-- name: lock_job
SELECT * FROM job_runs WHERE id = %(job_id)s FOR UPDATE;

-- name: list_jobs
-- Newest first, optionally filtered by status.
SELECT * FROM job_runs
 WHERE cardinality(%(statuses)s::text[]) = 0 OR status = ANY(%(statuses)s::text[])
 ORDER BY id DESC
 LIMIT %(limit)s;

-- name: jobs_by_ids
SELECT * FROM job_runs WHERE id = ANY(%(job_ids)s::bigint[]) ORDER BY id DESC;

-- name: set_job_status
-- Compare-and-set: only from one of the expected statuses.
UPDATE job_runs
   SET status = %(status)s,
       pause_reason = CASE WHEN %(status)s IN ('pause_requested', 'paused') THEN coalesce(%(pause_reason)s, pause_reason)
                           ELSE NULL END,
       error = coalesce(%(error)s, error),
       started_at = CASE WHEN %(status)s = 'running' THEN coalesce(started_at, now()) ELSE started_at END,
       finished_at = CASE WHEN %(status)s IN ('completed', 'completed_with_errors', 'failed', 'canceled') THEN now()
                          ELSE NULL END,
       queued_at = CASE WHEN %(status)s = 'queued' THEN now() ELSE queued_at END,
       updated_at = now()
 WHERE id = %(job_id)s AND status = ANY(%(expected)s::text[])
RETURNING *;

-- name: lane_load
-- Jobs holding a lane (running or draining towards a pause).
SELECT lane, count(*) AS jobs FROM job_runs WHERE status IN ('running', 'pause_requested') GROUP BY lane;

-- name: queued_jobs
SELECT id, lane FROM job_runs WHERE status = 'queued' ORDER BY queued_at, id LIMIT 200;

-- name: queue_positions
-- 1-based position of each queued job within its lane.
SELECT id, lane, row_number() OVER (PARTITION BY lane ORDER BY queued_at, id) AS position
  FROM job_runs WHERE status = 'queued';

-- name: active_jobs
SELECT * FROM job_runs WHERE status IN ('running', 'pause_requested') ORDER BY id;

-- name: job_stages
SELECT * FROM job_stages WHERE job_id = %(job_id)s ORDER BY seq;

-- name: stages_for_jobs
SELECT * FROM job_stages WHERE job_id = ANY(%(job_ids)s::bigint[]) ORDER BY job_id, seq;

-- name: stage_counts_for_jobs
-- Item counts by stage and status.
SELECT job_stage_id, status, count(*) AS items
  FROM job_items WHERE job_id = ANY(%(job_ids)s::bigint[])
 GROUP BY job_stage_id, status;

-- name: failure_classes_for_jobs
-- Failed items by stage and failure class.
SELECT job_stage_id, failure_class, count(*) AS items
  FROM job_items
 WHERE job_id = ANY(%(job_ids)s::bigint[]) AND status = 'failed' AND failure_class IS NOT NULL
 GROUP BY job_stage_id, failure_class;

-- name: set_stage_status
UPDATE job_stages
   SET status = %(status)s,
       planner = CASE WHEN %(status)s = 'planning' THEN %(planner)s ELSE planner END,
       error = coalesce(%(error)s, error),
       started_at = CASE WHEN %(status)s IN ('planning', 'running') THEN coalesce(started_at, now()) ELSE started_at END,
       finished_at = CASE WHEN %(status)s IN ('completed', 'completed_with_errors', 'failed', 'canceled') THEN now()
                          ELSE NULL END,
       updated_at = now()
 WHERE id = %(stage_id)s AND status = ANY(%(expected)s::text[])
RETURNING *;

-- name: reopen_stage
-- A retried item brings its closed stage (and the later ones) back; an open stage is left as it is.
UPDATE job_stages
   SET status = CASE WHEN id = %(stage_id)s THEN 'running' ELSE 'pending' END,
       finished_at = NULL, updated_at = now()
 WHERE job_id = %(job_id)s AND seq >= (SELECT seq FROM job_stages WHERE id = %(stage_id)s)
   AND (SELECT status FROM job_stages WHERE id = %(stage_id)s)
       IN ('completed', 'completed_with_errors', 'failed', 'canceled');

-- name: cancel_open_stages
UPDATE job_stages SET status = 'canceled', finished_at = now(), updated_at = now()
 WHERE job_id = %(job_id)s AND status IN ('pending', 'planning', 'running');

-- name: set_stage_hooks
UPDATE job_stages SET hooks = hooks || %(hooks)s, updated_at = now() WHERE id = %(stage_id)s;

-- name: stale_planning_stages
-- Stages whose planner died mid-plan: back to pending.
UPDATE job_stages s SET status = 'pending', planner = NULL, updated_at = now()
 WHERE s.status = 'planning'
   AND NOT EXISTS (SELECT 1 FROM scheduler_instances i
                    WHERE i.id = s.planner AND i.stopped_at IS NULL
                      AND i.heartbeat_at > now() - %(timeout)s::interval)
RETURNING s.id, s.job_id;

-- name: insert_event
INSERT INTO job_events (job_id, stage, item_id, event_type, message, data)
VALUES (%(job_id)s, %(stage)s, %(item_id)s, %(event_type)s, %(message)s, %(data)s);

-- name: insert_log
INSERT INTO job_logs (job_id, level, message, data) VALUES (%(job_id)s, %(level)s, %(message)s, %(data)s);

-- name: list_events
SELECT * FROM job_events WHERE job_id = %(job_id)s ORDER BY id DESC LIMIT %(limit)s;

-- name: list_recent_events
-- Every job's newest events (the console's dashboard).
SELECT * FROM job_events ORDER BY id DESC LIMIT %(limit)s;

-- name: notify_jobs
SELECT pg_notify('catalogsync_jobs', %(payload)s);

-- name: consistent_read
-- First statement of a read-only transaction whose statements must all see one snapshot.
SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY;
