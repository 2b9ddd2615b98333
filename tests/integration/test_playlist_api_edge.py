"""Bad input at the playlist pool's edge (REST and gRPC): filters, selections, playlist ids and
bundle names — hostile ones included — are answered in words, never a 5xx or an internal name."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync.v1 import scheduler_pb2
from tests.integration.test_api_edge import (
    ANY_INT,
    FUZZ,
    INT32,
    INT64,
    TEXT,
    api,
    assert_grpc_answer,
    assert_http_answer,
    http,
    json_values,
    path_ids,
)
from tests.support.api import Api

__all__ = ["api", "http"]  # the fixtures, shared with test_api_edge
FEWER = settings(FUZZ, max_examples=25)  # a narrower surface than test_api_edge's
FILTER_VALUES = st.one_of(
    st.sampled_from(["", "qq", "toplist", "downloaded", "unsynced", "true", "0"]), TEXT, ANY_INT.map(str)
)
filters = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(FILTER_VALUES, json_values)
        for name in ("platform", "pool_kind", "status", "keyword", "wanted_only")
    },
)
selections = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "playlist_ids": st.one_of(st.lists(ANY_INT, max_size=4), json_values),
            "all_matching": st.one_of(st.booleans(), json_values),
            "filter": st.one_of(filters, json_values),
        },
    ),
    json_values,
)
bundle_names = st.one_of(
    st.sampled_from(["../../etc/passwd", "..%2F..%2Fetc", "A" * 32, "a" * 65, "%00" * 8, "x.zip"]), TEXT
)
ACTIONS = ("sync", "download", "mark-wanted", "unmark-wanted", "export-zip")


@FEWER
@given(data=st.data())
def test_playlist_routes_answer_in_words(api: Api, http: httpx.Client, data: st.DataObject) -> None:
    which = data.draw(st.sampled_from(["list", "action", "zip", "bundle"]))
    if which == "list":
        params = {
            name: data.draw(FILTER_VALUES)
            for name in ("platform", "pool_kind", "status", "keyword", "wanted_only", "page", "page_size")
        }
        response = http.get("/api/playlists", params=params)
    elif which == "action":
        action = data.draw(st.sampled_from(ACTIONS))
        response = http.post(f"/api/playlists/{action}", json=data.draw(selections))
    elif which == "zip":
        response = http.get(f"/api/playlists/{quote(data.draw(path_ids), safe='')}/export.zip")
    else:
        response = http.get(f"/api/exports/bundles/{quote(data.draw(bundle_names), safe='')}.zip")
    assert_http_answer(http, response)


@FEWER
@given(data=st.data())
def test_playlist_rpcs_answer_in_words(api: Api, data: st.DataObject) -> None:
    stub = api.scheduler
    request_filter = scheduler_pb2.ListPlaylistsRequest(
        platform=data.draw(TEXT),
        pool_kind=data.draw(TEXT),
        status=data.draw(TEXT),
        keyword=data.draw(TEXT),
        wanted_only=data.draw(st.booleans()),
        limit=data.draw(INT32),
        offset=data.draw(INT32),
    )
    selection = scheduler_pb2.PlaylistSelection(
        playlist_ids=data.draw(st.lists(INT64, max_size=4)),
        all_matching=data.draw(st.booleans()),
        filter=request_filter,
    )
    which = data.draw(st.sampled_from(["list", "sync", "download", "wanted", "export", "zip"]))
    if which == "list":
        assert_grpc_answer(stub.ListPlaylists, request_filter)
    elif which == "sync":
        assert_grpc_answer(stub.SyncPlaylists, selection)
    elif which == "download":
        assert_grpc_answer(stub.DownloadPlaylists, selection)
    elif which == "wanted":
        request = scheduler_pb2.SetPlaylistsWantedRequest(
            selection=selection, wanted=data.draw(st.booleans())
        )
        assert_grpc_answer(stub.SetPlaylistsWanted, request)
    elif which == "export":
        assert_grpc_answer(stub.ExportPlaylists, selection)
    else:
        request = scheduler_pb2.StreamPlaylistZipRequest(
            playlist_id=data.draw(INT64), bundle_name=data.draw(bundle_names)
        )
        assert_grpc_answer(lambda r, timeout: list(stub.StreamPlaylistZip(r, timeout=timeout)), request)
