-- Catalog domain: pools → playlists → songs, and the derived artist pools → artists → songs.

CREATE TABLE playlist_pools (
    id          bigserial PRIMARY KEY,
    platform    text NOT NULL,
    pool_kind   text NOT NULL CHECK (pool_kind IN ('playlist_square', 'toplist', 'manual_file')),
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, pool_kind, name)
);

CREATE TABLE playlists (
    id                    bigserial PRIMARY KEY,
    platform              text NOT NULL,
    remote_playlist_id    text NOT NULL,
    kind                  text NOT NULL DEFAULT 'playlist' CHECK (kind IN ('playlist', 'toplist')),
    name                  text NOT NULL DEFAULT '',
    cover_url             text NOT NULL DEFAULT '',
    creator               text NOT NULL DEFAULT '',
    description           text NOT NULL DEFAULT '',
    source_url            text NOT NULL DEFAULT '',
    play_count            bigint NOT NULL DEFAULT 0,
    track_count           integer NOT NULL DEFAULT 0,   -- as the platform reports it
    collected_song_count  integer NOT NULL DEFAULT 0,   -- songs linked by the last sync
    wanted                boolean NOT NULL DEFAULT false,
    sync_status           text NOT NULL DEFAULT 'unsynced' CHECK (sync_status IN ('unsynced', 'synced', 'failed')),
    last_synced_at        timestamptz,
    last_sync_error       text,
    metadata              jsonb NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, remote_playlist_id)
);
CREATE INDEX playlists_platform_status ON playlists (platform, sync_status);

CREATE TABLE songs (
    id                bigserial PRIMARY KEY,
    platform          text NOT NULL,
    remote_song_id    text NOT NULL,
    name              text NOT NULL,
    singers           text NOT NULL DEFAULT '',       -- display form: artists joined by ' / '
    album             text NOT NULL DEFAULT '',
    duration_s        integer NOT NULL DEFAULT 0,
    cover_url         text NOT NULL DEFAULT '',
    ext               text,                           -- of the file actually downloaded
    file_size_bytes   bigint,
    quality_label     text,
    non_music         boolean NOT NULL DEFAULT false,
    non_music_reason  text,
    metadata          jsonb NOT NULL DEFAULT '{}',    -- the platform's full snapshot (deferred resolution)
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, remote_song_id)
);

CREATE TABLE artists (
    id                bigserial PRIMARY KEY,
    platform          text NOT NULL,
    normalized_name   text NOT NULL,
    name              text NOT NULL,
    remote_artist_id  text NOT NULL DEFAULT '',
    metadata          jsonb NOT NULL DEFAULT '{}',    -- lazy enrichment
    enriched_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, normalized_name)
);

CREATE TABLE pool_playlists (
    pool_id        bigint NOT NULL REFERENCES playlist_pools (id) ON DELETE CASCADE,
    playlist_id    bigint NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    rank           integer NOT NULL DEFAULT 0,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pool_id, playlist_id)
);
CREATE INDEX pool_playlists_playlist ON pool_playlists (playlist_id);

CREATE TABLE playlist_songs (
    playlist_id  bigint NOT NULL REFERENCES playlists (id) ON DELETE CASCADE,
    song_id      bigint NOT NULL REFERENCES songs (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (playlist_id, song_id)
);
CREATE INDEX playlist_songs_song ON playlist_songs (song_id);

CREATE TABLE artist_pools (
    id              bigserial PRIMARY KEY,
    source_pool_id  bigint NOT NULL UNIQUE REFERENCES playlist_pools (id) ON DELETE CASCADE,
    platform        text NOT NULL,
    pool_kind       text NOT NULL,
    name            text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pool_artists (
    artist_pool_id  bigint NOT NULL REFERENCES artist_pools (id) ON DELETE CASCADE,
    artist_id       bigint NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (artist_pool_id, artist_id)
);

CREATE TABLE artist_songs (
    artist_id  bigint NOT NULL REFERENCES artists (id) ON DELETE CASCADE,
    song_id    bigint NOT NULL REFERENCES songs (id) ON DELETE CASCADE,
    position   smallint NOT NULL DEFAULT 0,   -- 0 = first (main) artist
    PRIMARY KEY (artist_id, song_id)
);
CREATE INDEX artist_songs_song ON artist_songs (song_id);
