"""What a room receives: the incident card once it opens, then every timeline entry worth a human's
eye (level, role, status, progress, public update published, backup plan switched, pause), each
queued once as a post the worker sends; and the people to invite when responders join."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from eventguard.chat.models import WarRoom, WarRoomPost
from eventguard.chat.platforms.base import RoomCard
from eventguard.i18n import t
from eventguard.incidents import timeline
from eventguard.incidents.models import TimelineEntry

MIRRORED = frozenset({"level", "role", "status", "progress", "update", "backup", "pause"})


def enqueue(
    *, db: Session, room: WarRoom, key: str, kind: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Queue one post (or invite) for the room unless one with ``key`` exists; True when queued."""
    if db.scalar(select(WarRoomPost.id).where(WarRoomPost.war_room_id == room.id, WarRoomPost.key == key)):
        return False
    try:
        with db.begin_nested():
            db.add(
                WarRoomPost(
                    war_room_id=room.id,
                    key=key,
                    kind=kind,
                    payload=payload,
                    status="pending",
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    except IntegrityError:  # another worker queued it at the same moment
        return False
    return True


def card_payload(card: RoomCard) -> dict[str, Any]:
    return {
        "incident_id": card.incident_id,
        "title": card.title,
        "lines": card.lines,
        "link": card.link,
        "buttons": [[b.action, b.label, b.style] for b in card.buttons],
    }


def describe(entry: TimelineEntry, lang: str = "zh-CN") -> str | None:
    """One line for the room, or None for an entry that is not worth a human's eye."""
    data, who = entry.data or {}, entry.actor_name
    if entry.kind not in MIRRORED:
        return None
    if entry.kind == "level":
        text = t(
            "{who} changed the level from P{before} to P{after}",
            lang,
            who=who,
            before=data.get("from"),
            after=data.get("to"),
        )
    elif entry.kind == "role":
        text = t(
            "{who} gave the {role} role to {person}",
            lang,
            who=who,
            role=data.get("role"),
            person=data.get("person_id") or "-",
        )
    elif entry.kind == "status":
        if data.get("opened"):
            return None  # the card says it
        text = t("{who} moved the incident to {status}", lang, who=who, status=data.get("status"))
    elif entry.kind == "progress":
        eta = data.get("eta")
        text = t("{who} reported progress", lang, who=who) + (f" (ETA {eta})" if eta else "")
    elif entry.kind == "update":
        if data.get("state") != "published":
            return None  # drafts and approvals stay in the console
        text = t("{who} published a public update", lang, who=who)
    elif entry.kind == "backup":
        text = t(
            "{who} switched backup plan {backup}: {action}",
            lang,
            who=who,
            backup=data.get("backup_id"),
            action=data.get("action"),
        )
    else:
        text = (
            t("{who} paused the event", lang, who=who)
            if data.get("paused")
            else t("{who} resumed the event", lang, who=who)
        )
    return f"{text}: {entry.text}" if entry.text else text


def mirror_new_entries(*, db: Session, room: WarRoom, now: datetime) -> int:
    """Queue a post for each new entry worth it; move the room's cursor past every entry seen."""
    queued = 0
    for entry in timeline.entries(db=db, incident_id=room.incident_id, after_id=room.last_entry_id):
        line = describe(entry)
        if line is not None:
            payload = {
                "incident_id": room.incident_id,
                "title": line,
                "lines": [],
                "link": None,
                "buttons": [],
            }
            queued += enqueue(
                db=db, room=room, key=f"entry:{entry.id}", kind="entry", payload=payload, now=now
            )
        room.last_entry_id = entry.id
    return queued
