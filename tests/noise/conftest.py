"""Noise tests reuse notify's local receivers: held pages must reach nobody, released ones everyone."""

from __future__ import annotations

from tests.notify.conftest import local_event, worker_context
from tests.notify.receivers import http_receiver, smtp_receiver

__all__ = ["http_receiver", "local_event", "smtp_receiver", "worker_context"]
