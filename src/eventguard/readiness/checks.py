"""The readiness checklist, generated from the plan in force (docs/plan-format.md#readiness):

- ``notify.level-N``: the level notifies someone, and every group channel it reaches (its channel
  targets and the channels of its teams) had a test message delivered within ``test_message_within``;
- ``scenario.ID``: the scenario has a runbook and a backup plan;
- ``backup.ID``: the backup plan was switched over (incident, drill or test) within ``switchover_within``
  (``backup_last_switched``: comms' activations here, drills may add theirs);
- ``legal.ID``: the legal item is signed off by the legal team (not waivable);
- ``risks.mitigation``: no open risk of score ``risk_threshold`` or more without a mitigation;
- ``oncall.TEAM``: the on-call of every team a level notifies covers each live phase (a team with no
  schedule falls back to its lead, which counts when it has one);
- and whatever other domains contribute through the ``readiness_checks`` hook (probes green …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from eventguard.comms.backups.plans import last_switched
from eventguard.domains import hook_functions
from eventguard.events import service as events
from eventguard.i18n import Message
from eventguard.notify.channel_admin import last_test_delivered
from eventguard.oncall import service as oncall
from eventguard.plans.schemas import ChannelTarget, PlanSpec, TeamTarget
from eventguard.plans.types import LocalizedText
from eventguard.readiness import signoffs
from eventguard.risks import service as risks


@dataclass
class Item:
    key: str
    group: str
    title: Message
    ok: bool
    detail: Message | str | None = None
    fix_path: str | None = None
    waivable: bool = True

    def render(self, lang: str) -> dict[str, Any]:
        detail = _render(self.detail, lang) if isinstance(self.detail, Message) else self.detail
        return {
            "key": self.key,
            "group": self.group,
            "title": _render(self.title, lang),
            "ok": self.ok,
            "detail": detail,
            "fix_path": self.fix_path,
            "waivable": self.waivable,
        }


def _render(message: Message, lang: str) -> str:
    """A message whose parameters may be bilingual texts of the plan (each shown in ``lang``)."""
    params = {k: v.get(lang) if isinstance(v, LocalizedText) else v for k, v in message.params.items()}
    return Message(message.msgid, params).render(lang)


def backup_last_switched_in_comms(db: Session, *, event_id: int, backup_id: str) -> datetime | None:
    """The ``backup_last_switched`` hook from comms' backup activations (incidents and drills)."""
    return last_switched(db=db, event_id=event_id, backup_id=backup_id)


def _days(delta: timedelta) -> int:
    return max(1, round(delta.total_seconds() / 86400))


def _notify(db: Session, event_id: int, slug: str, spec: PlanSpec, now: datetime) -> list[Item]:
    within = spec.readiness.test_message_within
    tested = last_test_delivered(db=db, event_id=event_id)
    items = []
    for level in spec.levels:
        channels: list[str] = []
        for target in level.notify:
            if isinstance(target, ChannelTarget):
                channels.append(target.channel)
            elif isinstance(target, TeamTarget) and (team := spec.team(target.team)) is not None:
                channels += team.channels
        channels = list(dict.fromkeys(channels))
        stale = [c for c in channels if c not in tested or tested[c] < now - within]
        title = Message("Level {level} reaches its targets", {"level": level.level})
        if not level.notify:
            detail: Message | None = Message("The level notifies nobody.")
        elif stale:
            detail = Message(
                "No test message delivered in the last {days} days to: {channels}",
                {"days": _days(within), "channels": ", ".join(stale)},
            )
        else:
            detail = None
        items.append(
            Item(
                f"notify.level-{level.level}",
                "notify",
                title,
                detail is None,
                detail,
                f"/events/{slug}/readiness#channels",
            )
        )
    return items


def _scenarios(slug: str, spec: PlanSpec) -> list[Item]:
    items = []
    for scenario in spec.scenarios:
        problems = {
            (False, False): Message("No runbook and no backup plan."),
            (False, True): Message("No runbook."),
            (True, False): Message("No backup plan."),
        }
        detail = problems.get((bool(scenario.runbook), bool(scenario.backup_plans)))
        title = Message("Scenario {scenario} has a runbook and a backup plan", {"scenario": scenario.id})
        items.append(
            Item(
                f"scenario.{scenario.id}",
                "scenarios",
                title,
                detail is None,
                detail,
                f"/events/{slug}/plan#scenarios",
            )
        )
    return items


def _backups(db: Session, event_id: int, slug: str, spec: PlanSpec, now: datetime) -> list[Item]:
    within = spec.readiness.switchover_within
    items = []
    for plan in spec.backup_plans:
        found = [
            fn(db, event_id=event_id, backup_id=plan.id) for fn in hook_functions("backup_last_switched")
        ]
        moments = [moment for moment in found if moment is not None]
        last = max(moments) if moments else None
        ok = last is not None and last >= now - within
        detail = (
            Message("Never switched over.")
            if last is None
            else None
            if ok
            else Message(
                "Last switched over {when}, more than {days} days ago.",
                {"when": last.strftime("%Y-%m-%d"), "days": _days(within)},
            )
        )
        title = Message("Backup plan {backup} was switched over recently", {"backup": plan.id})
        items.append(Item(f"backup.{plan.id}", "backups", title, ok, detail, f"/events/{slug}/plan#backups"))
    return items


def legal_team(spec: PlanSpec) -> str | None:
    if spec.readiness.legal_team:
        return spec.readiness.legal_team
    return next((team.id for team in spec.teams if team.kind == "legal"), None)


def _legal(db: Session, event_id: int, slug: str, spec: PlanSpec) -> list[Item]:
    team = legal_team(spec)
    signed = signoffs.current(db=db, event_id=event_id)
    items = []
    for item in spec.readiness.legal_items:
        row = signed.get(item.id)
        ok = row is not None and row.team == team
        detail: Message | str | None
        if team is None:
            detail = Message("The plan names no legal team.")
        elif row is None:
            detail = Message("Not signed off by the legal team.")
        else:
            detail = f"{row.signed_by} · {row.signed_at.strftime('%Y-%m-%d %H:%M UTC')}"
        items.append(
            Item(
                f"legal.{item.id}",
                "legal",
                Message("Legal sign-off: {item}", {"item": item.title}),
                ok,
                detail,
                f"/events/{slug}/readiness#legal",
                waivable=False,
            )
        )
    return items


def _risks(db: Session, event_id: int, slug: str, spec: PlanSpec) -> Item:
    threshold = spec.readiness.risk_threshold
    found = risks.open_without_mitigation(db=db, event_id=event_id, threshold=threshold)
    detail = (
        Message("Without mitigation: {risks}", {"risks": ", ".join(r.key for r in found)}) if found else None
    )
    return Item(
        "risks.mitigation",
        "risks",
        Message("No open risk of score {score} or more lacks a mitigation", {"score": threshold}),
        not found,
        detail,
        f"/events/{slug}/risks?status=open&min_score={threshold}",
    )


def _covered(shifts: list[tuple[datetime, datetime]], start: datetime, end: datetime) -> datetime | None:
    """The first moment of [start, end) no shift covers, or None."""
    cursor = start
    for shift_start, shift_end in sorted(shifts):
        if shift_start > cursor:
            return cursor
        cursor = max(cursor, shift_end)
        if cursor >= end:
            return None
    return cursor if cursor < end else None


def _oncall(db: Session, event_id: int, slug: str, spec: PlanSpec) -> list[Item]:
    windows = [(phase.start, phase.end) for phase in spec.event.phases if phase.name == "live"]
    teams = list(
        dict.fromkeys(t.team for level in spec.levels for t in level.notify if isinstance(t, TeamTarget))
    )
    fix = f"/events/{slug}/readiness#oncall"
    if not windows:
        return [
            Item(
                "oncall.live-window",
                "oncall",
                Message("The plan has a live phase"),
                False,
                Message("The plan has no live phase."),
                f"/events/{slug}/plan",
            )
        ]
    items = []
    for team_id in teams:
        title = Message("On-call covers the live phase: {team}", {"team": team_id})
        schedule = oncall.team_schedule(spec=spec, team_id=team_id)
        team = spec.team(team_id)
        if schedule is None:
            ok = team is not None and team.lead is not None
            detail: Message | None = Message("No schedule: the team lead is paged.")
            if not ok:
                detail = Message("No schedule and no lead.")
            items.append(Item(f"oncall.{team_id}", "oncall", title, ok, detail, fix))
            continue
        gap = None
        for start, end in windows:
            shifts = oncall.schedule_shifts(
                db=db, event_id=event_id, spec=spec, schedule_id=schedule.id, start=start, end=end
            )
            gap = gap or _covered([(s.start, s.end) for s in shifts], start, end)
        detail = None
        if gap is not None:
            when = gap.strftime("%Y-%m-%d %H:%M UTC")
            detail = Message("Nobody on call from {when}.", {"when": when})
        items.append(Item(f"oncall.{team_id}", "oncall", title, gap is None, detail, fix))
    return items


def _contributed(db: Session, event_id: int, now: datetime) -> list[Item]:
    items = []
    for fn in hook_functions("readiness_checks"):
        for found in fn(db, event_id=event_id, now=now) or []:
            items.append(
                Item(
                    key=str(found["key"]),
                    group=str(found.get("group", "other")),
                    title=found["title"]
                    if isinstance(found["title"], Message)
                    else Message(str(found["title"])),
                    ok=bool(found["ok"]),
                    detail=found.get("detail"),
                    fix_path=found.get("fix_path"),
                    waivable=bool(found.get("waivable", True)),
                )
            )
    return items


def checklist(*, db: Session, event_id: int, spec: PlanSpec, now: datetime) -> list[Item]:
    """Every item of the gate, in the order above."""
    slug = events.get(db=db, event_id=event_id).slug
    return [
        *_notify(db, event_id, slug, spec, now),
        *_scenarios(slug, spec),
        *_backups(db, event_id, slug, spec, now),
        *_legal(db, event_id, slug, spec),
        _risks(db, event_id, slug, spec),
        *_oncall(db, event_id, slug, spec),
        *_contributed(db, event_id, now),
    ]
