"""The offline kit: exported from the example plan as one HTML file and an A4 PDF (rendered with
pdftoppm, its text read with pdftotext), opened in headless Chromium with the network blocked,
stale after a new plan version (service and CLI exit code), re-exported by the worker when a plan is
applied, downloadable by responders only."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from playwright.sync_api import Request, Route, sync_playwright
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.kit import service
from eventguard.kit.publisher import keep_current
from eventguard.kit.render import read_stamp
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from tests.conftest import EXAMPLE_PLAN, AuthHeaders
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
# Screenshots go to an ignored folder; EVENTGUARD_SCREENSHOT_DIR=docs/screenshots refreshes the docs' ones.
SCREENSHOTS = Path(os.environ.get("EVENTGUARD_SCREENSHOT_DIR") or ROOT / "var" / "screenshots")
WU_HAO_PHONE = "+86 138-0000-0010"  # the legal lead in the example plan
HEADINGS_ZH = (
    "响应级别",
    "决策树",
    "联系人与升级顺序",
    "应急处置卡",
    "处置手册(按恢复顺序)",
    "备用方案",
    "公告模板",
)


def _apply_changed(db: Session, clock: FrozenClock, marker: str) -> int:
    source = EXAMPLE_PLAN.read_text(encoding="utf-8").replace("name: 吴昊 (Wu Hao)", f"name: 吴昊 ({marker})")
    version = plans.apply_plan(
        db=db, source=source, filename="changed.yaml", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    return version.number


def test_the_pdf_renders_on_a4_with_the_chinese_headings(
    db: Session, clock: FrozenClock, event: Event, tmp_path: Path
) -> None:
    kit = service.make(db=db, slug=event.slug, clock=clock, language="zh-CN")
    html_path, pdf_path = service.write(kit, tmp_path)
    assert html_path.name == f"{event.slug}-kit.html" and pdf_path.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages >= 3
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "2", str(pdf_path), str(tmp_path / "page")],
        check=True,
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == 2 and all(image.stat().st_size > 2000 for image in images)
    text = subprocess.run(
        ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in HEADINGS_ZH:
        assert heading in text, heading
    assert "离线应急资料包" in text and "预案第 1 版" in text
    assert WU_HAO_PHONE in text.replace("\n", " ")
    # The written card of the tech team at level 1 and a derived step of another team are both there.
    assert "按恢复顺序处置" in text
    assert "公关" in text


def test_the_html_kit_opens_in_chromium_with_the_network_blocked(
    db: Session, clock: FrozenClock, event: Event, tmp_path: Path
) -> None:
    files = {}
    for lang in ("zh-CN", "en"):
        kit = service.make(db=db, slug=event.slug, clock=clock, language=lang)
        (files[lang],) = service.write(kit, tmp_path / lang, pdf=False)
    attempted: list[str] = []

    def block(route: Route, request: Request) -> None:
        if request.url.startswith("file://"):
            route.continue_()
        else:
            attempted.append(request.url)
            route.abort()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    views = [
        ("zh-CN", "desktop", {"width": 1280, "height": 900}, "联系人与升级顺序", "预案第 1 版"),
        ("zh-CN", "phone", {"width": 375, "height": 740}, "联系人与升级顺序", "预案第 1 版"),
        ("en", "desktop", {"width": 1280, "height": 900}, "Contacts and escalation", "Plan version 1"),
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for lang, name, viewport, heading, stamp in views:
                context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
                context.route("**/*", block)
                page = context.new_page()
                page.goto(files[lang].as_uri())
                page.wait_for_load_state("load")
                contacts = page.locator("#contacts").inner_text()
                assert heading in contacts
                assert "吴昊 (Wu Hao)" in contacts and WU_HAO_PHONE in contacts
                assert page.locator(f'#contacts a[href="tel:{WU_HAO_PHONE}"]').count() >= 1
                assert page.locator("#cards article.card").count() >= 8
                assert stamp in page.locator("#kit-stamp").inner_text()
                # Usable on a phone: nothing wider than the screen.
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"] + 1, (viewport, width)
                page.locator("#contacts").scroll_into_view_if_needed()
                page.screenshot(path=str(SCREENSHOTS / f"kit-{lang}-{name}.png"))
                context.close()
        finally:
            browser.close()
    assert attempted == []


def test_kit_verify_says_stale_after_a_new_plan_version(
    db: Session, database: Database, clock: FrozenClock, event: Event, tmp_path: Path
) -> None:
    kit = service.make(db=db, slug=event.slug, clock=clock)
    (path,) = service.write(kit, tmp_path, pdf=False)
    text = path.read_text(encoding="utf-8")
    assert read_stamp(text) == kit.stamp.as_dict()
    fresh = service.verify_text(db=db, text=text)
    assert fresh.stale is False and fresh.file_version == fresh.current_version == 1

    env = {**os.environ, "EVENTGUARD_DATABASE_URL": database.url}
    command = [str(ROOT / ".venv" / "bin" / "eventguard"), "kit", "verify", str(path)]
    current = subprocess.run(command, capture_output=True, text=True, env=env)
    assert current.returncode == 0, current.stdout + current.stderr

    assert _apply_changed(db, clock, "Wu Hao, legal") == 2
    stale = service.verify_text(db=db, text=text)
    assert stale.stale is True and (stale.file_version, stale.current_version) == (1, 2)
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "STALE" in result.stdout or "已过期" in result.stdout
    not_kit = tmp_path / "other.html"
    not_kit.write_text("<html></html>", encoding="utf-8")
    bad = subprocess.run([*command[:-1], str(not_kit)], capture_output=True, text=True, env=env)
    assert bad.returncode == 1


def test_the_worker_re_exports_the_kit_when_a_plan_is_applied(
    db: Session, database: Database, clock: FrozenClock, event: Event, tmp_path: Path
) -> None:
    out = tmp_path / "kits"
    settings = Settings(database_url=database.url, secret_key="test-secret-key", kit_export_dir=out)
    context = WorkerContext(clock=clock, settings=settings, name="test-worker")
    html = out / f"{event.slug}-kit.html"
    try:
        written = keep_current(database=database, context=context)  # the first pass writes every event's kit
        assert sorted(p.name for p in written) == [f"{event.slug}-kit.html", f"{event.slug}-kit.pdf"]
        assert (out / f"{event.slug}-kit.pdf").read_bytes().startswith(b"%PDF")
        assert read_stamp(html.read_text(encoding="utf-8"))["plan_version"] == 1  # type: ignore[index]
        clock.advance(timedelta(seconds=2))
        assert keep_current(database=database, context=context) == []  # current: nothing rewritten
        _apply_changed(db, clock, "Wu Hao, counsel")
        assert service.verify_text(db=db, text=html.read_text(encoding="utf-8")).stale is True
        assert keep_current(database=database, context=context) == []  # checked less than a second ago
        clock.advance(timedelta(seconds=1))
        assert len(keep_current(database=database, context=context)) == 2
        rewritten = html.read_text(encoding="utf-8")
        assert read_stamp(rewritten)["plan_version"] == 2  # type: ignore[index]
        assert "Wu Hao, counsel" in rewritten
        assert service.verify_text(db=db, text=rewritten).stale is False
        # A kit deleted from the directory comes back on the next check.
        html.unlink()
        clock.advance(timedelta(seconds=1))
        assert html in keep_current(database=database, context=context)
        assert read_stamp(html.read_text(encoding="utf-8"))["plan_version"] == 2  # type: ignore[index]
        # Without a directory the job does nothing.
        idle = WorkerContext(
            clock=clock, settings=Settings(database_url=database.url, secret_key="k"), name="w"
        )
        assert keep_current(database=database, context=idle) == []
        idle.http.close()
    finally:
        context.http.close()


def test_the_kit_download_is_for_responders(
    client: TestClient, event: Event, auth_headers: AuthHeaders
) -> None:
    url = f"/api/v1/events/{event.slug}/kit"
    assert client.get(url, headers=auth_headers("viewer")).status_code == 403
    assert client.get(url).status_code == 401
    html = client.get(url, headers=auth_headers("responder"))
    assert html.status_code == 200 and html.headers["x-eventguard-plan-version"] == "1"
    assert "attachment" in html.headers["content-disposition"] and WU_HAO_PHONE in html.text
    pdf = client.get(url + "?format=pdf&lang=en", headers=auth_headers("responder"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        client.get("/api/v1/events/no-such-event/kit", headers=auth_headers("responder")).status_code == 404
    )
    bad = client.get(url + "?format=docx", headers=auth_headers("responder"))
    assert bad.status_code == 422 and "error" in bad.json()
