"""Every input is bounded where it enters: ids and counts fit the database's integers, texts hold no
control characters (``eventguard.inputs``). Walks every route, so a new one cannot forget."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import AfterValidator, BaseModel
from sqlalchemy.orm import Session

from eventguard.app import create_app
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.events.models import Event
from eventguard.inputs import MAX_INT, refuse_control, strip_control, strip_control_deep
from tests.conftest import AuthHeaders

TOO_BIG = "99999999999999999999"  # above 2**63: Python, SQLite and PostgreSQL all overflow
INT4_OVERFLOW = str(2**31)  # fits SQLite, not a PostgreSQL INTEGER column
# Secrets are hashed or compared, never stored or shown as text: they may hold any character. A plan's
# YAML source is checked by the plan loader, which names the line of a control character.
UNCHECKED_FIELDS = {"password", "old_password", "new_password", "csrf_token", "source"}


def _api_routes(app: FastAPI) -> list[APIRoute]:
    """Every route of the app, the console's and the hidden ones too, shown in the schema."""
    routes = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            shown = copy.copy(route)
            shown.include_in_schema = True
            routes.append(shown)
    return routes


@pytest.fixture(scope="module")
def plain_app() -> FastAPI:
    return create_app(Settings(database_url="sqlite://", secret_key="test-secret-key"))


@pytest.fixture(scope="module")
def whole_document(plain_app: FastAPI) -> dict[str, Any]:
    return get_openapi(title="every route", version="1", routes=_api_routes(plain_app))


def _unbounded_integers(
    schema: dict[str, Any], where: str, defs: dict[str, Any], seen: frozenset[str]
) -> Iterator[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _unbounded_integers(defs[name], f"{where}->{name}", defs, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _unbounded_integers(option, where, defs, seen)
    if schema.get("type") == "integer" and "enum" not in schema and "const" not in schema:
        maximum = schema.get("maximum", schema.get("exclusiveMaximum"))
        if maximum is None or maximum > MAX_INT or "minimum" not in schema:
            yield where
    if schema.get("type") == "array":
        yield from _unbounded_integers(schema.get("items", {}), f"{where}[]", defs, seen)
    for name, part in schema.get("properties", {}).items():
        yield from _unbounded_integers(part, f"{where}.{name}", defs, seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _unbounded_integers(schema["additionalProperties"], f"{where}{{}}", defs, seen)


def test_every_integer_parameter_and_body_field_is_bounded_in_the_openapi_document(
    plain_app: FastAPI, whole_document: dict[str, Any]
) -> None:
    unbounded: list[str] = []
    for document in (plain_app.openapi(), whole_document):
        defs = document.get("components", {}).get("schemas", {})
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                for parameter in operation.get("parameters", []):
                    where = f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
                    unbounded += _unbounded_integers(parameter["schema"], where, defs, frozenset())
                for media, content in operation.get("requestBody", {}).get("content", {}).items():
                    where = f"{method.upper()} {path} body ({media})"
                    unbounded += _unbounded_integers(content.get("schema", {}), where, defs, frozenset())
    assert sorted(set(unbounded)) == []


def _checked(metadata: list[Any]) -> bool:
    """Refused (``SafeStr``, JSON bodies), dropped (``FormText``, HTML forms) or shut out by an anchored
    pattern of named characters (an id such as ``^[a-z0-9][a-z0-9_-]{0,63}$`` admits no control character)."""
    return any(
        (isinstance(m, AfterValidator) and m.func in (refuse_control, strip_control)) or _closed_pattern(m)
        for m in metadata
    )


def _closed_pattern(constraint: Any) -> bool:
    pattern = getattr(constraint, "pattern", None)
    if not isinstance(pattern, str) or not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    return not any(loose in pattern for loose in (".", "\\S", "\\W", "\\D", "[^", "\\s"))


def _unchecked_texts(annotation: Any, where: str, seen: set[type]) -> Iterator[str]:
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *metadata = get_args(annotation)
        if base is str:
            if not _checked(metadata):
                yield where
            return
        yield from _unchecked_texts(base, where, seen)
    elif annotation is str:
        yield where
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for name, info in annotation.model_fields.items():
            if name in UNCHECKED_FIELDS:
                continue
            inner = f"{annotation.__name__}.{name}"
            if info.annotation is str:
                if not _checked(info.metadata):
                    yield inner
            else:
                yield from _unchecked_texts(info.annotation, inner, seen)
    elif origin in (list, tuple, set, frozenset, dict, Union) or str(origin) == "<class 'types.UnionType'>":
        for argument in get_args(annotation):
            yield from _unchecked_texts(argument, where, seen)
    elif origin is Literal or (isinstance(annotation, type) and issubclass(annotation, Enum)):
        return


def test_every_text_of_every_request_body_refuses_control_characters(plain_app: FastAPI) -> None:
    unchecked: list[str] = []
    for route in _api_routes(plain_app):
        for body in route.dependant.body_params:
            where = f"{sorted(route.methods)} {route.path}: {body.name}"
            if body.name in UNCHECKED_FIELDS:
                continue
            if body.field_info.annotation is str:  # a form field: its checks are the field's metadata
                unchecked += [] if _checked(body.field_info.metadata) else [where]
                continue
            unchecked += [
                f"{sorted(route.methods)} {route.path}: {field}"
                for field in _unchecked_texts(body.field_info.annotation, body.name, set())
            ]
    assert sorted(set(unchecked)) == []


def test_strip_control_keeps_tabs_and_line_breaks() -> None:
    assert strip_control("a\tb\r\nc\u0000d\u0007e\u001bf\u007fg\u0085h\ud800i\uffff") == "a\tb\r\ncdefghi"
    assert strip_control_deep({"k\u0000": ["v\u0007", 1, {"x": "y\u0008"}]}) == {"k": ["v", 1, {"x": "y"}]}
    text = "中文 and English"
    assert strip_control(text) is text


# --- Over HTTP, on both databases -------------------------------------------------------------------


def _envelope(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] and error["message"]
    return error


@pytest.mark.parametrize("number", [TOO_BIG, INT4_OVERFLOW, "0", "-1"])
def test_the_ids_and_counts_of_the_issue_answer_422_in_the_envelope(
    client: TestClient, auth_headers: AuthHeaders, event: Event, number: str
) -> None:
    admin = auth_headers("admin")
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/v1/incidents/{number}", None),
        ("GET", f"/api/v1/incidents/{number}/timeline", None),
        ("PATCH", f"/api/v1/users/{number}", {"display_name": "x"}),
        ("DELETE", f"/api/v1/tokens/{number}", None),
        ("GET", f"/api/v1/tokens?user_id={number}", None),
        ("POST", "/api/v1/tokens", {"name": "t", "scopes": ["read"], "user_id": int(number)}),
        ("POST", "/api/v1/auth/totp/disable", {"user_id": int(number)}),
        ("POST", f"/api/v1/incidents/{number}/merge", {"into": 1}),
        ("POST", "/api/v1/incidents/1/merge", {"into": int(number)}),
        ("GET", f"/api/v1/events/{event.slug}/plan/versions/{number}", None),
        ("DELETE", f"/api/v1/events/{event.slug}/integrations/{number}", None),
        ("GET", f"/api/v1/audit?before_id={number}", None),
    ]
    if number not in ("0",):
        calls += [
            ("GET", f"/api/v1/incidents?offset={number}", None),
            ("GET", f"/api/v1/incidents?level={number}", None),
            ("GET", f"/api/v1/incidents/1/timeline?after_id={number}", None),
        ]
    for method, path, body in calls:
        response = client.request(method, path, json=body, headers=admin)
        error = _envelope(response)
        assert response.status_code == 422, (method, path, response.text)
        assert error["code"] == "invalid_input", (method, path)


def test_the_largest_id_is_simply_not_found(client: TestClient, auth_headers: AuthHeaders) -> None:
    response = client.get(f"/api/v1/incidents/{MAX_INT}", headers=auth_headers("admin"))
    assert response.status_code == 404 and _envelope(response)["code"] == "incident_not_found"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/incidents", {"event": "cloud-summit-2026", "title": "Stream\u0000 down"}),
        ("/api/v1/incidents", {"event": "cloud-summit-2026", "title": "Stream\u0007 down"}),
        ("/api/v1/incidents", {"event": "cloud-summit-2026", "title": "t", "impact": "a\u001b[2J"}),
        ("/api/v1/users", {"username": "eve\u0000", "password": "long enough pass", "role": "viewer"}),
        ("/api/v1/tokens", {"name": "ci\u0000", "scopes": ["read"]}),
        (
            "/api/v1/events/cloud-summit-2026/integrations",
            {"name": "x", "kind": "generic", "hmac_secret": "s\u0000"},
        ),
    ],
)
def test_control_characters_in_a_body_are_a_422_naming_the_field(
    client: TestClient, auth_headers: AuthHeaders, event: Event, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, json=body, headers=auth_headers("admin"))
    error = _envelope(response)
    assert response.status_code == 422
    assert [d["type"] for d in error["details"]] == ["control_character"]
    assert "U+00" in error["details"][0]["msg"]


def test_notes_and_progress_refuse_them_and_keep_line_breaks(
    client: TestClient, db: Session, auth_headers: AuthHeaders, event: Event, clock: FrozenClock
) -> None:
    from tests.comms.conftest import declare

    incident = declare(db, event, clock)
    responder = auth_headers("responder")
    bad = client.post(f"/api/v1/incidents/{incident.id}/notes", json={"text": "a\u0000b"}, headers=responder)
    assert bad.status_code == 422
    good = client.post(
        f"/api/v1/incidents/{incident.id}/notes", json={"text": "a\n\tb\r\n"}, headers=responder
    )
    assert good.status_code == 201, good.text


def _sample(schema: dict[str, Any]) -> str:
    options = schema.get("anyOf", [schema])
    kinds = {option.get("type") for option in options}
    if "integer" in kinds:
        return "1"
    if "enum" in schema:
        return str(schema["enum"][0])
    return "x"


def _probes(document: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(method, url, what is bad) for every path or query parameter of every GET/DELETE route, each
    given a NUL in a text or an overflowing number in turn, the other parameters something plausible."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "delete"):
                continue
            parameters = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            for bad in parameters:
                kinds = {o.get("type") for o in bad["schema"].get("anyOf", [bad["schema"]])}
                values = [INT4_OVERFLOW] if "integer" in kinds else ["a\u0000b"]
                if "enum" in bad["schema"]:
                    continue
                for value in values:
                    url, query = path, []
                    for parameter in parameters:
                        shown = value if parameter is bad else _sample(parameter["schema"])
                        if parameter["in"] == "path":
                            url = url.replace("{" + parameter["name"] + "}", quote(shown, safe=""))
                        elif parameter is bad or parameter.get("required"):
                            query.append(f"{parameter['name']}={quote(shown, safe='')}")
                    yield method.upper(), url + ("?" + "&".join(query) if query else ""), bad["name"]


def test_no_path_or_query_parameter_answers_500_to_a_nul_or_an_overflowing_number(
    app: FastAPI, auth_headers: AuthHeaders, event: Event
) -> None:
    document = get_openapi(title="every route", version="1", routes=_api_routes(app))
    admin = auth_headers("admin")
    failures = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, url, bad in _probes(document):
            response = client.request(method, url, headers=admin)
            if response.status_code >= 500:
                failures.append(f"{method} {url} ({bad}): {response.status_code}")
    assert failures == [], "\n".join(failures)
