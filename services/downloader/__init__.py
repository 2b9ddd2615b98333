"""Downloader: streams media into the library root (``*.part`` + rename), tags, .lrc sidecars, disk space."""
