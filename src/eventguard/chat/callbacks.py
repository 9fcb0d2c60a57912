"""What a platform sends us, checked the way each documents it, then read into one shape.

Slack: ``X-Slack-Signature`` = ``v0=`` + HMAC-SHA256(signing secret, ``v0:{timestamp}:{raw body}``)
with ``X-Slack-Request-Timestamp`` no more than 5 minutes off. Feishu: ``X-Lark-Signature`` =
SHA-256(timestamp + nonce + encrypt key + raw body) over an ``{"encrypt": …}`` body (AES-256-CBC,
key SHA-256(encrypt key), the IV the first 16 bytes), the verification token inside. A signature
(Slack) or event id (Feishu) seen before is a replay; both are refused before anything is read."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.chat.models import ChatNonce
from eventguard.chat.platforms import Credentials

MAX_SKEW = timedelta(minutes=5)


class Refused(Exception):
    """The callback is not signed, not ours, too old or a replay (``code`` says which)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Inbound:
    """One callback, read: a button (``action``), a text in a chat (``text``), or a URL check."""

    kind: str  # action | text | challenge | ignored
    external_id: str = ""
    chat_id: str | None = None
    incident_id: int | None = None
    value: str = ""  # the button's action, or the text
    challenge: str | None = None
    reply: str = "json"  # slack: the shape of the answer (json for interactivity and slash commands)


def remember(*, db: Session, platform: str, nonce: str, now: datetime) -> None:
    """Record a callback's nonce; one seen before is a replay. Old nonces (past the skew) are pruned."""
    db.execute(delete(ChatNonce).where(ChatNonce.seen_at < now - 2 * MAX_SKEW))
    try:
        with db.begin_nested():
            db.add(ChatNonce(platform=platform, nonce=nonce[:128], seen_at=now))
    except IntegrityError as exc:
        raise Refused("replayed", "this callback was already received") from exc


def _fresh(timestamp: datetime, now: datetime) -> None:
    if abs(now - timestamp) > MAX_SKEW:
        raise Refused("stale_timestamp", "the callback's timestamp is more than 5 minutes off")


# --- Slack -------------------------------------------------------------------------------------


def slack(*, creds: Credentials, headers: dict[str, str], body: bytes, now: datetime) -> tuple[Inbound, str]:
    """Verify and read a Slack request; (what it is, its nonce)."""
    timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise Refused("unsigned", "the request is not signed")
    try:
        moment = datetime.fromtimestamp(int(timestamp), tz=now.tzinfo)
    except (ValueError, OverflowError) as exc:
        raise Refused("unsigned", "the timestamp is not a number") from exc
    _fresh(moment, now)
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(creds.secret("signing_secret").encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused("bad_signature", "the signature does not match")
    content_type = headers.get("content-type", "")
    nonce = signature
    if content_type.startswith("application/json"):
        # Slack re-sends an event it thinks failed with a new timestamp and signature, the same event_id
        event_id = json.loads(body).get("event_id")
        nonce = f"event:{event_id}" if event_id else signature
    return _slack_read(body, content_type), nonce


def _slack_read(body: bytes, content_type: str) -> Inbound:
    if content_type.startswith("application/json"):
        data = json.loads(body)
        if data.get("type") == "url_verification":
            return Inbound("challenge", challenge=str(data.get("challenge", "")))
        event = data.get("event") or {}
        if (
            data.get("type") != "event_callback"
            or event.get("type") != "message"
            or event.get("bot_id")
            or event.get("subtype")
        ):
            return Inbound("ignored")
        return Inbound(
            "text",
            external_id=str(event.get("user", "")),
            chat_id=event.get("channel"),
            value=str(event.get("text", "")),
            reply="post",
        )
    form = {key: values[0] for key, values in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    if "payload" in form:
        payload = json.loads(form["payload"])
        if payload.get("type") != "block_actions" or not payload.get("actions"):
            return Inbound("ignored")
        incident, _, action = str(payload["actions"][0].get("value", "")).partition(":")
        return Inbound(
            "action",
            external_id=str((payload.get("user") or {}).get("id", "")),
            chat_id=(payload.get("channel") or {}).get("id"),
            incident_id=int(incident) if incident.isdigit() else None,
            value=action,
        )
    if "command" in form:
        return Inbound(
            "text",
            external_id=form.get("user_id", ""),
            chat_id=form.get("channel_id"),
            value=form.get("text", ""),
        )
    return Inbound("ignored")


def slack_answer(text: str) -> dict[str, Any]:
    """Slack's answer to a slash command or a button: a message only the clicking user sees."""
    return {"response_type": "ephemeral", "text": text}


# --- Feishu / Lark --------------------------------------------------------------------------------


def feishu_decrypt(encrypt_key: str, encrypted: str) -> Any:
    """AES-256-CBC with key SHA-256(encrypt key); the first 16 bytes of the base64 text are the IV."""
    raw = base64.b64decode(encrypted)
    key = hashlib.sha256(encrypt_key.encode()).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(raw[:16])).decryptor()
    padded = decryptor.update(raw[16:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return json.loads(unpadder.update(padded) + unpadder.finalize())


def feishu(
    *, creds: Credentials, headers: dict[str, str], body: bytes, now: datetime
) -> tuple[Inbound, str | None]:
    """Verify and read a Feishu callback; (what it is, its nonce: the event id)."""
    try:
        outer = json.loads(body)
    except ValueError as exc:
        raise Refused("unsigned", "the body is not JSON") from exc
    encrypt_key = creds.secrets.get("encrypt_key")
    if encrypt_key:
        timestamp = headers.get("x-lark-request-timestamp")
        nonce = headers.get("x-lark-request-nonce")
        signature = headers.get("x-lark-signature")
        if not isinstance(outer, dict) or "encrypt" not in outer:
            raise Refused("unsigned", "the callback is not encrypted")
        if timestamp and nonce and signature:
            expected = hashlib.sha256(
                timestamp.encode() + nonce.encode() + encrypt_key.encode() + body
            ).hexdigest()
            if not hmac.compare_digest(expected, signature):
                raise Refused("bad_signature", "the signature does not match")
            _fresh(datetime.fromtimestamp(int(timestamp), tz=now.tzinfo), now)
        elif not _is_url_check(outer, encrypt_key):
            raise Refused("unsigned", "the request is not signed")
        try:
            data = feishu_decrypt(encrypt_key, str(outer["encrypt"]))
        except (ValueError, TypeError) as exc:
            raise Refused("bad_signature", "the callback cannot be decrypted") from exc
    else:
        data = outer
    if not isinstance(data, dict):
        raise Refused("unsigned", "the callback is not an object")
    header = data.get("header") or {}
    token = header.get("token") if header else data.get("token")
    if not token or not hmac.compare_digest(str(token), creds.secret("verification_token")):
        raise Refused("bad_token", "the verification token does not match")
    if data.get("type") == "url_verification":
        return Inbound("challenge", challenge=str(data.get("challenge", ""))), None
    created = header.get("create_time")
    if created and str(created).isdigit():
        _fresh(datetime.fromtimestamp(int(created) / 1000, tz=now.tzinfo), now)
    elif not encrypt_key:
        raise Refused("unsigned", "the callback has no time")
    return _feishu_read(header, data.get("event") or {}), str(header.get("event_id") or "") or None


def _is_url_check(outer: dict[str, Any], encrypt_key: str) -> bool:
    # The URL check of an encrypted subscription carries no signature headers.
    try:
        return bool(feishu_decrypt(encrypt_key, str(outer["encrypt"])).get("type") == "url_verification")
    except (ValueError, TypeError, AttributeError):
        return False


def _feishu_read(header: dict[str, Any], event: dict[str, Any]) -> Inbound:
    kind = header.get("event_type")
    if kind == "card.action.trigger":
        value = (event.get("action") or {}).get("value") or {}
        if isinstance(value, str):
            value = json.loads(value)
        incident = str(value.get("incident", ""))
        return Inbound(
            "action",
            external_id=str((event.get("operator") or {}).get("open_id", "")),
            chat_id=(event.get("context") or {}).get("open_chat_id"),
            incident_id=int(incident) if incident.isdigit() else None,
            value=str(value.get("action", "")),
        )
    if kind == "im.message.receive_v1":
        message = event.get("message") or {}
        if message.get("message_type") != "text":
            return Inbound("ignored")
        sender = (event.get("sender") or {}).get("sender_id") or {}
        text = json.loads(message.get("content") or "{}").get("text", "")
        return Inbound(
            "text",
            external_id=str(sender.get("open_id", "")),
            chat_id=message.get("chat_id"),
            value=str(text),
            reply="post",
        )
    return Inbound("ignored")


def feishu_answer(ok: bool, text: str) -> dict[str, Any]:
    """Feishu's answer to a card callback: a toast on the clicking user's screen."""
    return {"toast": {"type": "success" if ok else "error", "content": text}}


# --- DingTalk -------------------------------------------------------------------------------------

_INCIDENT_IN = re.compile(r"EG#(\d+)|#(\d+)")


def dingtalk(
    *, creds: Credentials, headers: dict[str, str], body: bytes, now: datetime
) -> tuple[Inbound, str | None]:
    """Verify and read a message to the app's robot (an @-mention in a war room); (what it is, its msgId).

    ``sign`` = base64(HMAC-SHA256(app secret, ``{timestamp}\\n{app secret}``)) with ``timestamp`` in
    milliseconds. The signature covers the timestamp only, so the 5-minute window and the msgId
    nonce are what stop a replay."""
    timestamp, signature = headers.get("timestamp"), headers.get("sign")
    if not timestamp or not signature:
        raise Refused("unsigned", "the request is not signed")
    if not timestamp.isdigit():
        raise Refused("unsigned", "the timestamp is not a number")
    secret = creds.secret("app_secret")
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    if not hmac.compare_digest(expected, signature):
        raise Refused("bad_signature", "the signature does not match")
    _fresh(datetime.fromtimestamp(int(timestamp) / 1000, tz=now.tzinfo), now)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Refused("unsigned", "the body is not JSON") from exc
    if not isinstance(data, dict) or data.get("msgtype") != "text":
        return Inbound("ignored"), None
    text = str((data.get("text") or {}).get("content", "")).strip()
    incident = None
    for source in (str(data.get("conversationTitle") or ""), text):
        match = _INCIDENT_IN.search(source)
        if match:
            incident = int(match.group(1) or match.group(2))
            break
    text = _INCIDENT_IN.sub(" ", text).strip()
    staff = str(data.get("senderStaffId") or "")
    return Inbound("text", external_id=staff, incident_id=incident, value=text), str(
        data.get("msgId") or ""
    ) or None


def dingtalk_answer(text: str) -> dict[str, Any]:
    """The robot's reply in the conversation (the answer body of its message callback)."""
    return {"msgtype": "text", "text": {"content": text}}


# --- WeCom ----------------------------------------------------------------------------------------


def _wecom_key(encoding_aes_key: str) -> bytes:
    key = base64.b64decode(encoding_aes_key + "=")
    if len(key) != 32:
        raise Refused("bad_signature", "the EncodingAESKey is not 43 characters of base64")
    return key


def wecom_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """``msg_signature`` = hex SHA-1 of the four values sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def wecom_decrypt(encoding_aes_key: str, encrypted: str, receive_id: str) -> str:
    """AES-256-CBC (IV: the key's first 16 bytes), PKCS#7 to 32 bytes; the plain text is 16 random
    bytes, the message length (4 bytes, network order), the message, then the receiver's id."""
    key = _wecom_key(encoding_aes_key)
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= 32:
        raise ValueError("bad padding")
    content = padded[16:-pad]
    length = int.from_bytes(content[:4], "big")
    message, receiver = content[4 : 4 + length], content[4 + length :]
    if receiver.decode() != receive_id:
        raise ValueError("the message is for another corp")
    return message.decode()


def wecom_encrypt(encoding_aes_key: str, message: str, receive_id: str, random16: bytes) -> str:
    key = _wecom_key(encoding_aes_key)
    raw = message.encode()
    text = random16 + len(raw).to_bytes(4, "big") + raw + receive_id.encode()
    pad = 32 - len(text) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(text + bytes([pad]) * pad) + encryptor.finalize()).decode()


def _plain_xml(body: bytes) -> ElementTree.Element:
    # A document type is where entity expansion lives; WeCom never sends one, so none is read.
    if b"<!DOCTYPE" in body.upper() or b"<!ENTITY" in body.upper():
        raise Refused("unsigned", "the body declares a document type")
    try:
        return ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise Refused("unsigned", "the body is not XML") from exc


def wecom(
    *, creds: Credentials, query: dict[str, str], body: bytes, now: datetime
) -> tuple[Inbound, str | None]:
    """Verify and read a message to the app (its callback URL): ``msg_signature``, ``timestamp`` and
    ``nonce`` in the query, an ``<Encrypt>`` in the XML body; (what it is, its nonce)."""
    signature, timestamp, nonce = query.get("msg_signature"), query.get("timestamp"), query.get("nonce")
    if not signature or not timestamp or not nonce:
        raise Refused("unsigned", "the request is not signed")
    encrypted = (_plain_xml(body).findtext("Encrypt") or "").strip()
    token = creds.secret("callback_token")
    if not encrypted or not hmac.compare_digest(
        wecom_signature(token, timestamp, nonce, encrypted), signature
    ):
        raise Refused("bad_signature", "the signature does not match")
    if not timestamp.isdigit():
        raise Refused("unsigned", "the timestamp is not a number")
    _fresh(datetime.fromtimestamp(int(timestamp), tz=now.tzinfo), now)
    try:
        message = _plain_xml(
            wecom_decrypt(creds.secret("encoding_aes_key"), encrypted, creds.app_id).encode()
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused("bad_signature", "the message cannot be decrypted") from exc
    if message.findtext("MsgType") != "text":
        return Inbound("ignored"), f"{timestamp}:{nonce}"
    text = (message.findtext("Content") or "").strip()
    match = _INCIDENT_IN.search(text)
    incident = int(match.group(1) or match.group(2)) if match else None
    sender = message.findtext("FromUserName") or ""
    inbound = Inbound(
        "text", external_id=sender, incident_id=incident, value=_INCIDENT_IN.sub(" ", text).strip()
    )
    return inbound, message.findtext("MsgId") or f"{timestamp}:{nonce}"


def wecom_echo(*, creds: Credentials, query: dict[str, str]) -> str:
    """The URL check (GET with ``echostr``): verified like a message, answered with the decrypted text."""
    signature, timestamp, nonce, echo = (
        query.get(k) for k in ("msg_signature", "timestamp", "nonce", "echostr")
    )
    if not signature or not timestamp or not nonce or not echo:
        raise Refused("unsigned", "the request is not signed")
    if not hmac.compare_digest(
        wecom_signature(creds.secret("callback_token"), timestamp, nonce, echo), signature
    ):
        raise Refused("bad_signature", "the signature does not match")
    try:
        return wecom_decrypt(creds.secret("encoding_aes_key"), echo, creds.app_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused("bad_signature", "the echostr cannot be decrypted") from exc


def wecom_answer(
    *, creds: Credentials, to_user: str, text: str, now: datetime, nonce: str, random16: bytes
) -> str:
    """A passive reply: a text message to the sender, encrypted and signed as WeCom requires."""
    reply = ElementTree.Element("xml")
    for name, value in (
        ("ToUserName", to_user),
        ("FromUserName", creds.app_id),
        ("CreateTime", str(int(now.timestamp()))),
        ("MsgType", "text"),
        ("Content", text),
    ):
        ElementTree.SubElement(reply, name).text = value
    plain = ElementTree.tostring(reply, encoding="unicode")
    encrypted = wecom_encrypt(creds.secret("encoding_aes_key"), plain, creds.app_id, random16)
    timestamp = str(int(now.timestamp()))
    signature = wecom_signature(creds.secret("callback_token"), timestamp, nonce, encrypted)
    outer = ElementTree.Element("xml")
    for name, value in (
        ("Encrypt", encrypted),
        ("MsgSignature", signature),
        ("TimeStamp", timestamp),
        ("Nonce", nonce),
    ):
        ElementTree.SubElement(outer, name).text = value
    return ElementTree.tostring(outer, encoding="unicode")
