"""Run the sandbox: ``python -m sandbox --port 18090 --playlists 3 --tracks 10``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import uvicorn

from sandbox.app import SandboxApp
from sandbox.catalog import Catalog, CatalogConfig
from sandbox.hosts import override_string
from sandbox.media_cache import MediaCache


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = CatalogConfig()
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument(
        "--playlists", type=int, default=defaults.playlists, help="square playlists per platform"
    )
    parser.add_argument("--toplists", type=int, default=defaults.toplists, help="toplists per platform")
    parser.add_argument("--tracks", type=int, default=defaults.tracks, help="tracks per playlist")
    parser.add_argument(
        "--overlap", type=float, default=defaults.overlap, help="share of shared tracks (0..1)"
    )
    parser.add_argument("--media-scale", type=int, default=defaults.media_scale, help="bytes/s of 128k audio")
    parser.add_argument("--unavailable", type=float, default=defaults.unavailable)
    parser.add_argument("--vip", type=float, default=defaults.vip)
    parser.add_argument("--non-music", type=int, default=defaults.non_music)
    parser.add_argument("--hostile", action="store_true", help="include hostile song names")
    parser.add_argument(
        "--hard-cases",
        action="store_true",
        default=os.environ.get("CATALOGSYNC_SANDBOX_HARD_CASES", "") in ("1", "true", "yes"),
        help="twins, version decoys ranked first and served downgrades (CATALOGSYNC_SANDBOX_HARD_CASES=1)",
    )
    parser.add_argument(
        "--qq-gateway-page",
        type=int,
        default=defaults.qq_gateway_page,
        help="songs per page of QQ's gateway playlist routes (the real gateway: 100)",
    )
    parser.add_argument("--media-bps", type=int, default=0, help="throttle media to this many bytes/s")
    parser.add_argument(
        "--media-cache", type=Path, default=None, help="keep generated media files in this folder"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = CatalogConfig(
        seed=args.seed,
        playlists=args.playlists,
        toplists=args.toplists,
        tracks=args.tracks,
        overlap=args.overlap,
        media_scale=args.media_scale,
        unavailable=args.unavailable,
        vip=args.vip,
        non_music=args.non_music,
        hostile=args.hostile,
        hard_cases=args.hard_cases,
        qq_gateway_page=args.qq_gateway_page,
    )
    cache = MediaCache(args.media_cache) if args.media_cache else None
    app = SandboxApp(Catalog(config, cache))
    app.state.media_bps = args.media_bps
    base = f"http://{args.host}:{args.port}"
    print(f"sandbox on {base} ({app.state.catalog.work_count} works)", flush=True)
    print(f"CATALOGSYNC_UPSTREAM_OVERRIDES={override_string(base)}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
