"""The incident room's timeline as people read it: every entry says who did what (and to whom), and
the notifier's many rows of one notification wave fold into one expandable row ("WeCom → Tech lead
李娜 ✓ +0.3 s, e-mail → Legal lead ✓ …"). Filters and the text search run in the browser over what
is rendered here (``data-filter`` and the row's text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eventguard.i18n import t
from eventguard.incidents.models import TimelineEntry
from eventguard.plans.schemas import PlanSpec

WAVE_GAP = timedelta(minutes=2)
"""Notification rows closer than this to the previous one (and with nothing else between) are one wave."""

# Which filter button shows an entry kind (the rest show under "all" only).
FILTERS = {
    "note": "notes",
    "progress": "notes",
    "notification": "notifications",
    "status": "status",
    "level": "status",
    "role": "status",
    "merge": "status",
    "pause": "status",
    "title": "status",
    "update": "public",
    "backup": "public",
}
FILTER_NAMES = ("notes", "notifications", "status", "public")

CHANNEL_LABELS = {
    "wecom": "WeCom",
    "dingtalk": "DingTalk",
    "feishu": "Feishu",
    "slack": "Slack",
    "email": "e-mail",
    "webhook": "webhook",
}
ROLE_WORDS = {"lead": "lead", "members": "members", "all": "everyone", "on_call": "on-call"}
ROLE_LABELS = {"tech_lead": "Tech lead", "ops_lead": "Ops lead", "comms": "Comms (PR)", "legal": "Legal"}
TASK_LABELS = {"in_progress": "in progress"}
STATE_LABELS = {"pending_approval": "waiting for approval"}
OUTCOME_MARKS = {"delivered": "✓", "failed": "✗", "sla_breached": "⚠", "escalated": "↑"}


@dataclass
class Row:
    """One line of the timeline: a single entry, or a notification wave of several."""

    kind: str
    entries: list[TimelineEntry] = field(default_factory=list)

    @property
    def first(self) -> TimelineEntry:
        return self.entries[0]

    @property
    def last(self) -> TimelineEntry:
        return self.entries[-1]

    @property
    def filter(self) -> str:
        return FILTERS.get(self.first.kind, "other")

    @property
    def is_wave(self) -> bool:
        return self.kind == "wave"


def rows(entries: Sequence[TimelineEntry]) -> list[Row]:
    """Oldest first, as the entries are; adjacent notification entries close in time form a wave."""
    found: list[Row] = []
    for entry in entries:
        previous = found[-1] if found else None
        if (
            entry.kind == "notification"
            and previous is not None
            and previous.is_wave
            and entry.at - previous.last.at <= WAVE_GAP
        ):
            previous.entries.append(entry)
        elif entry.kind == "notification":
            found.append(Row("wave", [entry]))
        else:
            found.append(Row("entry", [entry]))
    return found


class Describer:
    """Turns an entry's data into words in the reader's language, with the plan's names."""

    def __init__(
        self, spec: PlanSpec, lang: str, opened_at: datetime, updates: dict[int, dict[str, str]] | None = None
    ) -> None:
        self.lang = lang
        self.updates = updates or {}
        self.opened_at = opened_at
        self.people = {person.id: person.name for person in spec.people}
        self.teams = {team.id: team.name.get(lang) for team in spec.teams}
        self.channels = {
            channel.id: channel.name.get(lang) if channel.name else channel.id for channel in spec.channels
        }
        self.backups = {plan.id: plan.name.get(lang) for plan in spec.backup_plans}

    def person(self, person_id: str | None) -> str:
        return self.people.get(person_id or "", person_id or "—")

    def target(self, target: str | None) -> str:
        """A notify target in words: "team:tech:lead#li-na" -> "技术团队 负责人 (李娜)", a person or
        channel target -> its name."""
        if not target:
            return "—"
        target, _, person = target.partition("#")
        kind, _, rest = target.partition(":")
        if kind == "team":
            team, _, role = rest.partition(":")
            words = f"{self.teams.get(team, team)} {t(ROLE_WORDS.get(role, role), self.lang)}".strip()
        elif kind == "person":
            words = self.person(rest)
        elif kind == "channel":
            words = self.channels.get(rest, rest)
        else:
            words = target
        return f"{words} ({self.person(person)})" if person else words

    def since_open(self, at: datetime) -> str:
        seconds = max(0.0, (at - self.opened_at).total_seconds())
        if seconds < 60:
            return f"+{seconds:.1f} s"
        if seconds < 3600:
            return f"+{int(seconds // 60)} min"
        return f"+{seconds / 3600:.1f} h"

    def notification(self, entry: TimelineEntry) -> dict[str, str]:
        """One notifier row: channel → recipient, the outcome mark and how long after the opening."""
        data = entry.data
        outcome = str(data.get("outcome", ""))
        if outcome == "sla_breached":
            what = t("notify-within missed for {target}", self.lang, target=self.target(data.get("role")))
        elif outcome == "escalated":
            what = t("escalation step {step} fired", self.lang, step=data.get("step", "?"))
        else:
            kind = str(data.get("channel") or "")
            channel = CHANNEL_LABELS.get(kind, kind)
            if data.get("channel_id"):
                channel = f"{channel} ({self.channels.get(str(data['channel_id']), data['channel_id'])})"
            whom = self.target(data.get("role")) if data.get("role") else self.person(data.get("recipient"))
            recipient = data.get("recipient")
            if recipient and data.get("role") and "#" not in str(data.get("role")):
                whom = f"{whom} {self.person(str(recipient))}"
            what = f"{channel} → {whom}"
            if data.get("purpose") == "escalation":
                what += " · " + t("escalated", self.lang)
            if int(data.get("attempts") or 0) > 1:
                what += " · " + t("attempt {n}", self.lang, n=data["attempts"])
        return {
            "what": what,
            "mark": OUTCOME_MARKS.get(outcome, "·"),
            "outcome": outcome,
            "after": self.since_open(entry.at),
            "error": entry.text or "",
        }

    def wave(self, row: Row) -> dict[str, Any]:
        items = [self.notification(entry) for entry in row.entries]
        ok = sum(1 for item in items if item["outcome"] == "delivered")
        failed = sum(1 for item in items if item["outcome"] in ("failed", "sla_breached"))
        return {"items": items, "ok": ok, "failed": failed, "count": len(items)}

    def entry(self, entry: TimelineEntry) -> str:
        """What happened, in words (the free text, if any, is shown beside it)."""
        data, lang = entry.data, self.lang
        if entry.kind == "status":
            before = f"{t(str(data['from']), lang)} → " if data.get("from") else ""
            opened = t("opened", lang) + " · " if data.get("opened") else ""
            return opened + before + t(str(data.get("status", "")), lang)
        if entry.kind == "level":
            return f"L{data.get('from')} → L{data.get('to')}"
        if entry.kind == "role":
            role = t(ROLE_LABELS.get(str(data.get("role", "")), str(data.get("role", ""))), lang)
            return t("{role} → {person}", lang, role=role, person=self.person(data.get("person_id")))
        if entry.kind == "task":
            status = str(data.get("status", ""))
            return f"{data.get('step_id')}: {t(TASK_LABELS.get(status, status), lang)}"
        if entry.kind == "progress":
            return t("ETA {eta}", lang, eta=data["eta"]) if data.get("eta") else ""
        if entry.kind == "backup":
            name = self.backups.get(str(data.get("backup_id", "")), str(data.get("backup_id", "")))
            return f"{name}: {t(str(data.get('action', data.get('state', ''))), lang)}"
        if entry.kind == "update":
            return t(STATE_LABELS.get(str(data.get("state", "")), str(data.get("state", ""))), lang)
        if entry.kind == "merge":
            return f"#{data.get('source')} → #{data.get('target')}"
        if entry.kind == "pause":
            words = t("event paused", lang) if data.get("paused") else t("event resumed", lang)
            said = data.get("reason") or data.get("note")
            return f"{words}: {said}" if said else words
        if entry.kind == "title":
            return f"“{data.get('from')}” → “{data.get('to')}”"
        return ""

    def text(self, entry: TimelineEntry) -> str:
        """The entry's own words: a public update's title and a backup plan's name in the reader's
        language (the timeline stores the English one), else the note, reason or error as written."""
        if entry.kind == "update":
            title = self.updates.get(int(entry.data.get("public_update") or 0))
            if title:
                return title.get(self.lang) or title.get("en") or entry.text or ""
        if entry.kind == "backup":
            return ""
        return entry.text or ""
