"""Edge checks of every SchedulerService request, before any database query.

The rules go by field name over the whole request (nested messages included), so a new RPC
gets them without a line here: ids are positive, page sizes 0..1000, counts not negative,
text without NUL characters and of a sane size. A playlist file sent empty is an error,
never "no playlist chosen" (which would mean the whole catalog).
"""

from __future__ import annotations

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

PAGE_MAX = 1000
COUNT_MAX = 1_000_000
TEXT_MAX_CHARS = 10_000
FILE_MAX_CHARS = 4 * 1024 * 1024
LIST_MAX = 10_000
PAGED_MESSAGES = frozenset(
    {
        "ListJobsRequest",
        "ListJobItemsRequest",
        "ListJobEventsRequest",
        "ListPlaylistsRequest",
        "ListPinsRequest",
    }
)
COUNT_FIELDS = frozenset({"limit", "offset", "track_limit", "workers"})
FILE_FIELDS = frozenset({"playlist_file_text"})


class InvalidRequest(ValueError):
    """The request breaks an edge rule (the message says which, in words)."""


def check(request: Message) -> None:
    """Raise :class:`InvalidRequest` naming every problem of ``request``."""
    problems: list[str] = []
    _walk(request, "", problems)
    if problems:
        raise InvalidRequest("; ".join(problems[:10]))


def _walk(message: Message, prefix: str, problems: list[str]) -> None:
    name = message.DESCRIPTOR.name
    for field in message.DESCRIPTOR.fields:
        path = f"{prefix}{field.name}"
        value = getattr(message, field.name)
        repeated = field.is_repeated
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                continue
            for child in value if repeated else ([value] if message.HasField(field.name) else []):
                _walk(child, f"{path}.", problems)
            continue
        values = list(value) if repeated else [value]
        if repeated and len(values) > LIST_MAX:
            problems.append(f"{path} has {len(values)} entries; at most {LIST_MAX} are accepted")
            continue
        for item in values:
            problem = _problem(name, field.name, path, item)
            if problem:
                problems.append(problem)
                break
    if "playlist_file_text" in message.DESCRIPTOR.fields_by_name and _sent_empty(message):
        problems.append("no playlist URL recognised in the playlist file: it is empty")


def _sent_empty(message: Message) -> bool:
    field = message.DESCRIPTOR.fields_by_name["playlist_file_text"]
    return (
        field.has_presence
        and message.HasField("playlist_file_text")
        and not str(getattr(message, field.name)).strip()
    )


def _problem(message_name: str, field: str, path: str, value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if field.endswith(("_id", "_ids")) and value < 0:
            return f"{path} must be a positive id, not {value}"
        if field in COUNT_FIELDS:
            upper = PAGE_MAX if message_name in PAGED_MESSAGES and field == "limit" else COUNT_MAX
            if not 0 <= value <= upper:
                return f"{path} must be between 0 and {upper}, not {value}"
        return None
    if isinstance(value, str):
        if "\x00" in value:
            return f"{path} must not contain NUL characters"
        limit = FILE_MAX_CHARS if field in FILE_FIELDS else TEXT_MAX_CHARS
        if len(value) > limit:
            return f"{path} is too long ({len(value)} characters; at most {limit})"
    return None
