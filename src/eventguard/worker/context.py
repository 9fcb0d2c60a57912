"""What background jobs are handed: the clock, the settings and an HTTP client (injected, so tests
control time and point channels at local receivers), and the static status page to keep current."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from eventguard.clock import Clock
from eventguard.comms.statuspage.static import AutoPublisher
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
    # When periodic jobs last ran (e.g. the journal prune), by job name.
    marks: dict[str, datetime] = field(default_factory=dict, repr=False, compare=False)
    # Made from ``settings.status_publish_dir``: the passes keep that directory's pages current.
    publisher: AutoPublisher | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        out = self.settings.status_publish_dir
        if out is not None:
            object.__setattr__(self, "publisher", AutoPublisher(out))  # frozen: set once, here
