"""Platform cookies from a mounted folder (CATALOGSYNC_ACCOUNTS_DIR): one file per platform,
absent files mean no account, the variables win, bad files are named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogsync.accounts import AccountError, load_accounts


def test_each_file_is_that_platforms_cookie_and_missing_ones_are_no_account(tmp_path: Path) -> None:
    (tmp_path / "qq").write_text("uin=o0123; qm_keyst=Q_H_L_abc\n", encoding="utf-8")
    (tmp_path / "netease").write_text("MUSIC_U=n-secret\n", encoding="utf-8")
    (tmp_path / "..data").mkdir()  # what a Kubernetes Secret mount also holds
    accounts = load_accounts({"CATALOGSYNC_ACCOUNTS_DIR": str(tmp_path)})
    assert sorted(accounts) == ["netease", "qq"]
    assert accounts["qq"].get("uin") == "o0123"
    assert accounts["netease"].origin == "CATALOGSYNC_ACCOUNTS_DIR/netease"
    assert "n-secret" not in repr(accounts["netease"])


def test_the_variables_win_over_the_folder(tmp_path: Path) -> None:
    (tmp_path / "kuwo").write_text("userid=1; websid=from-folder", encoding="utf-8")
    accounts = load_accounts(
        {"CATALOGSYNC_ACCOUNTS_DIR": str(tmp_path), "CATALOGSYNC_KUWO_COOKIE": "userid=2; websid=from-env"}
    )
    assert accounts["kuwo"].get("websid") == "from-env"


def test_a_missing_folder_means_no_accounts() -> None:
    assert load_accounts({"CATALOGSYNC_ACCOUNTS_DIR": "/nonexistent/catalog-sync-accounts"}) == {}


def test_an_unusable_file_is_named_without_its_content(tmp_path: Path) -> None:
    (tmp_path / "migu").write_text("no pairs in here", encoding="utf-8")
    (tmp_path / "kugou").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(AccountError) as caught:
        load_accounts({"CATALOGSYNC_ACCOUNTS_DIR": str(tmp_path)})
    message = str(caught.value)
    assert "CATALOGSYNC_ACCOUNTS_DIR/migu" in message and "CATALOGSYNC_ACCOUNTS_DIR/kugou" in message
    assert "no pairs in here" not in message
