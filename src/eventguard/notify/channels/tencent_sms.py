"""Tencent Cloud SMS (腾讯云短信, ``SendSms``, API version 2021-01-11) signed with TC3-HMAC-SHA256.

``POST <address>`` (default ``https://sms.tencentcloudapi.com/``) with the JSON body
``{"PhoneNumberSet": ["+86…"], "SmsSdkAppId", "SignName", "TemplateId", "TemplateParamSet": [...],
"SessionContext": <our idempotency key>}`` and the headers ``X-TC-Action: SendSms``,
``X-TC-Version: 2021-01-11``, ``X-TC-Region``, ``X-TC-Timestamp`` (Unix seconds) and
``Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<date>/sms/tc3_request,
SignedHeaders=content-type;host, Signature=<hex>`` where:

1. ``CanonicalRequest = "POST\\n" + path ("/") + "\\n" + "" (no query) + "\\n" +
   "content-type:application/json; charset=utf-8\\nhost:<host>\\n" + "\\n" +
   "content-type;host" + "\\n" + hex(SHA256(body))``;
2. ``StringToSign = "TC3-HMAC-SHA256\\n" + timestamp + "\\n" + date + "/sms/tc3_request\\n" +
   hex(SHA256(CanonicalRequest))`` (``date``: the UTC date of the timestamp, ``YYYY-MM-DD``);
3. ``SecretDate = HMAC-SHA256("TC3" + SecretKey, date)``, ``SecretService = HMAC-SHA256(SecretDate,
   "sms")``, ``SecretSigning = HMAC-SHA256(SecretService, "tc3_request")``,
   ``Signature = hex(HMAC-SHA256(SecretSigning, StringToSign))``.

Credentials: ``secret_env`` holds the SecretId, ``signing_secret_env`` the SecretKey. Config:
``sdk_app_id``, ``sign_name``, ``template_id`` and ``template_params`` (the notification fields
filling the template's ``{1}``, ``{2}`` … in order), ``param_max_chars``, ``region`` and the
:class:`SmsConfig` keys.

Answers are HTTP 200 with ``{"Response": {...}}``: an ``Error`` (``Code``, ``Message``) means the
request failed; otherwise ``SendStatusSet[0].Code`` is ``Ok`` when the text was accepted. Rate
limits (``RequestLimitExceeded*``, the per-number ``LimitExceeded.PhoneNumber*Limit`` and
``LimitExceeded.DeliveryFrequencyLimit``) and ``InternalError.*`` are retried; ``AuthFailure.*``,
``InvalidParameterValue.*`` (e.g. ``IncorrectPhoneNumber``), ``FailedOperation.*`` (unapproved
sign or template, no balance, number on the do-not-disturb list), ``UnauthorizedOperation.*`` and
every other code are permanent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx
from pydantic import Field

from eventguard.notify.channels.base import (
    BEARER,
    ChannelContext,
    ChannelTarget,
    DeliveryReceipt,
    KeyJoin,
    Notification,
    TransportError,
    json_bytes,
)
from eventguard.notify.channels.render import fit_chars
from eventguard.notify.channels.sms import (
    SmsConfig,
    TemplateField,
    credential,
    recipient_number,
    template_values,
)
from eventguard.plugins import hookimpl

API_VERSION = "2021-01-11"
SERVICE = "sms"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host"
# Codes worth another try, and how long to wait (None: the usual backoff).
TEMPORARY_CODES: Mapping[str, float | None] = {
    "LimitExceeded.PhoneNumberThirtySecondLimit": 30.0,
    "LimitExceeded.PhoneNumberOneHourLimit": 3600.0,
    "LimitExceeded.PhoneNumberDailyLimit": 3600.0,
    "LimitExceeded.PhoneNumberSameContentDailyLimit": 3600.0,
    "LimitExceeded.DeliveryFrequencyLimit": 60.0,
    "LimitExceeded.AppDailyLimit": 3600.0,
    "LimitExceeded.AppGlobalDailyLimit": 3600.0,
    "LimitExceeded.AppMainlandChinaDailyLimit": 3600.0,
    "LimitExceeded.AppCountryOrRegionDailyLimit": 3600.0,
}
TEMPORARY_PREFIXES = ("RequestLimitExceeded", "InternalError")
PERMANENT_INTERNAL = frozenset({"InternalError.SigVerificationFail", "InternalError.SigFieldMissing"})


class TencentSmsConfig(SmsConfig):
    sdk_app_id: str = Field(min_length=1, description="SmsSdkAppId of the SMS application, e.g. 1400006666.")
    sign_name: str = Field(min_length=1, description="The approved signature (签名内容).")
    template_id: str = Field(min_length=1, description="The approved template's id.")
    template_params: list[TemplateField] = Field(
        default_factory=list, description="The fields filling the template's {1}, {2} … in order."
    )
    param_max_chars: int = Field(default=35, ge=1, le=500, description="Each parameter is cut to this.")
    region: str = Field(default="ap-guangzhou", description="X-TC-Region.")


class TencentSmsChannel:
    """Sends template SMS through Tencent Cloud's SendSms, signed with TC3-HMAC-SHA256."""

    kind: ClassVar[str] = "tencent_sms"
    key_join: ClassVar[KeyJoin] = BEARER  # secret_env: the SecretId, handed over as an option
    pages_by_phone: ClassVar[bool] = True
    config_schema: ClassVar[type[TencentSmsConfig]] = TencentSmsConfig
    per_recipient_limit: ClassVar[int] = 10
    medium: ClassVar[str] = "sms"

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http
        self._clock = context.clock

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Send one templated text; ``SendStatusSet[0].Code == "Ok"`` is delivered."""
        secret_id = credential(target, "SecretId", signing=False)
        secret_key = credential(target, "SecretKey", signing=True)
        body = json_bytes(request_body(notification, target))
        timestamp = int(self._clock.now().timestamp())
        host = httpx.URL(target.address).netloc.decode("ascii")
        path = httpx.URL(target.address).path or "/"
        headers = {
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": "SendSms",
            "X-TC-Version": API_VERSION,
            "X-TC-Region": str(target.options.get("region") or "ap-guangzhou"),
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Language": "zh-CN" if notification.language == "zh-CN" else "en-US",
            "Authorization": authorization(
                secret_id=secret_id,
                secret_key=secret_key,
                host=host,
                path=path,
                body=body,
                timestamp=timestamp,
            ),
        }
        response = self._http.post_bytes(target.address, body, headers=headers, check=False)
        return outcome(response, self._http.retry_after(response))


def request_body(notification: Notification, target: ChannelTarget) -> dict[str, Any]:
    options = target.options
    for key in ("sdk_app_id", "sign_name", "template_id"):
        if not options.get(key):
            raise TransportError(f"set config.{key}", permanent=True)
    values = template_values(notification)
    limit = int(options.get("param_max_chars") or 35)
    return {
        "PhoneNumberSet": [recipient_number(target)],
        "SmsSdkAppId": str(options["sdk_app_id"]),
        "SignName": str(options["sign_name"]),
        "TemplateId": str(options["template_id"]),
        "TemplateParamSet": [
            fit_chars(values.get(field, ""), limit) for field in options.get("template_params") or []
        ],
        "SessionContext": notification.idempotency_key[:500],
    }


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def authorization(
    *, secret_id: str, secret_key: str, host: str, path: str, body: bytes, timestamp: int
) -> str:
    """The ``Authorization`` header of TC3-HMAC-SHA256 (see the module docstring)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    canonical_headers = f"content-type:{CONTENT_TYPE}\nhost:{host}\n"
    canonical_request = "\n".join(
        ["POST", path, "", canonical_headers, SIGNED_HEADERS, hashlib.sha256(body).hexdigest()]
    )
    scope = f"{date}/{SERVICE}/tc3_request"
    string_to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    secret_signing = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    signature = hmac.new(secret_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={SIGNED_HEADERS}, Signature={signature}"
    )


def _error(code: str, message: str, status: int, retry_after: float | None) -> TransportError:
    text = f"Tencent Cloud SMS {code}: {message}"
    if code in TEMPORARY_CODES:
        return TransportError(text, status_code=status, retry_after=retry_after or TEMPORARY_CODES[code])
    if code.startswith(TEMPORARY_PREFIXES) and code not in PERMANENT_INTERNAL:
        return TransportError(text, status_code=status, retry_after=retry_after)
    return TransportError(text, permanent=True, status_code=status)


def outcome(response: httpx.Response, retry_after: float | None) -> DeliveryReceipt:
    status = response.status_code
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    inner = answer.get("Response") if isinstance(answer, dict) else None
    if not isinstance(inner, dict):
        if status == 429 or status >= 500:
            raise TransportError(
                f"HTTP {status}: {response.text[:200]}", status_code=status, retry_after=retry_after
            )
        raise TransportError(
            f"unexpected answer: HTTP {status}: {response.text[:200]}", permanent=True, status_code=status
        )
    error = inner.get("Error")
    if isinstance(error, dict):
        raise _error(str(error.get("Code") or "?"), str(error.get("Message") or ""), status, retry_after)
    statuses = inner.get("SendStatusSet") or []
    first = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
    code = str(first.get("Code") or "?")
    if code == "Ok":
        return DeliveryReceipt(status_code=status, detail=f"SerialNo {first.get('SerialNo', '')}".strip())
    raise _error(code, str(first.get("Message") or ""), status, retry_after)


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The Tencent Cloud SMS channel, registered like a plugin's."""
    return [TencentSmsChannel]
