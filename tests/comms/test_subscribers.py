"""Subscribers: double opt-in by e-mail with signed links, one-click unsubscribe, webhooks with a
secret; published updates become Delivery rows, paced and never twice."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.clock import FrozenClock
from eventguard.comms.hooks import fanout
from eventguard.comms.hooks import webhooks as hooks
from eventguard.comms.models import Subscriber
from eventguard.comms.subscribers import service as subscribers
from eventguard.comms.updates import maintenance
from eventguard.config import Settings
from eventguard.db import Database
from eventguard.events.models import Event
from eventguard.plans import service as plans
from eventguard.worker.context import WorkerContext
from tests.comms.conftest import TESTER, declare, deliveries, publish, run_reactions

LINK = re.compile(r"http://testserver(/status/[^\s]+)")


def _subscribe(client: TestClient, slug: str, address: str, **extra: object) -> None:
    response = client.post(f"/status/{slug}/subscribers", json={"address": address, **extra})
    assert response.status_code == 202, response.text
    assert response.json() == {
        "status": "confirmation_sent",
        "id": None,
        "secret": None,
        "unsubscribe_url": None,
    }


def _only_subscriber(db: Session) -> Subscriber:
    db.commit()  # a new snapshot: see what the app committed
    return db.scalars(select(Subscriber)).one()


def _link_in(text: str, action: str) -> str:
    return next(path for path in LINK.findall(text) if f"/{action}/" in path)


def test_double_opt_in_queues_a_confirmation_and_only_the_link_confirms(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    _subscribe(client, event.slug, "Fan@Example.COM", language="en")
    (mail,) = deliveries(db, "subscriber")
    assert mail.channel_kind == "email" and mail.address == "Fan@example.com"
    assert mail.notification["title"] == "Confirm your subscription to Cloud Summit 2026 status updates"
    confirm = _link_in(mail.notification["text"], "confirm")
    page = client.get(confirm)
    assert page.status_code == 200 and '<form method="post"' in page.text  # a GET alone confirms nothing
    assert _only_subscriber(db).confirmed_at is None
    done = client.post(confirm)
    assert done.status_code == 200 and "Subscription confirmed" in done.text
    assert _only_subscriber(db).confirmed_at is not None
    path, _, query = confirm.partition("?")
    forged = f"{path[:-6]}{'AAAAAA' if not path.endswith('AAAAAA') else 'BBBBBB'}?{query}"
    refused = client.post(forged)
    assert refused.status_code == 403 and "This link is not valid." in refused.text


def test_subscribing_again_tells_nothing_and_sends_confirmations_sparingly(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    for _ in range(3):
        _subscribe(client, event.slug, "fan@example.com")
    assert len(deliveries(db, "subscriber")) == 1
    clock.advance(timedelta(minutes=11))
    _subscribe(client, event.slug, "fan@example.com")
    assert len(deliveries(db, "subscriber")) == 2
    bad = client.post(f"/status/{event.slug}/subscribers", json={"address": "not an address"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_email"


def test_a_confirmation_link_expires_after_seven_days(
    client: TestClient, db: Session, event: Event, clock: FrozenClock
) -> None:
    _subscribe(client, event.slug, "late@example.com")
    confirm = _link_in(deliveries(db, "subscriber")[0].notification["text"], "confirm")
    clock.advance(timedelta(days=8))
    expired = client.post(confirm)  # the subscriber's language: zh-CN, the default
    assert expired.status_code == 403 and "此确认链接已过期" in expired.text


def test_the_subscribe_form_works_without_javascript(client: TestClient, db: Session, event: Event) -> None:
    form = {"email": "form@example.com", "components": ["livestream", "payment"], "language": "zh-CN"}
    answer = client.post(f"/status/{event.slug}/subscribe", data=form)
    assert answer.status_code == 200 and "请查收邮件" in answer.text
    (mail,) = deliveries(db, "subscriber")
    assert mail.notification["language"] == "zh-CN" and "请在 7 天内确认" in mail.notification["text"]
    assert _only_subscriber(db).components == ["livestream", "payment"]
    wrong = client.post(
        f"/status/{event.slug}/subscribe", data={"email": "x@example.com", "components": ["nope"]}
    )
    assert wrong.status_code == 422 and "<html" in wrong.text


def _confirmed(
    db: Session,
    event: Event,
    clock: FrozenClock,
    settings: Settings,
    address: str,
    components: list[str] | None = None,
) -> int:
    db.commit()  # end any read snapshot
    spec = plans.get_active_plan(db=db, event_id=event.id)
    subscriber = subscribers.subscribe_email(
        db=db,
        event=event,
        spec=spec,
        address=address,
        components=components or [],
        language="en",
        settings=settings,
        clock=clock,
    )
    subscriber.confirmed_at = clock.now()
    db.commit()
    return subscriber.id


def test_a_published_update_reaches_each_matching_subscriber_once_with_unsubscribe_headers(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    everything = _confirmed(db, event, clock, settings, "all@example.com")
    _confirmed(db, event, clock, settings, "pay@example.com", components=["payment"])
    _subscribe(client, event.slug, "unconfirmed@example.com")
    incident = declare(db, event, clock)  # livestream
    update = publish(db, incident, clock)
    assert fanout.update_published(db=db, update_id=update.id, settings=settings, clock=clock) == 1
    assert fanout.update_published(db=db, update_id=update.id, settings=settings, clock=clock) == 0
    db.commit()
    (sent,) = [d for d in deliveries(db, "subscriber") if d.notification["topic"] == "status.incident_update"]
    assert sent.recipient == f"subscriber:{everything}" and sent.address == "all@example.com"
    assert sent.idempotency_key == f"sub_u{update.id}_s{everything}"
    assert sent.notification["title"] == "The livestream is interrupted — Investigating"
    unsubscribe = _link_in(sent.notification["text"], "unsubscribe")
    headers = sent.options["headers"]
    assert headers["List-Unsubscribe"] == f"<http://testserver{unsubscribe}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200 and "Unsubscribed" in one_click.text
    second = publish(db, incident, clock)
    assert fanout.update_published(db=db, update_id=second.id, settings=settings, clock=clock) == 0


def test_webhook_subscribers_get_the_secret_once_and_signed_deliveries(
    client: TestClient, db: Session, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    body = {"kind": "webhook", "address": "https://hooks.example.com/status", "language": "en"}
    created = client.post(f"/status/{event.slug}/subscribers", json=body)
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    assert client.post(f"/status/{event.slug}/subscribers", json=body).status_code == 409
    incident = declare(db, event, clock)
    update = publish(db, incident, clock)
    fanout.update_published(db=db, update_id=update.id, settings=settings, clock=clock)
    db.commit()
    (sent,) = deliveries(db, "subscriber")
    assert sent.channel_kind == "webhook" and sent.secret == created.json()["secret"]
    data = sent.notification["data"]
    assert data["meta"]["unsubscribe"] == created.json()["unsubscribe_url"]
    assert data["page"] == {
        "id": event.slug,
        "status_indicator": "major",
        "status_description": "Partial System Outage",
    }
    assert data["incident"]["id"] == f"i-{incident.id}" and data["incident"]["status"] == "investigating"


def test_fan_out_is_paced_and_announcement_webhooks_go_first(
    db: Session, event: Event, clock: FrozenClock, settings: Settings
) -> None:
    for number in range(fanout.SEND_RATE + 5):
        _confirmed(db, event, clock, settings, f"fan{number}@example.com")
    hook = hooks.create(
        db=db, event_id=event.id, name="banner", url="https://site.example.com/h", actor=TESTER, clock=clock
    )
    db.commit()
    update = publish(db, declare(db, event, clock), clock)
    fanout.update_published(db=db, update_id=update.id, settings=settings, clock=clock)
    db.commit()
    (banner,) = deliveries(db, "announcement")
    assert banner.secret == hook.secret and banner.available_at == clock.now()
    said = banner.notification["data"]["announcement"]
    assert said["title"] == update.title and said["body"] == update.body  # both languages
    sent = [d for d in deliveries(db, "subscriber") if d.notification["topic"] == "status.incident_update"]
    later = [d for d in sent if d.available_at > clock.now()]
    assert len(sent) == fanout.SEND_RATE + 5 and len(later) == 6


def test_a_maintenance_notice_reaches_subscribers_through_the_worker(
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    settings: Settings,
    worker: WorkerContext,
) -> None:
    subscriber_id = _confirmed(db, event, clock, settings, "pay@example.com", components=["payment"])
    _confirmed(db, event, clock, settings, "chat@example.com", components=["interaction"])
    spec = plans.get_active_plan(db=db, event_id=event.id)
    maintenance.schedule(
        db=db,
        event_id=event.id,
        spec=spec,
        title={"zh-CN": "支付升级", "en": "Payment upgrade"},
        body={"zh-CN": "支付将暂停 30 分钟。", "en": "Payments pause for 30 minutes."},
        components=["payment"],
        scheduled_for=clock.now() + timedelta(hours=2),
        scheduled_until=clock.now() + timedelta(hours=3),
        auto_transition=True,
        notify=True,
        actor=TESTER,
        clock=clock,
    )
    db.commit()
    run_reactions(database, worker)
    run_reactions(database, worker)  # nothing more the second time
    (sent,) = [
        d for d in deliveries(db, "subscriber") if d.notification["topic"] == "status.maintenance_update"
    ]
    assert sent.recipient == f"subscriber:{subscriber_id}"
    assert sent.idempotency_key.startswith("sub_m") and sent.idempotency_key.endswith(f"_s{subscriber_id}")
    assert sent.notification["title"] == "Payment upgrade — Scheduled"
    assert "Payments pause for 30 minutes." in sent.notification["text"]


def test_a_drills_published_update_reaches_no_subscriber(
    db: Session,
    database: Database,
    event: Event,
    clock: FrozenClock,
    settings: Settings,
    worker: WorkerContext,
) -> None:
    """A drill rehearses publishing: its update is published (and scored) but no subscriber, e-mail
    or webhook, hears of it — through the worker or when the fan-out is asked directly."""
    _confirmed(db, event, clock, settings, "all@example.com")
    drill = declare(db, event, clock, is_drill=True, title="Rehearsed stream stall")
    update = publish(db, drill, clock)
    assert update.is_drill and update.published_at is not None
    run_reactions(database, worker)
    assert fanout.update_published(db=db, update_id=update.id, settings=settings, clock=clock) == 0
    db.commit()
    topics = [d.notification.get("topic") for d in deliveries(db, "subscriber")]
    assert topics == ["subscription.confirm"], topics  # the sign-up mail only
    real = publish(db, declare(db, event, clock, title="Real stream stall"), clock)
    assert fanout.update_published(db=db, update_id=real.id, settings=settings, clock=clock) == 1
