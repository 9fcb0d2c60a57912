"""E-mail over SMTP, against a local aiosmtpd server: parts, headers, Chinese subject, refusals."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from eventguard.notify.channels.email import EmailChannel
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import SmtpReceiver, free_port

TO = "ops-lead@example.com"


@pytest.fixture
def channel(smtp_receiver: SmtpReceiver, clock: FrozenClock) -> Iterator[EmailChannel]:
    settings = Settings(
        smtp_host=smtp_receiver.host, smtp_port=smtp_receiver.port, smtp_from="EventGuard <eg@example.com>"
    )
    with httpx.Client() as client:
        yield EmailChannel(ChannelContext.build(client=client, settings=settings, clock=clock))


def target(**options: object) -> ChannelTarget:
    return ChannelTarget(kind="email", address=TO, options=options)


def test_it_sends_a_text_and_an_html_part_with_a_chinese_subject(
    channel: EmailChannel, smtp_receiver: SmtpReceiver
) -> None:
    channel.send(sample_notification(), target())

    (mail,) = smtp_receiver.messages
    assert mail.rcpt_tos == [TO] and mail.mail_from == "eg@example.com"
    message = mail.message
    assert message["Subject"] == "[L1] 直播中断"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert "主播放列表 45 秒未更新" in text.get_content()
    assert "确认: https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead" in text.get_content()
    assert '<html lang="zh-CN">' in html.get_content()
    assert 'href="https://eventguard.example.com/i/4711/ack?t=abc&amp;p=ops-lead"' in html.get_content()
    assert ">查看事件</a>" in html.get_content()


def test_it_sets_a_stable_message_id_and_the_idempotency_header(
    channel: EmailChannel, smtp_receiver: SmtpReceiver
) -> None:
    channel.send(sample_notification(), target())
    channel.send(sample_notification(), target())  # a retry

    first, second = (mail.message for mail in smtp_receiver.messages)
    assert first["Message-ID"] == "<n-4711-ops-lead-1@example.com>" == second["Message-ID"]
    assert first["X-EventGuard-Idempotency-Key"] == "n-4711-ops-lead-1"
    assert first["To"] == TO
    assert first["Date"] == "Mon, 16 Feb 2026 04:05:02 +0000"


def test_it_adds_the_headers_a_target_asks_for(channel: EmailChannel, smtp_receiver: SmtpReceiver) -> None:
    unsubscribe = {
        "List-Unsubscribe": "<https://eventguard.example.com/u/abc>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }

    channel.send(sample_notification(), target(headers=unsubscribe))

    message = smtp_receiver.messages[0].message
    assert message["List-Unsubscribe"] == "<https://eventguard.example.com/u/abc>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_header_with_a_line_break_is_refused_permanently(
    channel: EmailChannel, smtp_receiver: SmtpReceiver
) -> None:
    with pytest.raises(TransportError) as caught:
        channel.send(sample_notification(), target(headers={"X-Note": "a\r\nBcc: everyone@example.com"}))

    assert caught.value.permanent
    assert smtp_receiver.messages == []


def test_the_html_part_escapes_the_alert_text(channel: EmailChannel, smtp_receiver: SmtpReceiver) -> None:
    channel.send(sample_notification(title="<script>x</script>", text="<b>&</b>"), target())

    html = smtp_receiver.messages[0].message.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content() and "&lt;b&gt;&amp;&lt;/b&gt;" in html.get_content()


def test_a_drill_is_marked_in_the_subject_and_both_parts(
    channel: EmailChannel, smtp_receiver: SmtpReceiver
) -> None:
    channel.send(sample_notification(is_drill=True, language="en", title="Livestream interrupted"), target())

    message = smtp_receiver.messages[0].message
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    assert message["Subject"] == "[DRILL] [L1] Livestream interrupted"
    assert "[DRILL] This is a drill" in text.get_content()
    assert "[DRILL] This is a drill" in html.get_content() and '<html lang="en">' in html.get_content()


def test_a_550_refused_mailbox_is_permanent(channel: EmailChannel, smtp_receiver: SmtpReceiver) -> None:
    smtp_receiver.reject_recipients_with = "550 5.1.1 mailbox unavailable"

    with pytest.raises(TransportError) as caught:
        channel.send(sample_notification(), target())

    assert caught.value.permanent and caught.value.status_code == 550
    assert "mailbox unavailable" in caught.value.message


def test_a_4xx_refusal_is_temporary(channel: EmailChannel, smtp_receiver: SmtpReceiver) -> None:
    smtp_receiver.reject_data_with = "451 4.3.0 try again later"

    with pytest.raises(TransportError) as caught:
        channel.send(sample_notification(), target())

    assert not caught.value.permanent and caught.value.status_code == 451


def test_an_unreachable_server_is_temporary(clock: FrozenClock) -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=2.0)
    with httpx.Client() as client:
        channel = EmailChannel(ChannelContext.build(client=client, settings=settings, clock=clock))

        with pytest.raises(TransportError) as caught:
            channel.send(sample_notification(), target())

    assert not caught.value.permanent
