"""Twilio: Messages and Calls form posts with basic auth, segment cutting, TwiML, error codes."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from eventguard.notify.channels.sms import segments
from eventguard.notify.channels.twilio import TwilioSmsChannel, TwilioVoiceChannel
from tests.notify.channels.gateways import TWILIO_SID, TWILIO_TOKEN, form, twilio_api, twilio_auth_ok
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply

FROM = "+15005550006"


def target(receiver: HttpReceiver, kind: str, **options: object) -> ChannelTarget:
    merged = {"account_sid": TWILIO_SID, "from_number": FROM, "bearer_token": TWILIO_TOKEN, **options}
    merged.setdefault("phone", "+86 138-0000-0002")
    return ChannelTarget(kind=kind, address=receiver.url, options=merged)


def test_an_sms_goes_to_the_messages_resource_with_basic_auth(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.answer_with(twilio_api())
    receipt = TwilioSmsChannel(context).send(sample_notification(), target(http_receiver, "twilio_sms"))
    request = http_receiver.last
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert twilio_auth_ok(request)
    fields = form(request)
    assert fields["To"] == "+8613800000002" and fields["From"] == FROM
    assert fields["Body"].startswith("[L1] 直播中断\n")
    assert fields["Body"].endswith("确认: https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead")
    assert receipt.status_code == 201 and receipt.detail.startswith("SM")


def test_a_long_text_is_cut_to_the_segment_limit_keeping_the_link(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.answer_with(twilio_api())
    long_note = sample_notification(text="服务器宕机。" * 200)
    TwilioSmsChannel(context).send(long_note, target(http_receiver, "twilio_sms", max_segments=2))
    body = form(http_receiver.last)["Body"]
    assert segments(body) == 2 and len(body) <= 134  # UCS-2: 67 characters per concatenated segment
    assert "…" in body and body.endswith("p=ops-lead")


def test_segments_are_counted_as_gsm_7_or_ucs_2() -> None:
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 306) == 2
    assert segments("{" * 80) == 1 and segments("{" * 81) == 2  # extension characters take two
    assert segments("中" * 70) == 1 and segments("中" * 71) == 2 and segments("中" * 134) == 2


def test_a_call_reads_the_message_out_with_twiml(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.answer_with(twilio_api())
    receipt = TwilioVoiceChannel(context).send(
        sample_notification(title="直播<中断>&"), target(http_receiver, "twilio_voice", loop=3)
    )
    request = http_receiver.last
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Calls.json" and twilio_auth_ok(request)
    fields = form(request)
    assert fields["To"] == "+8613800000002" and fields["From"] == FROM
    say = ET.fromstring(fields["Twiml"]).find("Say")
    assert say is not None and say.get("voice") == "Polly.Zhiyu" and say.get("language") == "cmn-CN"
    assert say.get("loop") == "3"
    assert say.text is not None and "这里是 EventGuard 告警。" in say.text and "直播<中断>&" in say.text
    assert len(fields["Twiml"]) <= 4000 and receipt.detail.startswith("CA")


def test_an_english_call_uses_an_english_voice_and_stays_within_4000_characters(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.answer_with(twilio_api())
    note = sample_notification(language="en", title="Stream down", text="<&> " * 3000)
    TwilioVoiceChannel(context).send(note, target(http_receiver, "twilio_voice"))
    twiml = form(http_receiver.last)["Twiml"]
    say = ET.fromstring(twiml).find("Say")
    assert say is not None and say.get("voice") == "Polly.Joanna" and say.get("language") == "en-US"
    assert len(twiml) <= 4000


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (429, 20429, False),  # too many requests
        (503, None, False),
        (400, 21211, True),  # invalid To number
        (400, 21610, True),  # the recipient opted out
        (400, 21611, False),  # the From number's queue is full
    ],
)
def test_errors_are_temporary_or_permanent(
    http_receiver: HttpReceiver, context: ChannelContext, status: int, code: int | None, permanent: bool
) -> None:
    if code is None:
        http_receiver.reply(Reply(status, b"Service Unavailable"))
    else:
        http_receiver.answer_with(twilio_api(status=status, code=code))
    with pytest.raises(TransportError) as error:
        TwilioSmsChannel(context).send(sample_notification(), target(http_receiver, "twilio_sms"))
    assert error.value.permanent is permanent and error.value.status_code == status


def test_a_wrong_token_is_a_permanent_error(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.answer_with(twilio_api())
    with pytest.raises(TransportError) as error:
        TwilioSmsChannel(context).send(
            sample_notification(), target(http_receiver, "twilio_sms", bearer_token="wrong-token")
        )
    assert error.value.permanent and "20003" in error.value.message
