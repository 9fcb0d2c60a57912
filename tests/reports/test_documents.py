"""The incident report, the postmortem and the drill evaluation as Markdown, HTML and PDF: the PDF
renders to a page image (pdftoppm) and its text (pdftotext) holds the Chinese headings; the HTML
holds the charts; the API and the CLI hand out each with its content type and file name."""

from __future__ import annotations

import shutil
import subprocess
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from eventguard.audit.service import Actor
from eventguard.cli.main import app as cli_app
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.drills import service as drills
from eventguard.events.models import Event
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.plans import service as plans
from eventguard.reports import documents, render
from eventguard.reviews import service as reviews
from eventguard.worker.context import WorkerContext
from eventguard.worker.dispatch import dispatch_pending
from tests.conftest import AuthHeaders

ACTOR = Actor.cli("wang-qiang")


def _resolved_incident(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> Incident:
    """A level-2 payment incident: notified (the worker plans its notify-within rows), acknowledged
    after 3 min, resolved after 27; its postmortem is created on resolution."""
    spec = plans.get_active_plan(db=db, event_id=event.id)
    incident = incidents.declare(
        db=db,
        event=event,
        spec=spec,
        title="Payment gateway down",
        level=2,
        scenario_id="payment-failure",
        core_functions=None,
        impact="Ticket sales stopped",
        phase="prep",
        actor=ACTOR,
        clock=clock,
    )
    db.commit()
    dispatch_pending(database=database, context=WorkerContext(clock=clock, settings=settings))
    clock.advance(timedelta(minutes=3))
    incidents.acknowledge(db=db, incident=incident, actor=Actor.cli("zhang-wei"), clock=clock)
    clock.advance(timedelta(minutes=24))
    incidents.resolve(db=db, incident=incident, actor=ACTOR, clock=clock, note="Certificate renewed")
    db.commit()
    dispatch_pending(database=database, context=WorkerContext(clock=clock, settings=settings))
    db.commit()
    return incident


def _tabletop_run(db: Session, event: Event, clock: FrozenClock) -> int:
    run = drills.start(db=db, event=event, drill_id="data-leak-tabletop", actor=ACTOR, clock=clock)
    spec = drills.spec_of(db, run)
    clock.advance(timedelta(minutes=5))
    drills.record_answer(
        db=db,
        run=run,
        spec=spec,
        position=1,
        answer="Legal is told first",
        rating=2,
        team=None,
        actor=ACTOR,
        clock=clock,
    )
    drills.finish(db=db, run=run, notes="Good", actor=ACTOR, clock=clock)
    db.commit()
    return run.id


def _pdf_text(tmp_path: Path, data: bytes) -> str:
    """pdftotext of the PDF, after pdftoppm made an image of its first page."""
    assert data.startswith(b"%PDF-")
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True
    )
    pages = list(tmp_path.glob("page*.png"))
    assert len(pages) == 1 and pages[0].read_bytes().startswith(b"\x89PNG") and pages[0].stat().st_size > 2000
    return subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def _poppler() -> None:
    assert shutil.which("pdftoppm") and shutil.which("pdftotext"), (
        "run ./scripts/test-prereqs (poppler-utils)"
    )


def test_the_incident_report_pdf_renders_with_its_chinese_headings(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    incident = _resolved_incident(db, database, event, clock, settings)
    document = documents.incident_document(db=db, incident_id=incident.id, lang="zh-CN", now=clock.now())
    assert "## 通知" in document.markdown and "(+3 分钟)" in document.markdown
    text = _pdf_text(tmp_path, render.render(document, "pdf"))
    for heading in (
        "事件报告",
        "通知",
        "处置手册",
        "时间线",
        "从开始到各状态的用时",
        "首次通知用时与 notify_within 对比",
    ):
        assert heading in text, heading


def test_the_incident_report_html_is_self_contained_with_its_charts(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    incident = _resolved_incident(db, database, event, clock, settings)
    document = documents.incident_document(db=db, incident_id=incident.id, lang="en", now=clock.now())
    html = render.html(document)
    assert html.count("<svg") == 2 and f'id="incident-{incident.id}-notifications"' in html
    assert "<h2>Notifications</h2>" in html and "<table>" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing to fetch
    assert "src=" not in html and "<script" not in html


class _Counting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_text_people_wrote_stays_text_and_its_links_are_never_fetched(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/x.png"
        incident = _resolved_incident(db, database, event, clock, settings)
        note = f'<script>alert(1)</script> <img src="{url}"> ![x]({url})'
        incidents.add_note(db=db, incident=incident, text=note, actor=ACTOR, clock=clock)
        db.commit()
        document = documents.incident_document(db=db, incident_id=incident.id, lang="en", now=clock.now())
        html = render.html(document)
        assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;img" in html
        assert render.render(document, "pdf").startswith(b"%PDF-")
        assert _Counting.hits == []  # the Markdown image was not fetched while rendering
    finally:
        server.shutdown()
        server.server_close()


def test_the_postmortem_reuses_its_markdown_and_renders_as_pdf(
    db: Session, database: Database, event: Event, clock: FrozenClock, settings: Settings, tmp_path: Path
) -> None:
    from eventguard.reviews import export

    incident = _resolved_incident(db, database, event, clock, settings)
    postmortem = reviews.for_incident(db=db, incident_id=incident.id)
    assert postmortem is not None
    document = documents.postmortem_document(
        db=db, postmortem_id=postmortem.id, lang="zh-CN", now=clock.now()
    )
    assert document.markdown == export.markdown(db=db, postmortem=postmortem, language="zh-CN")
    text = _pdf_text(tmp_path, render.render(document, "pdf"))
    for heading in ("复盘报告", "改进事项", "时间线"):
        assert heading in text, heading


def test_the_drill_evaluation_pdf_has_the_score_per_target(
    db: Session, event: Event, clock: FrozenClock, tmp_path: Path
) -> None:
    run_id = _tabletop_run(db, event, clock)
    document = documents.drill_document(db=db, run_id=run_id, lang="zh-CN", now=clock.now())
    html = render.html(document)
    assert f'id="drill-run-{run_id}-scores"' in html
    assert html.count("<svg") == 1  # no team answered: no empty per-team chart
    text = _pdf_text(tmp_path, render.render(document, "pdf"))
    for heading in ("演练评估报告", "各考核目标得分", "改进事项"):
        assert heading in text, heading


def test_the_api_downloads_each_with_its_type_and_name(
    client: TestClient,
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    settings: Settings,
    auth_headers: AuthHeaders,
) -> None:
    incident = _resolved_incident(db, database, event, clock, settings)
    postmortem = reviews.for_incident(db=db, incident_id=incident.id)
    assert postmortem is not None
    run_id = _tabletop_run(db, event, clock)
    headers = auth_headers("viewer")
    cases = [
        (f"/api/v1/reports/incidents/{incident.id}", f"incident-{incident.id}"),
        (f"/api/v1/reports/postmortems/{postmortem.id}", f"postmortem-{postmortem.id}"),
        (f"/api/v1/reports/drill-runs/{run_id}", f"drill-run-{run_id}"),
    ]
    for path, stem in cases:
        for fmt, media in (("md", "text/markdown"), ("html", "text/html"), ("pdf", "application/pdf")):
            answer = client.get(path, params={"format": fmt, "lang": "en"}, headers=headers)
            assert answer.status_code == 200, (path, fmt, answer.text[:200])
            assert answer.headers["content-type"].startswith(media)
            assert answer.headers["content-disposition"] == f'attachment; filename="{stem}.{fmt}"'
    assert client.get("/api/v1/reports/incidents/999999", headers=headers).status_code == 404
    assert (
        client.get(f"/api/v1/reports/incidents/{incident.id}?format=docx", headers=headers).status_code == 422
    )
    assert client.get("/api/v1/reports/incidents/99999999999", headers=headers).status_code == 422
    assert client.get(f"/api/v1/reports/incidents/{incident.id}").status_code == 401


def test_the_cli_writes_a_pdf(
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    incident = _resolved_incident(db, database, event, clock, settings)
    monkeypatch.setenv("EVENTGUARD_DATABASE_URL", database.url)
    from eventguard.config import get_settings

    get_settings.cache_clear()
    try:
        out = tmp_path / "report.pdf"
        result = CliRunner().invoke(
            cli_app, ["report", "incident", str(incident.id), "--format", "pdf", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert "事件报告" in _pdf_text(tmp_path, out.read_bytes())
        md = CliRunner().invoke(
            cli_app,
            [
                "report",
                "incident",
                str(incident.id),
                "-f",
                "md",
                "-o",
                str(tmp_path / "r.md"),
                "--lang",
                "en",
            ],
        )
        assert md.exit_code == 0 and (tmp_path / "r.md").read_text(encoding="utf-8").startswith(
            "# Incident report"
        )
        missing = CliRunner().invoke(cli_app, ["report", "drill", "999999"])
        assert missing.exit_code == 1
    finally:
        get_settings.cache_clear()
