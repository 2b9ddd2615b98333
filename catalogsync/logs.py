"""One logging format for every process, with secrets kept out of the output."""

from __future__ import annotations

import logging
import re
import sys

_SECRET = re.compile(
    r"(?i)((?:secret|password|token|access_key|session|authorization|cookie|vkey|MUSIC_U)[^=:\s]*[=:]\s*)"
    r"([^\s&,;\"']+)"
)


class RedactingFormatter(logging.Formatter):
    """Masks values that look like credentials (``secret=...``, ``token: ...``)."""

    def format(self, record: logging.LogRecord) -> str:
        return _SECRET.sub(r"\1***", super().format(record))


def setup_logging(service: str, level: str = "INFO") -> logging.Logger:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "grpc._cython", "werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return logging.getLogger(service)
