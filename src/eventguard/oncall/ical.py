"""iCalendar (RFC 5545) feeds of on-call shifts: one per schedule, one per person.

One VEVENT per shift, in UTC. Its UID is made of the event, schedule, layer, person and start, so a
calendar app that refreshes the feed updates the same events instead of adding new ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from eventguard import __version__
from eventguard.i18n import t
from eventguard.oncall.rotation import OVERRIDE_LAYER, Shift
from eventguard.plans.schemas import PlanSpec, Schedule

FEED_PAST = timedelta(days=7)
FEED_FUTURE = timedelta(days=60)
REFRESH = "PT1H"


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    """The shifts a feed holds: from a week ago to 60 days ahead."""
    return now - FEED_PAST, now + FEED_FUTURE


def shift_uid(slug: str, schedule: Schedule, shift: Shift) -> str:
    """Stable across refreshes: the same shift always gets the same UID."""
    start = shift.start.strftime("%Y%m%dT%H%M%SZ")
    return f"{start}-{schedule.id}-{shift.layer}-{shift.person}@{slug}.oncall.eventguard"


def _person_name(spec: PlanSpec, person_id: str) -> str:
    return next((person.name for person in spec.people if person.id == person_id), person_id)


def _layer_name(schedule: Schedule, layer_id: str, language: str) -> str:
    if layer_id == OVERRIDE_LAYER:
        return t("Override", language)
    layer = next((item for item in schedule.layers if item.id == layer_id), None)
    return layer.name.get(language) if layer is not None and layer.name else layer_id


def _calendar(name: str, timezone: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", f"-//EventGuard//On-call {__version__}//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone)
    # How often calendar apps should fetch the feed again (RFC 7986, and the older Outlook key).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    return calendar


def _event(spec: PlanSpec, schedule: Schedule, shift: Shift, language: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", shift_uid(spec.event.slug, schedule, shift))
    event.add("dtstamp", stamp)
    event.add("dtstart", shift.start)
    event.add("dtend", shift.end)
    event.add("summary", t("On call: {person}", language, person=_person_name(spec, shift.person)))
    event.add(
        "description",
        t(
            "{schedule} ({layer}) — {event}",
            language,
            schedule=schedule.name.get(language),
            layer=_layer_name(schedule, shift.layer, language),
            event=spec.event.name.get(language),
        ),
    )
    event.add("categories", [t("On call", language)])
    event.add("transp", "TRANSPARENT")  # being on call does not make someone busy
    return event


def schedule_calendar(
    *, spec: PlanSpec, schedule: Schedule, shifts: Sequence[Shift], language: str, now: datetime
) -> bytes:
    """The feed of one schedule: every shift, whoever holds it."""
    name = f"{schedule.name.get(language)} · {spec.event.name.get(language)}"
    calendar = _calendar(name, schedule.timezone or spec.event.timezone)
    for shift in shifts:
        calendar.add_component(_event(spec, schedule, shift, language, now))
    body: bytes = calendar.to_ical()
    return body


def person_calendar(
    *,
    spec: PlanSpec,
    person_id: str,
    shifts: Sequence[tuple[Schedule, Shift]],
    language: str,
    now: datetime,
) -> bytes:
    """The feed of one person: their shifts across every schedule of the event."""
    name = (
        t("On call: {person}", language, person=_person_name(spec, person_id))
        + f" · {spec.event.name.get(language)}"
    )
    calendar = _calendar(name, spec.event.timezone)
    for schedule, shift in shifts:
        calendar.add_component(_event(spec, schedule, shift, language, now))
    body: bytes = calendar.to_ical()
    return body
