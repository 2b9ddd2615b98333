"""Text as it goes into exported files (M3U8, manifest, tags, ``.lrc``): no control characters.

Platform metadata is untrusted: a title may carry a bell, an escape sequence, a carriage return
or a lone surrogate, which would break an M3U8 line, confuse a terminal or a tag reader, or fail
to encode. Format characters (Cf: joiners, direction marks) are kept — names need them.
"""

from __future__ import annotations

import unicodedata

_DROP = frozenset({"Cc", "Cs"})
_BREAKS = frozenset({"Zl", "Zp"})
_ONE_LINE_DROP = _DROP | _BREAKS


def one_line(text: str) -> str:
    """Each run of control characters and line breaks becomes one space; the ends are trimmed."""
    parts: list[str] = []
    for ch in text:
        if unicodedata.category(ch) in _ONE_LINE_DROP:
            if parts and parts[-1] != " ":
                parts.append(" ")
        else:
            parts.append(ch)
    return "".join(parts).strip()


def multi_line(text: str) -> str:
    """Line breaks kept as ``\\n`` (tabs kept too); every other control character dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\n\t":
            kept.append(ch)
        elif category in _BREAKS:
            kept.append("\n")
        elif category not in _DROP:
            kept.append(ch)
    return "".join(kept)
