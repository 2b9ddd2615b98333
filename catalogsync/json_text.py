"""JSON text in and out of the platform adapters, with orjson where it gives the same values.

The collector parses every platform answer and writes every song's metadata back out as JSON
text; orjson does both several times faster than the standard library. Where orjson would
answer differently, the standard library does the work:
- orjson reads integers beyond 64 bits as floats: a body with a run of 19+ digits is read by
  ``json`` so such ids keep every digit (found with ``bytes.translate`` and a substring search:
  a regular expression over a 100 kB answer cost more than orjson's whole parse);
- orjson refuses what ``json`` accepts (lone surrogates, ``NaN``): ``json`` reads those;
- orjson cannot write integers beyond 64 bits or lone surrogates: ``json`` writes those.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19


def loads(text: str) -> Any:
    """Parse JSON text; raises ``json.JSONDecodeError`` (a ``ValueError``) when it is not JSON."""
    data = text.encode("utf-8", "surrogatepass")
    if _LONG_DIGITS not in data.translate(_DIGITS_TO_ZERO):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON text that keeps non-ASCII characters as they are."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False)
