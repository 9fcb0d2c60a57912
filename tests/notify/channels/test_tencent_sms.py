"""Tencent Cloud SMS: SendSms JSON, TC3-HMAC-SHA256 recomputed by the local gateway, error codes."""

from __future__ import annotations

import pytest

from eventguard.notify.channels.base import ChannelContext, ChannelTarget, TransportError
from eventguard.notify.channels.tencent_sms import TencentSmsChannel
from tests.notify.channels.gateways import TENCENT_ID, TENCENT_KEY, tencent_gateway, tencent_signature_ok
from tests.notify.channels.samples import sample_notification
from tests.notify.receivers import HttpReceiver

CONFIG = {
    "sdk_app_id": "1400006666",
    "sign_name": "活动保障",
    "template_id": "1110",
    "template_params": ["level", "summary"],
}


def target(receiver: HttpReceiver, **options: object) -> ChannelTarget:
    merged = {**CONFIG, "bearer_token": TENCENT_ID, "phone": "+86 138-0000-0002", **options}
    return ChannelTarget(kind="tencent_sms", address=f"{receiver.url}/", secret=TENCENT_KEY, options=merged)


def test_it_sends_a_tc3_signed_sendsms(http_receiver: HttpReceiver, context: ChannelContext) -> None:
    http_receiver.answer_with(tencent_gateway())
    receipt = TencentSmsChannel(context).send(sample_notification(), target(http_receiver))
    request = http_receiver.last
    assert tencent_signature_ok(request, TENCENT_ID, TENCENT_KEY)
    assert request.headers["x-tc-action"] == "SendSms" and request.headers["x-tc-version"] == "2021-01-11"
    assert request.headers["x-tc-region"] == "ap-guangzhou"
    assert request.headers["x-tc-timestamp"] == "1771214702"
    assert request.headers["host"] == http_receiver.url.removeprefix("http://")
    body = request.json()
    assert body["PhoneNumberSet"] == ["+8613800000002"]
    assert body["SmsSdkAppId"] == "1400006666" and body["TemplateId"] == "1110"
    assert body["SignName"] == "活动保障" and body["TemplateParamSet"] == ["L1", "直播中断"]
    assert body["SessionContext"] == "n-4711-ops-lead-1"
    assert receipt.detail.startswith("SerialNo 5000:")


def test_a_wrong_secret_key_is_refused_by_the_gateway(
    http_receiver: HttpReceiver, context: ChannelContext
) -> None:
    http_receiver.answer_with(tencent_gateway())
    wrong = ChannelTarget(
        kind="tencent_sms",
        address=f"{http_receiver.url}/",
        secret="not-the-key",
        options={**CONFIG, "bearer_token": TENCENT_ID, "phone": "+8613800000002"},
    )
    with pytest.raises(TransportError) as error:
        TencentSmsChannel(context).send(sample_notification(), wrong)
    assert error.value.permanent and "AuthFailure.SignatureFailure" in error.value.message


@pytest.mark.parametrize(
    ("code", "permanent", "retry_after"),
    [
        ("LimitExceeded.PhoneNumberOneHourLimit", False, 3600.0),
        ("LimitExceeded.PhoneNumberThirtySecondLimit", False, 30.0),
        ("InvalidParameterValue.IncorrectPhoneNumber", True, None),
        ("FailedOperation.InsufficientBalanceInSmsPackage", True, None),
        ("FailedOperation.PhoneNumberInBlacklist", True, None),
    ],
)
def test_send_status_codes_are_temporary_or_permanent(
    http_receiver: HttpReceiver,
    context: ChannelContext,
    code: str,
    permanent: bool,
    retry_after: float | None,
) -> None:
    http_receiver.answer_with(tencent_gateway(code=code))
    with pytest.raises(TransportError) as error:
        TencentSmsChannel(context).send(sample_notification(), target(http_receiver))
    assert error.value.permanent is permanent and code in error.value.message
    assert error.value.retry_after == retry_after


@pytest.mark.parametrize(
    ("code", "permanent"),
    [
        ("RequestLimitExceeded", False),
        ("InternalError.Timeout", False),
        ("AuthFailure.SecretIdNotFound", True),
    ],
)
def test_request_errors_are_temporary_or_permanent(
    http_receiver: HttpReceiver, context: ChannelContext, code: str, permanent: bool
) -> None:
    http_receiver.answer_with(tencent_gateway(error=code))
    with pytest.raises(TransportError) as error:
        TencentSmsChannel(context).send(sample_notification(), target(http_receiver))
    assert error.value.permanent is permanent
