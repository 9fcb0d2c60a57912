"""The analytics page (TestClient: its figures, filters and errors; tests/web/test_analytics_browser.py
drives it in Chromium)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.web import analytics_pages
from tests.analytics.seed import NOW, seed
from tests.web.conftest import SignIn


def _svgs(html: str) -> list[str]:
    return re.findall(r"<svg[^>]*>.*?</svg>", html, flags=re.S)


def test_a_viewer_sees_the_figures_of_one_event_with_charts(
    sign_in: SignIn, db: Session, event: Event, clock: FrozenClock
) -> None:
    seed(db, event)
    clock.set(NOW)
    page = sign_in("viewer").get("/analytics?event=cloud-summit-2026&lang=en")
    assert page.status_code == 200
    html = page.text
    assert "3 min" in html and "60 min" in html  # MTTA 180 s, MTTR 3600 s
    assert "40%" in html  # SLA met
    charts = _svgs(html)
    assert len(charts) == 9
    for chart in charts:
        assert 'role="img"' in chart and "<title " in chart and "<desc " in chart and "<script" not in chart
    assert '<a href="/analytics">Analytics</a>' in html  # the nav link
    assert "format=csv" in html


def test_the_page_reads_in_chinese_across_events(sign_in: SignIn, db: Session, event: Event) -> None:
    seed(db, event)
    html = sign_in("viewer").get("/analytics?lang=zh-CN").text
    assert "统计分析" in html and "全部活动" in html and "按级别统计事件" in html and "各活动对比" in html
    assert len(_svgs(html)) == 10  # the events side by side too
    assert "3.5 分钟" in html  # MTTA across both events: 210 s


def test_a_bad_filter_is_a_page_with_the_reason_not_a_crash(sign_in: SignIn, event: Event) -> None:
    client = sign_in("viewer")
    bad = client.get("/analytics?since=2026-06-02&until=2026-06-01&lang=en")
    assert bad.status_code == 422 and "until must not be before since" in bad.text
    assert client.get("/analytics?event=nope&lang=en").status_code == 404
    assert client.get("/analytics?since=yesterday").status_code == 422


def test_signed_out_it_sends_to_the_sign_in(client: TestClient) -> None:
    answer = client.get("/analytics", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_the_page_lists_the_latest_incidents_and_says_the_csv_has_all(
    sign_in: SignIn, db: Session, event: Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(db, event)
    monkeypatch.setattr(analytics_pages, "SHOWN_INCIDENTS", 2)
    html = sign_in("viewer").get("/analytics?event=cloud-summit-2026&lang=en").text
    assert "The latest 2 of 4; every one is in the CSV." in html
    listed = re.findall(r'<td><a href="/incidents/(\d+)">', html)
    assert len(listed) == 2


def test_the_drill_filter_shows_drill_incidents_and_keeps_it_in_the_csv_links(
    sign_in: SignIn, db: Session, event: Event
) -> None:
    seed(db, event)
    client = sign_in("viewer")
    html = client.get("/analytics?event=cloud-summit-2026&drills=true&lang=en").text
    assert "10 min" in html  # the drill incident's MTTA: 600 s
    link = re.search(r'href="(/api/v1/analytics/summary\?[^"]+)"', html)
    assert link is not None
    csv_text = client.get(link.group(1).replace("&amp;", "&")).text
    assert "mtta_seconds,600.0" in csv_text.replace("\r\n", "\n")
