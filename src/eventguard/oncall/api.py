"""On-call API: schedules with who is on call now, shifts of a window, every team's on-call,
overrides (responder and above), signed iCal feed URLs, and the feeds themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime
from sqlalchemy.orm import Session

from eventguard.auth.deps import CurrentPrincipal, Principal, require_role
from eventguard.auth.models import Role
from eventguard.deps import ClockDep, DbSession, SettingsDep, request_language
from eventguard.errors import InvalidInput
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.inputs import Id
from eventguard.oncall import ical, service
from eventguard.oncall.rotation import Shift
from eventguard.oncall.schemas import (
    FeedUrl,
    OverrideCreate,
    OverrideRead,
    PersonRef,
    ScheduleDetail,
    ScheduleSummary,
    ShiftRead,
    TeamOnCallRead,
)
from eventguard.openapi import errors
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec, Schedule

router = APIRouter(tags=["oncall"], responses=errors(404))
Responder = Annotated[Principal, Depends(require_role(Role.responder))]
MAX_WINDOW = timedelta(days=93)
DEFAULT_WINDOW = timedelta(days=7)
CALENDAR_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _plan(db: Session, slug: str) -> tuple[int, PlanSpec]:
    event = events.get_by_slug(db=db, slug=slug)
    return event.id, plans.get_active_plan(db=db, event_id=event.id)


def _person(spec: PlanSpec, person_id: str) -> PersonRef:
    name = next((person.name for person in spec.people if person.id == person_id), person_id)
    return PersonRef(id=person_id, name=name)


def _shift(spec: PlanSpec, shift: Shift) -> ShiftRead:
    return ShiftRead(
        person=_person(spec, shift.person),
        start=shift.start,
        end=shift.end,
        layer=shift.layer,
        override_id=shift.override_id,
    )


def _summary(
    db: Session, event_id: int, spec: PlanSpec, schedule: Schedule, now: datetime
) -> ScheduleSummary:
    current = service.schedule_shifts(
        db=db,
        event_id=event_id,
        spec=spec,
        schedule_id=schedule.id,
        start=now,
        end=now + timedelta(seconds=1),
    )
    holder = next((shift for shift in current if shift.start <= now < shift.end), None)
    return ScheduleSummary(
        id=schedule.id,
        name=schedule.name.model_dump(by_alias=True),
        team=schedule.team,
        timezone=schedule.timezone or spec.event.timezone,
        layers=[layer.id for layer in schedule.layers],
        on_call=[_person(spec, holder.person)] if holder else [],
        source=holder.layer if holder else None,
        next_handoff=service.next_handoff(
            db=db, event_id=event_id, spec=spec, schedule_id=schedule.id, at=now
        ),
    )


@router.get("/api/v1/events/{slug}/schedules", response_model=list[ScheduleSummary])
def list_schedules(
    slug: str, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep
) -> list[ScheduleSummary]:
    """The plan's on-call schedules, each with who is on call now and when that next changes."""
    event_id, spec = _plan(db, slug)
    now = clock.now()
    return [_summary(db, event_id, spec, schedule, now) for schedule in spec.schedules]


def _window(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    start = (start or now).astimezone(UTC)
    end = (end or start + DEFAULT_WINDOW).astimezone(UTC)
    if end <= start:
        raise InvalidInput(Message("The window must end after it starts."), code="window_reversed")
    if end - start > MAX_WINDOW:
        raise InvalidInput(
            Message("The window may span at most {days} days.", {"days": MAX_WINDOW.days}),
            code="window_too_long",
        )
    return start, end


@router.get("/api/v1/events/{slug}/schedules/{schedule_id}", response_model=ScheduleDetail)
def get_schedule(
    slug: str,
    schedule_id: str,
    _viewer: CurrentPrincipal,
    db: DbSession,
    clock: ClockDep,
    start: Annotated[AwareDatetime | None, Query(alias="from", description="Default: now.")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Default: 7 days after from.")] = None,
) -> ScheduleDetail:
    """One schedule: who is on call now and the shifts overlapping ``from`` … ``until`` (default:
    the next 7 days; at most 93 days), overrides included."""
    event_id, spec = _plan(db, slug)
    schedule = service.get_schedule(spec=spec, schedule_id=schedule_id)
    now = clock.now()
    window_start, window_end = _window(start, until, now)
    shifts = service.schedule_shifts(
        db=db, event_id=event_id, spec=spec, schedule_id=schedule.id, start=window_start, end=window_end
    )
    return ScheduleDetail(
        **_summary(db, event_id, spec, schedule, now).model_dump(),
        window_start=window_start,
        window_end=window_end,
        shifts=[_shift(spec, shift) for shift in shifts],
    )


@router.get("/api/v1/events/{slug}/oncall", response_model=list[TeamOnCallRead])
def on_call_now(slug: str, _viewer: CurrentPrincipal, db: DbSession, clock: ClockDep) -> list[TeamOnCallRead]:
    """Who is on call now for every team of the plan, and why (override, schedule or the team's lead)."""
    event_id, spec = _plan(db, slug)
    now = clock.now()
    answer = []
    for team in spec.teams:
        found = service.team_on_call(db=db, event_id=event_id, spec=spec, team_id=team.id, at=now)
        answer.append(
            TeamOnCallRead(
                team=team.id,
                team_name=team.name.model_dump(by_alias=True),
                schedule=found.schedule_id,
                on_call=[_person(spec, person) for person in found.people],
                source=found.source,
            )
        )
    return answer


@router.get("/api/v1/events/{slug}/schedules/{schedule_id}/overrides", response_model=list[OverrideRead])
def list_overrides(
    slug: str,
    schedule_id: str,
    _viewer: CurrentPrincipal,
    db: DbSession,
    clock: ClockDep,
    include_past: bool = Query(False, description="Also overrides that have ended."),
) -> list[OverrideRead]:
    """The schedule's overrides, by start (those not ended yet, unless ``include_past``)."""
    event_id, spec = _plan(db, slug)
    service.get_schedule(spec=spec, schedule_id=schedule_id)
    rows = service.list_overrides(
        db=db, event_id=event_id, schedule_id=schedule_id, since=None if include_past else clock.now()
    )
    return [OverrideRead.model_validate(row) for row in rows]


@router.post(
    "/api/v1/events/{slug}/schedules/{schedule_id}/overrides", response_model=OverrideRead, status_code=201
)
def create_override(
    slug: str, schedule_id: str, body: OverrideCreate, principal: Responder, db: DbSession, clock: ClockDep
) -> OverrideRead:
    """Put someone on call for a window; wins over every layer of the schedule meanwhile (audited)."""
    event_id, spec = _plan(db, slug)
    override = service.create_override(
        db=db,
        event_id=event_id,
        spec=spec,
        schedule_id=schedule_id,
        person_id=body.person_id,
        start=body.start,
        end=body.end,
        reason=body.reason,
        actor=principal.actor,
        clock=clock,
    )
    db.commit()
    return OverrideRead.model_validate(override)


@router.delete("/api/v1/events/{slug}/schedules/{schedule_id}/overrides/{override_id}", status_code=204)
def delete_override(
    slug: str, schedule_id: str, override_id: Id, principal: Responder, db: DbSession, clock: ClockDep
) -> Response:
    """Remove an override (audited); the layers decide again for its window."""
    event = events.get_by_slug(db=db, slug=slug)
    override = service.get_override(
        db=db, override_id=override_id, event_id=event.id, schedule_id=schedule_id
    )
    service.delete_override(db=db, override=override, actor=principal.actor, clock=clock)
    db.commit()
    return Response(status_code=204)


def _feed_url(settings: SettingsDep, slug: str, kind: service.FeedKind, item_id: str) -> FeedUrl:
    url = service.feed_url(settings=settings, slug=slug, kind=kind, item_id=item_id)
    return FeedUrl(url=url, webcal_url="webcal://" + url.split("://", 1)[1])


@router.get("/api/v1/events/{slug}/schedules/{schedule_id}/feed-url", response_model=FeedUrl)
def schedule_feed_url(
    slug: str, schedule_id: str, _viewer: CurrentPrincipal, db: DbSession, settings: SettingsDep
) -> FeedUrl:
    """The signed iCal feed URL of the schedule, for a calendar app (valid until the secret key changes)."""
    _event_id, spec = _plan(db, slug)
    service.get_schedule(spec=spec, schedule_id=schedule_id)
    return _feed_url(settings, slug, "schedules", schedule_id)


@router.get("/api/v1/events/{slug}/people/{person_id}/feed-url", response_model=FeedUrl)
def person_feed_url(
    slug: str, person_id: str, _viewer: CurrentPrincipal, db: DbSession, settings: SettingsDep
) -> FeedUrl:
    """The signed iCal feed URL of one person's shifts across every schedule of the event."""
    _event_id, spec = _plan(db, slug)
    service.get_person(spec=spec, person_id=person_id)
    return _feed_url(settings, slug, "people", person_id)


def _calendar(body: bytes, name: str) -> Response:
    headers = {
        "Content-Disposition": f'inline; filename="{name}.ics"',
        "Cache-Control": "private, max-age=300",
    }
    return Response(content=body, media_type=CALENDAR_MEDIA_TYPE, headers=headers)


TokenQuery = Annotated[str, Query(description="The token of the signed feed URL.")]


@router.get("/ical/{slug}/schedules/{schedule_id}.ics", response_class=Response, responses=errors(403))
def schedule_feed(
    slug: str,
    schedule_id: str,
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    token: TokenQuery = "",
) -> Response:
    """iCal feed of a schedule's shifts (a week back, 60 days ahead); ``?token=`` from its feed URL,
    403 otherwise. ``?lang=en`` for English event titles."""
    service.check_feed_token(settings=settings, token=token, slug=slug, kind="schedules", item_id=schedule_id)
    event_id, spec = _plan(db, slug)
    schedule = service.get_schedule(spec=spec, schedule_id=schedule_id)
    now = clock.now()
    start, end = ical.feed_window(now)
    shifts = service.schedule_shifts(
        db=db, event_id=event_id, spec=spec, schedule_id=schedule_id, start=start, end=end
    )
    body = ical.schedule_calendar(
        spec=spec, schedule=schedule, shifts=shifts, language=request_language(request), now=now
    )
    return _calendar(body, schedule_id)


@router.get("/ical/{slug}/people/{person_id}.ics", response_class=Response, responses=errors(403))
def person_feed(
    slug: str,
    person_id: str,
    request: Request,
    db: DbSession,
    clock: ClockDep,
    settings: SettingsDep,
    token: TokenQuery = "",
) -> Response:
    """iCal feed of one person's shifts across every schedule of the event; ``?token=`` from its
    feed URL, 403 otherwise."""
    service.check_feed_token(settings=settings, token=token, slug=slug, kind="people", item_id=person_id)
    event_id, spec = _plan(db, slug)
    now = clock.now()
    start, end = ical.feed_window(now)
    shifts = service.person_shifts(
        db=db, event_id=event_id, spec=spec, person_id=person_id, start=start, end=end
    )
    body = ical.person_calendar(
        spec=spec, person_id=person_id, shifts=shifts, language=request_language(request), now=now
    )
    return _calendar(body, person_id)
