"""Aliyun SMS (阿里云短信服务, dysmsapi ``SendSms``, API version 2017-05-25) with the RPC signature
(``SignatureVersion=1.0``, ``SignatureMethod=HMAC-SHA1``).

``POST <address>`` (default ``https://dysmsapi.aliyuncs.com/``) with an
``application/x-www-form-urlencoded`` body holding every parameter — the common ones
(``AccessKeyId``, ``Action=SendSms``, ``Format=JSON``, ``RegionId``, ``SignatureMethod``,
``SignatureNonce`` (fresh per attempt), ``SignatureVersion``, ``Timestamp`` (UTC,
``YYYY-MM-DDThh:mm:ssZ``), ``Version``) and SendSms's (``PhoneNumbers``, ``SignName``,
``TemplateCode``, ``TemplateParam`` (a JSON object as text), ``OutId`` (our idempotency key)) —
plus ``Signature``:

1. percent-encode each name and value (RFC 3986: ``A-Z a-z 0-9 - _ . ~`` unencoded, space as
   ``%20``, ``*`` as ``%2A``), sort by name, join as ``name=value`` with ``&``: the canonicalized
   query string;
2. ``StringToSign = "POST" + "&" + percentEncode("/") + "&" + percentEncode(canonicalized)``;
3. ``Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign))``.

Credentials: ``secret_env`` holds the AccessKey ID, ``signing_secret_env`` the AccessKey secret.
Config: ``sign_name`` and ``template_code`` (approved in the console), ``template_params``
(template variable -> one of :data:`~eventguard.notify.channels.sms.TEMPLATE_FIELDS`),
``param_max_chars`` (each value cut to it), ``region`` and the :class:`SmsConfig` keys.

Answers are JSON ``{"Code": "OK", "BizId": …, "RequestId": …}``; every other ``Code`` is an error:
the flow-control and system codes in :data:`TEMPORARY_CODES` (and HTTP 429/5xx) are retried, every
other code — ``isv.MOBILE_NUMBER_ILLEGAL``, ``isv.SMS_TEMPLATE_ILLEGAL``,
``isv.SMS_SIGNATURE_ILLEGAL``, ``isv.AMOUNT_NOT_ENOUGH``, ``SignatureDoesNotMatch``,
``InvalidAccessKeyId.NotFound`` … — is permanent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import quote

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
)
from eventguard.notify.channels.sms import SmsConfig, TemplateField, credential, fill, recipient_number
from eventguard.plugins import hookimpl

API_VERSION = "2017-05-25"
# Flow control (per number, per account, per API) and Aliyun's own failures: try again later.
TEMPORARY_CODES: Mapping[str, float | None] = {
    "isv.BUSINESS_LIMIT_CONTROL": 60.0,
    "isv.DAY_LIMIT_CONTROL": 3600.0,
    "Throttling": 10.0,
    "Throttling.User": 10.0,
    "Throttling.Api": 10.0,
    "isp.SYSTEM_ERROR": None,
    "isp.GATEWAY_ERROR": None,
    "isp.UNKNOWN": None,
    "ServiceUnavailable": None,
    "InternalError": None,
    "SignatureNonceUsed": None,  # a fresh nonce is drawn on the next attempt
}


class AliyunSmsConfig(SmsConfig):
    sign_name: str = Field(min_length=1, description="The approved SMS signature (签名名称).")
    template_code: str = Field(min_length=1, description="The approved template's code, e.g. SMS_1530….")
    template_params: dict[str, TemplateField] = Field(
        default_factory=dict, description="Template variable -> the notification field that fills it."
    )
    param_max_chars: int = Field(
        default=35, ge=1, le=500, description="Each variable's value is cut to this."
    )
    region: str = Field(default="cn-hangzhou", description="RegionId sent with the request.")


class AliyunSmsChannel:
    """Sends template SMS through Aliyun's SendSms, signed with the RPC signature (HMAC-SHA1)."""

    kind: ClassVar[str] = "aliyun_sms"
    key_join: ClassVar[KeyJoin] = BEARER  # secret_env: the AccessKey ID, handed over as an option
    pages_by_phone: ClassVar[bool] = True
    config_schema: ClassVar[type[AliyunSmsConfig]] = AliyunSmsConfig
    per_recipient_limit: ClassVar[int] = 10  # texts per number per hour unless the plan says otherwise
    medium: ClassVar[str] = "sms"

    def __init__(self, context: ChannelContext) -> None:
        self._http = context.http
        self._clock = context.clock

    def send(self, notification: Notification, target: ChannelTarget) -> DeliveryReceipt:
        """Send one templated text; ``Code: OK`` is delivered."""
        key_id = credential(target, "AccessKey ID", signing=False)
        key_secret = credential(target, "AccessKey secret", signing=True)
        parameters = request_parameters(notification, target, key_id=key_id)
        parameters["Timestamp"] = self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        parameters["SignatureNonce"] = uuid.uuid4().hex
        body = signed_body(parameters, key_secret)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": "application/json",
        }
        response = self._http.post_bytes(target.address, body.encode("ascii"), headers=headers, check=False)
        return outcome(response, self._http.retry_after(response))


def request_parameters(notification: Notification, target: ChannelTarget, *, key_id: str) -> dict[str, str]:
    """Every parameter but ``Timestamp``, ``SignatureNonce`` and ``Signature``."""
    options = target.options
    sign_name, template_code = options.get("sign_name"), options.get("template_code")
    if not sign_name or not template_code:
        raise TransportError("set config.sign_name and config.template_code", permanent=True)
    params = fill(
        options.get("template_params") or {}, notification, int(options.get("param_max_chars") or 35)
    )
    return {
        "AccessKeyId": key_id,
        "Action": "SendSms",
        "Format": "JSON",
        "RegionId": str(options.get("region") or "cn-hangzhou"),
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "Version": API_VERSION,
        "PhoneNumbers": recipient_number(target).removeprefix("+"),
        "SignName": str(sign_name),
        "TemplateCode": str(template_code),
        "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
        "OutId": notification.idempotency_key[:64],
    }


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature wants it (``%20`` for space, ``~`` kept)."""
    return quote(value, safe="-_.~")


def canonicalized(parameters: Mapping[str, str]) -> str:
    return "&".join(
        f"{percent_encode(name)}={percent_encode(value)}" for name, value in sorted(parameters.items())
    )


def signature(parameters: Mapping[str, str], secret: str, method: str = "POST") -> str:
    """``Base64(HMAC-SHA1(secret + "&", method&%2F&percentEncode(canonicalized)))``."""
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonicalized(parameters))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_body(parameters: Mapping[str, str], secret: str) -> str:
    """The form body: the canonicalized parameters and their ``Signature``."""
    return f"{canonicalized(parameters)}&Signature={percent_encode(signature(parameters, secret))}"


def outcome(response: httpx.Response, retry_after: float | None) -> DeliveryReceipt:
    """``Code: OK`` is delivered; temporary codes and HTTP 429/5xx are retried; the rest is permanent."""
    status = response.status_code
    try:
        answer: Any = response.json()
    except ValueError:
        answer = None
    code = answer.get("Code") if isinstance(answer, dict) else None
    if code == "OK" and 200 <= status < 300:
        return DeliveryReceipt(status_code=status, detail=f"BizId {answer.get('BizId', '')}".strip())
    message = answer.get("Message") if isinstance(answer, dict) else response.text[:200]
    text = f"Aliyun SMS {code or f'HTTP {status}'}: {message}"
    if code in TEMPORARY_CODES:
        raise TransportError(text, status_code=status, retry_after=retry_after or TEMPORARY_CODES[str(code)])
    if status == 429 or status >= 500:
        raise TransportError(text, status_code=status, retry_after=retry_after)
    raise TransportError(text, permanent=True, status_code=status)


@hookimpl
def eventguard_channels() -> list[type[Any]]:
    """The Aliyun SMS channel, registered like a plugin's."""
    return [AliyunSmsChannel]
