"""The ranges REST inputs must fall in, checked by FastAPI before anything reaches the scheduler.

Out of range is a 422 in words (``body.playlist_ids.0: Input should be greater than or equal
to 1``), never a 500 from a number protobuf or PostgreSQL cannot hold.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
PAGE_MAX = 1000
TEXT_MAX = 10_000
FILE_MAX = 4 * 1024 * 1024
LIST_MAX = 10_000

Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
OptionalId = Annotated[int, Field(ge=0, le=INT64_MAX, description="0 = none")]
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
Text = Annotated[str, Field(max_length=TEXT_MAX)]
FileText = Annotated[str, Field(max_length=FILE_MAX)]
JobIdPath = Annotated[int, Path(ge=1, le=INT64_MAX, description="a job id")]
JobIdQuery = Annotated[int, Query(ge=0, le=INT64_MAX, description="0 = every job")]
EventsQuery = Annotated[int, Query(ge=0, le=PAGE_MAX, description="newest events to include, 0 = none")]
