-- name: insert_command
INSERT INTO job_commands (job_id, command, item_id, requested_by)
VALUES (%(job_id)s, %(command)s, %(item_id)s, %(requested_by)s)
RETURNING id;

-- name: pending_commands
-- Oldest first; SKIP LOCKED so one scheduler process applies each command.
SELECT * FROM job_commands WHERE status = 'pending' ORDER BY id LIMIT 50 FOR UPDATE SKIP LOCKED;

-- name: close_command
UPDATE job_commands SET status = %(status)s, error = %(error)s, applied_at = now() WHERE id = %(command_id)s;

