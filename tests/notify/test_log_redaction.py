"""No secret in the logs of ``eventguard serve``: a real server (uvicorn, the in-process worker,
logging as serve configures it, at DEBUG) delivers over every channel of the example plan to local
receivers at the vendors' own paths, and serves the acknowledgement, iCal and subscription links;
every line it writes is then searched for every secret value — the channel keys and signing
secrets, DingTalk's signature, the API token, the feed, acknowledgement and subscription tokens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus, urlsplit

import httpx
import pytest
from sqlalchemy import select

from eventguard.audit.service import Actor
from eventguard.auth import service as auth
from eventguard.auth.models import Role
from eventguard.clock import SystemClock
from eventguard.comms.models import Subscriber
from eventguard.comms.subscribers import service as subscribers
from eventguard.config import Settings
from eventguard.db import Database, migrate
from eventguard.plans import service as plans
from tests.conftest import EXAMPLE_PLAN
from tests.notify.conftest import SECRETS
from tests.notify.receivers import HttpReceiver, RecordedRequest, Reply, SmtpReceiver, free_port

SLUG = "cloud-summit-2026"
SECRET_KEY = "log-redaction-secret-key-0123456789"
# The vendors' hosts, pointed at the receiver; their paths (where the secrets sit) are kept.
VENDOR_HOSTS = (
    "https://qyapi.weixin.qq.com",
    "https://oapi.dingtalk.com",
    "https://open.feishu.cn",
    "https://hooks.slack.com",
    "https://sms-gateway.example.com",
    "https://dysmsapi.aliyuncs.com",
    "https://api.twilio.com",
)
ANSWERS = {
    "/cgi-bin/": {"errcode": 0, "errmsg": "ok"},
    "/robot/": {"errcode": 0, "errmsg": "ok"},
    "/open-apis/": {"code": 0, "msg": "success", "data": {}},
    "/services/": "ok",
    "/v1/page": {"accepted": True},
    "/2010-04-01/": {"sid": "CA" + "e" * 32, "status": "queued"},  # Twilio
    "/": {"Code": "OK", "Message": "OK", "BizId": "1^0", "RequestId": "r"},  # Aliyun (its path is /)
}
CHANNELS = (
    *("tech-wecom", "ops-dingtalk", "pr-feishu", "vendors-slack", "legal-email", "sms-gateway"),
    *("oncall-sms", "oncall-voice"),
)


def _vendor(request: RecordedRequest) -> Reply:
    return Reply(200, next((a for p, a in ANSWERS.items() if request.path.startswith(p)), "ok"))


@dataclass
class Served:
    url: str
    token: str
    log: Path
    database: Database
    stop: Callable[[], None]


def _eventually(found: Callable[[], object], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not found():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path / 'eventguard.db'}"
    migrate.upgrade(url)
    database = Database(url)
    source = EXAMPLE_PLAN.read_text(encoding="utf-8")
    for host in VENDOR_HOSTS:
        source = source.replace(host, http_receiver.url)
    http_receiver.answer_with(_vendor)
    clock, actor = SystemClock(), Actor.cli("test")
    with database.session(write=True) as db:
        plans.apply_plan(db=db, source=source, filename="local.yaml", actor=actor, clock=clock)
        user = auth.create_user(
            db=db, username="ops", password="a long probe password", role=Role.admin, actor=actor, clock=clock
        )
        _token, secret = auth.create_token(
            db=db, user=user, name="probe", scopes=["admin"], actor=actor, clock=clock
        )
        db.commit()
    port = free_port()
    env = {
        **os.environ,
        **SECRETS,
        "EVENTGUARD_DATABASE_URL": url,
        "EVENTGUARD_SECRET_KEY": SECRET_KEY,
        "EVENTGUARD_BASE_URL": f"http://127.0.0.1:{port}",
        "EVENTGUARD_SMTP_HOST": smtp_receiver.host,
        "EVENTGUARD_SMTP_PORT": str(smtp_receiver.port),
        "EVENTGUARD_LOG_LEVEL": "DEBUG",
        "EVENTGUARD_CONFIG_FILE": str(tmp_path / "none.toml"),
    }
    log = tmp_path / "serve.log"
    command = [
        str(Path(sys.executable).with_name("eventguard")),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    def stop() -> None:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)

    base = f"http://127.0.0.1:{port}"
    try:
        _eventually(lambda: _ready(base) or process.poll() is not None, "the server to start")
        assert process.poll() is None, log.read_text(errors="replace")
        yield Served(url=base, token=secret, log=log, database=database, stop=stop)
    finally:
        stop()
        database.dispose()


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _mail_link(smtp: SmtpReceiver, marker: str) -> str | None:
    for mail in smtp.messages:
        body = mail.message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        found = re.search(rf"http://[^\s]*{re.escape(marker)}[^\s]*", text)
        if found:
            return found.group(0).rstrip(".,;")
    return None


def test_no_secret_reaches_the_logs_of_a_server_that_delivers_and_serves_links(
    served: Served, http_receiver: HttpReceiver, smtp_receiver: SmtpReceiver
) -> None:
    api = httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {served.token}"}, timeout=30)
    web = httpx.Client(base_url=served.url, timeout=30)
    with api, web:
        # Every channel: a test message each, then a level-1 incident (with acknowledgement links).
        for channel in CHANNELS:
            answer = api.post(f"/api/v1/events/{SLUG}/channels/{channel}/test")
            assert answer.status_code == 202, answer.text
        declared = api.post("/api/v1/incidents", json={"event": SLUG, "title": "Main stage down", "level": 1})
        assert declared.status_code == 201, declared.text

        def paths() -> set[str]:
            return {"/" + request.path.split("/")[1] for request in http_receiver.requests}

        _eventually(
            lambda: {"/cgi-bin", "/robot", "/open-apis", "/services", "/v1", "/", "/2010-04-01"} <= paths(),
            "every robot and gateway (Aliyun at /, Twilio at /2010-04-01/…)",
        )
        _eventually(lambda: len(smtp_receiver.messages) >= 1, "the e-mail channel")

        def ack_url() -> str | None:
            for request in http_receiver.requests:
                if request.path == "/v1/page" and request.json().get("data", {}).get("ack_url"):
                    return str(request.json()["data"]["ack_url"])
            return None

        _eventually(lambda: ack_url() is not None, "an acknowledgement link")
        ack = ack_url()
        assert ack is not None
        assert web.get(ack).status_code == 200
        assert web.post(ack).status_code == 200

        # The iCal feeds, by their signed URLs.
        feeds = [
            api.get(f"/api/v1/events/{SLUG}/schedules/tech-oncall/feed-url").json()["url"],
            api.get(f"/api/v1/events/{SLUG}/people/zhang-wei/feed-url").json()["url"],
        ]
        for feed in feeds:
            assert web.get(feed).status_code == 200

        # A subscription: the confirmation link from its e-mail, then an unsubscribe link.
        subscribed = web.post(
            f"/status/{SLUG}/subscribers", json={"kind": "email", "address": "fan@example.com"}
        )
        assert subscribed.status_code == 202, subscribed.text
        _eventually(lambda: _mail_link(smtp_receiver, "/confirm/") is not None, "the confirmation e-mail")
        confirm = _mail_link(smtp_receiver, "/confirm/")
        assert confirm is not None
        assert web.get(confirm).status_code == 200
        assert web.post(confirm).status_code == 200
        with served.database.session() as db:
            fan = db.scalars(select(Subscriber)).one()
            settings = Settings(database_url=served.database.url, secret_key=SECRET_KEY, base_url=served.url)
            leave = subscribers.link(settings, SLUG, fan, "unsubscribe", SystemClock())
        assert web.get(leave).status_code == 200
        assert web.post(leave).status_code == 200
    served.stop()  # every line written

    log = served.log.read_text(encoding="utf-8", errors="replace")
    dingtalk = next(r for r in http_receiver.requests if r.path.startswith("/robot/"))
    secrets = {
        **{f"env {name}": value for name, value in SECRETS.items()},
        "DingTalk signature": dingtalk.query["sign"][0],
        "API token": served.token,
        "acknowledgement token": urlsplit(ack).path.rsplit("/", 1)[1],
        "confirmation token": urlsplit(confirm).path.rsplit("/", 1)[1],
        "unsubscribe token": urlsplit(leave).path.rsplit("/", 1)[1],
        **{f"feed token {n}": urlsplit(feed).query.split("token=", 1)[1] for n, feed in enumerate(feeds)},
    }
    leaked = {
        name: form
        for name, value in secrets.items()
        for form in {value, quote(value, safe=""), quote_plus(value)}
        if form in log
    }
    assert leaked == {}
    # And the lines are there, masked: every robot's POST, and each link's request.
    for path in (
        "/cgi-bin/webhook/send?key=",
        "/robot/send?access_token=",
        "/open-apis/bot/v2/hook/",
        "/services/",
    ):
        assert f"{path}[REDACTED]" in log, path
    assert "HTTP Request: POST" in log
    for path in (
        "/ack/[REDACTED]",
        "/confirm/[REDACTED]",
        "/unsubscribe/[REDACTED]",
        ".ics?token=[REDACTED]",
    ):
        assert path in log, path
