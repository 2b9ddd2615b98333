-- The download stage asks, for every song, whether a file of the same source track and quality is
-- already in the library (same_source_file); without this index that is a scan of file_assets.
CREATE INDEX IF NOT EXISTS file_assets_source_track
    ON file_assets (source_platform, source_remote_id, quality_label);
