-- Storage domain: backends, logical file assets, their physical locations, derived presence, queues.

CREATE TABLE storage_backends (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    backend_type    text NOT NULL CHECK (backend_type IN ('local_fs', 'object_storage', 'cloud_drive')),
    root_path       text,                        -- local_fs
    container_name  text,                        -- object_storage: bucket
    -- endpoint, region, base_prefix, addressing_style, public_base_url, credential_env_prefix.
    -- Never credentials: those come only from the environment.
    config          jsonb NOT NULL DEFAULT '{}',
    is_active       boolean NOT NULL DEFAULT false,  -- local_fs: where new downloads go; object_storage: default upload target
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX storage_backends_one_active ON storage_backends (backend_type) WHERE is_active;

CREATE TABLE file_assets (
    id                bigserial PRIMARY KEY,
    song_id           bigint NOT NULL REFERENCES songs (id) ON DELETE CASCADE,
    source_platform   text NOT NULL,      -- the download source that served the bytes
    source_remote_id  text NOT NULL,
    quality_label     text NOT NULL,
    ext               text NOT NULL,
    bitrate_kbps      integer NOT NULL DEFAULT 0,
    file_size_bytes   bigint NOT NULL,    -- final file (with tags)
    checksum_sha256   text NOT NULL,      -- final file (with tags)
    media_bytes       bigint,             -- bytes received from the source
    media_sha256      text,
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (song_id, checksum_sha256)
);
CREATE INDEX file_assets_song ON file_assets (song_id);

CREATE TABLE file_locations (
    id              bigserial PRIMARY KEY,
    file_asset_id   bigint NOT NULL REFERENCES file_assets (id) ON DELETE CASCADE,
    backend_id      bigint NOT NULL REFERENCES storage_backends (id),
    container_name  text,                 -- bucket for object storage
    locator         text NOT NULL,        -- relative path (local_fs) or object key
    remote_file_id  text,                 -- cloud drives
    public_url      text,
    etag            text,
    size_bytes      bigint,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'missing', 'inactive')),
    is_primary      boolean NOT NULL DEFAULT false,
    verified_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (file_asset_id, backend_id, locator)
);
CREATE INDEX file_locations_backend ON file_locations (backend_id, status);

-- Derived from file_locations (the source of truth); refreshed whenever a location changes.
CREATE TABLE song_backend_presence (
    song_id           bigint NOT NULL REFERENCES songs (id) ON DELETE CASCADE,
    backend_id        bigint NOT NULL REFERENCES storage_backends (id) ON DELETE CASCADE,
    active_locations  integer NOT NULL DEFAULT 0,
    bytes             bigint NOT NULL DEFAULT 0,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (song_id, backend_id)
);
CREATE INDEX song_backend_presence_backend ON song_backend_presence (backend_id) WHERE active_locations > 0;

CREATE TABLE download_tasks (
    id                bigserial PRIMARY KEY,
    song_id           bigint NOT NULL UNIQUE REFERENCES songs (id) ON DELETE CASCADE,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'unavailable', 'skipped')),
    attempts          integer NOT NULL DEFAULT 0,
    last_job_id       bigint,
    source_platform   text,
    source_remote_id  text,
    quality_label     text,
    file_asset_id     bigint REFERENCES file_assets (id) ON DELETE SET NULL,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE upload_tasks (
    id                     bigserial PRIMARY KEY,
    file_asset_id          bigint NOT NULL REFERENCES file_assets (id) ON DELETE CASCADE,
    source_location_id     bigint REFERENCES file_locations (id) ON DELETE SET NULL,
    target_backend_id      bigint NOT NULL REFERENCES storage_backends (id),
    target_container_name  text,
    target_locator         text NOT NULL,
    status                 text NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'uploading', 'succeeded', 'failed', 'skipped')),
    attempts               integer NOT NULL DEFAULT 0,
    etag                   text,
    last_error             text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    UNIQUE (file_asset_id, target_backend_id, target_locator)
);
