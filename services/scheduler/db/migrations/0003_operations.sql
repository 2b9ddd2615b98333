-- Operations domain: jobs, stages, items (leased work), workers, commands, events, logs, config.

CREATE TABLE job_runs (
    id               bigserial PRIMARY KEY,
    job_type         text NOT NULL CHECK (job_type IN ('catalog_sync', 'collect_only', 'sync_only', 'sync_download',
                                                       'download_only', 'upload_only', 'download_upload')),
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'running', 'pause_requested', 'paused', 'completed',
                                       'completed_with_errors', 'failed', 'canceled')),
    lane             text NOT NULL CHECK (lane IN ('download', 'general')),
    display_name     text NOT NULL,
    scope            jsonb NOT NULL DEFAULT '{}',
    config_snapshot  jsonb NOT NULL DEFAULT '{}',
    pause_reason     text,
    error            text,
    requested_by     text NOT NULL DEFAULT '',
    queued_at        timestamptz NOT NULL DEFAULT now(),   -- queue order (resume re-queues)
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_runs_queue ON job_runs (lane, queued_at, id) WHERE status = 'queued';
CREATE INDEX job_runs_active ON job_runs (status) WHERE status IN ('running', 'pause_requested');

CREATE TABLE job_stages (
    id           bigserial PRIMARY KEY,
    job_id       bigint NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    stage        text NOT NULL CHECK (stage IN ('collect', 'sync', 'download', 'upload')),
    seq          smallint NOT NULL,
    status       text NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'planning', 'running', 'completed', 'completed_with_errors',
                                   'failed', 'canceled')),
    planner      text,                     -- scheduler instance planning it
    workers      integer NOT NULL DEFAULT 1,
    hooks        jsonb NOT NULL DEFAULT '{}',
    error        text,
    started_at   timestamptz,
    finished_at  timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, stage),
    UNIQUE (job_id, seq)
);

CREATE TABLE job_playlists (
    job_id       bigint NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    playlist_id  bigint NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    PRIMARY KEY (job_id, playlist_id)
);

CREATE TABLE job_items (
    id                bigserial PRIMARY KEY,
    job_id            bigint NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    job_stage_id      bigint NOT NULL REFERENCES job_stages (id) ON DELETE CASCADE,
    item_key          text NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('discovery', 'playlist', 'song', 'file')),
    ref_id            bigint,                -- playlists.id / songs.id / file_assets.id
    label             text NOT NULL DEFAULT '',
    seq               integer NOT NULL DEFAULT 0,
    payload           jsonb NOT NULL DEFAULT '{}',
    status            text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'interrupted',
                                        'canceled')),
    attempts          integer NOT NULL DEFAULT 0,   -- also the lease's fencing token
    lease_owner       text,
    lease_expires_at  timestamptz,
    worker_key        text,
    result            jsonb,
    error             text,
    skip_reason       text,
    file_location_id  bigint REFERENCES file_locations (id) ON DELETE SET NULL,
    started_at        timestamptz,
    finished_at       timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_stage_id, item_key)
);
CREATE INDEX job_items_claim ON job_items (job_stage_id, seq, id) WHERE status IN ('queued', 'interrupted');
CREATE INDEX job_items_leases ON job_items (lease_expires_at) WHERE status = 'running';
CREATE INDEX job_items_stage_status ON job_items (job_stage_id, status);

CREATE TABLE job_workers (
    id                bigserial PRIMARY KEY,
    job_id            bigint NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    job_stage_id      bigint NOT NULL REFERENCES job_stages (id) ON DELETE CASCADE,
    worker_key        text NOT NULL,
    owner             text NOT NULL,        -- scheduler instance
    status            text NOT NULL DEFAULT 'idle' CHECK (status IN ('idle', 'busy', 'stopped')),
    current_item_id   bigint,
    current_label     text,
    processed_count   integer NOT NULL DEFAULT 0,
    error_count       integer NOT NULL DEFAULT 0,
    downloaded_bytes  bigint NOT NULL DEFAULT 0,
    total_bytes       bigint NOT NULL DEFAULT 0,
    bytes_per_second  double precision NOT NULL DEFAULT 0,
    heartbeat_at      timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_stage_id, worker_key)
);
CREATE INDEX job_workers_job ON job_workers (job_id);

CREATE TABLE job_commands (
    id            bigserial PRIMARY KEY,
    job_id        bigint NOT NULL REFERENCES job_runs (id) ON DELETE CASCADE,
    command       text NOT NULL CHECK (command IN ('pause', 'resume', 'cancel', 'retry_item', 'force_retry_item')),
    item_id       bigint,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'applied', 'rejected')),
    error         text,
    requested_by  text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    applied_at    timestamptz
);
CREATE INDEX job_commands_pending ON job_commands (id) WHERE status = 'pending';

CREATE TABLE job_events (
    id          bigserial PRIMARY KEY,
    job_id      bigint REFERENCES job_runs (id) ON DELETE CASCADE,
    stage       text,
    item_id     bigint,
    event_type  text NOT NULL,
    message     text NOT NULL DEFAULT '',
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON job_events (job_id, id);

CREATE TABLE job_logs (
    id          bigserial PRIMARY KEY,
    job_id      bigint REFERENCES job_runs (id) ON DELETE CASCADE,
    level       text NOT NULL,
    message     text NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_logs_job ON job_logs (job_id, id);

CREATE TABLE config_revisions (
    id          bigserial PRIMARY KEY,
    revision    integer NOT NULL UNIQUE,
    settings    jsonb NOT NULL,
    comment     text NOT NULL DEFAULT '',
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Scheduler processes sharing this database; a stale heartbeat means the process is gone.
CREATE TABLE scheduler_instances (
    id            text PRIMARY KEY,
    hostname      text NOT NULL,
    pid           integer NOT NULL,
    started_at    timestamptz NOT NULL DEFAULT now(),
    heartbeat_at  timestamptz NOT NULL DEFAULT now(),
    stopped_at    timestamptz
);
