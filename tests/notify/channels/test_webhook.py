"""Standard Webhooks: body, headers, signature as the spec's reference verification checks it,
and the spec's delivery outcomes."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from eventguard.clock import FrozenClock
from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from eventguard.notify.channels.webhook import WebhookChannel
from tests.notify.channels.conftest import NOW
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply, standard_webhook_signature_ok

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def target(receiver: HttpReceiver, secret: str | None = SECRET, **options: object) -> ChannelTarget:
    return ChannelTarget(
        kind="webhook", address=f"{receiver.url}/hooks/eventguard", secret=secret, options=options
    )


def test_it_posts_the_event_with_id_and_timestamp_headers(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    note = sample_notification(idempotency_key="msg.4711.1", occurred_at=NOW - timedelta(minutes=3))

    receipt = WebhookChannel(context).send(note, target(http_receiver))

    request = http_receiver.last
    assert receipt.status_code == 200
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["webhook-id"] == "msg_4711_1"  # no dots: they separate the signed parts
    assert request.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    assert request.json() == {
        "type": "incident.opened",
        "timestamp": "2026-02-16T04:02:02Z",
        "data": {
            "incident_id": 4711,
            "event": "spring-gala-2026",
            "level": 1,
            "title": "[L1] 直播中断",
            "text": "主播放列表 45 秒未更新,已切换备用流。",
            "is_drill": False,
            "language": "zh-CN",
            "incident_url": "https://eventguard.example.com/i/4711",
            "ack_url": "https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead",
        },
    }


def test_the_signature_passes_the_reference_verification(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    WebhookChannel(context).send(sample_notification(), target(http_receiver))

    assert http_receiver.last.headers["webhook-signature"].startswith("v1,")
    assert standard_webhook_signature_ok(http_receiver.last, SECRET, clock.now())
    assert not standard_webhook_signature_ok(http_receiver.last, SECRET, clock.now() + timedelta(minutes=6))
    assert not standard_webhook_signature_ok(
        http_receiver.last, "whsec_" + base64.b64encode(b"x" * 32).decode(), clock.now()
    )


def test_a_raw_secret_is_used_as_a_utf8_key(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    WebhookChannel(context).send(sample_notification(), target(http_receiver, secret="gateway-shared-secret"))

    assert standard_webhook_signature_ok(http_receiver.last, "gateway-shared-secret", clock.now())


def test_without_a_secret_nothing_is_signed_and_a_bearer_token_is_sent(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    WebhookChannel(context).send(
        sample_notification(), target(http_receiver, secret=None, bearer_token="t0k")
    )

    assert "webhook-signature" not in http_receiver.last.headers
    assert http_receiver.last.headers["authorization"] == "Bearer t0k"


def test_each_attempt_carries_its_own_timestamp_and_the_same_id(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    channel, note = WebhookChannel(context), sample_notification()
    channel.send(note, target(http_receiver))
    clock.advance(timedelta(seconds=42))
    channel.send(note, target(http_receiver))

    first, second = http_receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"]) == 42
    assert standard_webhook_signature_ok(second, SECRET, clock.now())


def test_a_drill_is_flagged_and_marked_in_title_and_text(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    WebhookChannel(context).send(sample_notification(is_drill=True), target(http_receiver))

    data = http_receiver.last.json()["data"]
    assert data["is_drill"] is True
    assert data["title"].startswith("【演练】") and data["text"].startswith("【演练】")


def test_410_gone_is_permanent(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.reply(Reply(410))

    with pytest.raises(TransportError) as caught:
        WebhookChannel(context).send(sample_notification(), target(http_receiver))

    assert caught.value.permanent and "disable" in caught.value.message


@pytest.mark.parametrize("status", [429, 502, 504])
def test_throttling_answers_are_temporary_and_honour_retry_after(
    http_receiver: HttpReceiver, context: ChannelContext, status: int
) -> None:
    http_receiver.reply(Reply(status, headers={"Retry-After": "120"}))

    with pytest.raises(TransportError) as caught:
        WebhookChannel(context).send(sample_notification(), target(http_receiver))

    assert not caught.value.permanent
    assert caught.value.retry_after == 120.0


def test_retry_after_may_be_an_http_date(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.reply(Reply(503, headers={"Retry-After": "Mon, 16 Feb 2026 04:06:02 GMT"}))

    with pytest.raises(TransportError) as caught:
        WebhookChannel(context).send(sample_notification(), target(http_receiver))

    assert caught.value.retry_after == 60.0


def test_a_redirect_is_a_failure_and_is_not_followed(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(301, headers={"Location": "https://elsewhere.example.com/hook"}))

    with pytest.raises(TransportError) as caught:
        WebhookChannel(context).send(sample_notification(), target(http_receiver))

    assert caught.value.permanent and "elsewhere.example.com" in caught.value.message
    assert len(http_receiver.requests) == 1


def test_a_paging_gateway_gets_the_persons_phone_number(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    WebhookChannel(context).send(sample_notification(), target(http_receiver, phone="+8613800000003"))

    assert http_receiver.last.json()["data"]["phone"] == "+8613800000003"
