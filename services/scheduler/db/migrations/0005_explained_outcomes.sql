-- Explained resolution and outcomes: what each download item considered, why it did not succeed
-- (failure class), "unavailable" as an outcome of its own, operators' pins, and the quality read
-- from the stored bytes.

ALTER TABLE job_items DROP CONSTRAINT job_items_status_check;
ALTER TABLE job_items ADD CONSTRAINT job_items_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'unavailable', 'interrupted',
                      'canceled'));
ALTER TABLE job_items ADD COLUMN candidates jsonb;       -- the resolver's considered candidates
ALTER TABLE job_items ADD COLUMN failure_class text;     -- not_found | unavailable | rate_limited | ...

ALTER TABLE file_assets ADD COLUMN codec text;
ALTER TABLE file_assets ADD COLUMN sample_rate_hz integer;
ALTER TABLE file_assets ADD COLUMN duration_s double precision;

-- An operator's choice for one song, used on every later run: a candidate, or "none" (never download).
CREATE TABLE song_pins (
    song_id     bigint PRIMARY KEY REFERENCES songs (id) ON DELETE CASCADE,
    source      text NOT NULL DEFAULT '',
    remote_id   text NOT NULL DEFAULT '',
    none        boolean NOT NULL DEFAULT false,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (none OR (source <> '' AND remote_id <> ''))
);
