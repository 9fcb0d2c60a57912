"""What every alert format produces: one ``AlertIn`` per alert, grouped in a ``ParsedBatch``.

A format (Alertmanager, Grafana, a PagerDuty-style sender, our generic JSON, or a third-party
plugin) turns one decoded request body into a ``ParsedBatch`` or raises ``PayloadInvalid`` listing
every problem it found, each with its location in the body.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple, Protocol

from eventguard.errors import InvalidInput
from eventguard.i18n import Message
from eventguard.inputs import control_character, strip_control_deep

AlertStatus = Literal["firing", "resolved"]
AlertAction = Literal["trigger", "acknowledge", "resolve"]
Loc = tuple[str | int, ...]

STATUSES: tuple[AlertStatus, ...] = ("firing", "resolved")
ACTIONS: tuple[AlertAction, ...] = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")

# Sane limits: far above what real senders produce, low enough that one request cannot make us
# store megabytes per alert. Alertmanager has no body limit of its own; PagerDuty caps at 512 KB.
MAX_ALERTS = 10_000
MAX_PAIRS = 256
MAX_KEY = 256
MAX_LABEL_VALUE = 4_096
MAX_ANNOTATION_VALUE = 65_536
MAX_TEXT = 1_024
MAX_ID = 255
MAX_URL = 8_192
MAX_GROUP_KEY = 16_384
MAX_PROBLEMS = 100
MAX_SEVERITY = 16
MAX_DEPTH = 64  # objects and arrays inside each other; real payloads nest 4 to 6 deep

_SEVERITY_WORDS = {
    "critical": ("critical", "crit", "fatal", "emergency", "emerg", "disaster", "p1", "sev1", "严重", "紧急"),
    "error": ("error", "err", "major", "high", "p2", "sev2", "错误"),
    "warning": ("warning", "warn", "minor", "medium", "average", "p3", "sev3", "警告"),
    "info": ("info", "informational", "information", "notice", "low", "p4", "p5", "sev4", "提示", "信息"),
}
_SEVERITY_OF = {word: level for level, words in _SEVERITY_WORDS.items() for word in words}


@dataclass(frozen=True, kw_only=True)
class AlertIn:
    """One alert as a sender reported it, in EventGuard's terms.

    ``links`` are dicts with a ``kind`` (``generator``, ``silence``, ``dashboard``, ``panel``,
    ``image``, ``link``, ``client``, ``source``), an ``href`` and an optional ``text``; images also
    carry ``src`` and ``alt`` like PagerDuty's ``images[]``.
    """

    fingerprint: str
    status: AlertStatus
    labels: dict[str, str]
    annotations: dict[str, str]
    summary: str
    severity: str | None
    source: str
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str | None
    group_key: str | None
    action: AlertAction
    raw: dict[str, Any]
    links: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class ParsedBatch:
    """Every alert of one request, the request body as received and what the sender dropped."""

    alerts: list[AlertIn]
    raw: dict[str, Any]
    truncated: int = 0
    sender_group_key: str | None = None


class AlertFormat(Protocol):
    """A request-body format EventGuard accepts alerts in; registered through the
    ``eventguard_alert_formats`` hook (see ``eventguard.plugins``)."""

    name: str

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        """Read a decoded JSON body; ``PayloadInvalid`` lists every problem found."""
        ...


class Problem(NamedTuple):
    """One thing wrong with a payload: where (``("alerts", 0, "labels")``) and what."""

    loc: Loc
    message: Message


class PayloadInvalid(InvalidInput):
    """A request body that is not a valid payload of its format (HTTP 400).

    ``details`` is ``[{"loc": [...], "msg": "..."}]`` with every problem found; ``to_dict`` renders
    the messages in the reader's language.
    """

    status_code = 400
    code = "invalid_payload"

    def __init__(self, sender: str, problems: list[Problem]) -> None:
        self.sender = sender
        self.problems = list(problems)
        super().__init__(
            Message("The {sender} payload is invalid.", {"sender": sender}),
            details=self._details(None),
        )

    def _details(self, lang: str | None) -> list[dict[str, Any]]:
        return [{"loc": list(p.loc), "msg": p.message.render(lang or "en")} for p in self.problems]

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        body = super().to_dict(lang)
        body["details"] = self._details(lang)
        return body


def format_loc(loc: Loc) -> str:
    """``("alerts", 0, "labels")`` -> ``alerts[0].labels``; the whole body is ``(body)``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "(body)"


def normalize_severity(value: str | None) -> str | None:
    """critical|error|warning|info for the usual spellings (``crit``, ``P2``, ``警告``…); other
    values are kept as sent (trimmed) up to ``MAX_SEVERITY`` characters; blank or longer ones are None."""
    cleaned = (value or "").strip()
    known = _SEVERITY_OF.get(cleaned.lower().replace("-", "").replace(" ", ""))
    if known is not None:
        return known
    return cleaned if 0 < len(cleaned) <= MAX_SEVERITY else None


def summary_of(annotations: Mapping[str, str], labels: Mapping[str, str], fallback: str) -> str:
    """The first non-blank of annotations summary/description/title, then the alertname label,
    then ``fallback``; cut to ``MAX_TEXT`` characters."""
    for text in (
        annotations.get("summary"),
        annotations.get("description"),
        annotations.get("title"),
        labels.get("alertname"),
    ):
        if text and text.strip():
            return clip(text.strip(), MAX_TEXT)
    return clip(fallback, MAX_TEXT)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def action_of(status: AlertStatus) -> AlertAction:
    """PagerDuty semantics for a firing/resolved status."""
    return "trigger" if status == "firing" else "resolve"


# What a JSON body's bytes must hold for one of its decoded texts to hold a control character (see
# inputs.CONTROL_CHARACTERS): an escape (\b, \f, \uXXXX), DEL, a C1 control or U+FFFE/U+FFFF in
# UTF-8. Raw C0 controls are not JSON inside strings (the decoder refuses them) and lone surrogates
# are not UTF-8.
_C1_IN_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")


def plain_json(body: bytes) -> bool:
    """True when the JSON ``body`` is certainly one ``checked_payload`` lets through unchanged: too
    few brackets to nest ``MAX_DEPTH`` deep and no byte sequence that decodes to a control character.
    False only means "walk it" (checked_payload decides). Two scans in C instead of a walk in Python
    over every text: a tenth of accepting a one-alert request."""
    if body.count(b"{") + body.count(b"[") > MAX_DEPTH:
        return False
    # Substring searches in C, and a step per escape (the regex alternation of all of these, tried at
    # every position, was most of this function for any body with a \"). Escapes come in pairs, so
    # an escaped backslash before b, f or u is passed over, not taken for \b, \f or \u.
    escape = body.find(b"\\")
    while escape != -1:
        if body[escape + 1 : escape + 2] in (b"b", b"f", b"u"):
            return False
        escape = body.find(b"\\", escape + 2)
    if b"\x7f" in body or b"\xef\xbf\xbe" in body or b"\xef\xbf\xbf" in body:
        return False
    return b"\xc2" not in body or _C1_IN_UTF8.search(body) is None


def checked_payload(payload: Any, sender: str) -> Any:
    """A decoded body as every format reads it (``plugins.alert_formats`` puts this before each
    format's ``parse``): nested at most ``MAX_DEPTH`` deep, else ``PayloadInvalid`` (a 400; the
    formats, the journal and JSON columns all recurse), and with the control characters of every text
    and key dropped (PostgreSQL stores no NUL, XML no C0 character; an alert is not lost for them).
    The payload itself when it holds none. One walk, and one search over all its texts at once (a
    search per text cost more than the format's own parse)."""
    texts: list[Any] = []
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            texts.extend(value)
            items: Any = value.values()
        elif isinstance(value, list):
            items = value
        else:
            continue
        if depth > MAX_DEPTH:
            message = Message("Nested deeper than {limit} levels.", {"limit": MAX_DEPTH})
            raise PayloadInvalid(sender, [Problem((), message)])
        for item in items:
            if isinstance(item, str):
                texts.append(item)
            elif isinstance(item, dict | list):
                stack.append((item, depth + 1))
    if isinstance(payload, str):
        texts.append(payload)
    try:
        dirty = control_character(" ".join(texts)) is not None
    except TypeError:  # a key that is not text (never from JSON): look at each
        dirty = any(isinstance(text, str) and control_character(text) for text in texts)
    return strip_control_deep(payload) if dirty else payload
