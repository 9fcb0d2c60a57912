"""Silences from the war room, end to end through signed callbacks (Slack against its local Web API,
DingTalk against its local open API): a responder's `silence …` creates the silence the API would
(same validation, the platform as source and audit actor type) and an alert it matches is then held;
`silences` lists it; `unsilence ID` expires it; a viewer is refused in the platform's shape and a bad
matcher or duration is answered with the error, creating nothing."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit.models import AuditEntry
from eventguard.auth.models import Role
from eventguard.chat import commands, silences
from eventguard.clock import FrozenClock
from eventguard.events.models import Event
from eventguard.noise import service as noise
from tests.alerts.builders import am_alert
from tests.chat import dingtalk_server, slack_server
from tests.chat.conftest import Link, WorkerPass, declare
from tests.chat.dingtalk_server import APP_KEY, APP_SECRET, FakeDingTalk, robot_message
from tests.chat.slack_server import BOT_TOKEN, SIGNING_SECRET, FakeSlack, channel_message
from tests.conftest import AuthHeaders
from tests.noise.helpers import ingest
from tests.notify.receivers import HttpReceiver

SLACK = "/api/v1/chat/slack/cloud-summit-2026/callback"
DINGTALK = "/api/v1/chat/dingtalk/cloud-summit-2026/callback"
SILENCES = "/api/v1/events/cloud-summit-2026/silences"
_TRIGGERS = itertools.count(1)
SILENCE_ID = re.compile(r"(?:Silence|静默) (\d+)")


@pytest.fixture
def slack_fake() -> FakeSlack:
    return FakeSlack(emails={"li.na@example.com": "U01LINA"})


@pytest.fixture
def slack(slack_fake: FakeSlack) -> Iterator[HttpReceiver]:
    receiver = slack_server.start(slack_fake)
    yield receiver
    receiver.stop()


@pytest.fixture
def slack_app(client: TestClient, event: Event, slack: HttpReceiver, auth_headers: AuthHeaders) -> None:
    body = {
        "app_id": "A0001",
        "secrets": {"bot_token": BOT_TOKEN, "signing_secret": SIGNING_SECRET},
        "settings": {"team_id": "T0001"},
        "base_url": f"{slack.url}/api",
    }
    answer = client.put(
        "/api/v1/events/cloud-summit-2026/chat-apps/slack", json=body, headers=auth_headers("admin")
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def dingtalk(event: Event) -> Iterator[HttpReceiver]:
    receiver = dingtalk_server.start(FakeDingTalk(mobiles={"13800000002": "user-zhangwei"}))
    yield receiver
    receiver.stop()


@pytest.fixture
def dingtalk_app(client: TestClient, dingtalk: HttpReceiver, auth_headers: AuthHeaders) -> None:
    body = {"app_id": APP_KEY, "secrets": {"app_secret": APP_SECRET}, "base_url": dingtalk.url}
    answer = client.put(
        "/api/v1/events/cloud-summit-2026/chat-apps/dingtalk", json=body, headers=auth_headers("admin")
    )
    assert answer.status_code == 200, answer.text


def _slash(client: TestClient, clock: FrozenClock, user: str, channel: str, text: str) -> Any:
    """A signed `/eg TEXT` slash command (Slack answers it with an ephemeral message)."""
    body = urlencode(
        {
            "token": "deprecated",
            "team_id": "T0001",
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "eg-1",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/eg",
            "text": text,
            "api_app_id": "A0001",
            "response_url": "https://hooks.slack.com/commands/T0001/1/abc",
            "trigger_id": f"123.456.{next(_TRIGGERS)}",  # each command its own request (and signature)
        }
    )
    headers = slack_server.signed(body, int(clock.now().timestamp())) | {
        "Content-Type": "application/x-www-form-urlencoded"
    }
    answer = client.post(SLACK, content=body, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["response_type"] == "ephemeral"
    return answer.json()


def _silences(client: TestClient, headers: dict[str, str], expired: bool = False) -> list[dict[str, Any]]:
    answer = client.get(SILENCES, params={"expired": expired}, headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _slack_room(client: TestClient, event: Event, auth_headers: AuthHeaders, worker_pass: WorkerPass) -> str:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    rooms = client.get(f"/api/v1/incidents/{incident['id']}/war-rooms", headers=auth_headers("viewer")).json()
    assert rooms[0]["status"] == "open", rooms
    return str(rooms[0]["chat_id"])


def test_a_responders_slack_command_silences_a_matching_alert_and_unsilence_expires_it(
    client: TestClient,
    slack_app: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    slack_fake: FakeSlack,
    event: Event,
    link: Link,
    clock: FrozenClock,
    db: Session,
) -> None:
    chat_id = _slack_room(client, event, auth_headers, worker_pass)
    link("responder", "slack", "U01ZHANGWEI")
    answer = _slash(
        client,
        clock,
        "U01ZHANGWEI",
        chat_id,
        'silence alertname=StreamBitrateLow region=~"sh|bj" 2h encoders swapped in Shanghai &amp; Beijing',
    )
    found = SILENCE_ID.search(answer["text"])
    assert found is not None, answer
    silence_id = int(found.group(1))
    assert "2026-05-20 11:00 (Asia/Shanghai)" in answer["text"]  # its end, in the event's time zone

    viewer = auth_headers("viewer")
    [silence] = _silences(client, viewer)
    assert silence["id"] == silence_id and silence["state"] == "active"
    assert silence["matchers"] == [
        {"name": "alertname", "op": "=", "value": "StreamBitrateLow"},
        {"name": "region", "op": "=~", "value": "sh|bj"},
    ]
    assert silence["source"] == "slack" and silence["created_by"] == "responder-user"
    assert silence["comment"] == "encoders swapped in Shanghai & Beijing"
    assert datetime.fromisoformat(silence["ends_at"]) == clock.now() + timedelta(hours=2)
    db.commit()
    created = db.scalars(select(AuditEntry).where(AuditEntry.action == "silence.create")).one()
    assert created.actor_type == "slack" and created.actor_name == "responder-user"
    chat = db.scalars(select(AuditEntry).where(AuditEntry.action == "chat.silence")).one()
    assert chat.target_type == "silence" and chat.target_id == str(silence_id)
    assert chat.after is not None and chat.after["platform_user"] == "U01ZHANGWEI"

    # An alert it matches opens held (nobody paged); one in another region does not.
    [held] = ingest(db, event, clock, am_alert("StreamBitrateLow", instance="edge-7:443", region="bj"))
    hold = noise.incident_noise(db=db, incident_id=held).hold
    assert hold.held and hold.rule == f"silence:{silence_id}"
    [other] = ingest(db, event, clock, am_alert("HLSPlaylistStale", instance="edge-8:443", region="bj"))
    assert not noise.incident_noise(db=db, incident_id=other).hold.held

    # `silences` in the room: the answer is posted to the room.
    body = channel_message("U01ZHANGWEI", chat_id, "silences", event_id="Ev0101")
    headers = slack_server.signed(body, int(clock.now().timestamp())) | {"Content-Type": "application/json"}
    assert client.post(SLACK, content=body, headers=headers).json() == {}
    worker_pass()
    listed = [m["text"] for m in slack_fake.posted if f"#{silence_id} " in m["text"]]
    assert listed and 'region=~"sh|bj"' in listed[-1] and "encoders swapped" in listed[-1], slack_fake.posted

    expired = _slash(client, clock, "U01ZHANGWEI", chat_id, f"unsilence {silence_id}")
    assert str(silence_id) in expired["text"]
    assert _silences(client, viewer) == []
    [gone] = _silences(client, viewer, expired=True)
    assert gone["state"] == "expired" and gone["expired_by"] == "responder-user"
    again = _slash(client, clock, "U01ZHANGWEI", chat_id, f"unsilence {silence_id}")
    assert str(silence_id) in again["text"] and again["text"] != expired["text"]  # already expired


def test_a_viewer_is_refused_and_bad_matchers_or_durations_create_nothing_on_slack(
    client: TestClient,
    slack_app: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    event: Event,
    link: Link,
    clock: FrozenClock,
    db: Session,
) -> None:
    chat_id = _slack_room(client, event, auth_headers, worker_pass)
    link("viewer", "slack", "U01CHENJIE")
    refused = _slash(client, clock, "U01CHENJIE", chat_id, "silence alertname=StreamBitrateLow 2h")
    assert "responder" in refused["text"]
    listing = _slash(client, clock, "U01CHENJIE", chat_id, "silences")  # a viewer may list them
    assert listing["text"] in ("No active silences.", "当前没有生效的静默。")

    link("responder", "slack", "U01ZHANGWEI")
    for text, shown in (
        ('silence region=~"sh|(bj" 2h', "region"),  # a regex that does not compile
        ('silence region=~".*" 2h', "empty"),  # would silence every alert (Alertmanager refuses it)
        ('silence region=~"sh 2h', "quote"),  # an unclosed quote
        ("silence 2h maintenance", "2h"),  # no matcher at all
        ("silence alertname=StreamBitrateLow forever", "forever"),  # not a duration
        ("silence alertname=StreamBitrateLow", "30m"),  # no duration
        ("silence alertname=StreamBitrateLow 400d", "一年"),  # longer than the API allows (a year)
        ("silence 9bad=x 2h", "9bad"),
    ):
        answer = _slash(client, clock, "U01ZHANGWEI", chat_id, text)
        assert shown in answer["text"], (text, answer)
        assert not SILENCE_ID.search(answer["text"]), (text, answer)
    assert _silences(client, auth_headers("viewer"), expired=True) == []
    db.commit()
    assert db.scalars(select(AuditEntry).where(AuditEntry.action.like("%silence%"))).first() is None


def test_dingtalk_mentions_silence_and_unsilence_and_refuse_a_viewer(
    client: TestClient,
    dingtalk_app: None,
    auth_headers: AuthHeaders,
    worker_pass: WorkerPass,
    event: Event,
    link: Link,
    clock: FrozenClock,
    db: Session,
) -> None:
    incident = declare(client, auth_headers("responder"), event, level=1)
    worker_pass()
    title = f"EG#{incident['id']} Main stream down"
    now = int(clock.now().timestamp() * 1000)

    def say(msg_id: str, staff: str, text: str) -> str:
        body = robot_message(msg_id, staff, title, f"@EventGuard {text}", now)
        answer = client.post(DINGTALK, content=body, headers=dingtalk_server.signed(now))
        assert answer.status_code == 200, answer.text
        assert answer.json()["msgtype"] == "text"
        return str(answer.json()["text"]["content"])

    link("viewer", "dingtalk", "user-chenjie")
    assert "responder" in say("m1", "user-chenjie", "静默 alertname=StreamBitrateLow 30m")
    assert _silences(client, auth_headers("viewer")) == []

    link("responder", "dingtalk", "user-zhangwei")
    bad = say("m2", "user-zhangwei", "静默 region!~“sh|(bj” 30m")  # curly quotes, as phones type them
    assert "region" in bad and not SILENCE_ID.search(bad)
    assert _silences(client, auth_headers("viewer")) == []

    made = say("m3", "user-zhangwei", "静默 alertname=StreamBitrateLow region=~“sh|bj” 30m 更换编码器")
    found = SILENCE_ID.search(made)
    assert found is not None, made
    silence_id = int(found.group(1))
    [silence] = _silences(client, auth_headers("viewer"))
    assert silence["id"] == silence_id and silence["source"] == "dingtalk"
    assert silence["comment"] == "更换编码器" and silence["matchers"][1]["value"] == "sh|bj"
    [held] = ingest(db, event, clock, am_alert("StreamBitrateLow", instance="edge-7:443", region="sh"))
    assert noise.incident_noise(db=db, incident_id=held).hold.rule == f"silence:{silence_id}"

    assert f"#{silence_id} " in say("m4", "user-zhangwei", "静默列表")
    assert "responder" in say("m5", "user-chenjie", f"取消静默 {silence_id}")
    assert _silences(client, auth_headers("viewer"))  # the viewer's refusal expired nothing
    assert str(silence_id) in say("m6", "user-zhangwei", f"取消静默 {silence_id}")
    assert _silences(client, auth_headers("viewer")) == []
    db.commit()
    expired = db.scalars(select(AuditEntry).where(AuditEntry.action == "silence.expire")).one()
    assert expired.actor_type == "dingtalk"


@pytest.mark.parametrize(
    ("platform", "text", "matchers", "duration", "comment"),
    [
        (
            "feishu",
            'alertname=StreamBitrateLow region=~"sh|bj" 2h encoder swap',
            [("alertname", "=", "StreamBitrateLow"), ("region", "=~", "sh|bj")],
            "2h",
            "encoder swap",
        ),
        (
            "wecom",
            'title="two words" env!=prod 1h30m',
            [("title", "=", "two words"), ("env", "!=", "prod")],
            "1h30m",
            "",
        ),
        ("feishu", "instance!~＂edge-[0-9]+＂ 30m", [("instance", "!~", "edge-[0-9]+")], "30m", ""),
        ("feishu", r'msg="say \"hi\"" 1d', [("msg", "=", 'say "hi"')], "1d", ""),
        (  # Slack's escaping of & < > and its auto-links, read back to what was typed
            "slack",
            "host=<http://edge-1.example.com|edge-1.example.com> path=~a&lt;b 2h x &amp; y",
            [("host", "=", "edge-1.example.com"), ("path", "=~", "a<b")],
            "2h",
            "x & y",
        ),
    ],
)
def test_the_silence_text_is_read_into_matchers_a_duration_and_a_comment(
    platform: str, text: str, matchers: list[tuple[str, str, str]], duration: str, comment: str
) -> None:
    found, how_long, why = silences.read(text, platform)
    assert [(m["name"], m["op"], m["value"]) for m in found] == matchers
    assert (how_long, why) == (duration, comment)


def test_the_commands_are_known_in_english_and_chinese() -> None:
    assert commands.parse("静默 alertname=X 2h") == commands.Command("silence", "alertname=X 2h")
    assert commands.parse("/eg mute alertname=X 2h") == commands.Command("silence", "alertname=X 2h")
    assert commands.parse("静默列表") == commands.Command("silences", "")
    assert commands.parse("取消静默 12") == commands.Command("unsilence", "12")
    assert commands.REQUIRED["silence"] is Role.responder and commands.REQUIRED["silences"] is Role.viewer
