"""The console's probes page (a sparkline per probe on its component, pause and resume) and the content
watch end to end: messages pushed through the API reach the moderation queue (a sensitive word, a
burst of duplicates from one sender), open incidents of the right scenarios above the plan's
thresholds, and a moderator approves, hides and marks senders in the console; nobody below the
moderator role sees a message."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.audit.models import AuditEntry
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.incidents.models import Incident
from eventguard.probes.models import ProbeState
from eventguard.probes.scheduler import ProbeScheduler
from eventguard.watch.models import WatchMessage
from tests.conftest import LIVE_MOMENT, ProcessJournal
from tests.probes.plan import apply_with
from tests.probes.servers import Served, http_server
from tests.web.conftest import SignIn, csrf_of

SLUG = "cloud-summit-2026"


@pytest.fixture
def live(clock: FrozenClock) -> FrozenClock:
    clock.set(LIVE_MOMENT)
    return clock


@pytest.fixture
def served() -> Iterator[Served]:
    with http_server() as server:
        yield server


def _probes(url: str) -> list[dict[str, object]]:
    return [
        {
            "id": "login-endpoint",
            "kind": "http",
            "target": f"{url}/health",
            "interval": "10s",
            "threshold": "1s",
            "component": "login",
            "labels": {"alertname": "LoginProbeFailed"},
        },
        {"id": "origin-tcp", "kind": "tcp", "host": "127.0.0.1", "port": 9, "interval": "30s"},
    ]


def test_the_probes_page_charts_each_probe_on_its_component_and_pauses_it(
    db: Session, database: Database, app: FastAPI, live: FrozenClock, served: Served, sign_in: SignIn
) -> None:
    apply_with(db, live, _probes(served.url))
    scheduler = ProbeScheduler(database=database, clock=live, spread=False)
    for mode in ("ok", "ok", "error", "ok"):
        served.behaviour.mode = mode
        scheduler.run_once()
        live.advance(dt.timedelta(seconds=30))

    responder = sign_in("responder")
    page = responder.get(f"/events/{SLUG}/probes?lang=en")
    assert page.status_code == 200, page.text
    html = page.text
    assert "Component: Login" in html or "Component: 登录" in html
    login_row = html[html.index('id="probe-login-endpoint"') :]
    login_row = login_row[: login_row.index("</tr>")]
    chart = re.search(r"<svg.*?</svg>", login_row, re.S)
    assert chart is not None
    # One bar per result, oldest first: ok, ok, failed (HTTP 500), ok; and a latency line.
    bars = re.findall(r'<rect [^>]*class="(ok|failed)"', chart.group(0))
    assert bars == ["ok", "ok", "failed", "ok"]
    assert "<polyline" in chart.group(0)
    assert "4 results, 1 failed" in chart.group(0)
    # The TCP probe to a closed port failed every time: no component, its own section.
    assert "Probes without a component" in html
    tcp_row = html[html.index('id="probe-origin-tcp"') :]
    assert re.findall(r'class="(ok|failed)"', tcp_row[: tcp_row.index("</svg>")]) == ["failed"] * 4

    token = csrf_of(html)
    answer = responder.post(
        f"/events/{SLUG}/probes/login-endpoint",
        data={"csrf_token": token, "action": "pause"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    db.commit()
    db.expire_all()
    state = db.scalar(select(ProbeState).where(ProbeState.probe_id == "login-endpoint"))
    assert state is not None and state.paused and state.paused_by == "responder-web"
    assert "paused" in responder.get(f"/events/{SLUG}/probes?lang=en").text
    before = served.behaviour.hits
    scheduler.run_once()
    assert served.behaviour.hits == before  # paused: not checked

    answer = responder.post(
        f"/events/{SLUG}/probes/login-endpoint",
        data={"csrf_token": token, "action": "resume"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    db.commit()
    db.expire_all()
    actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["probe.pause", "probe.resume"]
    # A viewer sees the page but has no pause button, and the action is refused.
    viewer = sign_in("viewer")
    assert ">Pause<" not in viewer.get(f"/events/{SLUG}/probes?lang=en").text
    refused = viewer.post(
        f"/events/{SLUG}/probes/login-endpoint",
        data={"csrf_token": csrf_of(viewer.get(f"/events/{SLUG}/probes").text), "action": "pause"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert responder.get(f"/events/{SLUG}/probes?lang=zh-CN").text.count("暂停") >= 1


def _push(client: TestClient, token: str, messages: list[dict[str, str]]) -> dict[str, object]:
    answer = client.post(
        "/api/v1/watch/messages", json={"messages": messages}, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def _incidents(db: Session) -> list[Incident]:
    db.commit()
    db.expire_all()
    return list(db.scalars(select(Incident).order_by(Incident.id)))


def test_words_and_floods_reach_the_moderation_queue_open_incidents_and_are_moderated(
    db: Session,
    app: FastAPI,
    live: FrozenClock,
    sign_in: SignIn,
    process_journal: ProcessJournal,
) -> None:
    event = apply_with(db, live, [])
    _integration, token = integrations.create(
        db=db, event=event, name="chat", kind="watch", actor=Actor.cli("test"), clock=live
    )
    db.commit()
    client = TestClient(app)

    # One sensitive word: queued, below the content alert's threshold (3): no incident.
    report = _push(client, token, [{"id": "m-1", "sender": "u-1", "text": "老师好,加微信领红包"}])
    assert report["queued"] == 1
    process_journal()
    assert _incidents(db) == []
    # Two more: the threshold is reached, a content-violation incident opens (level 2).
    _push(
        client,
        token,
        [
            {"id": "m-2", "sender": "u-2", "text": "Get your FREE CRYPTO now"},
            {"id": "m-3", "sender": "u-3", "text": "赌博网站 www.example.com"},
            {"id": "m-4", "sender": "u-4", "text": "free cryptography lecture"},  # not a whole word
        ],
    )
    process_journal()
    [content] = _incidents(db)
    assert (content.scenario_id, content.level) == ("content-violation", 2)

    # A burst of one text from one sender: from the 5th message the duplicates are queued; above
    # the flood alert's threshold (30 flooded messages in the window) a malicious-attack incident.
    burst = [{"id": f"b-{n}", "sender": "spammer", "text": "关注我 领福利!!"} for n in range(40)]
    report = _push(client, token, burst)
    assert report["flooded"] == 36 and report["queued"] == 36
    process_journal()
    flood = [i for i in _incidents(db) if i.id != content.id]
    assert [(i.scenario_id, i.level) for i in flood] == [("malicious-attack", 2)]

    # Nobody below the moderator role (commander) sees a message, in the console or the API.
    for role in ("viewer", "responder"):
        assert sign_in(role).get(f"/events/{SLUG}/moderation").status_code == 403
    assert sign_in("responder").get(f"/api/v1/events/{SLUG}/watch/queue").status_code == 403

    moderator = sign_in("commander")
    page = moderator.get(f"/events/{SLUG}/moderation?lang=en")
    assert page.status_code == 200
    assert "加微信领红包" in page.text and "spammer" in page.text
    assert "free cryptography lecture" not in page.text  # not queued
    assert "Pending (39)" in page.text or "pending (39)" in page.text.lower()

    def row_of(external_id: str) -> WatchMessage:
        db.commit()
        db.expire_all()
        found = db.scalar(select(WatchMessage).where(WatchMessage.external_id == external_id))
        assert found is not None
        return found

    token_form = csrf_of(page.text)
    for external_id, decision in (("m-1", "hide"), ("m-2", "approve")):
        answer = moderator.post(
            f"/events/{SLUG}/moderation/messages/{row_of(external_id).id}",
            data={"csrf_token": token_form, "decision": decision},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    assert (row_of("m-1").review, row_of("m-2").review) == ("hidden", "approved")
    hidden = moderator.get(f"/events/{SLUG}/moderation?review=hidden&lang=en").text
    assert "加微信领红包" in hidden and "FREE CRYPTO" not in hidden

    answer = moderator.post(
        f"/events/{SLUG}/moderation/senders",
        data={"csrf_token": token_form, "sender": "u-9", "note": "repeat offender"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    report = _push(client, token, [{"id": "m-9", "sender": "u-9", "text": "hello everyone"}])
    assert report["queued"] == 1  # a marked sender's harmless message is queued too
    assert "repeat offender" in moderator.get(f"/events/{SLUG}/moderation?lang=en").text
    # A bad decision comes back to the page with the error, and changes nothing.
    answer = moderator.post(
        f"/events/{SLUG}/moderation/messages/{row_of('m-3').id}",
        data={"csrf_token": token_form, "decision": "delete"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and "error=" in answer.headers["location"]
    assert row_of("m-3").review == "pending"
    db.commit()
    actions = [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert {"watch.hide", "watch.approve", "watch.mark_sender"} <= set(actions)
