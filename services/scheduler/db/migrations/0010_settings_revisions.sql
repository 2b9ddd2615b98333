-- Settings revisions (issue 9): a rollback is a new revision that says which one it restored;
-- the duplicate scan reads active local locations grouped by (file_asset_id, backend_id).
ALTER TABLE config_revisions ADD COLUMN IF NOT EXISTS rollback_of integer;
CREATE INDEX IF NOT EXISTS file_locations_active_asset
    ON file_locations (backend_id, file_asset_id) WHERE status = 'active';
