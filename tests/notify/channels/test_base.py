"""The shared HTTP transport's network outcomes and the channel registry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
import pytest

from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.notify.channels import build_channel, channels
from eventguard.notify.channels.base import (
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    HttpTransport,
    Notification,
    TransportError,
)
from eventguard.notify.channels.slack import SlackChannel
from eventguard.plugins import get_plugin_manager, hookimpl
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply, closed_port_url


def test_a_refused_connection_is_temporary(http_client: httpx.Client, clock: FrozenClock) -> None:
    transport = HttpTransport(client=http_client, clock=clock)

    with pytest.raises(TransportError) as caught:
        transport.post_json(closed_port_url(), {"text": "hi"})

    assert not caught.value.permanent
    assert "connection failed" in caught.value.message


def test_a_timeout_is_temporary(
    http_receiver: HttpReceiver, http_client: httpx.Client, clock: FrozenClock
) -> None:
    http_receiver.reply(Reply(200, "ok", delay=2.0))
    transport = HttpTransport(client=http_client, clock=clock, timeout=0.2)

    with pytest.raises(TransportError) as caught:
        transport.post_json(http_receiver.url, {"text": "hi"})

    assert not caught.value.permanent
    assert "timed out after 0.2 s" in caught.value.message


def test_it_sends_exactly_the_given_bytes(
    http_receiver: HttpReceiver, http_client: httpx.Client, clock: FrozenClock
) -> None:
    HttpTransport(client=http_client, clock=clock).post_bytes(
        http_receiver.url, b'{"a": 1}', headers={"X-A": "b"}
    )

    assert http_receiver.last.body == b'{"a": 1}'
    assert http_receiver.last.headers["x-a"] == "b"


class _PagerChannel:
    kind: ClassVar[str] = "pager"

    def __init__(self, context: ChannelContext) -> None:
        self.context = context

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        return DeliveryReceipt(detail=f"paged {target.address}")


class _PagerPlugin:
    @hookimpl
    def eventguard_channels(self) -> list[type[Any]]:
        return [_PagerChannel]


class _DuplicateSlackPlugin:
    @hookimpl
    def eventguard_channels(self) -> list[type[Any]]:
        return [type("OtherSlack", (_PagerChannel,), {"kind": "slack"})]


@pytest.fixture
def fresh_plugins() -> Iterator[None]:
    get_plugin_manager.cache_clear()
    yield
    get_plugin_manager.cache_clear()


def test_the_built_in_channels_are_registered_through_the_hook(fresh_plugins: None) -> None:
    assert set(channels()) == {
        *("wecom", "dingtalk", "feishu", "slack", "email", "webhook"),
        *("teams", "aliyun_sms", "tencent_sms", "twilio_sms", "twilio_voice"),
    }
    assert channels()["slack"] is SlackChannel


def test_a_third_party_channel_registered_through_the_hook_appears_and_can_be_built(
    fresh_plugins: None, context: ChannelContext
) -> None:
    get_plugin_manager().register(_PagerPlugin())

    assert channels()["pager"] is _PagerChannel
    receipt = build_channel("pager", context).send(
        sample_notification(), ChannelTarget(kind="pager", address="+86138")
    )
    assert receipt.detail == "paged +86138"


def test_two_channels_of_one_kind_are_a_setup_error(fresh_plugins: None) -> None:
    get_plugin_manager().register(_DuplicateSlackPlugin())

    with pytest.raises(RuntimeError, match="'slack'"):
        channels()


@dataclass(frozen=True)
class _WorkerContext:
    clock: FrozenClock
    settings: Settings
    http: httpx.Client


def test_a_channel_is_built_from_the_workers_clock_settings_and_client(
    http_client: httpx.Client, clock: FrozenClock, http_receiver: HttpReceiver
) -> None:
    channel = build_channel("slack", _WorkerContext(clock=clock, settings=Settings(), http=http_client))

    channel.send(sample_notification(), ChannelTarget(kind="slack", address=http_receiver.url))
    assert http_receiver.last.json()["text"] == "[L1] 直播中断"


def test_an_unknown_kind_is_a_permanent_error(context: ChannelContext) -> None:
    with pytest.raises(TransportError) as caught:
        build_channel("carrier-pigeon", context)

    assert caught.value.permanent
