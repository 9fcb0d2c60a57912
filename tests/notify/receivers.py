"""Local stand-ins for the far end of a notification: an HTTP receiver and an SMTP receiver, both on
127.0.0.1 in a background thread, so channel and delivery tests exercise the real network edge.

HTTP — :class:`HttpReceiver` records every request (:class:`RecordedRequest`: method, path, raw and
decoded query, lower-cased headers, raw body) and answers each with, in order of precedence:

1. the next scripted :class:`Reply` (``receiver.reply(Reply(429, headers={"Retry-After": "7"}))``),
2. the responder set with ``receiver.answer_with(fn)`` (``fn(request) -> Reply``; e.g. the vendor
   imitations :func:`dingtalk_robot` and :func:`feishu_bot`, which check signatures the way the
   vendors document and answer with their error codes),
3. the default reply given to the constructor (``200 ok``).

Signature checks usable on any recorded request: :func:`dingtalk_signature_ok`,
:func:`feishu_signature_ok`, :func:`standard_webhook_signature_ok`.

SMTP — :class:`SmtpReceiver` (aiosmtpd) records each accepted mail (:class:`RecordedMail`) and can
refuse recipients or data with a scripted reply such as ``"550 5.1.1 mailbox unavailable"``.

Fixtures: ``http_receiver`` and ``smtp_receiver`` (started, stopped after the test); import them
into a ``conftest.py`` to use them.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived."""

    method: str
    path: str
    raw_query: str  # exactly as sent (still URL-encoded)
    query: dict[str, list[str]]  # URL-decoded once
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """What the receiver answers: a dict or list body is sent as JSON, a str as UTF-8 text.
    ``delay`` (seconds) holds the answer back, to provoke client timeouts."""

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        headers = dict(self.headers)
        if isinstance(self.body, dict | list):
            headers.setdefault("Content-Type", "application/json")
            return json.dumps(self.body).encode(), headers
        if isinstance(self.body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return self.body.encode(), headers
        return self.body, headers


Responder = Callable[[RecordedRequest], Reply]


class HttpReceiver:
    """A recording HTTP server on 127.0.0.1 (see the module docstring)."""

    def __init__(self, default: Reply | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        self._default = default or Reply(200, "ok")
        self._scripted: deque[Reply] = deque()
        self._responder: Responder | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def last(self) -> RecordedRequest:
        """The most recent request."""
        return self.requests[-1]

    def reply(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        with self._lock:
            self._scripted.extend(replies)

    def answer_with(self, responder: Responder | None) -> None:
        """Answer requests (once the scripted replies are used up) with ``responder(request)``."""
        self._responder = responder

    def start(self) -> HttpReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # delayed replies give up at once
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._scripted:
                return self._scripted.popleft()
        return self._responder(request) if self._responder else self._default


def _handler_for(receiver: HttpReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                raw_query=parts.query,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            reply = receiver._answer(request)
            if reply.delay and receiver._stopping.wait(reply.delay):
                return
            body, headers = reply.encoded()
            try:
                self.send_response(reply.status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout tests)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def dingtalk_signature_ok(request: RecordedRequest, secret: str, now: datetime) -> bool:
    """DingTalk's check: ``timestamp`` (ms) within an hour of ``now`` and ``sign`` (URL-decoded)
    equal to ``base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret))``."""
    try:
        timestamp = request.query["timestamp"][0]
        received = request.query["sign"][0]
    except (KeyError, IndexError):
        return False
    if abs(int(timestamp) - now.timestamp() * 1000) > 3600 * 1000:
        return False
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), received)


def feishu_signature_ok(request: RecordedRequest, secret: str, now: datetime) -> bool:
    """Feishu's check: body ``timestamp`` (s) within an hour of ``now`` and body ``sign`` equal to
    ``base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=b""))``."""
    payload = request.json()
    timestamp, received = str(payload.get("timestamp", "")), str(payload.get("sign", ""))
    if not timestamp.isdigit() or abs(int(timestamp) - now.timestamp()) > 3600:
        return False
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), received)


def standard_webhook_signature_ok(
    request: RecordedRequest, secret: str, now: datetime, tolerance: int = 300
) -> bool:
    """The Standard Webhooks reference verification: all three headers, timestamp within
    ``tolerance`` seconds either way, and one ``v1,<sig>`` entry matching
    ``HMAC-SHA256(key, id + "." + ts + "." + raw body)``; the key is the Base64 after ``whsec_``
    (or, for a raw secret, its UTF-8 bytes)."""
    msg_id = request.headers.get("webhook-id")
    timestamp = request.headers.get("webhook-timestamp")
    header = request.headers.get("webhook-signature")
    if not (msg_id and timestamp and header) or abs(now.timestamp() - int(timestamp)) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else secret.encode()
    expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + request.body, hashlib.sha256).digest()
    for entry in header.split(" "):
        version, _, signature = entry.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(signature), expected):
            return True
    return False


def dingtalk_robot(
    secret: str | None, clock: Callable[[], datetime], keywords: tuple[str, ...] = ()
) -> Responder:
    """A responder that answers like a DingTalk robot with these security settings."""

    def respond(request: RecordedRequest) -> Reply:
        if secret is not None and not dingtalk_signature_ok(request, secret, clock()):
            return Reply(200, {"errcode": 310000, "errmsg": "sign not match"})
        if keywords and not any(word in json.dumps(request.json(), ensure_ascii=False) for word in keywords):
            return Reply(200, {"errcode": 310000, "errmsg": "keywords not in content"})
        return Reply(200, {"errcode": 0, "errmsg": "ok"})

    return respond


def feishu_bot(secret: str | None, clock: Callable[[], datetime]) -> Responder:
    """A responder that answers like a Feishu custom bot (signature checked when ``secret``)."""

    def respond(request: RecordedRequest) -> Reply:
        if secret is not None and not feishu_signature_ok(request, secret, clock()):
            message = "sign match fail or timestamp is not within one hour from current time"
            return Reply(200, {"code": 19021, "msg": message, "data": {}})
        return Reply(200, {"code": 0, "msg": "success", "data": {}})

    return respond


@dataclass(frozen=True)
class RecordedMail:
    """One mail the SMTP receiver accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        """The parsed message (modern policy: headers decoded, parts iterable)."""
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class SmtpReceiver:
    """A recording SMTP server on 127.0.0.1 (aiosmtpd). Set ``reject_recipients_with`` or
    ``reject_data_with`` to a reply line (``"550 5.1.1 mailbox unavailable"``) to refuse mail."""

    def __init__(self) -> None:
        self.messages: list[RecordedMail] = []
        self.reject_recipients_with: str | None = None
        self.reject_data_with: str | None = None
        self.host = "127.0.0.1"
        self.port = free_port()
        self._controller = Controller(self, hostname=self.host, port=self.port)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.reject_recipients_with:
            return self.reject_recipients_with
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reject_data_with:
            return self.reject_data_with
        self.messages.append(RecordedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"

    def start(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (right now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def closed_port_url() -> str:
    """An address where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{free_port()}/"


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    """A started :class:`HttpReceiver` answering ``200 ok`` unless told otherwise."""
    receiver = HttpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    """A started :class:`SmtpReceiver` accepting every mail unless told otherwise."""
    receiver = SmtpReceiver().start()
    yield receiver
    receiver.stop()
