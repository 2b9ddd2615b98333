"""No control character reaches an exported file: M3U8, manifest, ``.lrc`` (tags use the same cleaning)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

from catalogsync.v1 import downloader_pb2
from services.downloader.export import write_export
from services.downloader.lyrics import write_lyrics
from services.downloader.plaintext import multi_line, one_line

HOSTILE = "Bell\x07Esc\x1b[2J CR\rLF\nNUL\x00DEL\x7fC1\x85LS\u2028ZWJ\u200d end"


def controls(text: str, allowed: str = "") -> list[str]:
    return [
        hex(ord(ch))
        for ch in text
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") and ch not in allowed
    ]


def test_one_line_and_multi_line() -> None:
    assert one_line(HOSTILE) == "Bell Esc [2J CR LF NUL DEL C1 LS ZWJ\u200d end"
    assert one_line("  周杰伦\u3000晴天 ") == "周杰伦\u3000晴天"
    assert multi_line("[00:01]one\r\n[00:02]two\x1b\x00\rthree\u2029four\tfive") == (
        "[00:01]one\n[00:02]two\nthree\nfour\tfive"
    )


def test_m3u8_and_manifest_have_no_control_characters(tmp_path: Path) -> None:
    song = tmp_path / "qq" / "A" / "song.mp3"
    song.parent.mkdir(parents=True)
    song.write_bytes(b"x")
    request = downloader_pb2.PlaylistExportRequest(
        library_root=str(tmp_path),
        platform="qq",
        remote_playlist_id="77\x07",
        name=f"List {HOSTILE}",
        source_url="https://y.qq.com/n/ryqq/playlist/77\r\n#EXTINF:0,injected",
        entries=[
            downloader_pb2.PlaylistExportEntry(path=str(song), title=HOSTILE, artists="A\x1b", duration_s=3),
            downloader_pb2.PlaylistExportEntry(path="", title="missing\x07", artists="B"),
        ],
    )
    reply = write_export(request)
    m3u8 = (tmp_path / reply.m3u8).read_text(encoding="utf-8")
    manifest_text = (tmp_path / reply.folder / "playlist.json").read_text(encoding="utf-8")
    assert controls(m3u8, allowed="\n") == []
    assert m3u8.splitlines() == [
        "#EXTM3U",
        "#PLAYLIST:List Bell Esc [2J CR LF NUL DEL C1 LS ZWJ\u200d end",
        "#EXTINF:3,A - Bell Esc [2J CR LF NUL DEL C1 LS ZWJ\u200d end",
        "../../../qq/A/song.mp3",
    ]
    manifest = json.loads(manifest_text)
    assert all(controls(value) == [] for value in _strings(manifest))
    assert "\\u00" not in manifest_text, "no escaped control characters either"
    assert manifest["source_url"] == "https://y.qq.com/n/ryqq/playlist/77 #EXTINF:0,injected"


def test_lrc_keeps_lines_and_drops_controls(tmp_path: Path) -> None:
    audio = tmp_path / "song.mp3"
    assert write_lyrics(audio, "[00:01]one\r\n[00:02]\x1b[31mtwo\x00\n", overwrite=False) == (True, True)
    assert (tmp_path / "song.lrc").read_text(encoding="utf-8") == "[00:01]one\n[00:02][31mtwo\n"


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
