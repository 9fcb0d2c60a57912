"""The readiness tests use the example plan with its channels pointed at a local HTTP receiver."""

from tests.notify.conftest import local_event, worker_context
from tests.notify.receivers import http_receiver, smtp_receiver

__all__ = ["http_receiver", "local_event", "smtp_receiver", "worker_context"]
