-- The console: job snapshots read through indexes; "retry all failed" as a command.

-- Job snapshots (WatchJobs, GetJob, ListJobs) count a job's items by stage and status every second
-- per stream; ListJobItems pages a job's items by id. Both read by job_id, which had no index.
CREATE INDEX job_items_job_status ON job_items (job_id, status, job_stage_id);
CREATE INDEX job_items_job_id ON job_items (job_id, id);

-- The console's "retry all failed": one command for every failed item of a job.
ALTER TABLE job_commands DROP CONSTRAINT job_commands_command_check,
  ADD CONSTRAINT job_commands_command_check
  CHECK (command IN ('pause', 'resume', 'cancel', 'retry_item', 'force_retry_item', 'retry_failed'));
