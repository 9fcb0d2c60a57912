"""The register: risks from the plan, edits by API, the plan-apply reconciliation, filters, sorting,
CSV and the heat map SVG."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.risks import service
from tests.conftest import EXAMPLE_PLAN, AuthHeaders

BASE = "/api/v1/events/cloud-summit-2026/risks"


def _apply(db: Session, clock: FrozenClock, source: str) -> None:
    plans.apply_plan(db=db, source=source, filename="plan.yaml", actor=Actor.cli("test"), clock=clock)
    db.commit()


def test_the_plan_fills_the_register_with_its_risks(db: Session, event: Event) -> None:
    spec = plans.get_active_plan(db=db, event_id=event.id)
    rows = service.list_risks(db=db, event_id=event.id, sort="key", descending=False)
    assert [row.key for row in rows] == sorted(risk.id for risk in spec.risks)
    crash = service.get_risk(db=db, event_id=event.id, key="server-crash")
    assert (crash.likelihood, crash.impact, crash.score, crash.source, crash.in_plan) == (
        2,
        5,
        10,
        "plan",
        True,
    )
    assert crash.backup_id == "backup-stream" and crash.status == "mitigating"
    vendor = service.get_risk(db=db, event_id=event.id, key="cdn-vendor-capacity")
    assert vendor.category == "vendor"  # a custom category of the plan
    assert [change.kind for change in service.history(db=db, risk_id=crash.id)] == ["created"]


def test_a_plan_apply_keeps_edits_the_plan_did_not_touch_and_takes_what_it_changed(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, auth_headers: AuthHeaders
) -> None:
    headers = auth_headers("responder")
    answer = client.patch(
        f"{BASE}/ddos",
        json={"status": "mitigated", "impact": 5, "reason": "CDN scrubbing contracted"},
        headers=headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["history"][-1]["changes"] == {"status": ["open", "mitigated"], "impact": [4, 5]}
    assert answer.json()["history"][-1]["reason"] == "CDN scrubbing contracted"
    manual = client.post(
        BASE,
        json={
            "category": "security",
            "title": {"zh-CN": "撞库", "en": "Credential stuffing"},
            "likelihood": 4,
            "impact": 4,
            "owner_team": "tech",
        },
        headers=headers,
    )
    assert manual.status_code == 201, manual.text
    assert manual.json()["key"] == "credential-stuffing" and manual.json()["source"] == "manual"
    # The plan raises ddos' likelihood (3 -> 4), leaves its impact and status alone, drops "copyright".
    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    start = source.index("  - id: ddos")
    block = source[start : source.index("  - id: copyright")]
    changed = source.replace(block, block.replace("likelihood: 3", "likelihood: 4"))
    start = changed.index("  - id: copyright")
    changed = changed[:start] + changed[changed.index("  - id: sensitive-speech") :]
    db.commit()
    _apply(db, clock, changed)
    ddos = service.get_risk(db=db, event_id=event.id, key="ddos")
    assert (ddos.likelihood, ddos.impact, ddos.status) == (4, 5, "mitigated")
    last = service.history(db=db, risk_id=ddos.id)[-1]
    assert (last.kind, last.changes) == ("plan", {"likelihood": [3, 4]})
    gone = service.get_risk(db=db, event_id=event.id, key="copyright")
    assert (
        gone.in_plan is False
        and service.history(db=db, risk_id=gone.id)[-1].reason == "removed from the plan"
    )
    assert service.get_risk(db=db, event_id=event.id, key="credential-stuffing").source == "manual"
    # Applying the original plan again: the plan's likelihood goes back, copyright is adopted again.
    _apply(db, clock, source)
    db.expire_all()
    assert service.get_risk(db=db, event_id=event.id, key="ddos").likelihood == 3
    assert service.get_risk(db=db, event_id=event.id, key="copyright").in_plan is True


def test_the_list_filters_sorts_and_exports_csv(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    headers = auth_headers("viewer")
    rows = client.get(BASE, headers=headers).json()
    scores = [row["score"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert all(row["last_drilled"] is None for row in rows)  # no drills domain answers: "never"
    technical = client.get(
        BASE, params={"category": "technical", "sort": "key", "order": "asc"}, headers=headers
    ).json()
    assert [row["key"] for row in technical] == ["av-interruption", "payment-outage", "server-crash"]
    high = client.get(BASE, params={"min_score": 12, "status": "open"}, headers=headers).json()
    assert {row["key"] for row in high} == {"ddos", "sensitive-speech"}
    cell = client.get(BASE, params={"likelihood": 3, "impact": 4}, headers=headers).json()
    assert {row["key"] for row in cell} == {"av-interruption", "ddos", "sensitive-speech"}
    assert client.get(BASE, params={"sort": "nonsense"}, headers=headers).status_code == 422
    assert client.get(BASE, params={"likelihood": 9}, headers=headers).status_code == 422
    exported = client.get(
        f"{BASE}/export.csv", params={"lang": "en", "category": "security"}, headers=headers
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert table[0][:3] == ["key", "category", "title"]
    assert [row[0] for row in table[1:]] == ["ddos", "data-breach"]  # score 12, then 10
    assert table[2][2] == "Data leak"
    chinese = client.get(f"{BASE}/export.csv", params={"lang": "zh-CN"}, headers=headers).text
    assert "服务器崩溃" in chinese


def test_the_heat_map_is_an_svg_counting_each_cell(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    answer = client.get(f"{BASE}/heatmap.svg", params={"lang": "en"}, headers=auth_headers("viewer"))
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(answer.text)
    ns = "{http://www.w3.org/2000/svg}"
    cells = {
        (g.get("data-likelihood"), g.get("data-impact")): int(g.get("data-count") or 0)
        for g in root.iter(f"{ns}g")
    }
    assert len(cells) == 25
    assert cells[("3", "4")] == 3 and cells[("2", "5")] == 2 and cells[("1", "1")] == 0
    assert sum(cells.values()) == 10  # every risk of the example plan, none closed
    assert "Likelihood" in answer.text
    chinese = client.get(f"{BASE}/heatmap.svg", params={"lang": "zh-CN"}, headers=auth_headers("viewer")).text
    assert "可能性" in chinese


def test_bad_input_gets_a_json_error(client: TestClient, event: Event, auth_headers: AuthHeaders) -> None:
    headers = auth_headers("responder")
    unknown = client.post(
        BASE,
        json={
            "category": "weather",
            "title": {"zh-CN": "台风", "en": "Typhoon"},
            "likelihood": 1,
            "impact": 5,
        },
        headers=headers,
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_reference"
    taken = client.post(
        BASE,
        json={
            "key": "ddos",
            "category": "security",
            "title": {"zh-CN": "x", "en": "x"},
            "likelihood": 1,
            "impact": 1,
        },
        headers=headers,
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "risk_exists"
    assert client.patch(f"{BASE}/nope", json={"status": "closed"}, headers=headers).status_code == 404
    assert client.patch(f"{BASE}/ddos", json={"likelihood": 6}, headers=headers).status_code == 422
    viewer = client.patch(f"{BASE}/ddos", json={"status": "closed"}, headers=auth_headers("viewer"))
    assert viewer.status_code == 403
