"""Bad input and a missing database at the API's edge, over real gRPC and HTTP connections.

Hypothesis throws job scopes, ids, limits, statuses and playlist-file text at the scheduler's gRPC
API and at the gateway's REST API: no answer may be UNKNOWN/INTERNAL or a 5xx, none may name an
internal class, and the HTTP keep-alive connection must stay usable after every answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import grpc
import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalogsync.v1 import scheduler_pb2
from services.scheduler.engine.jobdefs import ALL_STATUSES, JOB_TYPES
from tests.support.api import Api, running_api
from tests.support.database import PgServer

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)
ANY_INT = st.one_of(INT64, st.integers(min_value=-(2**70), max_value=2**70), st.sampled_from([0, 1, -1]))
TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60)
FILE_TEXT = st.one_of(
    st.none(),
    st.just(""),
    st.just("  \n\t\n"),
    st.just("# comment only\n"),
    TEXT,
    st.lists(
        st.sampled_from(
            [
                "https://music.163.com/#/playlist?id=123",
                "qq,https://y.qq.com/n/ryqq/playlist/7777",
                "https://www.kuwo.cn/playlist_detail/3333",
                "not a url",
                "\x00",
            ]
        ),
        max_size=4,
    ).map("\n".join),
)
ALLOWED_GRPC = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION,
}
INTERNAL_NAMES = re.compile(
    r"Traceback|psycopg|pydantic|[A-Z][a-z]+(?:[A-Z][a-z]+)+(?:Error|Exception|Violation|Failure)\b"
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with running_api(database_url) as running:
        yield running


@pytest.fixture
def http(api: Api) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.gateway_url, timeout=30) as client:
        yield client


def assert_grpc_answer(call: Any, request: Any) -> None:
    try:
        call(request, timeout=30)
    except grpc.RpcError as exc:
        assert exc.code() in ALLOWED_GRPC, (exc.code(), exc.details(), request)
        assert exc.details() and not INTERNAL_NAMES.search(exc.details()), (exc.details(), request)


def assert_http_answer(http: httpx.Client, response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error and not INTERNAL_NAMES.search(str(error)), error
    assert response.headers.get("connection", "").lower() != "close", "the server keeps the connection"
    assert http.get("/livez").status_code == 200, "the connection stays usable"


scopes = st.fixed_dictionaries(
    {},
    optional={
        "playlist_ids": st.lists(INT64, max_size=4),
        "sources": st.lists(st.one_of(st.sampled_from(["netease", "qq", "kuwo"]), TEXT), max_size=3),
        "download_sources": st.lists(st.one_of(st.sampled_from(["qq", "migu"]), TEXT), max_size=3),
        "limit": INT32,
        "workers": INT32,
        "track_limit": INT32,
        "discovery_kinds": st.lists(st.one_of(st.sampled_from(["toplist"]), TEXT), max_size=2),
        "playlist_file_text": FILE_TEXT.filter(lambda text: text is not None),
        "upload_backend": TEXT,
    },
)
job_types = st.one_of(st.sampled_from(JOB_TYPES), TEXT)
statuses = st.lists(st.one_of(st.sampled_from(sorted(ALL_STATUSES)), TEXT), max_size=3)


@FUZZ
@given(data=st.data())
def test_grpc_inputs_are_answered_in_words(api: Api, data: st.DataObject) -> None:
    stub = api.scheduler
    which = data.draw(st.sampled_from(["create", "get", "list", "command", "items", "events", "playlists"]))
    if which == "create":
        request: Any = scheduler_pb2.CreateJobRequest(
            job_type=data.draw(job_types), scope=data.draw(scopes), requested_by=data.draw(TEXT)
        )
        assert_grpc_answer(stub.CreateJob, request)
    elif which == "get":
        assert_grpc_answer(stub.GetJob, scheduler_pb2.GetJobRequest(job_id=data.draw(INT64)))
    elif which == "list":
        request = scheduler_pb2.ListJobsRequest(statuses=data.draw(statuses), limit=data.draw(INT32))
        assert_grpc_answer(stub.ListJobs, request)
    elif which == "command":
        request = scheduler_pb2.SendCommandRequest(
            job_id=data.draw(INT64), command=data.draw(TEXT), item_id=data.draw(INT64)
        )
        assert_grpc_answer(stub.SendCommand, request)
    elif which == "items":
        request = scheduler_pb2.ListJobItemsRequest(
            job_id=data.draw(INT64),
            stage=data.draw(TEXT),
            statuses=data.draw(statuses),
            limit=data.draw(INT32),
            after_id=data.draw(INT64),
        )
        assert_grpc_answer(stub.ListJobItems, request)
    elif which == "events":
        request = scheduler_pb2.ListJobEventsRequest(job_id=data.draw(INT64), limit=data.draw(INT32))
        assert_grpc_answer(stub.ListJobEvents, request)
    else:
        request = scheduler_pb2.ListPlaylistsRequest(
            platform=data.draw(TEXT),
            pool_kind=data.draw(TEXT),
            keyword=data.draw(TEXT),
            limit=data.draw(INT32),
            offset=data.draw(INT32),
        )
        assert_grpc_answer(stub.ListPlaylists, request)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), ANY_INT, st.floats(allow_nan=False, allow_infinity=False), TEXT),
    lambda children: st.lists(children, max_size=3),
    max_leaves=6,
)
job_bodies = st.one_of(
    st.fixed_dictionaries(
        {"job_type": st.one_of(st.sampled_from(JOB_TYPES), json_values)},
        optional={
            "playlist_ids": st.one_of(st.lists(ANY_INT, max_size=3), json_values),
            "sources": json_values,
            "download_sources": json_values,
            "limit": st.one_of(ANY_INT, json_values),
            "workers": st.one_of(ANY_INT, json_values),
            "track_limit": st.one_of(ANY_INT, json_values),
            "playlist_file_text": st.one_of(FILE_TEXT, json_values),
        },
    ),
    json_values,
)
path_ids = st.one_of(ANY_INT.map(str), TEXT.filter(lambda text: text.strip("./") != ""))


@FUZZ
@given(data=st.data())
def test_rest_inputs_are_answered_in_words_on_the_same_connection(
    api: Api, http: httpx.Client, data: st.DataObject
) -> None:
    which = data.draw(st.sampled_from(["create", "create raw", "get", "command"]))
    if which == "create":
        response = http.post("/api/jobs", json=data.draw(job_bodies))
    elif which == "create raw":
        response = http.post(
            "/api/jobs",
            content=data.draw(st.binary(max_size=60)),
            headers={"content-type": "application/json"},
        )
    elif which == "get":
        job_id = quote(data.draw(path_ids), safe="")
        response = http.get(f"/api/jobs/{job_id}", params={"events": data.draw(ANY_INT.map(str))})
    else:
        job_id = quote(data.draw(path_ids), safe="")
        body = data.draw(
            st.one_of(
                st.fixed_dictionaries(
                    {"command": st.one_of(st.sampled_from(["pause", "cancel"]), json_values)},
                    optional={"item_id": st.one_of(ANY_INT, json_values)},
                ),
                json_values,
            )
        )
        response = http.post(f"/api/jobs/{job_id}/commands", json=body)
    assert_http_answer(http, response)


def test_an_empty_playlist_file_is_an_error_never_the_whole_catalog(
    api: Api, http: httpx.Client, database_url: str
) -> None:
    for text in ("", "   \n", "# nothing here\n"):
        with pytest.raises(grpc.RpcError) as caught:
            api.scheduler.CreateJob(
                scheduler_pb2.CreateJobRequest(
                    job_type="sync_download", scope=scheduler_pb2.JobScope(playlist_file_text=text)
                ),
                timeout=30,
            )
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "no playlist" in caught.value.details()
        response = http.post("/api/jobs", json={"job_type": "sync_download", "playlist_file_text": text})
        assert response.status_code == 400 and "no playlist" in response.json()["error"]
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM job_runs").fetchone() == (0,)


def test_database_away_is_unavailable_and_503_in_words(pg_server: PgServer) -> None:
    with running_api(pg_server.url("catalogsync_no_such_database")) as away:
        with pytest.raises(grpc.RpcError) as caught:
            away.scheduler.GetStats(scheduler_pb2.GetStatsRequest(), timeout=30)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "database is not reachable" in caught.value.details()
        with httpx.Client(base_url=away.gateway_url, timeout=30) as http:
            for path in ("/api/stats", "/api/jobs/1", "/api/dashboard"):
                response = http.get(path)
                assert response.status_code == 503, (path, response.text)
                assert "not reachable" in response.json()["error"]
                assert response.headers["retry-after"] == "5"
            assert http.get("/livez").status_code == 200
