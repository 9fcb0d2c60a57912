"""WeCom group robot: markdown (default) and text messages, size limits and errcode mapping."""

from __future__ import annotations

import pytest

from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from eventguard.notify.channels.wecom import MARKDOWN_LIMIT, TEXT_LIMIT, WecomChannel
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply

OK = Reply(200, {"errcode": 0, "errmsg": "ok"})


def target(receiver: HttpReceiver, **options: object) -> ChannelTarget:
    return ChannelTarget(
        kind="wecom", address=f"{receiver.url}/cgi-bin/webhook/send?key=k-1", options=options
    )


def test_it_posts_markdown_with_links_and_userid_mentions_by_default(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(OK)

    receipt = WecomChannel(context).send(sample_notification(mentions=["zhangsan"]), target(http_receiver))

    request = http_receiver.last
    assert receipt.detail == "ok"
    assert request.path == "/cgi-bin/webhook/send" and request.query["key"] == ["k-1"]
    body = request.json()
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert content.startswith("**[L1] 直播中断**")
    assert "[确认](https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead)" in content
    assert "[查看事件](https://eventguard.example.com/i/4711)" in content
    assert content.endswith("<@zhangsan>")
    assert set(body) == {"msgtype", "markdown"}  # markdown takes no mentioned_* lists


def test_the_text_format_mentions_userids_and_mobiles_in_their_lists(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(OK)
    note = sample_notification(mentions=["zhangsan", "13800001111", "@all"])

    WecomChannel(context).send(note, target(http_receiver, format="text"))

    body = http_receiver.last.json()
    assert body["msgtype"] == "text"
    assert body["text"]["content"].startswith("[L1] 直播中断\n\n主播放列表")
    assert "确认: https://eventguard.example.com/i/4711/ack" in body["text"]["content"]
    assert body["text"]["mentioned_list"] == ["zhangsan", "@all"]
    assert body["text"]["mentioned_mobile_list"] == ["13800001111"]


@pytest.mark.parametrize(("message_format", "limit"), [("markdown", MARKDOWN_LIMIT), ("text", TEXT_LIMIT)])
def test_a_long_body_is_cut_at_a_character_boundary_keeping_the_links(
    http_receiver: HttpReceiver, context: ChannelContext, message_format: str, limit: int
) -> None:
    http_receiver.reply(OK)
    long_text = "备用流切换中。" * 800  # 3 bytes a character: far over both limits
    note = sample_notification(text=long_text, markdown=long_text)

    WecomChannel(context).send(note, target(http_receiver, format=message_format))

    content = http_receiver.last.json()[message_format]["content"]
    assert len(content.encode("utf-8")) <= limit
    assert "…" in content
    assert "https://eventguard.example.com/i/4711/ack" in content


def test_a_drill_is_marked_in_the_headline_and_the_body(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(OK)

    WecomChannel(context).send(sample_notification(is_drill=True), target(http_receiver))

    content = http_receiver.last.json()["markdown"]["content"]
    assert content.startswith("**【演练】 [L1] 直播中断**")
    assert "【演练】 这是一次演练,并非真实故障。" in content


def test_alert_text_cannot_mention_anyone(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.reply(OK)

    WecomChannel(context).send(sample_notification(markdown="ping <@boss> now"), target(http_receiver))

    assert "<@boss>" not in http_receiver.last.json()["markdown"]["content"]


def test_an_invalid_webhook_url_errcode_93000_is_permanent(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [x]"}))

    with pytest.raises(TransportError) as caught:
        WecomChannel(context).send(sample_notification(), target(http_receiver))

    assert caught.value.permanent
    assert "93000" in caught.value.message


def test_the_rate_limit_errcode_45009_is_temporary(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(200, {"errcode": 45009, "errmsg": "api freq out of limit"}))

    with pytest.raises(TransportError) as caught:
        WecomChannel(context).send(sample_notification(), target(http_receiver))

    assert not caught.value.permanent


def test_an_unknown_message_format_is_a_permanent_error(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    with pytest.raises(TransportError) as caught:
        WecomChannel(context).send(sample_notification(), target(http_receiver, format="news"))

    assert caught.value.permanent
    assert http_receiver.requests == []


def test_a_200_that_is_not_json_is_a_permanent_error(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(200, "<html>captive portal</html>"))

    with pytest.raises(TransportError) as caught:
        WecomChannel(context).send(sample_notification(), target(http_receiver))

    assert caught.value.permanent
