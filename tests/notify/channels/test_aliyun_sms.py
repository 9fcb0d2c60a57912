"""Aliyun SMS: SendSms form, RPC signature v1 recomputed by the local gateway, error codes."""

from __future__ import annotations

import json

import pytest

from eventguard.notify.channels.aliyun_sms import AliyunSmsChannel
from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from tests.notify.channels.gateways import ALIYUN_ID, ALIYUN_SECRET, aliyun_gateway, aliyun_signature_ok, form
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver, Reply

CONFIG = {
    "sign_name": "活动保障",
    "template_code": "SMS_465320001",
    "template_params": {"title": "title", "summary": "summary", "url": "ack_url"},
    "param_max_chars": 20,
}


def target(receiver: HttpReceiver, **options: object) -> ChannelTarget:
    merged = {**CONFIG, "bearer_token": ALIYUN_ID, "phone": "+86 138-0000-0002", **options}
    return ChannelTarget(kind="aliyun_sms", address=f"{receiver.url}/", secret=ALIYUN_SECRET, options=merged)


def test_it_sends_a_signed_sendsms_with_the_template_and_its_parameters(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.answer_with(aliyun_gateway())
    receipt = AliyunSmsChannel(context).send(sample_notification(), target(http_receiver))
    request = http_receiver.last
    assert request.method == "POST" and request.path == "/"
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert aliyun_signature_ok(request, ALIYUN_SECRET)
    fields = form(request)
    assert fields["Action"] == "SendSms" and fields["Version"] == "2017-05-25"
    assert fields["SignatureMethod"] == "HMAC-SHA1" and fields["SignatureVersion"] == "1.0"
    assert fields["AccessKeyId"] == ALIYUN_ID and fields["Format"] == "JSON"
    assert fields["Timestamp"] == "2026-02-16T04:05:02Z"
    assert fields["PhoneNumbers"] == "8613800000002"
    assert fields["SignName"] == "活动保障" and fields["TemplateCode"] == "SMS_465320001"
    params = json.loads(fields["TemplateParam"])
    assert params["title"] == "[L1] 直播中断" and params["summary"] == "直播中断"
    assert len(params["url"]) == 20 and params["url"].endswith("…")  # cut to param_max_chars
    assert fields["OutId"] == "n-4711-ops-lead-1"
    assert receipt.detail.startswith("BizId 9006197469364984")


def test_a_tampered_request_fails_the_gateways_signature_check(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.answer_with(aliyun_gateway(secret="another-secret"))
    with pytest.raises(TransportError) as error:
        AliyunSmsChannel(context).send(sample_notification(), target(http_receiver))
    assert error.value.permanent and "SignatureDoesNotMatch" in error.value.message


def test_each_attempt_draws_a_fresh_nonce(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.answer_with(aliyun_gateway())
    channel = AliyunSmsChannel(context)
    channel.send(sample_notification(), target(http_receiver))
    channel.send(sample_notification(), target(http_receiver))
    first, second = (form(request)["SignatureNonce"] for request in http_receiver.requests)
    assert first != second


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", False),  # flow control on the number: later
        ("Throttling.User", False),
        ("isp.SYSTEM_ERROR", False),
        ("isv.MOBILE_NUMBER_ILLEGAL", True),  # an invalid number never succeeds
        ("isv.SMS_TEMPLATE_ILLEGAL", True),
        ("isv.AMOUNT_NOT_ENOUGH", True),
    ],
)
def test_error_codes_are_temporary_or_permanent(
    http_receiver: HttpReceiver, context: ChannelContext, code: str, permanent: bool
) -> None:
    http_receiver.answer_with(aliyun_gateway(code=code))
    with pytest.raises(TransportError) as error:
        AliyunSmsChannel(context).send(sample_notification(), target(http_receiver))
    assert error.value.permanent is permanent and code in error.value.message
    if code == "isv.BUSINESS_LIMIT_CONTROL":
        assert error.value.retry_after == 60.0


def test_server_errors_are_retried_and_missing_settings_are_permanent(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.reply(Reply(503, b"unavailable"))
    with pytest.raises(TransportError) as busy:
        AliyunSmsChannel(context).send(sample_notification(), target(http_receiver))
    assert not busy.value.permanent and busy.value.status_code == 503
    no_secret = ChannelTarget(
        kind="aliyun_sms", address=http_receiver.url, options={**CONFIG, "phone": "+8613800000002"}
    )
    with pytest.raises(TransportError) as missing:
        AliyunSmsChannel(context).send(sample_notification(), no_secret)
    assert missing.value.permanent and "secret_env" in missing.value.message
    with pytest.raises(TransportError) as bad_number:
        AliyunSmsChannel(context).send(sample_notification(), target(http_receiver, phone="call me"))
    assert bad_number.value.permanent
