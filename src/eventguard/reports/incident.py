"""An incident report (事件报告): what happened, how fast we responded, who was told when, the
runbook as done and the full timeline; its charts: the response phases and the notification
times against ``notify_within``."""

from __future__ import annotations

from datetime import datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from eventguard.analytics import figures
from eventguard.analytics import sla as sla_figures
from eventguard.analytics.charts import Bar, bar_chart
from eventguard.events import service as events
from eventguard.i18n import t
from eventguard.incidents import runbook, timeline
from eventguard.incidents import service as incidents
from eventguard.incidents.models import Incident
from eventguard.notify import service as notify
from eventguard.plans import service as plans


def _at(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "—"


def _since_open(incident: Incident, moment: datetime | None, lang: str) -> str:
    if moment is None:
        return "—"
    return f"{moment.isoformat()} (+{figures.minutes((moment - incident.opened_at).total_seconds(), lang)})"


def title_of(db: Session, incident: Incident, lang: str) -> str:
    """The title as the room shows it (the plan's scenario name when it names one)."""
    spec = plans.get_active_plan(db=db, event_id=incident.event_id)
    return incidents.display_title(incident=incident, spec=spec, lang=lang)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(*, db: Session, incident: Incident, lang: str) -> str:
    """The report as Markdown (the texts of the timeline as written)."""
    event = events.get(db=db, event_id=incident.event_id)
    out = [
        f"# {t('Incident report', lang)}: #{incident.id} {title_of(db, incident, lang)}"
        + (" 【演练】" if incident.is_drill and lang == "zh-CN" else " [DRILL]" if incident.is_drill else ""),
        "",
        f"- {t('Event', lang)}: {event.slug}",
        f"- {t('Level', lang)}: {incident.level}",
        f"- {t('Scenario', lang)}: {incident.scenario_id or '—'}",
        f"- {t('Phase', lang)}: {incident.phase or '—'}",
        f"- {t('Status', lang)}: {t(incident.status.value, lang)}",
        f"- {t('Core functions', lang)}: {', '.join(incident.core_functions) or '—'}",
        f"- {t('Impact', lang)}: {incident.impact or '—'}",
        f"- {t('Opened', lang)}: {_at(incident.opened_at)}",
        f"- {t('Acknowledged', lang)}: {_since_open(incident, incident.acknowledged_at, lang)}",
        f"- {t('Resolved', lang)}: {_since_open(incident, incident.resolved_at, lang)}",
        "",
        f"## {t('Notifications', lang)}",
        "",
        f"| {t('Role', lang)} | {t('Level', lang)} | {t('Deadline', lang)} | {t('First delivered', lang)} | "
        f"{t('Met', lang)} |",
        "|---|---|---|---|---|",
    ]
    rows = notify.sla_rows(db=db, incident_id=incident.id)
    for row in rows:
        met = "—" if row.met is None else ("✓" if row.met else "✗")
        out.append(
            f"| {_cell(row.target)} | {row.level or '—'} | {_at(row.deadline)} "
            f"| {_at(row.first_delivered_at)} | {met} |"
        )
    if not rows:
        out += ["", t("No notifications yet.", lang)]
    out += ["", f"## {t('Runbook', lang)}", ""]
    tasks = runbook.list_tasks(db=db, incident_id=incident.id)
    for task in tasks:
        mark = "x" if task.status.value == "done" else " "
        title = task.title.get(lang) or task.title.get("en") or task.step_id
        out.append(f"{task.position}. [{mark}] {title} ({task.owner_team}, {t(task.status.value, lang)})")
    if not tasks:
        out.append("—")
    out += ["", f"## {t('Timeline', lang)}", ""]
    for entry in timeline.entries(db=db, incident_id=incident.id):
        text = f": {entry.text}" if entry.text else ""
        out.append(f"- {entry.at.isoformat()} {entry.kind}{text} ({entry.actor_name})")
    return "\n".join(out) + "\n"


def phases_chart(incident: Incident, lang: str, chart_id: str = "incident-phases") -> Markup:
    """Minutes from opening to each state the incident reached."""
    reached = [
        (t("acknowledged", lang), incident.acknowledged_at),
        (t("mitigating", lang), incident.mitigating_at),
        (t("monitoring", lang), incident.monitoring_at),
        (t("resolved", lang), incident.resolved_at),
    ]
    bars = [
        Bar(
            label,
            (at - incident.opened_at).total_seconds() / 60,
            text=figures.minutes((at - incident.opened_at).total_seconds(), lang),
        )
        for label, at in reached
        if at is not None
    ]
    desc = "; ".join(f"{bar.label}: {bar.text}" for bar in bars) or t("Not acknowledged yet.", lang)
    return bar_chart(
        chart_id=chart_id, title=t("Time from opening to each state", lang), desc=desc, bars=bars
    )


def notification_chart(*, db: Session, incident: Incident, now: datetime, lang: str) -> Markup:
    """Time to the first delivery per role and level of this incident, against notify_within."""
    rows = [sla_figures.SlaRow.of(row) for row in notify.sla_rows(db=db, incident_id=incident.id)]
    _overall, groups = sla_figures.sla(rows, now)
    return figures.first_notification_chart(groups, lang, f"incident-{incident.id}-notifications")


def charts(*, db: Session, incident: Incident, now: datetime, lang: str) -> list[Markup]:
    return [
        phases_chart(incident, lang, f"incident-{incident.id}-phases"),
        notification_chart(db=db, incident=incident, now=now, lang=lang),
    ]
