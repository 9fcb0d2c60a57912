"""What background jobs are handed: the clock, the settings and an HTTP client (injected, so tests
control time and point channels at local receivers)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from eventguard.clock import Clock
from eventguard.config import Settings


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class WorkerContext:
    clock: Clock
    settings: Settings
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
    name: str = field(default_factory=_worker_name)
    # How long a claimed delivery is ours; a worker that dies mid-send loses its claims after this.
    lease: timedelta = timedelta(seconds=60)
