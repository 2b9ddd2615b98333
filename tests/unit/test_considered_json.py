"""The considered results a download item stores: the same JSON MessageToDict gives, field for field."""

from __future__ import annotations

from google.protobuf.json_format import MessageToDict

from catalogsync.v1 import resolver_pb2
from services.scheduler.stages.considered import considered_json


def test_considered_results_are_stored_as_message_to_dict_would_write_them() -> None:
    full = resolver_pb2.ConsideredCandidate(
        source="netease",
        remote_id="186016",
        title="晴天",
        artists=["周杰伦", "Guest"],
        album="叶惠美",
        duration_s=269,
        score=0.97,
        title_score=1.0,
        artist_score=0.9,
        duration_score=1.0,
        match="exact",
        advertised_quality="flac",
        served_quality="320k",
        served_bitrate_kbps=320,
        served_size_bytes=10_764_288,
        rank=1,
        pinned=True,
    )
    empty = resolver_pb2.ConsideredCandidate(rejected="VIP only")
    expected = [
        MessageToDict(item, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
        for item in (full, empty)
    ]
    assert considered_json([full, empty]) == expected
    assert considered_json([full])[0]["served_size_bytes"] == "10764288"
