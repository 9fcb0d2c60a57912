"""Slack incoming webhook: fallback text plus Block Kit, escaping, limits and HTTP status mapping."""

from __future__ import annotations

from typing import Any

import pytest

from eventguard.notify.channels.base import ChannelContext, ChannelTarget, Notification, TransportError
from eventguard.notify.channels.slack import SECTION_TEXT_LIMIT, SlackChannel
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply


def target(receiver: HttpReceiver) -> ChannelTarget:
    return ChannelTarget(kind="slack", address=f"{receiver.url}/services/T0/B0/xyz")


def english(**changes: Any) -> Notification:
    fields: dict[str, Any] = {
        "language": "en",
        "title": "Livestream interrupted",
        "markdown": "Main playlist **stale** 45 s; [backup](https://backup.example.com/live) is live.",
    }
    fields.update(changes)
    return sample_notification(**fields)


def test_it_posts_fallback_text_and_blocks_with_url_buttons(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    receipt = SlackChannel(context).send(english(mentions=["U024BE7LH"]), target(http_receiver))

    assert receipt.detail == "ok"
    body = http_receiver.last.json()
    assert body["text"] == "[L1] Livestream interrupted"
    section, context_block, actions = body["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    assert section["text"]["text"] == (
        "*[L1] Livestream interrupted*\n"
        "Main playlist *stale* 45 s; <https://backup.example.com/live|backup> is live.\n<@U024BE7LH>"
    )
    assert section["fields"] == [
        {"type": "mrkdwn", "text": "*Event*\nspring-gala-2026"},
        {"type": "mrkdwn", "text": "*Level*\nL1"},
    ]
    assert context_block == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "incident.opened · EventGuard"}],
    }
    assert actions["type"] == "actions"
    ack, view = actions["elements"]
    assert ack == {
        "type": "button",
        "text": {"type": "plain_text", "text": "Acknowledge"},
        "url": "https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead",
        "action_id": "ack",
        "style": "primary",
    }
    assert view["text"]["text"] == "View incident" and view["action_id"] == "view"


def test_alert_text_is_escaped_so_it_cannot_ping_or_link(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    note = english(title="Disk <90% & rising", markdown="<!channel> look at <http://evil|this>")

    SlackChannel(context).send(note, target(http_receiver))

    body = http_receiver.last.json()
    assert body["text"] == "[L1] Disk &lt;90% &amp; rising"
    text = body["blocks"][0]["text"]["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert "<http://evil|this>" not in text


def test_the_section_text_stays_within_slacks_3000_characters(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    SlackChannel(context).send(english(markdown="x" * 5000, mentions=["U1"]), target(http_receiver))

    text = http_receiver.last.json()["blocks"][0]["text"]["text"]
    assert len(text) <= SECTION_TEXT_LIMIT
    assert text.endswith("…\n<@U1>")


def test_a_drill_is_marked_in_the_text_the_section_and_the_context(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    SlackChannel(context).send(english(is_drill=True), target(http_receiver))

    body = http_receiver.last.json()
    assert body["text"].startswith("[DRILL] [L1]")
    assert body["blocks"][0]["text"]["text"].startswith(
        "*[DRILL] [L1] Livestream interrupted*\n[DRILL] This is a drill"
    )
    assert body["blocks"][1]["elements"][0]["text"].startswith("[DRILL]")


def test_429_with_retry_after_is_temporary_and_says_when(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(429, "rate_limited", headers={"Retry-After": "30"}))

    with pytest.raises(TransportError) as caught:
        SlackChannel(context).send(english(), target(http_receiver))

    assert not caught.value.permanent
    assert caught.value.retry_after == 30.0
    assert caught.value.status_code == 429


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (400, "invalid_payload"),
        (403, "action_prohibited"),
        (404, "channel_not_found"),
        (410, "channel_is_archived"),
    ],
)
def test_payload_and_channel_errors_are_permanent(
    http_receiver: HttpReceiver, context: ChannelContext, status: int, answer: str
) -> None:
    http_receiver.reply(Reply(status, answer))

    with pytest.raises(TransportError) as caught:
        SlackChannel(context).send(english(), target(http_receiver))

    assert caught.value.permanent
    assert answer in caught.value.message


def test_a_server_error_is_temporary(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.reply(Reply(500, "rollup_error"))

    with pytest.raises(TransportError) as caught:
        SlackChannel(context).send(english(), target(http_receiver))

    assert not caught.value.permanent
