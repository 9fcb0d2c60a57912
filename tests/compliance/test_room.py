"""The incident room's compliance panel: a responder marks a data leak reportable through the form
and sees its deadlines and drafts; a viewer sees no form and is refused on the server."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.compliance.models import ReportableMark
from eventguard.events.models import Event
from tests.compliance.test_deadlines import _leak
from tests.web.conftest import SignIn, csrf_of, sign_in

__all__ = ["sign_in"]


def test_a_responder_marks_it_reportable_in_the_room_and_a_viewer_cannot(
    db: Session, clock: FrozenClock, legal_event: Event, sign_in: SignIn
) -> None:
    incident = _leak(db, legal_event, clock)
    viewer = sign_in("viewer")
    page = viewer.get(f"/incidents/{incident.id}")
    assert page.status_code == 200 and 'id="compliance"' in page.text
    assert "/compliance/mark" not in page.text  # no form for a viewer
    refused = viewer.post(
        f"/incidents/{incident.id}/compliance/mark",
        data={"csrf_token": csrf_of(page.text), "grade": "major"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    db.expire_all()
    assert db.scalars(select(ReportableMark)).all() == []

    responder = sign_in("responder")
    room = responder.get(f"/incidents/{incident.id}?lang=zh-CN")
    assert "标记为须报告" in room.text
    clock.advance(timedelta(minutes=5))
    done = responder.post(
        f"/incidents/{incident.id}/compliance/mark",
        data={"csrf_token": csrf_of(room.text), "grade": "significant", "personal_data": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    after = responder.get(f"/incidents/{incident.id}?lang=zh-CN").text
    assert "网络安全事件报告(其他网络运营者)" in after and "属地省级网信部门" in after
    assert "还剩 235 分钟" in after  # 4 h from the opening, 5 minutes gone
    assert "记录为已报送" in after and "涉及的个人信息种类" in after
    # The legal team completes the CAC draft's first field and records a first (phased) report.
    token = csrf_of(after)
    deadline = int(re.search(r'action="/compliance/deadlines/(\d+)/draft"', after).group(1))  # type: ignore[union-attr]
    saved = responder.post(
        f"/compliance/deadlines/{deadline}/draft",
        data={"csrf_token": token, "field_1": "2,000 participants' names and phone numbers"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    sent = responder.post(
        f"/compliance/deadlines/{deadline}/sent",
        data={
            "csrf_token": token,
            "sent_by": "吴昊",
            "sent_to": "上海市网信办",
            "sent_at": "",
            "partial": "1",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    final = responder.get(f"/incidents/{incident.id}?lang=zh-CN").text
    assert "由 吴昊 报送 上海市网信办" in final and "2,000 participants" in final
    empty = responder.post(
        f"/compliance/deadlines/{deadline}/sent",
        data={"csrf_token": token, "sent_by": "x", "sent_to": "y"},
        follow_redirects=False,
    )
    assert empty.status_code == 409 and "已记录为已报送" in empty.text  # refused on the room page, not a 500
