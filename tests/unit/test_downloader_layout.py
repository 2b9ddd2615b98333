"""The downloader's path rules: sanitised components, byte caps, reserved names, stable disambiguation."""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath

import pytest

from services.downloader import layout
from services.downloader.fetch import content_type_ok, magic_ok


def _assert_safe(component: str) -> None:
    assert component not in ("", ".", "..")
    assert not any(ch in component for ch in '/\\:*?"<>|')
    assert not any(unicodedata.category(ch) == "Cc" for ch in component)
    assert component == component.strip(" .")
    assert len(component.encode("utf-8")) <= layout.MAX_COMPONENT_BYTES
    assert unicodedata.is_normalized("NFC", component)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("晴空下的约定", "晴空下的约定"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("AC/DC: Back\\Slash", "AC_DC_ Back_Slash"),
        ("nul\x00byte\x01ctrl", "nul byte ctrl"),
        ("  .hidden. ", "hidden"),
        ('a*b?c"d<e>f|g', "a_b_c_d_e_f_g"),
        ("line\nbreak\ttab", "line break tab"),
        ("..", "Untitled"),
        (" . ", "Untitled"),
        ("", "Untitled"),
        ("\x00\x1f", "Untitled"),
    ],
)
def test_sanitize_component(text: str, expected: str) -> None:
    result = layout.sanitize_component(text, "Untitled")
    assert result == expected
    _assert_safe(result)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CON", "_CON"),
        ("con", "_con"),
        ("Nul", "_Nul"),
        ("aux.txt", "_aux.txt"),
        ("COM1", "_COM1"),
        ("lpt9", "_lpt9"),
        ("COM¹", "_COM¹"),
        ("PRN .x", "_PRN .x"),
        ("COM10", "COM10"),
        ("CONSOLE", "CONSOLE"),
        ("LPT0", "LPT0"),
    ],
)
def test_reserved_windows_names_are_prefixed(text: str, expected: str) -> None:
    assert layout.sanitize_component(text, "Untitled") == expected


def test_nfc_normalisation() -> None:
    decomposed = "Cafe\u0301 Ame\u0301lie"
    assert layout.sanitize_component(decomposed, "x") == "Café Amélie"


def test_long_names_are_cut_on_a_character_boundary_and_keep_the_extension() -> None:
    name = layout.file_name("晴" * 100, "flac")  # 300 bytes of title
    assert name.endswith(".flac")
    assert len(name.encode("utf-8")) <= layout.MAX_COMPONENT_BYTES
    stem = name.removesuffix(".flac")
    assert set(stem) == {"晴"}
    assert len(stem) == (layout.MAX_COMPONENT_BYTES - len(".flac")) // 3

    ascii_name = layout.file_name("x" * 300, "mp3")
    assert ascii_name == "x" * (layout.MAX_COMPONENT_BYTES - 4) + ".mp3"

    folder = layout.sanitize_component("y" * 300, "Unknown Artist")
    assert folder == "y" * layout.MAX_COMPONENT_BYTES


def test_cut_never_leaves_trailing_dots_or_spaces() -> None:
    title = "a" * 144 + " .bcd"  # the cut lands just after " ."
    name = layout.file_name(title, "mp3")
    stem = name.removesuffix(".mp3")
    assert stem == "a" * 144
    _assert_safe(name)


def test_reserved_name_with_the_audio_extension() -> None:
    assert layout.file_name("CON", "mp3") == "_CON.mp3"
    assert layout.file_name("nul.txt", "flac") == "_nul.txt.flac"


def test_layout_path_platform_first_artist() -> None:
    path = layout.layout_path("platform_first_artist", "qq", "林一舟", "晴空下的约定", "flac")
    assert path == PurePosixPath("qq", "林一舟", "晴空下的约定.flac")
    assert layout.layout_path("", "qq", "", "", "mp3") == PurePosixPath(
        "qq", "Unknown Artist", "Untitled.mp3"
    )


@pytest.mark.parametrize(
    ("artist", "title"),
    [
        ("../root", "../../etc/passwd"),
        ("A/B", "AC/DC: Back\\Slash"),
        ("Nul\x00Artist", "nul\x00byte\x01ctrl"),
        ("y" * 300, "x" * 300),
        ("NUL", "CON"),
        (" . ", "  .hidden. "),
    ],
)
def test_hostile_names_give_three_safe_components(artist: str, title: str) -> None:
    path = layout.layout_path("platform_first_artist", "kugou", artist, title, "mp3")
    assert len(path.parts) == 3
    assert path.parts[0] == "kugou"
    for part in path.parts:
        _assert_safe(part)
    assert path.suffix == ".mp3"


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown layout"):
        layout.layout_path("flat", "qq", "a", "b", "mp3")


def test_disambiguation_is_deterministic_and_capped() -> None:
    base = layout.layout_path("", "qq", "林一舟", "晴空下的约定", "mp3")
    first = layout.disambiguated(base, "晴空下的约定", "mp3", "qq", "0000000AQqAb")
    again = layout.disambiguated(base, "晴空下的约定", "mp3", "qq", "0000000AQqAb")
    assert first == again == PurePosixPath("qq", "林一舟", "晴空下的约定 [qq-0000000AQqAb].mp3")
    long = layout.disambiguated(base, "晴" * 100, "mp3", "kugou", "A/B" * 40)
    assert long.name.endswith("].mp3")
    assert "/" not in long.name
    assert len(long.name.encode("utf-8")) <= layout.MAX_COMPONENT_BYTES


@pytest.mark.parametrize(
    "text",
    [
        "",
        "../x.mp3",
        "a/../../x.mp3",
        "/etc/x.mp3",
        "C:/x.mp3",
        "a\\b.mp3",
        "a//b.mp3",
        "./a.mp3",
        "a/\x00.mp3",
        "a/b.flac",
        "a/" + "x" * 260 + ".mp3",
    ],
)
def test_check_relative_refuses_unsafe_paths(text: str) -> None:
    with pytest.raises(ValueError):
        layout.check_relative(text, "mp3")


def test_check_relative_accepts_a_plain_relative_path() -> None:
    assert layout.check_relative("qq/林一舟/晴空下的约定 [qq-1].MP3", "mp3") == PurePosixPath(
        "qq", "林一舟", "晴空下的约定 [qq-1].MP3"
    )


@pytest.mark.parametrize("ext", ["", "m p3", "../mp3", "verylongext"])
def test_check_ext_refuses_odd_extensions(ext: str) -> None:
    with pytest.raises(ValueError):
        layout.check_ext(ext)


def test_check_ext_normalises() -> None:
    assert layout.check_ext(".FLAC") == "flac"


@pytest.mark.parametrize(
    ("ext", "head", "ok"),
    [
        ("mp3", b"ID3\x04\x00" + bytes(7), True),
        ("mp3", b"\xff\xfb\x90\x04" + bytes(8), True),
        ("mp3", b"<html><body>", False),
        ("flac", b"fLaC\x00\x00\x00\x22" + bytes(4), True),
        ("flac", b"ID3\x04" + bytes(8), False),
        ("m4a", b"\x00\x00\x00\x20ftypM4A ", True),
        ("m4a", b"\xff\xfb\x90\x04" + bytes(8), False),
    ],
)
def test_magic_bytes(ext: str, head: bytes, ok: bool) -> None:
    assert magic_ok(ext, head) is ok


@pytest.mark.parametrize(
    ("content_type", "ext", "ok"),
    [
        ("audio/mpeg", "mp3", True),
        ("audio/flac; charset=binary", "flac", True),
        ("application/octet-stream", "flac", True),
        ("", "mp3", True),
        ("text/html; charset=utf-8", "mp3", False),
        ("application/json", "mp3", False),
        ("video/mp4", "m4a", True),
        ("video/mp4", "mp3", False),
    ],
)
def test_content_types(content_type: str, ext: str, ok: bool) -> None:
    assert content_type_ok(content_type, ext) is ok
