"""Where a file goes in the library: sanitised, length-capped, deterministic names.

Every path component is safe on Linux, macOS and Windows: no separators, no
control characters, no traversal, no leading/trailing dots or spaces, no
reserved device names, NFC-normalised and at most 150 UTF-8 bytes.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath

MAX_COMPONENT_BYTES = 150
MAX_TAG_BYTES = 60
LAYOUTS = ("platform_first_artist",)
DEFAULT_LAYOUT = LAYOUTS[0]
UNKNOWN_ARTIST = "Unknown Artist"
UNTITLED = "Untitled"
_UNSAFE = re.compile(r'[/\\:*?"<>|]')
_CONTROL_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_EXT = re.compile(r"^[a-z0-9]{1,8}$")
_DRIVE = re.compile(r"^[A-Za-z]:")
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)


def _safe_text(text: str) -> str:
    """NFC, control characters → spaces, unsafe characters → ``_``, whitespace collapsed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(ch) in _CONTROL_CATEGORIES else ch for ch in text)
    return " ".join(_UNSAFE.sub("_", text).split())


def _cap(text: str, max_bytes: int) -> str:
    """At most ``max_bytes`` of UTF-8, cut on a character boundary."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")


def _is_reserved(name: str) -> bool:
    return name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def sanitize_component(text: str, fallback: str, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """One safe path component (a folder name or a file stem) from free text."""
    name = _cap(_safe_text(text).strip(" ."), max_bytes).strip(" .")
    if not name:
        name = fallback
    if _is_reserved(name):
        name = _cap("_" + name, max_bytes).strip(" .")
    return name


def file_name(title: str, ext: str, tag: str = "") -> str:
    """``<title>[ <tag>].<ext>`` within the byte cap; the extension and tag are never cut."""
    tail = (f" [{_cap(_safe_text(tag), MAX_TAG_BYTES)}]" if tag else "") + f".{ext}"
    stem = sanitize_component(title, UNTITLED, MAX_COMPONENT_BYTES - len(tail.encode("utf-8")))
    return stem + tail


def check_ext(ext: str) -> str:
    """The lower-case extension; ValueError when it cannot be one."""
    ext = ext.strip().lower().lstrip(".")
    if not _EXT.match(ext):
        raise ValueError(f"extension {ext!r} is not a short alphanumeric extension")
    return ext


def layout_path(layout: str, source: str, artist: str, title: str, ext: str) -> PurePosixPath:
    """The relative path of a new file; ``platform_first_artist`` = ``<source>/<artist>/<title>.<ext>``."""
    if (layout or DEFAULT_LAYOUT) not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    return PurePosixPath(
        sanitize_component(source, "unknown"),
        sanitize_component(artist, UNKNOWN_ARTIST),
        file_name(title, ext),
    )


def disambiguated(path: PurePosixPath, title: str, ext: str, source: str, remote_id: str) -> PurePosixPath:
    """The same folder, with `` [<source>-<remote_id>]`` before the extension: stable per asset."""
    return path.with_name(file_name(title, ext, f"{source}-{remote_id}"))


def check_relative(text: str, ext: str) -> PurePosixPath:
    """A caller-given relative path, refused (ValueError) unless it is plainly inside the root."""
    if not text.strip():
        raise ValueError("relative path is empty")
    if any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text):
        raise ValueError("relative path contains control characters")
    if "\\" in text or _DRIVE.match(text) or text.startswith("/"):
        raise ValueError(f"relative path {text!r} must be relative and use '/' separators")
    parts = text.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"relative path {text!r} has an empty, '.' or '..' component")
    if any(len(part.encode("utf-8")) > 255 for part in parts):
        raise ValueError("relative path has a component longer than 255 bytes")
    path = PurePosixPath(text)
    if path.suffix.lower() != f".{ext}":
        raise ValueError(f"relative path {text!r} does not end in .{ext}")
    return path
