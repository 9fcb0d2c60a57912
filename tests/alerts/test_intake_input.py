"""What the four intake routes do with bodies built to break them: one rule, 400 for anything
malformed (not JSON, nested too deep, not a valid payload), and control characters dropped from an
alert rather than the alert refused. The bounds sit in front of every format (``plugins``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts import PayloadInvalid, integrations
from eventguard.alerts.formats.base import MAX_DEPTH, checked_payload
from eventguard.alerts.models import Alert
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.errors import Unauthorized
from eventguard.events.models import Event
from eventguard.inputs import CONTROL_CHARACTERS
from eventguard.plugins import alert_formats
from tests.alerts.fixtures import RECEIVED_AT, load

ROUTES = {
    "alertmanager": "/api/v1/integrations/alertmanager",
    "grafana": "/api/v1/integrations/grafana",
    "generic": "/api/v1/integrations/generic",
    "pagerduty": "/api/v1/integrations/pagerduty/v2/enqueue",
}
SAMPLES = {
    "alertmanager": "alertmanager_firing",
    "grafana": "grafana_firing",
    "generic": "generic_single",
    "pagerduty": "pagerduty_trigger",
}


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def _deep_payload(kind: str, depth: int) -> dict[str, Any]:
    """The kind's real sample with one deeply nested value where the format accepts any JSON."""
    payload: dict[str, Any] = load(SAMPLES[kind])
    if kind == "pagerduty":
        payload["payload"]["custom_details"] = {"trace": _nested(depth)}
    elif kind == "generic":
        payload["extra"] = _nested(depth)
    else:
        payload["commonLabels"] = {"x": "y"}
        payload["extra"] = _nested(depth)
    return payload


def _with_control_characters(kind: str) -> dict[str, Any]:
    payload: dict[str, Any] = load(SAMPLES[kind])
    if kind == "pagerduty":
        payload["payload"]["summary"] = "Payment\u0000 errors\u0007"
        payload["payload"]["custom_details"] = {"k\u001b": "v\u0000"}
    elif kind == "generic":
        payload["title"] = "Check-in\u0000 failing\u0007"
        payload["labels"]["svc\u0000"] = "a\u0008b"
    else:
        payload["alerts"][0]["labels"]["instance"] = "edge-3\u0000:443"
        payload["alerts"][0]["annotations"]["summary"] = "Stale\u0007 playlist"
    return payload


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list | tuple):
        return [t for item in value for t in _texts(item)]
    return []


# --- Every format, without HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_every_format_refuses_a_payload_nested_deeper_than_the_limit(kind: str) -> None:
    fmt = alert_formats()[kind]
    fmt.parse(_deep_payload(kind, MAX_DEPTH - 8), received_at=RECEIVED_AT)  # within the bound: fine
    with pytest.raises(PayloadInvalid) as caught:
        fmt.parse(_deep_payload(kind, 900), received_at=RECEIVED_AT)
    assert caught.value.status_code == 400
    [problem] = caught.value.to_dict("en")["details"]
    assert problem == {"loc": [], "msg": f"Nested deeper than {MAX_DEPTH} levels."}
    assert caught.value.to_dict("zh-CN")["details"][0]["msg"] == f"嵌套超过 {MAX_DEPTH} 层。"


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_every_format_drops_control_characters_from_alerts_and_the_raw_body(kind: str) -> None:
    batch = alert_formats()[kind].parse(_with_control_characters(kind), received_at=RECEIVED_AT)
    assert batch.alerts
    for alert in batch.alerts:
        shown = [alert.summary, *alert.labels, *alert.labels.values(), *alert.annotations.values()]
        assert not any(CONTROL_CHARACTERS.search(text) for text in shown), shown
    assert not any(CONTROL_CHARACTERS.search(text) for text in _texts(batch.raw))
    first = batch.alerts[0]
    if kind == "pagerduty":
        assert first.summary == "Payment errors"
    elif kind == "generic":
        assert (first.summary, first.labels["svc"]) == ("Check-in failing", "ab")
    else:
        assert (first.labels["instance"], first.annotations["summary"]) == ("edge-3:443", "Stale playlist")


def test_a_clean_payload_is_passed_on_as_it_is() -> None:
    payload = load("alertmanager_firing")
    assert checked_payload(payload, "Alertmanager") is payload
    assert checked_payload(_nested(MAX_DEPTH - 1), "x") is not None


def test_a_plugin_format_is_checked_as_well() -> None:
    seen: list[Any] = []

    class Recorder:
        name = "recorder"

        def parse(self, payload: Any, *, received_at: Any) -> Any:
            seen.append(payload)
            return None

    from eventguard.plugins import CheckedFormat

    checked = CheckedFormat(Recorder())  # type: ignore[arg-type]
    checked.parse({"a\u0000": ["b\u0007"]}, received_at=RECEIVED_AT)
    assert seen == [{"a": ["b"]}]
    with pytest.raises(PayloadInvalid, match="recorder"):
        checked.parse(_nested(MAX_DEPTH + 1), received_at=RECEIVED_AT)


# --- Over HTTP, on both databases -------------------------------------------------------------------


def _headers(db: Session, event: Event, clock: FrozenClock, kind: str) -> tuple[dict[str, str], str]:
    _integration, token = integrations.create(
        db=db, event=event, name=f"{kind} sender", kind=kind, actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, token


def _body(kind: str, payload: Any, token: str) -> bytes:
    if kind == "pagerduty" and isinstance(payload, dict):
        payload = {**payload, "routing_key": token}
    return json.dumps(payload).encode()


def _refused_with_400(kind: str, response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    if kind == "pagerduty":  # PagerDuty's own shape (docs/integrations.md)
        assert body["status"] in ("invalid event", "invalid request") and body["errors"]
    else:
        assert body["error"]["code"] in ("invalid_json", "invalid_payload") and body["error"]["message"]
    return body


def _deep_object(depth: int) -> bytes:
    return b'{"routing_key": "TOKEN", "x": ' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("kind", sorted(ROUTES))
@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"alerts": [', b"\xff\xfe", _deep_object(1_000), _deep_object(100_000), b"[" * 100_000],
    ids=["truncated", "unclosed", "not-utf8", "1000-deep", "100000-deep", "100000-unclosed"],
)
def test_a_body_that_is_not_json_or_nested_too_deep_is_a_400_on_every_route(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, kind: str, raw: bytes
) -> None:
    headers, token = _headers(db, event, clock, kind)
    response = client.post(ROUTES[kind], content=raw.replace(b"TOKEN", token.encode()), headers=headers)
    _refused_with_400(kind, response)


@pytest.mark.parametrize("kind", sorted(ROUTES))
def test_json_nested_900_deep_inside_a_real_payload_is_a_400(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, kind: str
) -> None:
    headers, token = _headers(db, event, clock, kind)
    response = client.post(
        ROUTES[kind], content=_body(kind, _deep_payload(kind, 900), token), headers=headers
    )
    body = _refused_with_400(kind, response)
    shown = json.dumps(body, ensure_ascii=False)
    assert "Nested deeper than" in shown or "嵌套超过" in shown


@pytest.mark.parametrize("kind", sorted(ROUTES))
def test_an_alert_with_control_characters_is_accepted_without_them(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, kind: str
) -> None:
    headers, token = _headers(db, event, clock, kind)
    response = client.post(
        ROUTES[kind], content=_body(kind, _with_control_characters(kind), token), headers=headers
    )
    assert 200 <= response.status_code < 300, response.text
    db.commit()
    for alert in db.scalars(select(Alert)):  # stored at once, or once the journal is processed
        assert not any(
            CONTROL_CHARACTERS.search(t) for t in _texts([alert.labels, alert.annotations, alert.summary])
        )


@pytest.mark.parametrize(
    "token", ["\u0000" * 32, "a" * 31 + "\u0000", "é" * 32, "A" * 32, " " * 32, "0" * 33], ids=repr
)
def test_a_token_that_cannot_be_one_is_refused_without_a_lookup(db: Session, token: str) -> None:
    assert not integrations.token_shaped(token)
    with pytest.raises(Unauthorized):  # PostgreSQL failed the query on a NUL; the hash on "é"
        integrations.authenticate(db=db, token=token)
    assert integrations.token_shaped("0123456789abcdef" * 2)
