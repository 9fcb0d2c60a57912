"""Feishu custom bot: an interactive card coloured by level, signed in the body, code mapping."""

from __future__ import annotations

import pytest

from eventguard.clock import FrozenClock
from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from eventguard.notify.channels.feishu import FeishuChannel
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply, feishu_bot, feishu_signature_ok

SECRET = "qV3xPz9hKcYb2tLm"
OK = Reply(200, {"code": 0, "msg": "success", "data": {}})


def target(receiver: HttpReceiver, secret: str | None = None) -> ChannelTarget:
    return ChannelTarget(kind="feishu", address=f"{receiver.url}/open-apis/bot/v2/hook/tok", secret=secret)


def test_it_posts_an_interactive_card_with_buttons(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(OK)

    FeishuChannel(context).send(sample_notification(mentions=["ou_7d8a6e"]), target(http_receiver))

    body = http_receiver.last.json()
    assert http_receiver.last.path == "/open-apis/bot/v2/hook/tok"
    assert body["msg_type"] == "interactive"
    assert "sign" not in body and "timestamp" not in body
    card = body["card"]
    assert card["header"] == {"title": {"tag": "plain_text", "content": "[L1] 直播中断"}, "template": "red"}
    div, action = card["elements"]
    assert div["tag"] == "div" and div["text"]["tag"] == "lark_md"
    assert div["text"]["content"].startswith("**主播放列表** 45 秒未更新")
    assert div["text"]["content"].endswith("<at id=ou_7d8a6e></at>")
    assert action["tag"] == "action"
    ack, view = action["actions"]
    assert ack == {
        "tag": "button",
        "text": {"tag": "plain_text", "content": "确认"},
        "type": "primary",
        "url": "https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead",
    }
    assert view["text"]["content"] == "查看事件" and view["url"] == "https://eventguard.example.com/i/4711"


@pytest.mark.parametrize(("level", "colour"), [(1, "red"), (2, "orange"), (3, "blue"), (4, "grey")])
def test_the_header_colour_follows_the_level(
    http_receiver: HttpReceiver, context: ChannelContext, level: int, colour: str
) -> None:
    http_receiver.reply(OK)

    FeishuChannel(context).send(
        sample_notification(level=level, title="支付失败率升高"), target(http_receiver)
    )

    assert http_receiver.last.json()["card"]["header"]["template"] == colour


def test_it_signs_the_body_as_feishu_verifies_it(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    http_receiver.answer_with(feishu_bot(SECRET, clock.now))

    receipt = FeishuChannel(context).send(sample_notification(), target(http_receiver, SECRET))

    body = http_receiver.last.json()
    assert body["timestamp"] == str(int(clock.now().timestamp()))
    assert feishu_signature_ok(http_receiver.last, SECRET, clock.now())
    assert receipt.detail == "success"


def test_a_wrong_secret_gets_19021_which_is_permanent(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    http_receiver.answer_with(feishu_bot(SECRET, clock.now))

    with pytest.raises(TransportError) as caught:
        FeishuChannel(context).send(sample_notification(), target(http_receiver, "another-secret"))

    assert caught.value.permanent
    assert "19021" in caught.value.message


def test_a_drill_is_marked_in_the_header_and_the_body(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(OK)

    FeishuChannel(context).send(sample_notification(is_drill=True, language="en"), target(http_receiver))

    card = http_receiver.last.json()["card"]
    assert card["header"]["title"]["content"] == "[DRILL] [L1] 直播中断"
    assert card["elements"][0]["text"]["content"].startswith("[DRILL] This is a drill")
    assert card["elements"][1]["actions"][0]["text"]["content"] == "Acknowledge"


def test_alert_text_cannot_smuggle_in_a_mention(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.reply(OK)

    FeishuChannel(context).send(sample_notification(markdown='<at id="all"></at> hi'), target(http_receiver))

    assert "<at" not in http_receiver.last.json()["card"]["elements"][0]["text"]["content"]


def test_rate_limited_11232_is_temporary(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.reply(Reply(200, {"code": 11232, "msg": "frequency limited", "data": {}}))

    with pytest.raises(TransportError) as caught:
        FeishuChannel(context).send(sample_notification(), target(http_receiver))

    assert not caught.value.permanent


@pytest.mark.parametrize("code", [19022, 19024, 9499])
def test_ip_keyword_and_other_codes_are_permanent(
    http_receiver: HttpReceiver, context: ChannelContext, code: int
) -> None:
    http_receiver.reply(Reply(200, {"code": code, "msg": "Key Words Not Found", "data": {}}))

    with pytest.raises(TransportError) as caught:
        FeishuChannel(context).send(sample_notification(), target(http_receiver))

    assert caught.value.permanent
