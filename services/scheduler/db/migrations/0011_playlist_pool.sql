-- The console's playlist pool: download progress kept on each playlist (so filtering by status and
-- paging deep stay index-cheap on a large catalog), and saved selections for ZIP bundles.

-- A song is downloaded when it has an active location on a local_fs backend (the seeds' rule).
ALTER TABLE songs ADD COLUMN local_file boolean NOT NULL DEFAULT false;
-- Songs linked to the playlist, and how many of them are downloaded; kept by the triggers below.
ALTER TABLE playlists ADD COLUMN linked_songs integer NOT NULL DEFAULT 0,
                      ADD COLUMN downloaded_songs integer NOT NULL DEFAULT 0;

UPDATE songs s SET local_file = true
 WHERE EXISTS (SELECT 1 FROM file_assets a
                 JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
                 JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
                WHERE a.song_id = s.id);
UPDATE playlists p SET linked_songs = c.linked, downloaded_songs = c.downloaded
  FROM (SELECT ps.playlist_id, count(*) AS linked, count(*) FILTER (WHERE s.local_file) AS downloaded
          FROM playlist_songs ps JOIN songs s ON s.id = ps.song_id GROUP BY ps.playlist_id) c
 WHERE p.id = c.playlist_id;

-- Recompute songs.local_file for the given songs and move their playlists' downloaded_songs by
-- the songs that flipped. Playlists are locked in id order (concurrent downloads never deadlock).
CREATE FUNCTION refresh_song_local_files(song_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    flips bigint[];
    gains bigint[];
BEGIN
    WITH now_local AS (
        SELECT s.id, EXISTS (SELECT 1 FROM file_assets a
                               JOIN file_locations l ON l.file_asset_id = a.id AND l.status = 'active'
                               JOIN storage_backends b ON b.id = l.backend_id AND b.backend_type = 'local_fs'
                              WHERE a.song_id = s.id) AS local
          FROM songs s WHERE s.id = ANY(song_ids)
    ), flipped AS (
        UPDATE songs s SET local_file = n.local FROM now_local n
         WHERE s.id = n.id AND s.local_file <> n.local
        RETURNING s.id, n.local
    )
    SELECT array_agg(id), array_agg(id) FILTER (WHERE local) INTO flips, gains FROM flipped;
    IF flips IS NULL THEN
        RETURN;
    END IF;
    PERFORM 1 FROM playlists WHERE id IN (SELECT playlist_id FROM playlist_songs WHERE song_id = ANY(flips))
      ORDER BY id FOR NO KEY UPDATE;
    UPDATE playlists p SET downloaded_songs = p.downloaded_songs + d.delta
      FROM (SELECT ps.playlist_id,
                   sum(CASE WHEN ps.song_id = ANY(coalesce(gains, '{}')) THEN 1 ELSE -1 END) AS delta
              FROM playlist_songs ps WHERE ps.song_id = ANY(flips) GROUP BY ps.playlist_id) d
     WHERE p.id = d.playlist_id;
END $$;

CREATE FUNCTION file_locations_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_song_local_files(ARRAY(SELECT DISTINCT a.song_id FROM changed c
                                             JOIN file_assets a ON a.id = c.file_asset_id));
    RETURN NULL;
END $$;
CREATE TRIGGER file_locations_inserted AFTER INSERT ON file_locations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION file_locations_changed();
CREATE TRIGGER file_locations_updated AFTER UPDATE ON file_locations
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION file_locations_changed();
CREATE TRIGGER file_locations_deleted AFTER DELETE ON file_locations
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION file_locations_changed();

-- A deleted asset takes its locations along (cascade): the song is recomputed from the asset.
CREATE FUNCTION file_assets_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM refresh_song_local_files(ARRAY(SELECT DISTINCT song_id FROM changed));
    RETURN NULL;
END $$;
CREATE TRIGGER file_assets_deleted AFTER DELETE ON file_assets
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION file_assets_deleted();

-- Links added or removed (a sync replaces a playlist's songs in one statement).
CREATE FUNCTION playlist_songs_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign integer := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM 1 FROM playlists WHERE id IN (SELECT playlist_id FROM changed) ORDER BY id FOR NO KEY UPDATE;
    UPDATE playlists p SET linked_songs = p.linked_songs + sign * c.linked,
                           downloaded_songs = p.downloaded_songs + sign * c.downloaded
      FROM (SELECT ch.playlist_id, count(*) AS linked, count(*) FILTER (WHERE s.local_file) AS downloaded
              FROM changed ch LEFT JOIN songs s ON s.id = ch.song_id GROUP BY ch.playlist_id) c
     WHERE p.id = c.playlist_id;
    RETURN NULL;
END $$;
CREATE TRIGGER playlist_songs_inserted AFTER INSERT ON playlist_songs
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION playlist_songs_counted();
CREATE TRIGGER playlist_songs_deleted AFTER DELETE ON playlist_songs
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION playlist_songs_counted();

-- The page's wanted-only filter and its default order.
CREATE INDEX playlists_wanted ON playlists (id) WHERE wanted;

-- A ZIP bundle: a saved selection of ready playlists, fetched by its unguessable name.
CREATE TABLE export_bundles (
    name          text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{20,64}$'),
    playlist_ids  bigint[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
