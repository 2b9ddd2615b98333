"""The sandbox's FLAC layout is computed in closed form; it must equal walking the frames one by one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sandbox import audio


def _walked_layout(approx_bytes: int) -> tuple[int, int]:
    """The layout by adding one frame at a time (frame = header, UTF-8 coded number, samples, CRC)."""
    frames, used = 0, audio.FLAC_HEADER_BYTES
    while True:
        frame = 4 + len(audio._utf8_number(frames)) + 1 + 1 + audio.FLAC_BLOCK + 2
        if used + frame > approx_bytes and frames > 0:
            return frames, max(0, approx_bytes - used)
        used += frame
        frames += 1


@given(st.integers(min_value=0, max_value=2_000_000))
def test_the_layout_matches_the_frame_walk(approx_bytes: int) -> None:
    assert audio.flac_layout(approx_bytes) == _walked_layout(approx_bytes)


def test_sizes_across_the_two_and_three_byte_frame_numbers() -> None:
    frame = audio.FLAC_BLOCK + 8
    for approx in (frame * 127, frame * 129, frame * 2047, frame * 2049, frame * 70_000):
        assert audio.flac_layout(approx) == _walked_layout(approx)
        assert audio.flac_size(approx) == approx
    assert len(audio.flac_stream(b"seed", frame * 130)) == frame * 130
