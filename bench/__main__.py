"""``python -m bench [NAME [ARGS...]]``: run one benchmark by name, or every benchmark when none is named."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# name -> module with ``main(argv) -> int``; imported only when run.
BENCHMARKS = {
    "intake": "bench.intake",
    "notify": "bench.notify_latency",
    "status_page": "bench.status_page",
    "noise": "bench.noise",
    "status_version": "bench.status_version",
    "probes": "bench.probes",
    "contentwatch": "bench.contentwatch",
    "soak": "bench.soak",
}


def run(name: str, argv: Sequence[str]) -> int:
    status: int = importlib.import_module(BENCHMARKS[name]).main(argv)
    return status


def main(argv: Sequence[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: python -m bench [{'|'.join(BENCHMARKS)} [ARGS...]]  (no name: run them all)")
        return 0
    if argv:
        if argv[0] not in BENCHMARKS:
            print(f"unknown benchmark {argv[0]!r}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
            return 2
        return run(argv[0], argv[1:])
    status = 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        status = max(status, run(name, []))
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
