-- name: insert_items
-- Plan a stage's items in one statement; an item key already planned is left alone.
INSERT INTO job_items (job_id, job_stage_id, item_key, kind, ref_id, label, seq, payload)
SELECT %(job_id)s, %(stage_id)s, item_key, %(kind)s, ref_id, label, seq, payload
  FROM unnest(%(keys)s::text[], %(ref_ids)s::bigint[], %(labels)s::text[], %(seqs)s::int[], %(payloads)s::jsonb[])
       AS i (item_key, ref_id, label, seq, payload)
ON CONFLICT (job_stage_id, item_key) DO NOTHING;

-- name: claim_items
-- Lease the next items of a stage; only while the job is running. SKIP LOCKED lets
-- several workers (and several scheduler processes) claim without blocking or doubling.
WITH next AS (
    SELECT i.id
      FROM job_items i
     WHERE i.job_stage_id = %(stage_id)s
       AND i.status IN ('queued', 'interrupted')
       AND (i.not_before IS NULL OR i.not_before <= now())
       AND EXISTS (SELECT 1 FROM job_runs j WHERE j.id = i.job_id AND j.status = 'running')
     ORDER BY i.seq, i.id
     LIMIT %(batch)s
       FOR UPDATE OF i SKIP LOCKED
)
UPDATE job_items i
   SET status = 'running', lease_owner = %(owner)s, worker_key = %(worker)s,
       lease_expires_at = now() + %(lease)s::interval, attempts = i.attempts + 1, not_before = NULL,
       started_at = now(), finished_at = NULL, error = NULL, skip_reason = NULL, failure_class = NULL,
       updated_at = now()
  FROM next
 WHERE i.id = next.id
RETURNING i.*;

-- name: finish_item
-- Compare-and-set on the lease: a worker whose lease was lost (expired, canceled) changes nothing.
-- A retry ('queued') waits ``delay`` before it can be claimed again.
UPDATE job_items
   SET status = %(status)s, result = %(result)s, error = %(error)s, skip_reason = %(skip_reason)s,
       file_location_id = coalesce(%(file_location_id)s, file_location_id),
       candidates = coalesce(%(candidates)s, candidates), failure_class = %(failure_class)s,
       not_before = CASE WHEN %(status)s = 'queued' THEN now() + %(delay)s::interval END,
       lease_owner = NULL, lease_expires_at = NULL,
       finished_at = CASE WHEN %(status)s = 'queued' THEN NULL ELSE now() END, updated_at = now()
 WHERE id = %(item_id)s AND status = 'running' AND lease_owner = %(owner)s AND attempts = %(attempt)s
RETURNING id;

-- name: release_item
-- Give a claimed item back to the queue (pause for low disk, a service of ours unreachable,
-- shutdown) without counting the attempt; it can be claimed again after ``delay``.
-- ``payload`` is merged into the item's payload, ``failure_class`` says why it waits.
UPDATE job_items
   SET status = 'queued', attempts = greatest(attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL,
       worker_key = NULL, error = %(error)s, not_before = now() + %(delay)s::interval,
       payload = payload || %(payload)s, failure_class = %(failure_class)s, updated_at = now()
 WHERE id = %(item_id)s AND status = 'running' AND lease_owner = %(owner)s AND attempts = %(attempt)s
RETURNING id;

-- name: renew_leases
-- Heartbeat: extend the leases of every item this process is working on.
UPDATE job_items SET lease_expires_at = now() + %(lease)s::interval
 WHERE status = 'running' AND lease_owner = %(owner)s AND id = ANY(%(item_ids)s::bigint[])
RETURNING id;

-- name: expire_leases
-- Items whose worker stopped renewing (crashed, killed) go back to the queue as interrupted.
UPDATE job_items i
   SET status = 'interrupted', lease_owner = NULL, lease_expires_at = NULL, worker_key = NULL,
       error = 'interrupted: the worker holding it stopped (lease expired)', updated_at = now()
 WHERE i.status = 'running'
   AND (i.lease_expires_at < now()
        OR NOT EXISTS (SELECT 1 FROM scheduler_instances s
                        WHERE s.id = i.lease_owner AND s.stopped_at IS NULL
                          AND s.heartbeat_at > now() - %(instance_timeout)s::interval))
RETURNING i.id, i.job_id, i.job_stage_id, i.label;

-- name: stage_open_counts
-- What is left in a stage: queued or interrupted (claimable) and running.
SELECT count(*) FILTER (WHERE status IN ('queued', 'interrupted')) AS waiting,
       count(*) FILTER (WHERE status = 'running') AS running,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       count(*) FILTER (WHERE status = 'unavailable') AS unavailable,
       count(*) AS total
  FROM job_items WHERE job_stage_id = %(stage_id)s;

-- name: running_items_of_job
SELECT count(*) AS running FROM job_items WHERE job_id = %(job_id)s AND status = 'running';

-- name: cancel_waiting_items
UPDATE job_items SET status = 'canceled', lease_owner = NULL, lease_expires_at = NULL, finished_at = now(),
       error = 'canceled', updated_at = now()
 WHERE job_id = %(job_id)s AND status IN ('queued', 'interrupted');

-- name: cancel_running_items
-- A canceled job's running items: the workers drop their results (their leases no longer match).
UPDATE job_items SET status = 'canceled', lease_owner = NULL, lease_expires_at = NULL, finished_at = now(),
       error = 'canceled while running', updated_at = now()
 WHERE job_id = %(job_id)s AND status = 'running'
RETURNING id;

-- name: get_item
SELECT i.*, s.stage FROM job_items i JOIN job_stages s ON s.id = i.job_stage_id WHERE i.id = %(item_id)s;

-- name: retry_item
-- Back to the queue; force also re-runs succeeded/skipped items and bypasses "already downloaded".
UPDATE job_items
   SET status = 'queued', error = NULL, skip_reason = NULL, result = NULL, finished_at = NULL,
       payload = CASE WHEN %(force)s THEN payload || '{"force": true}' ELSE payload END, updated_at = now()
 WHERE id = %(item_id)s AND status = ANY(%(from_statuses)s::text[])
RETURNING id, job_stage_id;

-- name: retry_failed_items
-- Every failed item of a job back to the queue (the console's "retry all failed").
UPDATE job_items
   SET status = 'queued', error = NULL, skip_reason = NULL, result = NULL, finished_at = NULL, updated_at = now()
 WHERE job_id = %(job_id)s AND status = 'failed'
RETURNING id, job_stage_id;

-- name: failed_items_of_job
SELECT count(*) AS failed FROM job_items WHERE job_id = %(job_id)s AND status = 'failed';

-- name: list_items
-- A job's items with the catalog song each is about (download: the song; upload: the file's song).
SELECT i.*, s.stage,
       CASE WHEN i.kind = 'song' THEN i.ref_id
            WHEN i.kind = 'file' THEN (SELECT a.song_id FROM file_assets a WHERE a.id = i.ref_id) END AS song_id
  FROM job_items i JOIN job_stages s ON s.id = i.job_stage_id
 WHERE i.job_id = %(job_id)s
   AND (%(stage)s = '' OR s.stage = %(stage)s)
   AND (cardinality(%(statuses)s::text[]) = 0 OR i.status = ANY(%(statuses)s::text[]))
   AND i.id > %(after_id)s
 ORDER BY i.id
 LIMIT %(limit)s;

-- name: finish_items
-- Record many cheap outcomes at once (compare-and-set per item); returns the ids recorded.
UPDATE job_items i
   SET status = u.status, result = u.result, skip_reason = u.skip_reason, error = NULL, failure_class = NULL,
       lease_owner = NULL, lease_expires_at = NULL, finished_at = now(), updated_at = now()
  FROM unnest(%(item_ids)s::bigint[], %(attempts)s::int[], %(statuses)s::text[], %(results)s::jsonb[],
              %(skip_reasons)s::text[]) AS u (id, attempt, status, result, skip_reason)
 WHERE i.id = u.id AND i.status = 'running' AND i.lease_owner = %(owner)s AND i.attempts = u.attempt
RETURNING i.id;

-- name: release_items
-- Give claimed items back to the queue at once, without counting the attempt.
UPDATE job_items i
   SET status = 'queued', attempts = greatest(i.attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL,
       worker_key = NULL, updated_at = now()
  FROM unnest(%(item_ids)s::bigint[], %(attempts)s::int[]) AS u (id, attempt)
 WHERE i.id = u.id AND i.status = 'running' AND i.lease_owner = %(owner)s AND i.attempts = u.attempt;

-- name: stage_wait_state
-- Why a claim came back empty: is the job still running, and when is the next item due?
SELECT j.status AS job_status,
       (SELECT min(i.not_before) - now() FROM job_items i
         WHERE i.job_stage_id = %(stage_id)s AND i.status IN ('queued', 'interrupted')
           AND i.not_before > now()) AS next_due
  FROM job_runs j WHERE j.id = %(job_id)s;
