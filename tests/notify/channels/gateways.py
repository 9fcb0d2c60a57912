"""Local imitations of the SMS/voice gateways and Teams: each recomputes the request's signature
the way the platform documents it — written here again from the documentation, not by calling
EventGuard's signing code — and answers with the platform's success or error shapes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote_plus

from tests.notify.receivers import RecordedRequest, Reply

ALIYUN_ID, ALIYUN_SECRET = "LTAI5tExampleKeyId", "aliyun-access-key-secret+/="
TENCENT_ID, TENCENT_KEY = "AKIDexampleSecretId0000", "tencent-secret-key-0000"
TWILIO_SID, TWILIO_TOKEN = "AC" + "0123456789abcdef" * 2, "twilio-auth-token-0001"


def form(request: RecordedRequest) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode("ascii"), keep_blank_values=True))


def _aliyun_encode(value: str) -> str:
    # Aliyun's recipe: URL-encode as a form, then "+" -> "%20", "*" -> "%2A", "%7E" -> "~".
    return quote_plus(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def aliyun_signature_ok(request: RecordedRequest, secret: str) -> bool:
    """Aliyun RPC signature v1 (HMAC-SHA1) of a POSTed SendSms, recomputed from the received form."""
    fields = form(request)
    sent = fields.pop("Signature", "")
    canonical = "&".join(f"{_aliyun_encode(k)}={_aliyun_encode(v)}" for k, v in sorted(fields.items()))
    string_to_sign = "POST&" + _aliyun_encode("/") + "&" + _aliyun_encode(canonical)
    expected = base64.b64encode(
        hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    ).decode()
    return hmac.compare_digest(sent, expected)


def aliyun_gateway(secret: str = ALIYUN_SECRET, code: str = "OK") -> Callable[[RecordedRequest], Reply]:
    def respond(request: RecordedRequest) -> Reply:
        if not aliyun_signature_ok(request, secret):
            return Reply(
                400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
            )
        if code != "OK":
            return Reply(200, {"Code": code, "Message": code, "RequestId": "r-1"})
        return Reply(200, {"Code": "OK", "Message": "OK", "BizId": "9006197469364984^0", "RequestId": "r-1"})

    return respond


def tencent_signature_ok(request: RecordedRequest, secret_id: str, secret_key: str) -> bool:
    """TC3-HMAC-SHA256, recomputed from the received headers and body as Tencent Cloud documents."""
    authorization = request.headers.get("authorization", "")
    algorithm, _, rest = authorization.partition(" ")
    parts = dict(item.strip().split("=", 1) for item in rest.split(","))
    timestamp = request.headers["x-tc-timestamp"]
    date = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
    signed = parts["SignedHeaders"].split(";")
    canonical_headers = "".join(f"{name}:{request.headers[name].strip().lower()}\n" for name in signed)
    canonical_request = (
        f"{request.method}\n{request.path}\n{request.raw_query}\n{canonical_headers}\n"
        f"{parts['SignedHeaders']}\n{hashlib.sha256(request.body).hexdigest()}"
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    )

    def h(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = h(h(h(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    expected = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        algorithm == "TC3-HMAC-SHA256"
        and parts["Credential"] == f"{secret_id}/{scope}"
        and hmac.compare_digest(parts["Signature"], expected)
    )


def tencent_gateway(code: str = "Ok", error: str | None = None) -> Callable[[RecordedRequest], Reply]:
    def respond(request: RecordedRequest) -> Reply:
        if not tencent_signature_ok(request, TENCENT_ID, TENCENT_KEY):
            failure = {"Code": "AuthFailure.SignatureFailure", "Message": "bad signature"}
            return Reply(200, {"Response": {"Error": failure, "RequestId": "r-2"}})
        if error:
            return Reply(200, {"Response": {"Error": {"Code": error, "Message": error}, "RequestId": "r-2"}})
        number = request.json()["PhoneNumberSet"][0]
        status = {"SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": number, "Fee": 1}
        status |= {"SessionContext": "", "Code": code, "Message": "send success", "IsoCode": "CN"}
        return Reply(200, {"Response": {"SendStatusSet": [status], "RequestId": "r-2"}})

    return respond


def twilio_auth_ok(request: RecordedRequest, user: str = TWILIO_SID, password: str = TWILIO_TOKEN) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    return scheme == "Basic" and base64.b64decode(encoded).decode() == f"{user}:{password}"


def twilio_api(status: int = 201, code: int | None = None) -> Callable[[RecordedRequest], Reply]:
    def respond(request: RecordedRequest) -> Reply:
        if not twilio_auth_ok(request):
            return Reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if code is not None:
            return Reply(status, {"code": code, "message": f"error {code}", "status": status})
        kind = "SM" if request.path.endswith("/Messages.json") else "CA"
        return Reply(201, {"sid": kind + "f" * 32, "status": "queued", "to": form(request)["To"]})

    return respond


def json_body(request: RecordedRequest) -> dict[str, object]:
    loaded = json.loads(request.body)
    assert isinstance(loaded, dict)
    return loaded
