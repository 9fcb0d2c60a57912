"""The charts of an :class:`~eventguard.analytics.service.Analytics`, with their texts in the
reader's language: what the console page and the reports show."""

from __future__ import annotations

from markupsafe import Markup

from eventguard.analytics.charts import Bar, Point, bar_chart, line_chart
from eventguard.analytics.service import Analytics
from eventguard.analytics.sla import SlaGroup
from eventguard.i18n import t


def minutes(seconds: float | None, lang: str) -> str:
    """Seconds as minutes with one decimal ("4.5 min"), "—" when there is none."""
    if seconds is None:
        return "—"
    return t("{minutes} min", lang, minutes=f"{seconds / 60:.1f}".removesuffix(".0"))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def role_label(group: SlaGroup, lang: str) -> str:
    if group.level is None:
        return group.target
    return t("L{level} {target}", lang, level=group.level, target=group.target)


def response_chart(analytics: Analytics, lang: str, prefix: str = "chart") -> Markup:
    r = analytics.response
    bars = [
        Bar(t("MTTA (mean)", lang), (r.mtta_seconds or 0) / 60, text=minutes(r.mtta_seconds, lang)),
        Bar(
            t("MTTA (median)", lang),
            (r.median_tta_seconds or 0) / 60,
            text=minutes(r.median_tta_seconds, lang),
        ),
        Bar(t("MTTR (mean)", lang), (r.mttr_seconds or 0) / 60, text=minutes(r.mttr_seconds, lang)),
        Bar(
            t("MTTR (median)", lang),
            (r.median_ttr_seconds or 0) / 60,
            text=minutes(r.median_ttr_seconds, lang),
        ),
    ]
    desc = t(
        "Mean time to acknowledge {mtta} over {acknowledged} incidents; mean time to resolve {mttr} "
        "over {resolved} incidents.",
        lang,
        mtta=minutes(r.mtta_seconds, lang),
        acknowledged=r.acknowledged,
        mttr=minutes(r.mttr_seconds, lang),
        resolved=r.resolved,
    )
    return bar_chart(chart_id=f"{prefix}-response", title=t("Response times", lang), desc=desc, bars=bars)


def sla_chart(analytics: Analytics, lang: str, prefix: str = "chart") -> Markup:
    bars = [
        Bar(role_label(g, lang), g.met_percent or 0.0, text=f"{percent(g.met_percent)} ({g.met}/{g.decided})")
        for g in analytics.sla
    ]
    overall = analytics.sla_overall
    desc = t(
        "Notified within notify_within: {percent} of {decided} decided notifications ({pending} pending).",
        lang,
        percent=percent(overall.met_percent),
        decided=overall.decided,
        pending=overall.pending,
    )
    return bar_chart(
        chart_id=f"{prefix}-sla",
        title=t("SLA met % per role and level", lang),
        desc=desc,
        bars=bars,
        empty=t("No notifications yet.", lang),
    )


def first_notification_chart(groups: list[SlaGroup], lang: str, chart_id: str) -> Markup:
    """Mean time to the first delivery per role and level against notify_within (the dashed tick)."""
    bars = [
        Bar(
            role_label(g, lang),
            (g.mean_first_seconds or 0) / 60,
            target=(g.notify_within_seconds or 0) / 60 if g.notify_within_seconds is not None else None,
            text=f"{minutes(g.mean_first_seconds, lang)} / {minutes(g.notify_within_seconds, lang)}",
        )
        for g in groups
    ]
    desc = t(
        "Time to the first delivery to each role, against its notify_within (the dashed mark); "
        "red bars are late.",
        lang,
    )
    return bar_chart(
        chart_id=chart_id,
        title=t("Time to first notification vs notify_within", lang),
        desc=desc,
        bars=bars,
        empty=t("No notifications yet.", lang),
    )


BREAKDOWN_TITLES = {
    "level": "Incidents by level",
    "scenario": "Incidents by scenario",
    "phase": "Incidents by phase",
    "hour": "Incidents by hour of day",
}


def breakdown_chart(analytics: Analytics, by: str, lang: str, prefix: str = "chart") -> Markup:
    buckets = analytics.breakdowns[by]
    bars = [Bar(t("Level {level}", lang, level=b.key) if by == "level" else b.key, b.count) for b in buckets]
    desc = ", ".join(f"{bar.label}: {bar.value:g}" for bar in bars if bar.value) or t("No incidents.", lang)
    return bar_chart(
        chart_id=f"{prefix}-by-{by}",
        title=t(BREAKDOWN_TITLES[by], lang),
        desc=desc,
        bars=bars,
        empty=t("No incidents.", lang),
    )


def drill_chart(analytics: Analytics, lang: str, prefix: str = "chart") -> Markup:
    points = [Point(f"{d.finished_at:%m-%d}", d.score, text=str(d.score)) for d in analytics.drills]
    desc = ", ".join(f"{d.drill_id} {d.finished_at:%Y-%m-%d}: {d.score}" for d in analytics.drills)
    return line_chart(
        chart_id=f"{prefix}-drills",
        title=t("Drill scores over time", lang),
        desc=desc or t("No finished drills.", lang),
        points=points,
        maximum=100,
        empty=t("No finished drills.", lang),
    )


def action_item_chart(analytics: Analytics, lang: str, prefix: str = "chart") -> Markup:
    items = analytics.action_items
    bars = [
        Bar(
            team.team,
            team.open,
            target=None,
            text=t("{open} open, {overdue} overdue", lang, open=team.open, overdue=team.overdue),
        )
        for team in items.teams
    ]
    desc = t("{open} open, {overdue} overdue", lang, open=items.open, overdue=items.overdue)
    return bar_chart(
        chart_id=f"{prefix}-action-items",
        title=t("Open action items per team", lang),
        desc=desc,
        bars=bars,
        empty=t("No action items.", lang),
    )


def events_chart(analytics: Analytics, lang: str, prefix: str = "chart") -> Markup:
    """MTTA per event (minutes), its SLA met % written beside it."""
    bars = [
        Bar(
            e.event,
            (e.response.mtta_seconds or 0) / 60,
            text=f"{minutes(e.response.mtta_seconds, lang)} · {percent(e.sla.met_percent)}",
        )
        for e in analytics.events
    ]
    desc = "; ".join(f"{bar.label}: {bar.text}" for bar in bars) or t("No incidents.", lang)
    return bar_chart(
        chart_id=f"{prefix}-events",
        title=t("MTTA and SLA met % per event", lang),
        desc=desc,
        bars=bars,
        empty=t("No incidents.", lang),
    )


def all_charts(analytics: Analytics, lang: str, prefix: str = "chart") -> dict[str, Markup]:
    """Every chart of the page, by name."""
    charts = {
        "response": response_chart(analytics, lang, prefix),
        "sla": sla_chart(analytics, lang, prefix),
        "first_notification": first_notification_chart(analytics.sla, lang, f"{prefix}-first-notification"),
    }
    for by in BREAKDOWN_TITLES:
        charts[f"by_{by}"] = breakdown_chart(analytics, by, lang, prefix)
    charts["drills"] = drill_chart(analytics, lang, prefix)
    charts["action_items"] = action_item_chart(analytics, lang, prefix)
    charts["events"] = events_chart(analytics, lang, prefix)
    return charts
