"""The sync writer: one fetched playlist becomes its songs, positions, derived artists and links.

Set-based and cheap for the database and for this process:
- one statement per table (two for songs: changed ones updated, then new ones inserted, each in
  key order so concurrent syncs of overlapping playlists never deadlock), the rows as *binary*
  array parameters (no text array literals to escape), the statements sent in pipelines;
- the rows playlists share are written and committed apart from the playlist's own rows
  (``write_shared``): first the changed songs, then new songs, artists, their links and
  artist-pool links, so their row locks are held for those short transactions only, and a
  sync whose insert meets a song another sync is updating waits for a transaction that waits for
  nobody; the playlist's own rows follow (``write_own``: positions, the playlist), in the
  transaction that records the sync's item;
- ids are looked up in SQL by the natural keys, so nothing waits for a statement's answer;
- existing songs and artists are updated only where something changed, so the songs many
  playlists share are neither rewritten nor locked by every sync; artist pools are created once
  and their links' ``last_seen_at`` refreshed at most hourly, for the same reason;
- a song's metadata goes to PostgreSQL as the JSON text the collector sent (``jsonb`` parses it
  once); only text that is not a JSON object, or holds an escaped NUL, is parsed and cleaned here.
  If PostgreSQL refuses the text as it came, the playlist is written again with every song's
  metadata parsed and cleaned.
Rows are deduplicated and sorted first so concurrent syncs lock in the same order.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import psycopg

from catalogsync.v1 import collector_pb2, common_pb2
from services.scheduler.db.queries import Q
from services.scheduler.text import clean

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
NUL_ESCAPE = "\\u0000"
QQ_CHART_ROW_PREFIX = "qqtop_"
QQ_CHART_ROW_REASON = "非音乐资源(有声榜条目)"


def normalize_artist(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", clean(name)).casefold().split())


def singers(track: common_pb2.SongSnapshot) -> str:
    return " / ".join(clean(a.name) for a in track.artists if a.name.strip())


def non_music_reason(track: common_pb2.SongSnapshot) -> str | None:
    """Why the track is not music (None when it is): the collector's flag, or a QQ chart row
    without a song (``qqtop_…``: a video or radio entry)."""
    if track.non_music:
        return clean(track.non_music_reason) or QQ_CHART_ROW_REASON
    if track.platform == "qq" and track.remote_song_id.startswith(QQ_CHART_ROW_PREFIX):
        return QQ_CHART_ROW_REASON
    return None


def checked_metadata(text: str) -> str:
    """The metadata as a JSON object's text: parsed, cleaned of NUL, non-objects wrapped."""
    try:
        value: JsonValue = json.loads(text) if text else {}
    except ValueError:
        value = {"raw": text}
    return json.dumps(clean(value if isinstance(value, dict) else {"value": value}), ensure_ascii=False)


def metadata_as_sent(text: str) -> str | None:
    """The collector's text itself when it looks like a JSON object PostgreSQL accepts, else None."""
    if text.startswith("{") and text.endswith("}") and NUL_ESCAPE not in text and "\x00" not in text:
        return text
    return None


@dataclass(frozen=True)
class SyncCounts:
    songs: int
    artists: int
    non_music: int


@dataclass
class SongRows:
    """The playlist's unique tracks as columns, sorted by (platform, remote id)."""

    platforms: list[str] = field(default_factory=list)
    remote_ids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    singers: list[str] = field(default_factory=list)
    albums: list[str] = field(default_factory=list)
    durations: list[int] = field(default_factory=list)
    covers: list[str] = field(default_factory=list)
    non_music: list[bool] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)  # '' = music
    metadata: list[str] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # in the playlist

    def params(self) -> dict[str, Any]:
        """The parameters of ``update_songs`` and ``insert_songs``."""
        return {
            "platforms": self.platforms,
            "remote_ids": self.remote_ids,
            "names": self.names,
            "singers": self.singers,
            "albums": self.albums,
            "durations": self.durations,
            "covers": self.covers,
            "non_music": self.non_music,
            "reasons": self.reasons,
            "metadata": self.metadata,
        }


@dataclass
class ArtistRows:
    """Derived artists (sorted by (platform, normalized name)) and their links to songs."""

    platforms: list[str] = field(default_factory=list)
    normalized: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    remote_ids: list[str] = field(default_factory=list)
    link_platforms: list[str] = field(default_factory=list)
    link_normalized: list[str] = field(default_factory=list)
    link_songs: list[str] = field(default_factory=list)
    link_positions: list[int] = field(default_factory=list)

    def artist_params(self) -> dict[str, Any]:
        """The parameters of ``write_artists``."""
        return {
            "platforms": self.platforms,
            "normalized": self.normalized,
            "names": self.names,
            "remote_ids": self.remote_ids,
        }

    def link_params(self) -> dict[str, Any]:
        """The parameters of ``write_artist_songs``."""
        return {
            "platforms": self.link_platforms,
            "normalized": self.link_normalized,
            "remote_ids": self.link_songs,
            "positions": self.link_positions,
        }


@dataclass
class PlaylistRows:
    """What a fetched playlist writes, computed before its transaction (see ``write_rows``)."""

    summary: common_pb2.PlaylistSummary
    songs: SongRows
    artists: ArtistRows
    raw_metadata: list[str]  # the collector's text, per song
    as_sent: int  # songs whose metadata goes to PostgreSQL as sent
    non_music: int


def playlist_rows(response: collector_pb2.FetchPlaylistResponse) -> PlaylistRows:
    tracks: dict[tuple[str, str], common_pb2.SongSnapshot] = {}
    positions: dict[tuple[str, str], int] = {}
    for track in response.tracks:
        key = (track.platform, clean(track.remote_song_id))
        if key not in tracks:
            tracks[key] = track
            positions[key] = len(positions)
    songs, raw, as_sent, non_music = SongRows(), [], 0, 0
    artists: dict[tuple[str, str], tuple[str, str]] = {}
    links: dict[tuple[str, str, str], int] = {}
    for key in sorted(tracks):
        track = tracks[key]
        reason = non_music_reason(track)
        text = metadata_as_sent(track.metadata_json)
        as_sent += text is not None
        songs.platforms.append(key[0])
        songs.remote_ids.append(key[1])
        songs.names.append(clean(track.name))
        songs.singers.append(singers(track))
        songs.albums.append(clean(track.album))
        songs.durations.append(track.duration_s)
        songs.covers.append(clean(track.cover_url))
        songs.non_music.append(reason is not None)
        songs.reasons.append(reason or "")
        songs.metadata.append(text if text is not None else checked_metadata(track.metadata_json))
        songs.positions.append(positions[key])
        raw.append(track.metadata_json)
        if reason is not None:
            non_music += 1
            continue
        for position, artist in enumerate(track.artists):
            normalized = normalize_artist(artist.name)
            if not normalized:
                continue
            artists.setdefault((key[0], normalized), (clean(artist.name.strip()), clean(artist.remote_id)))
            link = (key[0], normalized, key[1])
            links[link] = min(links.get(link, position), position)
    rows = ArtistRows()
    for (platform, normalized), (name, remote_id) in sorted(artists.items()):
        rows.platforms.append(platform)
        rows.normalized.append(normalized)
        rows.names.append(name)
        rows.remote_ids.append(remote_id)
    for (platform, normalized, remote_id), position in links.items():
        rows.link_platforms.append(platform)
        rows.link_normalized.append(normalized)
        rows.link_songs.append(remote_id)
        rows.link_positions.append(position)
    return PlaylistRows(response.playlist, songs, rows, raw, as_sent, non_music)


async def _write_shared(conn: psycopg.AsyncConnection[Any], playlist_id: int, rows: PlaylistRows) -> None:
    songs, artists = rows.songs, rows.artists
    song_params = songs.params()
    if songs.platforms:
        # Changed songs first, committed at once: an insert that meets a song another sync is
        # updating waits for that sync, which must then not be waiting for this one's inserts.
        async with conn.pipeline(), conn.transaction():
            await conn.execute(Q["update_songs"], song_params)
    async with conn.pipeline(), conn.transaction():
        if songs.platforms:
            await conn.execute(Q["insert_songs"], song_params)
        if artists.platforms:
            await conn.execute(Q["write_artists"], artists.artist_params())
            await conn.execute(Q["write_artist_songs"], artists.link_params())
            await conn.execute(Q["write_artist_pools"], {"playlist_id": playlist_id})
            pool_params = {
                "playlist_id": playlist_id,
                "platforms": artists.platforms,
                "normalized": artists.normalized,
            }
            await conn.execute(Q["write_pool_artists"], pool_params)


async def write_shared(conn: psycopg.AsyncConnection[Any], playlist_id: int, rows: PlaylistRows) -> None:
    """The playlist's songs, artists, artist links and artist-pool links: the rows playlists share,
    in two transactions of their own (changed songs, then the rest), each committed at once (their
    row locks are what concurrent syncs of overlapping playlists wait for). ``conn`` must not be in
    a transaction."""
    try:
        await _write_shared(conn, playlist_id, rows)
    except psycopg.errors.DataError:
        if not rows.as_sent:
            raise
        rows.songs.metadata = [checked_metadata(text) for text in rows.raw_metadata]
        rows.as_sent = 0
        await _write_shared(conn, playlist_id, rows)


async def write_own(conn: psycopg.AsyncConnection[Any], playlist_id: int, rows: PlaylistRows) -> SyncCounts:
    """The playlist's own rows, after ``write_shared``: its songs become exactly the fetched tracks at
    their positions, and it is marked synced (in the caller's transaction, if any)."""
    songs, summary = rows.songs, rows.summary
    async with conn.pipeline(), conn.transaction():
        await conn.execute(
            Q["write_playlist_songs"],
            {
                "playlist_id": playlist_id,
                "platforms": songs.platforms,
                "remote_ids": songs.remote_ids,
                "positions": songs.positions,
            },
        )
        await conn.execute(
            Q["mark_playlist_synced"],
            {
                "playlist_id": playlist_id,
                "song_count": len(songs.platforms),
                "track_count": summary.track_count,
                "name": clean(summary.name),
                "cover_url": clean(summary.cover_url),
                "creator": clean(summary.creator),
                "description": clean(summary.description),
                "play_count": summary.play_count,
            },
        )
    return SyncCounts(len(songs.platforms), len(rows.artists.platforms), rows.non_music)


async def write_playlist(
    conn: psycopg.AsyncConnection[Any], playlist_id: int, response: collector_pb2.FetchPlaylistResponse
) -> SyncCounts:
    """Make the playlist's songs exactly the fetched tracks; derive artists and artist pools."""
    rows = playlist_rows(response)
    await write_shared(conn, playlist_id, rows)
    return await write_own(conn, playlist_id, rows)
