"""What every console page shares: the user's remembered language, role checks, readable spans."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy.orm import Session

from eventguard.auth import service as auth
from eventguard.events.models import Event
from eventguard.incidents.models import Incident
from eventguard.web.console import duration
from tests.web.conftest import SignIn


def test_a_language_picked_by_a_signed_in_user_is_stored_as_theirs(
    sign_in: SignIn, db: Session, event: Event
) -> None:
    client = sign_in("viewer")
    assert "<title>Dashboard · EventGuard</title>" in client.get("/?lang=en").text
    user = auth.get_user_by_username(db=db, username="viewer-web")
    assert user is not None and user.language == "en"
    client.cookies.delete("eg_lang")  # another browser of the same user: no language cookie
    assert "<title>Dashboard · EventGuard</title>" in client.get("/").text
    assert "<title>仪表盘 · EventGuard</title>" in client.get("/?lang=zh-CN").text
    client.cookies.delete("eg_lang")
    assert "<title>仪表盘 · EventGuard</title>" in client.get("/").text


def test_spans_read_in_days_hours_and_minutes() -> None:
    assert duration(timedelta(days=2, hours=3, minutes=4), "en") == "2 d 3 h"
    assert duration(timedelta(hours=5, minutes=12), "en") == "5 h 12 min"
    assert duration(timedelta(minutes=4, seconds=59), "zh-CN") == "4 分钟"
    assert duration(timedelta(minutes=-3), "en") == "0 min"


def test_every_console_page_has_a_title_a_breadcrumb_and_labelled_inputs(
    sign_in: SignIn, event: Event, incident: Incident
) -> None:
    client = sign_in("admin")
    paths = [
        "/",
        f"/incidents/{incident.id}",
        "/events/cloud-summit-2026/plan",
        "/admin/users",
        "/admin/tokens",
    ]
    paths += ["/admin/integrations", "/admin/channels", "/admin/oncall"]
    for path in paths:
        html = client.get(path + "?lang=en").text
        assert re.search(r"<title>[^<]+ · EventGuard</title>", html), path
        assert 'aria-label="Breadcrumb" class="crumbs"><a href="/">' in html or path == "/", path
        for field in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in field:
                continue
            ident = re.search(r'id="([^"]+)"', field)
            assert ident is not None and f'for="{ident.group(1)}"' in html, (path, field)
