"""The original tool's catalogsync.env read as --env-file: set-if-unset, its keys translated to ours."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.env_file import EnvFileError, load_env_file


def test_the_original_keys_are_translated_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "catalogsync.env"
    env_file.write_text(
        "# comment\nLIBRARY_DIR=/volume4/Music_Cloud/library\nWEB_HOST=0.0.0.0\nWEB_PORT=18080\n"
        "DOWNLOAD_SOURCES=qq,kuwo\nCATALOGSYNC_MAIN_S3_ACCESS_KEY_ID=key\nCATALOGSYNC_MAIN_S3_SESSION_TOKEN=\n"
    )
    environ = {"WEB_HOST": "127.0.0.1"}
    load_env_file(env_file, environ)
    assert environ["CATALOGSYNC_LIBRARY_ROOT"] == "/volume4/Music_Cloud/library"
    assert environ["CATALOGSYNC_GATEWAY_PORT"] == "18080"
    assert environ["WEB_HOST"] == "127.0.0.1" and environ["CATALOGSYNC_BIND_HOST"] == "0.0.0.0"
    assert environ["DOWNLOAD_SOURCES"] == "qq,kuwo" and environ["CATALOGSYNC_MAIN_S3_ACCESS_KEY_ID"] == "key"
    assert "CATALOGSYNC_MAIN_S3_SESSION_TOKEN" not in environ, "an empty value sets nothing"


def test_a_missing_file_or_a_folder_is_refused_in_words(tmp_path: Path) -> None:
    with pytest.raises(EnvFileError, match="does not exist"):
        load_env_file(tmp_path / "missing.env", {})
    with pytest.raises(EnvFileError, match="is not a file"):
        load_env_file(tmp_path, {})
