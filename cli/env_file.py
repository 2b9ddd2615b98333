"""``--env-file``: the original tool's ``catalogsync.env`` (dotenv lines) read into the environment.

Variables already set in the environment win (as when the original scripts sourced the file
after exporting overrides). The original tool's keys are translated to ours where one exists:
``LIBRARY_DIR``, ``WEB_HOST``/``WEB_PORT``; ``DOWNLOAD_SOURCES``,
``UPLOAD_WORKERS`` and the ``OBJECT_*`` keys become the defaults of the matching options.
Credentials (``<PREFIX>_ACCESS_KEY_ID`` …) stay environment variables and are never stored.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from dotenv import dotenv_values

TRANSLATED = {
    "LIBRARY_DIR": "CATALOGSYNC_LIBRARY_ROOT",
    "WEB_HOST": "CATALOGSYNC_BIND_HOST",
    "WEB_PORT": "CATALOGSYNC_GATEWAY_PORT",
}


class EnvFileError(ValueError):
    """The env file cannot be read (the message says why)."""


def load_env_file(path: Path, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Set the file's variables that are not set yet; return the names set."""
    target = os.environ if environ is None else environ
    if not path.exists():
        raise EnvFileError(f"the env file {path} does not exist")
    if not path.is_file():
        raise EnvFileError(f"the env file {path} is not a file")
    try:
        values = dotenv_values(path, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvFileError(f"cannot read the env file {path}: {exc}") from None
    set_now = []
    for key, value in values.items():
        if value is None or value == "":
            continue
        for name in (key, TRANSLATED.get(key)):
            if name and name not in target:
                target[name] = value
                set_now.append(name)
    return set_now
