"""JSON text of platform answers: orjson's speed without changing a value json would read."""

from __future__ import annotations

import json

import pytest

from catalogsync import json_text


def test_integers_beyond_64_bits_keep_every_digit() -> None:
    text = '{"id": 123456789012345678901234, "n": -9223372036854775809}'
    assert json_text.loads(text) == json.loads(text)
    assert (
        json_text.dumps(json_text.loads(text))
        == '{"id": 123456789012345678901234, "n": -9223372036854775809}'
    )


def test_non_ascii_text_stays_as_it_is() -> None:
    value = json_text.loads('{"name": "周杰伦\\u00e9", "sizes": [1, 2.5], "nested": {"x": null}}')
    assert value == {"name": "周杰伦é", "sizes": [1, 2.5], "nested": {"x": None}}
    assert json_text.dumps(value) == '{"name":"周杰伦é","sizes":[1,2.5],"nested":{"x":null}}'


def test_what_only_json_accepts_is_still_read_and_written() -> None:
    assert json_text.loads('"\\ud800x"') == "\ud800x"
    assert json_text.dumps("\ud800x") == json.dumps("\ud800x", ensure_ascii=False)
    assert json_text.loads('{"v": NaN}')["v"] != json_text.loads('{"v": NaN}')["v"]


def test_broken_json_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        json_text.loads("{broken")
