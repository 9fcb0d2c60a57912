"""DingTalk custom robot: markdown with @mentions, signing, keywords and errcode mapping."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventguard.clock import FrozenClock
from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from eventguard.notify.channels.dingtalk import DingtalkChannel
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply, dingtalk_robot, dingtalk_signature_ok

SECRET = "SECb7f3c1e0a9d84e2f+/=9a"


def target(receiver: HttpReceiver, **changes: object) -> ChannelTarget:
    fields: dict[str, object] = {"kind": "dingtalk", "address": f"{receiver.url}/robot/send?access_token=tok"}
    fields.update(changes)
    return ChannelTarget(**fields)  # type: ignore[arg-type]


def test_it_posts_a_markdown_message_that_mentions_people_by_mobile(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(200, {"errcode": 0, "errmsg": "ok"}))
    note = sample_notification(mentions=["13800000001", "manager01"])

    receipt = DingtalkChannel(context).send(note, target(http_receiver))

    request = http_receiver.last
    assert receipt.status_code == 200
    assert request.path == "/robot/send" and request.query["access_token"] == ["tok"]
    assert request.headers["content-type"].startswith("application/json")
    body = request.json()
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "[L1] 直播中断"
    text = body["markdown"]["text"]
    assert text.startswith("### [L1] 直播中断")
    assert "[确认](https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead)" in text
    assert "[查看事件](https://eventguard.example.com/i/4711)" in text
    assert "@13800000001" in text and "@manager01" in text
    assert body["at"] == {"atMobiles": ["13800000001"], "atUserIds": ["manager01"], "isAtAll": False}


def test_it_signs_the_url_as_dingtalk_verifies_it(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    http_receiver.answer_with(dingtalk_robot(SECRET, clock.now))

    DingtalkChannel(context).send(sample_notification(), target(http_receiver, secret=SECRET))

    request = http_receiver.last
    assert request.query["timestamp"] == [str(int(clock.now().timestamp() * 1000))]
    assert dingtalk_signature_ok(request, SECRET, clock.now())
    assert "%" in request.raw_query.split("sign=")[1]  # URL-encoded once, decoded once above
    assert "%25" not in request.raw_query  # … and not twice


def test_a_signature_more_than_an_hour_off_the_robots_clock_is_refused_permanently(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    http_receiver.answer_with(dingtalk_robot(SECRET, lambda: clock.now() + timedelta(hours=1, seconds=1)))

    with pytest.raises(TransportError) as caught:
        DingtalkChannel(context).send(sample_notification(), target(http_receiver, secret=SECRET))

    assert caught.value.permanent
    assert "310000" in caught.value.message


def test_it_appends_a_keyword_when_the_text_has_none(
    http_receiver: HttpReceiver, context: ChannelContext, clock: FrozenClock
) -> None:
    http_receiver.answer_with(dingtalk_robot(None, clock.now, keywords=("EventGuard",)))

    DingtalkChannel(context).send(
        sample_notification(), target(http_receiver, options={"keywords": ["EventGuard"]})
    )

    assert http_receiver.last.json()["markdown"]["text"].endswith("EventGuard")


def test_it_leaves_the_text_alone_when_a_keyword_is_already_there(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(200, {"errcode": 0, "errmsg": "ok"}))

    DingtalkChannel(context).send(
        sample_notification(), target(http_receiver, options={"keywords": ["直播"]})
    )

    assert not http_receiver.last.json()["markdown"]["text"].endswith("直播")


def test_a_drill_is_marked_in_the_title_and_the_text(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(200, {"errcode": 0, "errmsg": "ok"}))

    DingtalkChannel(context).send(sample_notification(is_drill=True), target(http_receiver))

    markdown = http_receiver.last.json()["markdown"]
    assert markdown["title"].startswith("【演练】")
    assert "【演练】 这是一次演练" in markdown["text"]


def test_errcode_310000_in_a_200_answer_is_permanent(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(200, {"errcode": 310000, "errmsg": "keywords not in content"}))

    with pytest.raises(TransportError) as caught:
        DingtalkChannel(context).send(sample_notification(), target(http_receiver))

    assert caught.value.permanent
    assert "keywords not in content" in caught.value.message


def test_errcode_130101_send_too_fast_is_temporary(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(
        Reply(200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
    )

    with pytest.raises(TransportError) as caught:
        DingtalkChannel(context).send(sample_notification(), target(http_receiver))

    assert not caught.value.permanent
    assert caught.value.retry_after == 60.0


@pytest.mark.parametrize("errcode", [300001, 300005, 400013])
def test_an_unknown_token_and_other_errcodes_are_permanent(
    http_receiver: HttpReceiver, context: ChannelContext, errcode: int
) -> None:
    http_receiver.reply(Reply(200, {"errcode": errcode, "errmsg": "token is not exist"}))

    with pytest.raises(TransportError) as caught:
        DingtalkChannel(context).send(sample_notification(), target(http_receiver))

    assert caught.value.permanent


def test_the_person_a_group_channel_is_used_for_is_mentioned(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(200, {"errcode": 0, "errmsg": "ok"}))

    DingtalkChannel(context).send(
        sample_notification(), target(http_receiver, options={"mentions": ["13800000002"]})
    )

    body = http_receiver.last.json()
    assert body["at"]["atMobiles"] == ["13800000002"]
    assert "@13800000002" in body["markdown"]["text"]
