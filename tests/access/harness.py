"""The access matrix's harness: one SQLite database with the example plan applied (event
``cloud-summit-2026``), a second event with its own integration, a user per role, and the eight
callers of ``matrix.yaml``; every route of the app (API and console) is called as each of them and
its answer reduced to a class (``2xx``, ``3xx``, ``login`` — a redirect to sign in — or the 4xx
status itself).

How a route is called: path parameters are filled with real ids of the example plan's event (an
incident declared for it, its first runbook task, the viewer's own user id, …), or ``999999`` where
the fixture has nothing of that kind; API routes get the credential as ``Authorization: Bearer``,
console routes (not in the OpenAPI document) as the session cookie, with a valid CSRF cookie and
form token on form posts. Writes are sent without a body of their own (``{}`` for JSON, the CSRF
token alone for forms), so a caller who passes the access checks mostly gets ``422`` (or ``2xx``
where nothing is required): the matrix is about who gets through, the domain tests about what
the writes do. Reads run first, then writes, then deletes, each route's callers in the order of
``CALLERS``, so the answers are the same on every run.

``python -m tests.access.harness`` prints the observed matrix in ``matrix.yaml``'s format (to
review a new route's row before declaring it)."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import yaml
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from eventguard.alerts import integrations
from eventguard.app import create_app
from eventguard.audit.service import Actor
from eventguard.auth import passwords
from eventguard.auth import service as auth
from eventguard.auth.models import Role, User
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database, migrate
from eventguard.events import service as events
from eventguard.plans import service as plans
from eventguard.web.csrf import CSRF_COOKIE, _serializer
from tests.auth.factories import CHEAP_HASHER
from tests.conftest import EXAMPLE_PLAN, LIVE_MOMENT
from tests.stress.plans import stress_plan

MATRIX_FILE = Path(__file__).with_name("matrix.yaml")
CALLERS = ("anonymous", "viewer", "responder", "commander", "admin", "other_event", "expired", "revoked")
ROLES = ("viewer", "responder", "commander", "admin")
SLUG = "cloud-summit-2026"
MISSING = "999999"
SECRET_KEY = "access-matrix-secret-key"
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    documented: bool  # in the OpenAPI document (an API route), else a console route
    dependant: Any

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def order(self) -> int:
        return {"GET": 0, "HEAD": 0, "DELETE": 2}.get(self.method, 1)


def routes(app: FastAPI) -> list[Route]:
    """Every route of the app but the static files, by method."""
    found: list[Route] = []
    for context in iter_route_contexts(app.routes):
        path, methods = getattr(context, "path_format", None), getattr(context, "methods", None)
        if not path or not methods:
            continue
        for method in sorted(methods):
            found.append(
                Route(
                    method,
                    path,
                    bool(getattr(context, "include_in_schema", False)),
                    getattr(context, "dependant", None),
                )
            )
    return found


def load_matrix() -> dict[str, list[str]]:
    data = yaml.safe_load(MATRIX_FILE.read_text(encoding="utf-8"))
    assert data["callers"] == list(CALLERS), "matrix.yaml's callers are the harness's"
    return {key: str(row).split() for key, row in data["routes"].items()}


def answer_class(status: int, location: str | None) -> str:
    if 200 <= status < 300:
        return "2xx"
    if 300 <= status < 400:
        return "login" if (location or "").startswith("/login") else "3xx"
    return str(status)


class Harness:
    def __init__(self, tmp: Path) -> None:
        url = f"sqlite:///{tmp / 'access.db'}"
        migrate.upgrade(url)
        self.database = Database(url)
        self.clock = FrozenClock(LIVE_MOMENT)
        self.settings = Settings(database_url=url, secret_key=SECRET_KEY, base_url="http://testserver")
        self.app = create_app(self.settings, database=self.database, clock=self.clock)
        self.secrets: dict[str, str | None] = {"anonymous": None}
        actor = Actor.cli("access")
        with self.database.session(write=True) as db:
            version = plans.apply_plan(
                db=db,
                source=EXAMPLE_PLAN.read_text(encoding="utf-8"),
                filename=str(EXAMPLE_PLAN),
                actor=actor,
                clock=self.clock,
            )
            event = events.get(db=db, event_id=version.event_id)
            other = plans.apply_plan(
                db=db,
                source=stress_plan(pager="http://127.0.0.1:9/page"),
                filename="other.yaml",
                actor=actor,
                clock=self.clock,
            )
            other_event = events.get(db=db, event_id=other.event_id)
            users: dict[str, User] = {}
            for role in ROLES:
                users[role] = auth.create_user(
                    db=db,
                    username=f"access-{role}",
                    password="a long access password",
                    role=Role(role),
                    actor=actor,
                    clock=self.clock,
                )
                _token, self.secrets[role] = auth.create_token(
                    db=db, user=users[role], name="access", scopes=["admin"], actor=actor, clock=self.clock
                )
            _integration, self.secrets["other_event"] = integrations.create(
                db=db, event=other_event, name="other", kind="alertmanager", actor=actor, clock=self.clock
            )
            expired, self.secrets["expired"] = auth.create_token(
                db=db,
                user=users["admin"],
                name="expired",
                scopes=["admin"],
                actor=actor,
                clock=self.clock,
                expires_at=self.clock.now() + timedelta(minutes=1),
            )
            expired.expires_at = self.clock.now() - timedelta(minutes=1)  # made yesterday, say
            revoked, self.secrets["revoked"] = auth.create_token(
                db=db, user=users["admin"], name="revoked", scopes=["admin"], actor=actor, clock=self.clock
            )
            auth.revoke_token(db=db, token=revoked, actor=actor, clock=self.clock)
            victim_token, _secret = auth.create_token(
                db=db, user=users["admin"], name="victim", scopes=["read"], actor=actor, clock=self.clock
            )
            victim_integration, _secret = integrations.create(
                db=db, event=event, name="victim", kind="generic", actor=actor, clock=self.clock
            )
            db.commit()
            self.values = {
                "slug": SLUG,
                "user_id": str(users["viewer"].id),
                "token_id": str(victim_token.id),
                "integration_id": str(victim_integration.id),
                "schedule_id": "tech-oncall",
                "person_id": "li-na",
                "probe_id": "main-stream-freshness",
                "channel_id": "tech-wecom",
                "key": "server-crash",
                "component_id": "livestream",
                "backup_id": "backup-stream",
                "kind": "alertmanager",
                "number": "1",
            }
        self.client = TestClient(self.app, follow_redirects=False)
        self.client.__enter__()
        incident = self.client.post(
            "/api/v1/incidents",
            json={"event": SLUG, "title": "Lottery result disputed", "scenario_id": "participant-dispute"},
            headers=self._bearer("admin"),
        )
        assert incident.status_code == 201, incident.text
        self.values["incident_id"] = str(incident.json()["id"])
        tasks = self.client.get(
            f"/api/v1/incidents/{self.values['incident_id']}/tasks", headers=self._bearer("admin")
        )
        assert tasks.status_code == 200, tasks.text
        if tasks.json():
            self.values["task_id"] = str(tasks.json()[0]["id"])
        self.timings: dict[str, float] = {}
        self.csrf_browser = "access-matrix-browser"
        self.csrf_token = _serializer(self.settings).dumps(self.csrf_browser)

    def close(self) -> None:
        self.client.__exit__(None, None, None)
        self.database.dispose()

    def _bearer(self, caller: str) -> dict[str, str]:
        secret = self.secrets[caller]
        return {"Authorization": f"Bearer {secret}"} if secret else {}

    def url(self, route: Route) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "action":
                if "/tasks/" in route.path:
                    return "start"
                if "/backups/" in route.path:
                    return "activate"
                return "confirm"
            return self.values.get(name, MISSING)

        return _PARAM.sub(value, route.path)

    def call(self, route: Route, caller: str) -> str:
        """The answer class of ``route`` called as ``caller``."""
        secret = self.secrets[caller]
        headers: dict[str, str] = {}
        kwargs: dict[str, Any] = {}
        if route.documented:
            headers.update(self._bearer(caller))
            if route.method not in ("GET", "HEAD", "DELETE"):
                kwargs["json"] = {}
        else:
            cookies = [f"{CSRF_COOKIE}={self.csrf_browser}"]
            if secret:
                cookies.append(f"eg_session={secret}")
            headers["Cookie"] = "; ".join(cookies)
            if route.method == "POST":
                kwargs["data"] = {"csrf_token": self.csrf_token}
        if route.path.endswith("/events") and not route.documented:  # a stream that never ends
            status, location = anyio.run(_stream_status, self.app, self.url(route), headers)
            assert status < 500, f"{route.key} as {caller}: {status}"
            return answer_class(status, location)
        self.client.cookies.clear()
        response = self.client.request(route.method, self.url(route), headers=headers, **kwargs)
        self.client.cookies.clear()
        assert response.status_code < 500, (
            f"{route.key} as {caller}: {response.status_code} {response.text[:300]}"
        )
        return answer_class(response.status_code, response.headers.get("location"))

    def observe(self) -> dict[str, list[str]]:
        """Every route called as every caller, in the documented order."""
        observed: dict[str, list[str]] = {}
        for route in sorted(routes(self.app), key=lambda r: r.order):
            started = time.monotonic()
            observed[route.key] = [self.call(route, caller) for caller in CALLERS]
            self.timings[route.key] = time.monotonic() - started
        return observed


async def _stream_status(app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, str | None]:
    """The status of a GET whose answer streams until the client leaves: the client leaves as soon
    as the answer has started."""
    started = anyio.Event()
    answer: dict[str, Any] = {}
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await started.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["location"] = dict(message.get("headers", [])).get(b"location", b"").decode() or None
            started.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {**headers, "host": "testserver"}.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    with anyio.fail_after(30):
        await app(scope, receive, send)
    return int(answer["status"]), answer.get("location")


def harness(tmp: Path) -> Iterator[Harness]:
    hasher = passwords.HASHER
    passwords.HASHER = CHEAP_HASHER
    try:
        made = Harness(tmp)
        yield made
        made.close()
    finally:
        passwords.HASHER = hasher


def dump(observed: dict[str, list[str]], keys: list[str]) -> str:
    width = max(len(key) for key in keys) + 3
    lines = [f"callers: [{', '.join(CALLERS)}]", "routes:"]
    for key in keys:
        label = (repr(key) if ":" in key else key) + ":"
        cells = " ".join(f"{c:<5}" for c in observed[key]).rstrip()
        lines.append(f"  {label:<{width}} {cells}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import tempfile

    from eventguard.logs import configure

    configure("WARNING", False)
    with tempfile.TemporaryDirectory() as tmp:
        for made in harness(Path(tmp)):
            seen = made.observe()
            slow = sorted(made.timings.items(), key=lambda kv: -kv[1])[:8]
            sys.stderr.write("slowest: " + ", ".join(f"{k} {v:.2f}s" for k, v in slow) + "\n")
            order = [r.key for r in routes(made.app)]
            sys.stdout.write(dump(seen, order))
