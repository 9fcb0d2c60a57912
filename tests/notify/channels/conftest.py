"""Channel tests run against the local receivers with a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.notify.channels.base import ChannelContext
from tests.notify.receivers import http_receiver, smtp_receiver

__all__ = ["http_receiver", "smtp_receiver"]

NOW = datetime(2026, 2, 16, 4, 5, 2, tzinfo=UTC)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW)


@pytest.fixture
def http_client() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def context(http_client: httpx.Client, clock: FrozenClock) -> ChannelContext:
    """What the worker would hand a channel, posting to wherever the target points."""
    return ChannelContext.build(client=http_client, settings=Settings(), clock=clock)
