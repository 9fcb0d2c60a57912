"""Serve the EventGuard app for a benchmark, with N uvicorn workers, the way ``eventguard serve`` does
(its HTTP protocol with the status-page shortcut) or with uvicorn's plain httptools protocol.

    .venv/bin/python -m bench.serve --port 8080 [--workers 1] [--http eventguard|httptools]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import uvicorn

PROTOCOLS = {"eventguard": "eventguard.protocol:EventGuardProtocol", "httptools": "httptools"}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--http", choices=sorted(PROTOCOLS), default="eventguard")
    args = parser.parse_args(argv)
    uvicorn.run(
        "bench.common:eventguard_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        http=PROTOCOLS[args.http],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
