"""The worker's chat job (the ``worker_pass`` hook): open the rooms asked for, mirror the timeline
and invite new responders, send what is queued. Every platform call happens outside a database
transaction, on a claim (``next_attempt_at`` moved past the lease), and is retried with backoff;
nothing here ever blocks the incident path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventguard.audit.service import Actor
from eventguard.chat import apps, mirror, rooms
from eventguard.chat.models import WarRoom, WarRoomPost
from eventguard.chat.platforms import PLATFORMS, ChatError, Credentials
from eventguard.chat.platforms.base import Button, RoomCard
from eventguard.db import Database
from eventguard.incidents import timeline
from eventguard.incidents.models import Incident, TimelineEntry
from eventguard.logs import get_logger
from eventguard.plans import service as plans
from eventguard.plans.schemas import Person, PlanSpec
from eventguard.worker.context import WorkerContext

log = get_logger("eventguard.chat")
BATCH = 20
MAX_ATTEMPTS = 20


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2**attempts, 600))


@dataclass
class Job:
    """What one platform call needs, read in a short transaction."""

    item_id: int
    event_id: int
    creds: Credentials
    people: list[Person]
    chat_id: str | None = None
    name: str = ""
    card: RoomCard | None = None
    kind: str = ""


def run(*, database: Database, context: WorkerContext) -> None:
    """One pass: open pending rooms, sync open ones, send due posts."""
    opened = open_pending(database=database, context=context)
    synced = sync_open(database=database, context=context)
    sent = send_due(database=database, context=context)
    if opened or synced or sent:
        log.info("chat_pass", opened=opened, queued=synced, sent=sent)


def _handle(person: Person, platform: str) -> str | None:
    value = getattr(person.im, platform, None)
    return str(value) if value else None


def _resolve(job: Job, context: WorkerContext) -> tuple[list[str], list[str]]:
    """Platform ids of the job's people (their handle in the plan, else a lookup); and who has none."""
    platform = PLATFORMS[job.creds.platform]
    found, unresolved = [], []
    for person in job.people:
        phone = person.phone
        if platform.handle_is_mobile:  # the plan keeps the mobile the platform knows, not its id
            handle, phone = None, _handle(person, job.creds.platform) or person.phone
        else:
            handle = _handle(person, job.creds.platform)
        if handle is None and (person.email or phone):
            handle = platform.lookup(job.creds, context.http, email=person.email, phone=phone)
        if handle:
            found.append(handle)
        else:
            unresolved.append(person.id)
    return list(dict.fromkeys(found)), unresolved


def _credentials(db: Session, event_id: int, platform: str, secret_key: str) -> Credentials:
    row = apps.get(db=db, event_id=event_id, platform=platform)
    if row is None:
        raise ChatError(f"the event has no {platform} app", permanent=True)
    return apps.credentials(row, secret_key)


def _fresh(job: Job, context: WorkerContext) -> Credentials | None:
    renewed = apps.fresh(job.creds, context.http, context.clock.now())
    if renewed is not None:
        job.creds = renewed
    return renewed


def _failed(target: WarRoom | WarRoomPost, exc: ChatError, now: datetime) -> None:
    target.attempts += 1
    target.last_error = str(exc)[:500]
    if exc.permanent or target.attempts >= MAX_ATTEMPTS:
        target.status = "failed"
    else:
        target.status = "pending"
        target.next_attempt_at = now + backoff(target.attempts)


def _people(spec: PlanSpec, ids: list[str]) -> list[Person]:
    by_id = {person.id: person for person in spec.people}
    return [by_id[i] for i in ids if i in by_id]


def open_pending(*, database: Database, context: WorkerContext) -> int:
    secret = context.settings.secret_key.get_secret_value()
    clock = context.clock
    done = 0
    for _ in range(BATCH):
        with database.session(write=True) as db:
            room = db.scalar(
                select(WarRoom)
                .where(WarRoom.status == "pending", WarRoom.next_attempt_at <= clock.now())
                .order_by(WarRoom.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if room is None:
                return done
            incident = db.get(Incident, room.incident_id)
            try:
                if incident is None:
                    raise ChatError("the incident is gone", permanent=True)
                spec = plans.get_active_plan(db=db, event_id=room.event_id)
                ids = rooms.wanted_people(db=db, incident=incident, spec=spec, at=clock.now())
                job = Job(
                    room.id,
                    room.event_id,
                    _credentials(db, room.event_id, room.platform, secret),
                    _people(spec, ids),
                    name=room.name,
                )
                card = rooms.card(incident=incident, spec=spec, base_url=context.settings.base_url)
            except ChatError as exc:
                _failed(room, exc, clock.now())
                db.commit()
                continue
            room.next_attempt_at = clock.now() + context.lease  # claimed: no other worker creates it too
            db.commit()
        done += 1
        try:
            renewed = _fresh(job, context)
            members, _unresolved = _resolve(job, context)
            chat_id, link = PLATFORMS[job.creds.platform].create_room(
                job.creds, context.http, name=job.name, members=members
            )
        except ChatError as exc:
            with database.session(write=True) as db:
                row = db.get(WarRoom, job.item_id)
                if row is not None:
                    _failed(row, exc, clock.now())
                if exc.token_invalid:
                    apps.forget_token(db=db, event_id=job.event_id, platform=job.creds.platform)
                db.commit()
            log.warning("war_room_create_failed", war_room=job.item_id, error=str(exc))
            continue
        with database.session(write=True) as db:
            row = db.get(WarRoom, job.item_id)
            if row is None:
                continue
            if renewed is not None:
                apps.store_token(db=db, event_id=job.event_id, creds=renewed, secret_key=secret)
            opened_on = db.get(Incident, row.incident_id)
            if opened_on is not None:  # a timeline entry also makes the console room show the link at once
                text = f"War room opened on {row.platform}: {link or chat_id}"
                actor = Actor(type="system", name=f"chat:{row.platform}")
                timeline.add(db=db, incident=opened_on, kind="note", actor=actor, clock=clock, text=text)
                db.flush()
            last = db.scalar(
                select(func.max(TimelineEntry.id)).where(TimelineEntry.incident_id == row.incident_id)
            )
            row.status, row.chat_id, row.link, row.last_error = "open", chat_id, link, None
            row.members, row.people = members, [person.id for person in job.people]
            row.opened_at, row.last_entry_id = clock.now(), int(last or 0)
            mirror.enqueue(
                db=db, room=row, key="card", kind="card", payload=mirror.card_payload(card), now=clock.now()
            )
            db.commit()
        log.info("war_room_opened", war_room=job.item_id, platform=job.creds.platform, chat_id=chat_id)
    return done


def sync_open(*, database: Database, context: WorkerContext) -> int:
    """Queue the new timeline entries of every open room, and an invite for responders not in it."""
    now = context.clock.now()
    queued = 0
    with database.session(write=True) as db:
        open_rooms = db.scalars(
            select(WarRoom).where(WarRoom.status == "open").with_for_update(skip_locked=True)
        ).all()
        specs: dict[int, PlanSpec] = {}
        for room in open_rooms:
            incident = db.get(Incident, room.incident_id)
            if incident is None:
                continue
            queued += mirror.mirror_new_entries(db=db, room=room, now=now)
            if not incident.is_open:
                continue
            spec = specs.setdefault(room.event_id, plans.get_active_plan(db=db, event_id=room.event_id))
            new = [
                p
                for p in rooms.wanted_people(db=db, incident=incident, spec=spec, at=now)
                if p not in room.people
            ]
            if new:
                key = f"invite:{len(room.people)}:{','.join(new)}"[:64]
                queued += mirror.enqueue(
                    db=db, room=room, key=key, kind="invite", payload={"people": new}, now=now
                )
                room.people = [*room.people, *new]
        db.commit()
    return queued


def _card_of(payload: dict[str, Any]) -> RoomCard:
    return RoomCard(
        incident_id=int(payload["incident_id"]) if payload.get("incident_id") is not None else 0,
        title=str(payload.get("title", "")),
        lines=[str(line) for line in payload.get("lines", [])],
        link=payload.get("link"),
        buttons=[Button(str(a), str(label), str(style)) for a, label, style in payload.get("buttons", [])],
    )


def send_due(*, database: Database, context: WorkerContext) -> int:
    secret = context.settings.secret_key.get_secret_value()
    clock = context.clock
    sent = 0
    for _ in range(BATCH * 5):
        with database.session(write=True) as db:
            post = db.scalar(
                select(WarRoomPost)
                .where(WarRoomPost.status == "pending", WarRoomPost.next_attempt_at <= clock.now())
                .order_by(WarRoomPost.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if post is None:
                return sent
            room = db.get(WarRoom, post.war_room_id)
            try:
                if room is None or room.chat_id is None:
                    raise ChatError("the room is not open", permanent=True)
                spec = plans.get_active_plan(db=db, event_id=room.event_id)
                creds = _credentials(db, room.event_id, room.platform, secret)
                people = _people(spec, list(post.payload.get("people", [])))
                job = Job(post.id, room.event_id, creds, people, chat_id=room.chat_id, kind=post.kind)
                job.card = None if post.kind == "invite" else _card_of(post.payload)
            except ChatError as exc:
                _failed(post, exc, clock.now())
                db.commit()
                continue
            post.next_attempt_at = clock.now() + context.lease
            db.commit()
        members: list[str] = []
        try:
            renewed = _fresh(job, context)
            platform = PLATFORMS[job.creds.platform]
            assert job.chat_id is not None
            if job.kind == "invite":
                members, _unresolved = _resolve(job, context)
                if members:
                    platform.invite(job.creds, context.http, chat_id=job.chat_id, members=members)
            elif job.card is not None:
                platform.post(job.creds, context.http, chat_id=job.chat_id, card=job.card)
        except ChatError as exc:
            with database.session(write=True) as db:
                row = db.get(WarRoomPost, job.item_id)
                if row is not None:
                    _failed(row, exc, clock.now())
                if exc.token_invalid:
                    apps.forget_token(db=db, event_id=job.event_id, platform=job.creds.platform)
                db.commit()
            continue
        with database.session(write=True) as db:
            row = db.get(WarRoomPost, job.item_id)
            if row is not None:
                row.status, row.sent_at, row.last_error = "sent", clock.now(), None
                row.attempts += 1
                owner = db.get(WarRoom, row.war_room_id)
                if owner is not None and members:
                    owner.members = list(dict.fromkeys([*owner.members, *members]))
            if renewed is not None:
                apps.store_token(db=db, event_id=job.event_id, creds=renewed, secret_key=secret)
            db.commit()
        sent += 1
    return sent
