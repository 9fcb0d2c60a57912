"""PagerDuty Events API v2 alert events, PROTOCOLS.md §3: one event per request.

Our ``/pagerduty/v2/enqueue`` endpoint answers like PagerDuty does, so any tool that can send to
PagerDuty can send to EventGuard: ``pagerduty_success_body`` and ``pagerduty_error_body`` build the
response bodies. The endpoint checks ``routing_key`` against the integration; here we only check
that it is a non-empty string.

Labels of a trigger: ``source``, ``severity``, ``component``, ``group``, ``class`` (those present)
and ``detail_<key>`` for each key of ``custom_details`` (strings as they are, other JSON values
JSON-encoded). Acknowledge and resolve events carry no labels: they name their alert by dedup key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from eventguard.alerts.fingerprint import random_dedup_key
from eventguard.alerts.formats.base import (
    ACTIONS,
    MAX_ID,
    MAX_KEY,
    MAX_LABEL_VALUE,
    MAX_TEXT,
    SEVERITIES,
    AlertFormat,
    AlertIn,
    Loc,
    ParsedBatch,
    PayloadInvalid,
    clip,
    format_loc,
)
from eventguard.alerts.formats.checks import PayloadCheck
from eventguard.errors import EventGuardError
from eventguard.i18n import Message
from eventguard.plugins import hookimpl

SENDER = "PagerDuty Events v2"
LABEL_FIELDS = ("source", "severity", "component", "group", "class")
DETAIL_PREFIX = "detail_"
MAX_DETAIL_LABELS = 64
MAX_CONTEXT_ITEMS = 50


class PagerDutyFormat:
    """Events API v2 ``trigger`` / ``acknowledge`` / ``resolve`` events."""

    name = "pagerduty"
    sender = SENDER

    def __init__(self, new_dedup_key: Callable[[], str] = random_dedup_key) -> None:
        self._new_dedup_key = new_dedup_key

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        """Read one event; a trigger without ``dedup_key`` gets a new one (return it to the sender)."""
        check = PayloadCheck(SENDER)
        if not isinstance(payload, dict):
            raise check.fail((), Message("Must be a JSON object."))
        check.text(payload, "routing_key", (), limit=MAX_ID, required=True, blank_ok=False)
        action = check.choice(payload, "event_action", (), ACTIONS, required=True)
        before = check.found
        dedup_key = (check.text(payload, "dedup_key", (), limit=MAX_ID) or "").strip() or None
        if dedup_key is None and check.found == before and action in ("acknowledge", "resolve"):
            check.problem(("dedup_key",), Message("Required for {action} events.", {"action": action}))
        alert = self._trigger(check, payload, dedup_key, received_at) if action == "trigger" else None
        check.finish()
        if alert is None:
            alert = _follow_up(payload, action == "resolve", dedup_key or "", received_at)
        return ParsedBatch(alerts=[alert], raw=payload)

    # Intake hooks (alerts/journal/accept.py): PagerDuty's token is in the body, its answers are its own.

    def request_token(self, payload: Any, headers: Mapping[str, str]) -> str | None:
        """The ``routing_key`` is the integration token."""
        key = payload.get("routing_key") if isinstance(payload, dict) else None
        return key if isinstance(key, str) else None

    def journal_payload(self, payload: Any, batch: ParsedBatch) -> Any:
        """A trigger without ``dedup_key`` is journaled with the key generated for it, so that the
        key answered now is the one the processor uses later."""
        if isinstance(payload, dict) and not (payload.get("dedup_key") or "").strip():
            return {**payload, "dedup_key": batch.alerts[0].fingerprint}
        return None

    def accepted_answer(self, batch: ParsedBatch, journal_id: int) -> tuple[int, dict[str, Any]]:
        """202 ``{"status": "success", "message": "Event processed", "dedup_key": …}``."""
        return 202, pagerduty_success_body(batch.alerts[0].fingerprint)

    def refused_answer(self, exc: EventGuardError) -> tuple[int, dict[str, Any]]:
        """PagerDuty's error shapes: 400 ``invalid event`` with ``errors``, ``invalid request`` for a
        body that is not JSON or too large."""
        if isinstance(exc, PayloadInvalid):
            return 400, pagerduty_error_body(exc)
        if exc.code == "invalid_json":
            return 400, _pd_error_body(["JSON parse error"], "invalid request")
        if exc.status_code == 413:
            return 413, _pd_error_body(["Payload too large"], "invalid request")
        return exc.status_code, _pd_error_body([exc.message], "invalid event")

    def _trigger(
        self, check: PayloadCheck, body: dict[str, Any], dedup_key: str | None, received_at: datetime
    ) -> AlertIn | None:
        if body.get("payload") is None:
            check.problem(("payload",), Message("Required for {action} events.", {"action": "trigger"}))
            return None
        event = check.object(body["payload"], ("payload",))
        links = _context(check, body)
        if event is None:
            return None
        loc: Loc = ("payload",)
        summary = check.text(event, "summary", loc, limit=MAX_TEXT, required=True, blank_ok=False)
        check.text(event, "source", loc, limit=MAX_TEXT, required=True, blank_ok=False)
        severity = check.choice(event, "severity", loc, SEVERITIES, required=True)
        for key in ("component", "group", "class"):
            check.text(event, key, loc, limit=MAX_TEXT)
        timestamp = check.timestamp(event, "timestamp", loc)
        if summary is None or severity is None or links is None:
            return None
        return AlertIn(
            fingerprint=dedup_key or self._new_dedup_key(),
            status="firing",
            labels=_labels(event),
            annotations={},
            summary=summary.strip(),
            severity=severity,
            source=PagerDutyFormat.name,
            starts_at=timestamp or received_at,
            ends_at=None,
            generator_url=None,
            group_key=None,
            action="trigger",
            raw=body,
            links=links,
        )


def _follow_up(body: dict[str, Any], resolve: bool, dedup_key: str, received_at: datetime) -> AlertIn:
    """An acknowledge or resolve: it only names an open alert (its payload is ignored, as PagerDuty does)."""
    return AlertIn(
        fingerprint=dedup_key,
        status="resolved" if resolve else "firing",
        labels={},
        annotations={},
        summary=dedup_key,
        severity=None,
        source=PagerDutyFormat.name,
        starts_at=received_at,
        ends_at=received_at if resolve else None,
        generator_url=None,
        group_key=None,
        action="resolve" if resolve else "acknowledge",
        raw=body,
    )


def _labels(event: dict[str, Any]) -> dict[str, str]:
    labels = {
        key: event[key].strip()
        for key in LABEL_FIELDS
        if isinstance(event.get(key), str) and event[key].strip()
    }
    details = event.get("custom_details")
    if isinstance(details, dict):
        for key in sorted(details)[:MAX_DETAIL_LABELS]:
            labels[clip(DETAIL_PREFIX + key, MAX_KEY)] = _as_label_value(details[key])
    elif details is not None:
        labels["detail"] = _as_label_value(details)
    return labels


def _as_label_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return clip(text, MAX_LABEL_VALUE)


def _context(check: PayloadCheck, body: dict[str, Any]) -> list[dict[str, str]] | None:
    """``images[]``, ``links[]`` and ``client_url`` as links; None if any of them is invalid."""
    before = check.found
    found = [_image(check, item, ("images", i)) for i, item in enumerate(_items(check, body, "images"))]
    found += [_link(check, item, ("links", i)) for i, item in enumerate(_items(check, body, "links"))]
    client = check.text(body, "client", (), limit=MAX_TEXT)
    client_url = check.url(body, "client_url", (), strict=True)
    if client_url is not None:
        found.append(_with_text({"kind": "client", "href": client_url}, client))
    if check.found != before:
        return None
    return [link for link in found if link is not None]


def _image(check: PayloadCheck, item: Any, loc: Loc) -> dict[str, str] | None:
    image = check.object(item, loc)
    if image is None:
        return None
    src = check.url(image, "src", loc, strict=True, required=True)
    href = check.url(image, "href", loc, strict=True)
    alt = check.text(image, "alt", loc, limit=MAX_TEXT)
    return None if src is None else _with_text({"kind": "image", "href": href or src, "src": src}, alt)


def _link(check: PayloadCheck, item: Any, loc: Loc) -> dict[str, str] | None:
    link = check.object(item, loc)
    if link is None:
        return None
    href = check.url(link, "href", loc, strict=True, required=True)
    text = check.text(link, "text", loc, limit=MAX_TEXT)
    return None if href is None else _with_text({"kind": "link", "href": href}, text)


def _with_text(link: dict[str, str], text: str | None) -> dict[str, str]:
    if text and text.strip():
        link["text"] = text.strip()
    return link


def _items(check: PayloadCheck, body: dict[str, Any], key: str) -> list[Any]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        check.problem((key,), Message("Must be a list."))
        return []
    if len(value) > MAX_CONTEXT_ITEMS:
        limits = {"count": len(value), "limit": MAX_CONTEXT_ITEMS}
        check.problem((key,), Message("Too many entries ({count}); the limit is {limit}.", limits))
        return []
    return value


def dedup_key_of(batch: ParsedBatch) -> str:
    """The dedup key to answer with: the sender's, or the one generated for a keyless trigger."""
    return batch.alerts[0].fingerprint


def pagerduty_success_body(dedup_key: str) -> dict[str, str]:
    """PagerDuty's 202 body: ``{"status": "success", "message": "Event processed", "dedup_key": ...}``."""
    return {"status": "success", "message": "Event processed", "dedup_key": dedup_key}


def _pd_error_body(errors: list[str], state: str) -> dict[str, Any]:
    message = "Event object is invalid" if state == "invalid event" else state
    return {"status": state, "message": message, "errors": errors}


def pagerduty_error_body(exc: PayloadInvalid) -> dict[str, Any]:
    """PagerDuty's 400 body for an invalid event, one English sentence per problem."""
    errors = [f"{format_loc(p.loc)}: {p.message.render('en')}" for p in exc.problems]
    return {"status": "invalid event", "message": "Event object is invalid", "errors": errors}


@hookimpl
def eventguard_alert_formats() -> list[AlertFormat]:
    """Register the PagerDuty Events v2 format."""
    return [PagerDutyFormat()]
