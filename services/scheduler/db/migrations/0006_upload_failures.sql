-- Failed upload tries stay visible after a later success: how many, the last error and when.
ALTER TABLE upload_tasks ADD COLUMN failures integer NOT NULL DEFAULT 0,
                         ADD COLUMN last_failed_at timestamptz;
