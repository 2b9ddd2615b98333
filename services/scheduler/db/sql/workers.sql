-- name: upsert_worker
INSERT INTO job_workers (job_id, job_stage_id, worker_key, owner, status)
VALUES (%(job_id)s, %(stage_id)s, %(worker_key)s, %(owner)s, 'idle')
ON CONFLICT (job_stage_id, worker_key) DO UPDATE
   SET owner = excluded.owner, status = 'idle', heartbeat_at = now(), updated_at = now();

-- name: update_workers
-- Flush the in-memory state of several workers at once (heartbeat, current item, speed).
UPDATE job_workers w
   SET status = u.status, current_item_id = u.current_item_id, current_label = u.current_label,
       processed_count = u.processed_count, error_count = u.error_count,
       downloaded_bytes = u.downloaded_bytes, total_bytes = u.total_bytes,
       bytes_per_second = u.bytes_per_second, heartbeat_at = now(), updated_at = now()
  FROM unnest(%(stage_ids)s::bigint[], %(worker_keys)s::text[], %(statuses)s::text[], %(item_ids)s::bigint[],
              %(labels)s::text[], %(processed)s::int[], %(errors)s::int[], %(downloaded)s::bigint[],
              %(totals)s::bigint[], %(speeds)s::float8[])
       AS u (job_stage_id, worker_key, status, current_item_id, current_label, processed_count, error_count,
             downloaded_bytes, total_bytes, bytes_per_second)
 WHERE w.job_stage_id = u.job_stage_id AND w.worker_key = u.worker_key;

-- name: stop_workers_of_stage
UPDATE job_workers SET status = 'stopped', current_item_id = NULL, current_label = NULL, bytes_per_second = 0,
       updated_at = now()
 WHERE job_stage_id = %(stage_id)s AND owner = %(owner)s;

-- name: stop_dead_workers
-- Workers of scheduler processes that are gone.
UPDATE job_workers w SET status = 'stopped', current_item_id = NULL, bytes_per_second = 0, updated_at = now()
 WHERE w.status <> 'stopped'
   AND NOT EXISTS (SELECT 1 FROM scheduler_instances s
                    WHERE s.id = w.owner AND s.stopped_at IS NULL
                      AND s.heartbeat_at > now() - %(instance_timeout)s::interval);

-- name: workers_for_jobs
SELECT w.*, s.stage FROM job_workers w JOIN job_stages s ON s.id = w.job_stage_id
 WHERE w.job_id = ANY(%(job_ids)s::bigint[])
 ORDER BY w.job_id, s.seq, w.worker_key;

-- name: register_instance
INSERT INTO scheduler_instances (id, hostname, pid) VALUES (%(id)s, %(hostname)s, %(pid)s)
ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), stopped_at = NULL;

-- name: heartbeat_instance
UPDATE scheduler_instances SET heartbeat_at = now() WHERE id = %(id)s RETURNING id;

-- name: stop_instance
UPDATE scheduler_instances SET stopped_at = now() WHERE id = %(id)s;

-- name: instance_alive
-- Whether a scheduler process still runs (heartbeat fresh, not stopped).
SELECT EXISTS (SELECT 1 FROM scheduler_instances
                WHERE id = %(id)s AND stopped_at IS NULL
                  AND heartbeat_at > now() - %(timeout)s::interval) AS alive;
