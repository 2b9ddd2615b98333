-- The lyrics backfill: a `lyrics` job type whose one `lyrics` stage writes missing .lrc sidecars
-- for songs already in the library (the seeds' `lyrics` command).
ALTER TABLE job_runs DROP CONSTRAINT job_runs_job_type_check,
  ADD CONSTRAINT job_runs_job_type_check
  CHECK (job_type IN ('catalog_sync', 'collect_only', 'sync_only', 'sync_download', 'download_only',
                      'upload_only', 'download_upload', 'lyrics'));
ALTER TABLE job_stages DROP CONSTRAINT job_stages_stage_check,
  ADD CONSTRAINT job_stages_stage_check CHECK (stage IN ('collect', 'sync', 'download', 'upload', 'lyrics'));
