"""Secrets never reach a log line: the shapes ``redact`` knows, and the record factory that
``configure`` installs for every logger and handler (tests/notify/test_log_redaction.py runs a
whole server)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog

from eventguard import logs
from eventguard.logs import MASK, redact

M = MASK


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
            f"POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={M}",
        ),
        (
            "https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1700000000000&sign=x%2By%3D",
            f"https://oapi.dingtalk.com/robot/send?access_token={M}&timestamp=1700000000000&sign={M}",
        ),
        (
            "https://open.feishu.cn/open-apis/bot/v2/hook/2d4e6f80-1234-5678-9abc-def012345678",
            f"https://open.feishu.cn/open-apis/bot/v2/hook/{M}",
        ),
        (
            "https://open.larksuite.com/open-apis/bot/v2/hook/2d4e6f80?x=1",
            f"https://open.larksuite.com/open-apis/bot/v2/hook/{M}?x=1",
        ),
        (
            'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX "HTTP/1.1 200"',
            f'https://hooks.slack.com/services/{M} "HTTP/1.1 200"',
        ),
        ("https://ops:hunter22@proxy.example.com/x", f"https://{M}@proxy.example.com/x"),
        (
            '1.2.3.4:5 - "GET /ical/summit/people/li-na.ics?token=WyJzdW1taXQiXQ.sig&lang=en HTTP/1.1" 200',
            f'1.2.3.4:5 - "GET /ical/summit/people/li-na.ics?token={M}&lang=en HTTP/1.1" 200',
        ),
        ("GET /ack/eyJpIjoxfQ.c2lnbmF0dXJl HTTP/1.1", f"GET /ack/{M} HTTP/1.1"),
        (
            "/status/summit/unsubscribe/eyJzIjoxfQ.axBW.sig?lang=en",
            f"/status/summit/unsubscribe/{M}?lang=en",
        ),
        ("/status/summit/confirm/eyJzIjoxfQ.axBW.sig", f"/status/summit/confirm/{M}"),
        ("Bearer eg_0123abcd_" + "A" * 43, f"Bearer eg_0123abcd_{M}"),
        ("token=abc&lang=en", f"token={M}&lang=en"),  # a bare query string
        (
            "POST https://prod-00.westus.logic.azure.com:443/workflows/3f2a/triggers/manual/paths/invoke"
            "?api-version=2016-06-01&sv=1.0&sig=Zm9vYmFy",
            "POST https://prod-00.westus.logic.azure.com:443/workflows/3f2a/triggers/manual/paths/invoke"
            f"?api-version=2016-06-01&sv=1.0&sig={M}",
        ),
        (
            "AccessKeyId=LTAI5tExample&Action=SendSms&Signature=AX2bwFgLBJ%3D",
            f"AccessKeyId={M}&Action=SendSms&Signature={M}",
        ),
        (
            "Authorization: TC3-HMAC-SHA256 Credential=AKIDexample/2026-02-16/sms/tc3_request, "
            "SignedHeaders=content-type;host, Signature=" + "a1" * 32,
            f"Authorization: TC3-HMAC-SHA256 Credential={M}/2026-02-16/sms/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={M}",
        ),
        ("Authorization: Basic QUMwMTIzOnRva2Vu", f"Authorization: Basic {M}"),
        (
            '{"url": "https://x.test/?Access_Token=abc\\"x"}',
            f'{{"url": "https://x.test/?Access_Token={M}\\"x"}}',
        ),
    ],
)
def test_it_masks_the_secrets_of_known_shapes(line: str, expected: str) -> None:
    assert redact(line) == expected
    assert redact(expected) == expected  # masking again changes nothing


@pytest.mark.parametrize(
    "line",
    [
        "GET /incidents/12?lang=en HTTP/1.1",
        "/status/summit/feed.atom",
        "/api/v1/tokens/5/revoke token_id=5 tokens=3",
        "https://example.com/services/status",
        "request method=GET path=/ack status=404",
    ],
)
def test_it_leaves_lines_without_secrets_alone(line: str) -> None:
    assert redact(line) == line


def test_a_registered_secret_is_masked_wherever_it_stands() -> None:
    logs.register_secret("proxy-key-9f8e7d")
    assert (
        redact("POST https://proxy.corp/feishu/proxy-key-9f8e7d/x") == f"POST https://proxy.corp/feishu/{M}/x"
    )
    logs.register_secret("a b/c+d==")
    assert redact("p?x=a%20b%2Fc%2Bd%3D%3D&y=a+b%2Fc%2Bd%3D%3D") == f"p?x={M}&y={M}"
    logs.register_secret("short")  # too short to tell from ordinary words
    assert redact("a short line") == "a short line"


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """Logging as ``eventguard serve`` configures it (JSON lines), written here rather than to
    stderr; restored afterwards."""
    root = logging.getLogger()
    handlers, level, factory, config = (
        root.handlers[:],
        root.level,
        logging.getLogRecordFactory(),
        structlog.get_config(),
    )
    logs.configure("DEBUG", json=True)
    (ours,) = root.handlers
    assert isinstance(ours, logging.StreamHandler)
    buffer = io.StringIO()
    ours.setStream(buffer)
    yield buffer
    root.handlers = handlers
    root.setLevel(level)
    logging.setLogRecordFactory(factory)
    structlog.configure(**config)


class Collect(logging.Handler):
    """A handler of someone else's: it sees the records as they were made."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_every_logger_and_handler_gets_redacted_records(written: io.StringIO) -> None:
    collect = Collect()
    for name in ("httpx", "uvicorn.access"):
        logging.getLogger(name).addHandler(collect)
    try:
        url = httpx.URL("https://oapi.dingtalk.com/robot/send?access_token=tok-123456&sign=sig-654321")
        logging.getLogger("httpx").info('HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 200, "OK")
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/ack/eyJpIjoxfQ.c2ln", "1.1", 200
        )
        logs.get_logger("eventguard.test").info("request", path="/status/s/unsubscribe/eyJzIjo1fQ.x.y", n=3)
    finally:
        for name in ("httpx", "uvicorn.access"):
            logging.getLogger(name).removeHandler(collect)
    output = written.getvalue()
    for text in (output, "\n".join(collect.lines)):
        for secret in ("tok-123456", "sig-654321", "eyJpIjoxfQ.c2ln"):
            assert secret not in text
    assert "eyJzIjo1fQ" not in output
    dingtalk = f"https://oapi.dingtalk.com/robot/send?access_token={M}&sign={M}"
    assert collect.lines == [
        f'HTTP Request: POST {dingtalk} "HTTP/1.1 200 OK"',
        f'127.0.0.1:5000 - "GET /ack/{M} HTTP/1.1" 200',
    ]
    assert f'"path": "/status/s/unsubscribe/{M}"' in output and '"n": 3' in output


def test_a_traceback_is_redacted_too(written: io.StringIO) -> None:
    collect = Collect()
    collect.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("somebody.else").addHandler(collect)
    other = logging.StreamHandler(io.StringIO())  # a plain handler formats the traceback itself
    logging.getLogger("somebody.else").addHandler(other)
    try:
        raise httpx.ConnectError("cannot reach https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-999888")
    except httpx.ConnectError:
        logs.get_logger("eventguard.test").exception("send_failed")
        logging.getLogger("somebody.else").exception("failed")
    finally:
        logging.getLogger("somebody.else").removeHandler(collect)
        logging.getLogger("somebody.else").removeHandler(other)
    output = written.getvalue()
    assert "k-999888" not in output
    assert f"key={M}" in output
    assert isinstance(other.stream, io.StringIO)
    formatted = other.stream.getvalue()
    assert "k-999888" not in formatted and f"key={M}" in formatted


def test_a_logged_exception_keeps_its_traceback_in_the_json_line_redacted(written: io.StringIO) -> None:
    log = logs.get_logger("eventguard.worker")
    try:
        raise RuntimeError("send to https://oapi.dingtalk.com/robot/send?access_token=tok-999 failed")
    except RuntimeError:
        log.exception("worker_pass_failed")
    try:
        raise ValueError("stdlib")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("plain logger")
    first, second = (json.loads(line) for line in written.getvalue().splitlines())
    assert first["event"] == "worker_pass_failed" and first["level"] == "error"
    assert "Traceback (most recent call last)" in first["exception"]
    assert "RuntimeError: send to" in first["exception"] and "tok-999" not in first["exception"]
    assert "ValueError: stdlib" in second["exception"]
