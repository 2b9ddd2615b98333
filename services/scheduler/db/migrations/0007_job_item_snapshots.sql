-- Job snapshots (WatchJobs, GetJob, ListJobs) count a job's items by stage and status every second
-- per stream; ListJobItems pages a job's items by id. Both read by job_id, which had no index.
CREATE INDEX job_items_job_status ON job_items (job_id, status, job_stage_id);
CREATE INDEX job_items_job_id ON job_items (job_id, id);
