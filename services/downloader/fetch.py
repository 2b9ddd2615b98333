"""Stream one media file into a ``.part`` file: chunked, tagged and hashed on the way, verified at the end.

Memory stays flat in the file size. Two digests are kept (see tagstream): the media as received
(``sha256``) and the file as written, tags included (``file_sha256``). Every failure is a :class:`Refused`:
HTTP errors, timeouts, drops and non-audio answers are UPSTREAM; a size or
magic-bytes disagreement is MISMATCH; a full disk is DISK_LOW.
"""

from __future__ import annotations

import errno
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from pathlib import Path

import httpcore
import httpx
from prometheus_client import Counter

from catalogsync.v1 import common_pb2
from services.downloader import space
from services.downloader.failures import Refused
from services.downloader.tagstream import Retagger, TaggedStream

MAGIC_BYTES = 12
# httpcore reads a response body 64 KiB per socket read; every read then costs a trip through
# h11, httpcore, httpx and this module's loop. Media files are megabytes: larger reads cut the
# downloader's CPU per 5 MB file by ~3 ms (bench/README.md); beyond 256 KiB nothing more was saved.
MEDIA_READ_BYTES = 256 * 1024
BYTES_RECEIVED = Counter("catalogsync_downloader_bytes_total", "Media bytes received by the downloader")
_BINARY_TYPES = frozenset({"application/octet-stream", "binary/octet-stream"})


def content_type_ok(content_type: str, ext: str) -> bool:
    """audio/*, generic binary, or no type at all (magic bytes decide then)."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return (
        not kind or kind.startswith("audio/") or kind in _BINARY_TYPES or (ext, kind) == ("m4a", "video/mp4")
    )


def magic_ok(ext: str, head: bytes) -> bool:
    """Whether the first bytes look like the extension's format (unknown formats pass)."""
    if ext == "mp3":
        return head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    if ext == "flac":
        return head.startswith(b"fLaC")
    if ext == "m4a":
        return head[4:8] == b"ftyp"
    return True


def read_in_large_chunks() -> None:
    """Read HTTP/1.1 bodies ``MEDIA_READ_BYTES`` at a time in this process (httpcore's read size is a
    class attribute; the downloader's client streams media files, not small answers)."""
    httpcore.AsyncHTTP11Connection.READ_NUM_BYTES = MEDIA_READ_BYTES


class MediaFetch:
    """One media download into ``part``; iterate :meth:`run` for progress, then read the totals."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        url: str,
        headers: Mapping[str, str],
        part: Path,
        *,
        ext: str,
        advertised_size: int,
        root: Path,
        check_length: Callable[[int], None],
        interval_s: float = 0.25,
        retagger: Retagger | None = None,
    ) -> None:
        self._client = client
        self._url = url
        self._headers = {"Accept": "*/*", "Accept-Encoding": "identity", **headers}
        self._part = part
        self._ext = ext
        self._advertised = advertised_size
        self._root = root
        self._check_length = check_length
        self._interval = interval_s
        self._retagger = retagger
        self.received = 0
        self.sha256 = ""
        self.file_sha256 = ""
        self.file_size = 0
        self.tagged: bool | None = None  # None: tags were not written in the stream (tag in place)

    def _progress(self, total: int, rate: float) -> common_pb2.TransferProgress:
        return common_pb2.TransferProgress(done_bytes=self.received, total_bytes=total, bytes_per_second=rate)

    def _check_headers(self, response: httpx.Response) -> int:
        """The Content-Length (or -1), after the status, type and advertised-size checks."""
        if response.status_code not in (200, 206):
            raise Refused(common_pb2.UPSTREAM, f"media answered HTTP {response.status_code} ({self._url})")
        content_type = response.headers.get("content-type", "")
        if not content_type_ok(content_type, self._ext):
            raise Refused(common_pb2.UPSTREAM, f"not audio: Content-Type {content_type!r} ({self._url})")
        length_text = response.headers.get("content-length", "")
        length = int(length_text) if length_text.isdigit() else -1
        if length >= 0 and self._advertised > 0 and length != self._advertised:
            raise Refused(
                common_pb2.MISMATCH,
                f"advertised {self._advertised} bytes but the server sends {length} ({self._url})",
            )
        if length > 0:
            self._check_length(length)
        return length

    async def run(self) -> AsyncGenerator[common_pb2.TransferProgress, None]:
        """Download, yielding progress at most every interval and once at the end."""
        head = b""
        started = last_at = time.monotonic()
        last_done, reported = 0, False
        try:
            async with self._client.stream("GET", self._url, headers=self._headers) as response:
                length = self._check_headers(response)
                total = length if length >= 0 else max(self._advertised, 0)
                with self._part.open("xb") as out:
                    written = TaggedStream(out, self._ext, self._retagger)
                    async for chunk in response.aiter_bytes():
                        if len(head) < MAGIC_BYTES:
                            head += chunk[: MAGIC_BYTES - len(head)]
                            if len(head) >= MAGIC_BYTES and not magic_ok(self._ext, head):
                                raise Refused(common_pb2.MISMATCH, f"bytes are not {self._ext} ({self._url})")
                        await written.write(chunk)
                        self.received += len(chunk)
                        BYTES_RECEIVED.inc(len(chunk))
                        now = time.monotonic()
                        if not reported or now - last_at >= self._interval:  # the first chunk at once
                            rate = (self.received - last_done) / max(now - last_at, 1e-6)
                            yield self._progress(total, rate)
                            last_at, last_done, reported = now, self.received, True
                    written.finish()
                raw_bytes = response.num_bytes_downloaded
        except httpx.HTTPError as exc:
            detail = str(exc) or type(exc).__name__
            raise Refused(common_pb2.UPSTREAM, f"media download failed: {detail} ({self._url})") from exc
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise space.disk_full(self._root, exc) from exc
            raise Refused(common_pb2.IO, f"cannot write {self._part.name}: {exc.strerror}") from exc
        self._verify(length, raw_bytes, head)
        self.sha256 = written.media_digest.hexdigest()
        self.file_sha256, self.file_size, self.tagged = (
            written.digest.hexdigest(),
            written.size,
            written.tagged,
        )
        elapsed = max(time.monotonic() - started, 1e-6)
        yield self._progress(total or self.received, self.received / elapsed)

    def _verify(self, length: int, raw_bytes: int, head: bytes) -> None:
        if length >= 0 and raw_bytes != length:
            raise Refused(
                common_pb2.MISMATCH, f"received {raw_bytes} of {length} bytes (Content-Length) ({self._url})"
            )
        if self._advertised > 0 and self.received != self._advertised:
            raise Refused(
                common_pb2.MISMATCH,
                f"received {self.received} bytes, advertised {self._advertised} ({self._url})",
            )
        if self.received == 0:
            raise Refused(common_pb2.MISMATCH, f"empty media ({self._url})")
        if not magic_ok(self._ext, head):
            raise Refused(common_pb2.MISMATCH, f"bytes are not {self._ext} ({self._url})")
