"""Chat API: an event's chat apps (credentials in, never out), an incident's war rooms (listed, or
opened by hand), which platform user is which EventGuard user, and the callback each platform
sends buttons and messages to (signature-checked, replays refused)."""

from __future__ import annotations

import os
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session

from eventguard.auth import accounts
from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.chat import apps, callbacks, commands, identities, mirror, rooms
from eventguard.chat.models import ChatApp
from eventguard.chat.schemas import ChatAppIn, ChatAppRead, IdentityIn, IdentityRead, WarRoomIn, WarRoomRead
from eventguard.clock import Clock
from eventguard.config import Settings
from eventguard.deps import ClockDep, DbSession, SettingsDep
from eventguard.errors import NotFound, error_body
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.incidents import service as incidents
from eventguard.inputs import Id
from eventguard.openapi import errors
from eventguard.plans import service as plans

router = APIRouter(prefix="/api/v1", tags=["chat"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
Admin = Annotated[Principal, Depends(require_role(Role.admin))]


def callback_path(platform: str, slug: str) -> str:
    return f"/api/v1/chat/{platform}/{slug}/callback"


def _read(row: ChatApp, slug: str, secret_key: str) -> ChatAppRead:
    from eventguard.chat import crypto

    return ChatAppRead(
        platform=row.platform,
        app_id=row.app_id,
        base_url=row.base_url,
        settings=dict(row.settings or {}),
        secrets_set=sorted(crypto.unseal(secret_key, row.secrets)),
        token_expires_at=row.token_expires_at,
        callback_path=callback_path(row.platform, slug),
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


@router.get("/events/{slug}/chat-apps", response_model=list[ChatAppRead])
def list_chat_apps(slug: str, _admin: Admin, db: DbSession, settings: SettingsDep) -> list[ChatAppRead]:
    """The event's chat apps, with the names of their stored secrets (never their values)."""
    event = events.get_by_slug(db=db, slug=slug)
    secret = settings.secret_key.get_secret_value()
    return [_read(row, slug, secret) for row in apps.list_for_event(db=db, event_id=event.id)]


@router.put("/events/{slug}/chat-apps/{platform}", response_model=ChatAppRead, responses=errors(409, 422))
def configure_chat_app(
    slug: str,
    platform: str,
    body: ChatAppIn,
    principal: Admin,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> ChatAppRead:
    """Set the event's app on ``slack``, ``feishu``, ``dingtalk`` or ``wecom``: its id, secrets
    (encrypted with the secret key; left out: kept), options and API base URL. Audited without the
    secrets."""
    event = events.get_by_slug(db=db, slug=slug)
    secret = settings.secret_key.get_secret_value()
    row = apps.configure(
        db=db,
        event_id=event.id,
        platform=platform,
        app_id=body.app_id,
        secrets=body.secrets,
        settings=body.settings,
        base_url=body.base_url,
        secret_key=secret,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return _read(row, slug, secret)


@router.get("/incidents/{incident_id}/war-rooms", response_model=list[WarRoomRead])
def list_war_rooms(incident_id: Id, _viewer: CurrentPrincipal, db: DbSession) -> list[WarRoomRead]:
    """The incident's war rooms: platform, status (pending, open, failed), chat id, link, members."""
    incidents.get(db=db, incident_id=incident_id)
    return [WarRoomRead.model_validate(room) for room in rooms.for_incident(db=db, incident_id=incident_id)]


@router.post(
    "/incidents/{incident_id}/war-rooms",
    response_model=list[WarRoomRead],
    status_code=201,
    responses=errors(409),
)
def open_war_rooms(
    incident_id: Id, principal: Responder, db: DbSession, clock: ClockDep, body: WarRoomIn | None = None
) -> list[WarRoomRead]:
    """Open the incident's war rooms now, whatever its level (the worker creates them within
    seconds); rooms it already has are kept. 409 when no chat app is set up for a platform."""
    incident = incidents.get(db=db, incident_id=incident_id, for_update=True)
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    wanted = [apps.check_platform(p) for p in (body.platforms if body else [])]
    rooms.request(
        db=db,
        incident=incident,
        spec=spec,
        actor=principal.actor,
        clock=clock,
        platforms=wanted or None,
        by_hand=True,
    )
    db.commit()
    return [WarRoomRead.model_validate(room) for room in rooms.for_incident(db=db, incident_id=incident_id)]


@router.get("/users/{user_id}/chat-identities", response_model=list[IdentityRead])
def list_identities(user_id: Id, _admin: Admin, db: DbSession) -> list[IdentityRead]:
    """The platform user ids linked to this user."""
    user = accounts.get_user(db=db, user_id=user_id)
    return [
        IdentityRead(platform=r.platform, external_id=r.external_id, username=user.username)
        for r in identities.of_user(db=db, user_id=user.id)
    ]


@router.put("/users/{user_id}/chat-identities/{platform}", response_model=IdentityRead, responses=errors(409))
def link_identity(
    user_id: Id, platform: str, body: IdentityIn, principal: Admin, db: DbSession, clock: ClockDep
) -> IdentityRead:
    """Link a platform user id to this user: chat commands from it act as this user, with its role."""
    user = accounts.get_user(db=db, user_id=user_id)
    row = identities.link(
        db=db, user=user, platform=platform, external_id=body.external_id, actor=principal.actor, clock=clock
    )
    db.commit()
    return IdentityRead(platform=row.platform, external_id=row.external_id, username=user.username)


@router.delete("/users/{user_id}/chat-identities/{platform}", status_code=204)
def unlink_identity(user_id: Id, platform: str, principal: Admin, db: DbSession, clock: ClockDep) -> None:
    """Unlink the user's id on ``platform``."""
    user = accounts.get_user(db=db, user_id=user_id)
    identities.unlink(db=db, user=user, platform=platform, actor=principal.actor, clock=clock)
    db.commit()


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/chat/{platform}/{slug}/callback", responses=errors(401))
def chat_callback(
    platform: str,
    slug: str,
    request: Request,
    body: Annotated[bytes, Depends(_raw_body)],
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
) -> Any:
    """Where the platform posts buttons, slash commands and war-room messages (its Request URL).
    Unsigned, wrongly signed, stale (over 5 minutes) or replayed requests answer 401; a refused
    command answers in the platform's own shape (Slack: an ephemeral message, Feishu: an error toast)."""
    apps.check_platform(platform)
    event = events.find_by_slug(db=db, slug=slug)
    row = apps.get(db=db, event_id=event.id, platform=platform) if event is not None else None
    if event is None or row is None:
        raise NotFound(
            Message("No {platform} app is set up for this event.", {"platform": platform}),
            code="chat_app_not_found",
        )
    secret = settings.secret_key.get_secret_value()
    creds = apps.credentials(row, secret)
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        if platform == "wecom":
            query = dict(request.query_params)
            inbound, nonce = callbacks.wecom(creds=creds, query=query, body=body, now=clock.now())
        else:
            verify = {"slack": callbacks.slack, "feishu": callbacks.feishu, "dingtalk": callbacks.dingtalk}
            inbound, nonce = verify[platform](creds=creds, headers=headers, body=body, now=clock.now())
        if inbound.kind == "challenge":
            return {"challenge": inbound.challenge}
        if nonce:
            callbacks.remember(db=db, platform=platform, nonce=nonce, now=clock.now())
            db.commit()
    except callbacks.Refused as exc:
        db.rollback()
        return JSONResponse(error_body(exc.code, str(exc)), status_code=401)
    answer = _act(db, event.id, platform, inbound, nonce, settings, clock)
    if platform != "wecom":
        return answer
    if not isinstance(answer, commands.Outcome):
        return PlainTextResponse("")  # WeCom: an empty answer is "no reply"
    reply = callbacks.wecom_answer(
        creds=creds,
        to_user=inbound.external_id,
        text=answer.text,
        now=clock.now(),
        nonce=secrets.token_hex(8),
        random16=os.urandom(16),
    )
    return Response(reply, media_type="application/xml")


def _app_of(db: Session, platform: str, slug: str) -> ChatApp:
    event = events.find_by_slug(db=db, slug=slug)
    row = apps.get(db=db, event_id=event.id, platform=platform) if event is not None else None
    if row is None:
        raise NotFound(
            Message("No {platform} app is set up for this event.", {"platform": platform}),
            code="chat_app_not_found",
        )
    return row


@router.get("/chat/{platform}/{slug}/callback", response_class=PlainTextResponse, responses=errors(401))
def chat_callback_check(
    platform: str, slug: str, request: Request, db: DbSession, settings: SettingsDep
) -> Response:
    """WeCom's URL check when the callback URL is saved (``msg_signature``, ``timestamp``, ``nonce``,
    ``echostr``): answered with the decrypted ``echostr``; 401 when it is not signed by the app."""
    if apps.check_platform(platform) != "wecom":
        raise NotFound(
            Message("No {platform} app is set up for this event.", {"platform": platform}),
            code="chat_app_not_found",
        )
    creds = apps.credentials(_app_of(db, platform, slug), settings.secret_key.get_secret_value())
    try:
        return PlainTextResponse(callbacks.wecom_echo(creds=creds, query=dict(request.query_params)))
    except callbacks.Refused as exc:
        return JSONResponse(error_body(exc.code, str(exc)), status_code=401)


def _act(
    db: Session,
    event_id: int,
    platform: str,
    inbound: callbacks.Inbound,
    nonce: str | None,
    settings: Settings,
    clock: Clock,
) -> Any:
    if inbound.kind == "ignored":
        return {}
    command = (
        commands.parse_action(inbound.value) if inbound.kind == "action" else commands.parse(inbound.value)
    )
    room = rooms.by_chat(db=db, platform=platform, chat_id=inbound.chat_id) if inbound.chat_id else None
    incident_id = inbound.incident_id or (room.incident_id if room is not None else None)
    if command is None or incident_id is None:
        return {}  # ordinary conversation, or a chat that is no war room
    outcome = commands.execute(
        db=db,
        platform=platform,
        external_id=inbound.external_id,
        incident_id=incident_id,
        event_id=event_id,
        command=command,
        base_url=settings.base_url,
        clock=clock,
        request_id=f"{platform}:{(nonce or '')[:40]}",
    )
    if inbound.reply == "post":  # a text in the room: the answer goes to the room
        if room is not None:
            payload = {
                "incident_id": incident_id,
                "title": outcome.text,
                "lines": [],
                "link": None,
                "buttons": [],
            }
            mirror.enqueue(
                db=db,
                room=room,
                key=f"reply:{(nonce or '')[:50]}",
                kind="entry",
                payload=payload,
                now=clock.now(),
            )
            db.commit()
        return {}
    if platform == "wecom":
        return outcome  # encrypted as the passive reply by the route
    if platform == "slack":
        return callbacks.slack_answer(outcome.text)
    if platform == "dingtalk":
        return callbacks.dingtalk_answer(outcome.text)
    return callbacks.feishu_answer(outcome.ok, outcome.text)
