"""JSON text in and out of the platform adapters, with orjson where it gives the same values.

The collector parses every platform answer and writes every song's metadata back out as JSON
text; orjson does both several times faster than the standard library. Where orjson would
answer differently, the standard library does the work:
- orjson reads integers beyond 64 bits as floats: a body with a run of 19+ digits is read by
  ``json`` so such ids keep every digit;
- orjson refuses what ``json`` accepts (lone surrogates, ``NaN``): ``json`` reads those;
- orjson cannot write integers beyond 64 bits or lone surrogates: ``json`` writes those.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_LONG_DIGITS = re.compile(r"\d{19}")


def loads(text: str) -> Any:
    """Parse JSON text; raises ``json.JSONDecodeError`` (a ``ValueError``) when it is not JSON."""
    if _LONG_DIGITS.search(text) is None:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON text that keeps non-ASCII characters as they are."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False)
