"""Commands from chat — a button on the incident card or a text in the war room — acting as the
EventGuard user the platform user is linked to, checked with the API's own role check
(``auth.deps.require_role``) and the incident services the API calls, timelined with the platform as
the actor type and audited as ``chat.<command>``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.audit import service as audit
from eventguard.audit.service import Actor
from eventguard.auth.deps import require_role
from eventguard.auth.models import Role, User
from eventguard.auth.principal import Principal
from eventguard.chat import silences
from eventguard.chat.models import ChatIdentity
from eventguard.clock import Clock
from eventguard.comms.backups import service as backups
from eventguard.errors import EventGuardError, InvalidInput, NotFound
from eventguard.i18n import Message, t
from eventguard.incidents import roles
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident, IncidentRole
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec

# Words that start a command, in English and Chinese (after an optional "/eg" or "eg").
ALIASES = {
    "ack": "ack", "acknowledge": "ack", "认领": "ack", "确认": "ack", "收到": "ack",
    "resolve": "resolve", "resolved": "resolve", "解决": "resolve", "已解决": "resolve", "恢复": "resolve",
    "update": "update", "progress": "update", "进展": "update", "进度": "update",
    "level": "level", "relevel": "level", "定级": "level", "级别": "level",
    "role": "role", "take": "role", "角色": "role", "担任": "role",
    "backup": "backup", "switch": "backup", "备用": "backup", "切换": "backup",
    "help": "help", "帮助": "help",
    "silence": "silence", "mute": "silence", "静默": "silence", "屏蔽": "silence",
    "silences": "silences", "静默列表": "silences",
    "unsilence": "unsilence", "unmute": "unsilence", "取消静默": "unsilence", "解除静默": "unsilence",
}  # fmt: skip
# The role each command needs: the same as its API route (incidents.api, comms.updates.api).
REQUIRED = {
    "ack": Role.responder,
    "resolve": Role.responder,
    "update": Role.responder,
    "level": Role.responder,
    "role": Role.commander,
    "backup": Role.responder,
    # silences: as noise.api (creating and expiring need a responder, listing any signed-in user)
    "silence": Role.responder,
    "silences": Role.viewer,
    "unsilence": Role.responder,
}
SILENCE_COMMANDS = ("silence", "silences", "unsilence")
_MENTION = re.compile(r"<@[^>]+>|@_user_\d+|@_all|<at[^>]*>.*?</at>")
_ETA = re.compile(r"\s*(?:eta|预计)\s*[:：]?\s*(\S+)\s*$", re.IGNORECASE)
_RELATIVE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?:in)?)?$")


@dataclass(frozen=True)
class Command:
    name: str
    args: str = ""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    text: str
    code: str | None = None


def parse(text: str) -> Command | None:
    """A command in a chat text, or None for ordinary conversation."""
    cleaned = _MENTION.sub(" ", text).strip()
    while cleaned.startswith("@"):  # a plain-text mention of the bot (DingTalk, WeCom) before the command
        cleaned = cleaned.partition(" ")[2].strip()
    lowered = cleaned.lower()
    for prefix in ("/eg ", "eg ", "/eg"):
        if lowered.startswith(prefix):
            cleaned = cleaned[len(prefix) :].strip()
            break
    word, _, rest = cleaned.partition(" ")
    name = ALIASES.get(word.lower())
    return Command(name, rest.strip()) if name else None


def parse_action(value: str) -> Command | None:
    """A button's action (``ack``, ``resolve``, ``backup:<id>``, ``role:<role>``)."""
    name, _, arg = value.partition(":")
    return Command(name, arg) if name in REQUIRED else None


def user_of(*, db: Session, platform: str, external_id: str) -> User | None:
    """The EventGuard user linked to this platform user (active accounts only)."""
    user = db.scalar(
        select(User)
        .join(ChatIdentity, ChatIdentity.user_id == User.id)
        .where(ChatIdentity.platform == platform, ChatIdentity.external_id == external_id)
    )
    return user if user is not None and user.is_active else None


def parse_eta(value: str, now: datetime) -> datetime:
    """``30m``, ``1h30m``, or an ISO time with its offset."""
    match = _RELATIVE.match(value.lower())
    if match and any(match.groups()):
        return now + timedelta(hours=int(match.group(1) or 0), minutes=int(match.group(2) or 0))
    try:
        eta = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            Message('ETA "{value}" is neither like 30m nor a time with its offset.', {"value": value}),
            code="invalid_eta",
        ) from exc
    if eta.tzinfo is None:
        raise InvalidInput(Message("The ETA needs a time zone offset."), code="naive_eta")
    return eta


def _person_of(spec: PlanSpec, platform: str, external_id: str) -> str | None:
    for person in spec.people:
        if getattr(person.im, platform, None) == external_id:
            return person.id
    return None


def _run(
    db: Session,
    incident: Incident,
    spec: PlanSpec,
    command: Command,
    actor: Actor,
    platform: str,
    external_id: str,
    base_url: str,
    clock: Clock,
) -> str:
    name, args = command.name, command.args
    if name == "ack":
        incidents.acknowledge(db=db, incident=incident, actor=actor, clock=clock)
        return "Acknowledged by {who}."
    if name == "resolve":
        incidents.resolve(db=db, incident=incident, actor=actor, clock=clock, note=args or None)
        return "Resolved by {who}."
    if name == "update":
        match = _ETA.search(args)
        eta = parse_eta(match.group(1), clock.now()) if match else None
        text = args[: match.start()].strip() if match else args
        incidents.add_progress(
            db=db, incident=incident, text=text, eta=eta, team=None, actor=actor, clock=clock
        )
        return "Progress update recorded."
    if name == "level":
        number, _, reason = args.partition(" ")
        level = int(number.lstrip("Pp")) if number.lstrip("Pp").isdigit() else 0
        incidents.relevel(db=db, incident=incident, level=level, reason=reason, actor=actor, clock=clock)
        return "Level changed."
    if name == "role":
        role_name, _, person = args.partition(" ")
        try:
            role = IncidentRole(role_name.strip().lower())
        except ValueError as exc:
            known = ", ".join(r.value for r in IncidentRole)
            raise InvalidInput(
                Message("Unknown role {role} (known: {known}).", {"role": role_name, "known": known}),
                code="unknown_role",
            ) from exc
        person_id = person.strip() or _person_of(spec, platform, external_id)
        if not person_id:
            raise InvalidInput(
                Message("Your chat account is on no person of the plan; name the person."),
                code="unknown_person",
            )
        roles.assign(
            db=db, incident=incident, spec=spec, role=role, person_id=person_id, actor=actor, clock=clock
        )
        return "Role assigned."
    backups.activate(
        db=db, incident=incident, spec=spec, backup_id=args, base_url=base_url, actor=actor, clock=clock
    )
    incidents.public_changed(db=db, incident=incident, clock=clock)
    return "Backup plan switched on."


def _silence(
    db: Session,
    event_id: int,
    incident_id: int,
    command: Command,
    actor: Actor,
    platform: str,
    external_id: str,
    lang: str,
    clock: Clock,
) -> Outcome:
    """A silence command (the caller turns an EventGuardError into a refusal)."""
    if command.name == "silences":
        return Outcome(True, silences.listing(db=db, event_id=event_id, lang=lang, clock=clock))
    if command.name == "silence":
        silence, text = silences.create(
            db=db,
            event_id=event_id,
            incident_id=incident_id,
            args=command.args,
            actor=actor,
            platform=platform,
            lang=lang,
            clock=clock,
        )
    else:
        silence, text = silences.expire(
            db=db, event_id=event_id, args=command.args, actor=actor, lang=lang, clock=clock
        )
    audit.record(
        db=db,
        actor=actor,
        action=f"chat.{command.name}",
        target_type="silence",
        target_id=silence.id,
        after={
            "incident_id": incident_id,
            "platform": platform,
            "platform_user": external_id,
            "args": command.args,
        },
        clock=clock,
    )
    db.commit()
    return Outcome(True, text)


def execute(
    *,
    db: Session,
    platform: str,
    external_id: str,
    incident_id: int,
    event_id: int,
    command: Command,
    base_url: str,
    clock: Clock,
    request_id: str | None = None,
) -> Outcome:
    """Run one command; every refusal is an Outcome (never an exception), in the user's language."""
    user = user_of(db=db, platform=platform, external_id=external_id)
    if user is None:
        text = t(
            "Your {platform} account is not linked to an EventGuard user; ask an admin to link it.",
            "zh-CN",
            platform=platform,
        )
        return Outcome(False, text, "chat_user_unknown")
    lang = user.language
    if command.name == "help":
        return Outcome(
            True,
            t(
                "Commands: ack, update TEXT [eta 30m], level N REASON, role ROLE, backup ID, resolve, "
                "silence MATCHERS DURATION [COMMENT], silences, unsilence ID",
                lang,
            ),
        )
    actor = Actor(type=platform, name=user.username, id=user.id, request_id=request_id)
    principal = Principal(user=user, role=user.role, actor=actor, language=lang)
    try:
        require_role(REQUIRED[command.name])(principal)  # the API's own check, as the API runs it
        incident = incidents.get(
            db=db, incident_id=incident_id, for_update=command.name not in SILENCE_COMMANDS
        )
        if incident.event_id != event_id:
            raise NotFound(Message("No incident {id}.", {"id": incident_id}), code="incident_not_found")
        if command.name in SILENCE_COMMANDS:
            return _silence(db, event_id, incident.id, command, actor, platform, external_id, lang, clock)
        spec = plans.get_active_plan(db=db, event_id=incident.event_id)
        before = incidents.snapshot(incident)
        done = _run(db, incident, spec, command, actor, platform, external_id, base_url, clock)
        audit.record(
            db=db,
            actor=actor,
            action=f"chat.{command.name}",
            target_type="incident",
            target_id=incident.id,
            before=before,
            after={
                **incidents.snapshot(incident),
                "platform": platform,
                "platform_user": external_id,
                "args": command.args,
            },
            clock=clock,
        )
        db.commit()
    except EventGuardError as exc:
        db.rollback()
        return Outcome(False, exc.render(lang), exc.code)
    return Outcome(True, t(done, lang, who=user.display_name))
