"""Subscribers end to end through the notification worker: real SMTP to a local aiosmtpd receiver,
real HTTP to a local webhook receiver (the network edge is the only thing stood in for)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms.hooks import fanout
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.notify.models import DeliveryStatus
from eventguard.notify.sender import deliver_due
from eventguard.worker.context import WorkerContext
from tests.comms.conftest import declare, deliveries, publish
from tests.conftest import AuthHeaders
from tests.notify.receivers import HttpReceiver, RecordedMail, SmtpReceiver, standard_webhook_signature_ok

LINK = re.compile(r"http://testserver(/status/\S+)")


@pytest.fixture
def mail_worker(
    clock: FrozenClock, settings: Settings, smtp_receiver: SmtpReceiver
) -> Iterator[WorkerContext]:
    """A worker context whose e-mail goes to the local SMTP receiver (same secret and base URL as the app)."""
    worker_settings = settings.model_copy(
        update={
            "smtp_host": smtp_receiver.host,
            "smtp_port": smtp_receiver.port,
            "smtp_from": "status@eg.test",
        }
    )
    with httpx.Client() as http:
        yield WorkerContext(clock=clock, settings=worker_settings, http=http, name="test-worker")


def _text_of(mail: RecordedMail) -> str:
    message = mail.message
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def test_double_opt_in_and_one_click_unsubscribe_through_real_smtp(
    client: TestClient,
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    smtp_receiver: SmtpReceiver,
    mail_worker: WorkerContext,
) -> None:
    response = client.post(
        f"/status/{event.slug}/subscribers", json={"address": "fan@example.com", "language": "en"}
    )
    assert response.status_code == 202
    assert deliver_due(database=database, context=mail_worker) == 1
    (confirmation,) = smtp_receiver.messages
    assert confirmation.rcpt_tos == ["fan@example.com"]
    assert "Confirm your subscription" in confirmation.message["Subject"]
    confirm = next(p for p in LINK.findall(_text_of(confirmation)) if "/confirm/" in p)
    assert "Subscription confirmed" in client.post(confirm).text

    incident = declare(db, event, clock)
    update = publish(db, incident, clock, eta="12:40")
    fanout.update_published(db=db, update_id=update.id, settings=mail_worker.settings, clock=clock)
    db.commit()
    assert deliver_due(database=database, context=mail_worker) == 1
    news = smtp_receiver.messages[-1]
    assert "The livestream is interrupted" in news.message["Subject"]
    assert "we expect it back by 12:40" in _text_of(news)
    assert news.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<http://testserver(/status/\S+)>", news.message["List-Unsubscribe"])
    assert unsubscribe is not None
    # What a mail client does for RFC 8058 one-click unsubscribe: POST the URL with this body.
    one_click = client.post(unsubscribe.group(1), data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200

    later = publish(db, incident, clock)
    assert fanout.update_published(db=db, update_id=later.id, settings=mail_worker.settings, clock=clock) == 0
    db.commit()
    assert deliver_due(database=database, context=mail_worker) == 0
    assert len(smtp_receiver.messages) == 2
    assert {d.status for d in deliveries(db, "subscriber")} == {DeliveryStatus.delivered}


def test_webhook_subscribers_and_announcement_webhooks_receive_signed_updates(
    client: TestClient,
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    http_receiver: HttpReceiver,
    mail_worker: WorkerContext,
    auth_headers: AuthHeaders,
) -> None:
    subscribed = client.post(
        f"/status/{event.slug}/subscribers",
        json={"kind": "webhook", "address": f"{http_receiver.url}/subscriber", "language": "en"},
    ).json()
    admin = auth_headers("admin")
    banner = client.post(
        f"/api/v1/events/{event.slug}/status/announcement-webhooks",
        json={"url": f"{http_receiver.url}/banner", "name": "site banner"},
        headers=admin,
    ).json()
    incident = declare(db, event, clock)
    update = publish(db, incident, clock)
    fanout.update_published(db=db, update_id=update.id, settings=mail_worker.settings, clock=clock)
    db.commit()
    assert deliver_due(database=database, context=mail_worker) == 2
    by_path = {request.path: request for request in http_receiver.requests}
    to_banner, to_subscriber = by_path["/banner"], by_path["/subscriber"]
    assert standard_webhook_signature_ok(to_banner, banner["secret"], clock.now())
    assert standard_webhook_signature_ok(to_subscriber, subscribed["secret"], clock.now())
    assert not standard_webhook_signature_ok(to_subscriber, banner["secret"], clock.now())
    banner_body = to_banner.json()
    assert banner_body["type"] == "status.incident_update"
    said = banner_body["data"]["announcement"]
    assert said["title"] == {"zh-CN": "直播暂时中断的说明", "en": "The livestream is interrupted"}
    assert said["body"]["en"].startswith("Dear participants") and said["status"] == "investigating"
    subscriber_body = to_subscriber.json()["data"]
    assert subscriber_body["incident"]["incident_updates"][0]["id"] == f"u-{update.id}"
    assert subscriber_body["meta"]["unsubscribe"] == subscribed["unsubscribe_url"]
    assert to_subscriber.headers["webhook-id"] == f"sub_u{update.id}_s{subscribed['id']}"
