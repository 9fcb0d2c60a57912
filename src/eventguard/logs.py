"""Structured logging (structlog over the standard library) with a request id on every line, and
secrets kept out of every line.

Redaction happens here, once, for every logger and handler: ``configure`` installs a log record
factory that redacts each record as it is made (its message, its ``%`` arguments, a structlog event's
values), whoever logs it (httpx's ``HTTP Request: POST <url>``, uvicorn's access lines, ours) and
whichever handler then writes it; the renderer redacts the finished line once more (exception
tracebacks are formatted only then). ``redact`` knows the shapes secrets take in URLs — query
parameters such as ``key``, ``access_token``, ``sign``, ``token``, Teams' ``sig``, Aliyun's
``AccessKeyId`` and ``Signature``; the Feishu/Lark hook and Slack webhook paths; user:password@;
Tencent Cloud TC3, basic and bearer ``Authorization`` values — and our own: API tokens and
sessions (``eg_…``), acknowledgement links (``/ack/<token>``), subscription links
(``/status/<slug>/confirm|unsubscribe/<token>``) and the iCal feeds' ``?token=``. Values
registered with ``register_secret`` (the channel keys read from the environment at send time) are
masked wherever they appear, whatever the URL looks like.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote, quote_plus

import structlog

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

MASK = "[REDACTED]"

# Query parameters that carry secrets (WeCom ``key``, DingTalk ``access_token`` and ``sign``, our
# iCal feeds' ``token`` …); matched whole, in any case.
SECRET_PARAMETERS = (
    "key",
    "access_token",
    "token",
    "sign",
    "signature",
    "sig",
    "secret",
    "client_secret",
    "password",
    "passwd",
    "api_key",
    "apikey",
    "auth",
    "auth_token",
    "refresh_token",
    "id_token",
    "session",
    "routing_key",
    "accesskeyid",  # Aliyun's RPC requests (the AccessKey ID; its Signature is matched above)
)
_VALUE = r"[^&#\s\"'<>\\]+"  # a query value: up to the next parameter, fragment, space or quote
_SEGMENT = r"[^/?#\s\"'<>\\]+"  # one path segment
_SHAPES: list[tuple[re.Pattern[str], str]] = [
    # ?key=…, &access_token=…, &sign=…, ?token=… (also a bare query string: token=…)
    (re.compile(rf"(?i)(^|[?&;])((?:{'|'.join(SECRET_PARAMETERS)})=){_VALUE}"), rf"\1\2{MASK}"),
    # https://user:password@host
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://)[^/\s:@\"'<>]+:[^/\s@\"'<>]*@"), rf"\1{MASK}@"),
    # Feishu / Lark custom bots: /open-apis/bot/v2/hook/<token>
    (re.compile(rf"(/bot/v2/hook/){_SEGMENT}"), rf"\1{MASK}"),
    # Slack incoming webhooks and workflow triggers: /services/T…/B…/<secret>, /triggers/T…/…
    (re.compile(r"(/(?:services|triggers|workflows)/)T[A-Za-z0-9]+/[^?#\s\"'<>\\]+"), rf"\1{MASK}"),
    # Our acknowledgement links and the status page's confirm / unsubscribe links.
    (re.compile(rf"(/ack/){_SEGMENT}"), rf"\1{MASK}"),
    (re.compile(rf"(/status/{_SEGMENT}/(?:confirm|unsubscribe)/){_SEGMENT}"), rf"\1{MASK}"),
    # Authorization headers of the SMS/voice gateways: Tencent Cloud's TC3-HMAC-SHA256 (the SecretId
    # in its Credential and the Signature), HTTP basic auth (Twilio's SID:token), bearer tokens.
    (re.compile(r"(TC3-HMAC-SHA256 Credential=)[^\s,/\"']+"), rf"\1{MASK}"),
    (re.compile(r"(?i)(\bSignature=)[0-9a-f]{64}\b"), rf"\1{MASK}"),
    (re.compile(r"(?i)(\b(?:Basic|Bearer) )(?!eg_)[A-Za-z0-9+/=._~-]{8,}"), rf"\1{MASK}"),
    # Our API tokens and session secrets (auth/tokens.py): the prefix stays, to tell them apart.
    (re.compile(r"\b(eg_[0-9a-f]{8}_)[A-Za-z0-9_-]{20,}"), rf"\1{MASK}"),
]

_MIN_SECRET_LENGTH = 6  # shorter values would mask ordinary words
_MAX_SECRETS = 1024
_secrets: dict[str, None] = {}  # registered values and their URL-encoded forms, oldest first
_known: tuple[str, ...] = ()  # the same, longest first (a longer form before its parts)
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Mask ``value`` (and its URL-encoded forms) in every log line from now on."""
    global _known
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    forms = {value, quote(value, safe=""), quote_plus(value), quote(value)}
    with _secrets_lock:
        if all(form in _secrets for form in forms):
            return
        for form in forms:
            _secrets.pop(form, None)
            _secrets[form] = None
        while len(_secrets) > _MAX_SECRETS:
            del _secrets[next(iter(_secrets))]
        _known = tuple(sorted(_secrets, key=len, reverse=True))


def redact(text: str) -> str:
    """``text`` with every secret it holds masked (see the module docstring)."""
    for value in _known:
        if value in text:
            text = text.replace(value, MASK)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(item) for item in value)
    if isinstance(value, BaseException):
        return value  # rendered later, with its traceback: the renderer redacts that line
    text = str(value)  # e.g. httpx.URL: logged as its text anyway
    cleaned = redact(text)
    return value if cleaned == text else cleaned


_UNTOUCHED = frozenset({"exc_info", "stack_info"})  # rendered later: the renderer redacts them
_TRACEBACKS = logging.Formatter()


def _redact_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    elif isinstance(record.msg, dict):  # a structlog event on its way to the formatter
        record.msg = {
            key: value if key.startswith("_") or key in _UNTOUCHED else _redact_value(value)
            for key, value in record.msg.items()
        }
    if isinstance(record.args, dict):
        record.args = {key: _redact_value(value) for key, value in record.args.items()}
    elif record.args:
        record.args = tuple(_redact_value(arg) for arg in record.args)
    if record.exc_info and not record.exc_text:
        # Formatters use exc_text when it is set: any handler then writes the redacted traceback.
        record.exc_text = redact(_TRACEBACKS.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _install_record_factory() -> None:
    current = logging.getLogRecordFactory()
    if getattr(current, "eventguard_redacts", False):
        return

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = current(*args, **kwargs)
        try:
            _redact_record(record)
        except Exception:  # never lose a line to redaction; mask what could not be checked
            record.msg, record.args = f"{MASK} (a log line could not be checked for secrets)", ()
        return record

    make_record.eventguard_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)


def _redacting(renderer: Callable[..., Any]) -> structlog.types.Processor:
    def render(logger: Any, method: str, event_dict: structlog.types.EventDict) -> Any:
        line = renderer(logger, method, event_dict)
        return redact(line) if isinstance(line, str) else line

    return render


def _add_request_id(
    _logger: object, _method: str, event_dict: structlog.types.EventDict
) -> structlog.types.EventDict:
    rid = request_id_var.get()
    if rid is not None:
        event_dict.setdefault("request_id", rid)
    return event_dict


def configure(level: str = "INFO", json: bool = True) -> None:
    """Route structlog and stdlib logging through one renderer (JSON lines or console), every
    record redacted (see the module docstring)."""
    _install_record_factory()
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    # JSON lines carry a logged exception's traceback as the "exception" field (the console renderer
    # prints it itself); without format_exc_info they said only "exc_info": true.
    tracebacks: list[structlog.types.Processor] = [structlog.processors.format_exc_info] if json else []
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *tracebacks,
            _redacting(renderer),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.stdlib.get_logger(name)
