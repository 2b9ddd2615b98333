-- Retried items wait before they can be claimed again (back-off), so a dependency that
-- restarts in a few seconds does not burn all of an item's attempts at once.
ALTER TABLE job_items ADD COLUMN not_before timestamptz;
