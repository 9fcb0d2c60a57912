"""The three exported documents — an incident report, a postmortem, a drill evaluation — as one
shape: a title, the Markdown its domain already writes (reviews/export.py, drills/report.py,
reports/incident.py) and the charts that go with it in HTML and PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from markupsafe import Markup
from sqlalchemy.orm import Session

from eventguard.analytics.charts import Bar, bar_chart
from eventguard.drills import report as drill_report
from eventguard.drills import service as drills
from eventguard.i18n import t
from eventguard.incidents import service as incidents
from eventguard.reports import incident as incident_report
from eventguard.reviews import export as postmortem_export
from eventguard.reviews import service as reviews

Kind = Literal["incident", "postmortem", "drill"]
KINDS: tuple[Kind, ...] = ("incident", "postmortem", "drill")


@dataclass
class Document:
    kind: Kind
    title: str
    filename: str
    """Without extension: ``incident-12``, ``postmortem-3``, ``drill-run-5``."""
    markdown: str
    language: str
    generated_at: datetime
    charts: list[Markup] = field(default_factory=list)


def incident_document(*, db: Session, incident_id: int, lang: str, now: datetime) -> Document:
    incident = incidents.get(db=db, incident_id=incident_id)
    return Document(
        kind="incident",
        title=f"{t('Incident report', lang)} #{incident.id}",
        filename=f"incident-{incident.id}",
        markdown=incident_report.markdown(db=db, incident=incident, lang=lang),
        language=lang,
        generated_at=now,
        charts=incident_report.charts(db=db, incident=incident, now=now, lang=lang),
    )


def postmortem_document(*, db: Session, postmortem_id: int, lang: str, now: datetime) -> Document:
    postmortem = reviews.get(db=db, postmortem_id=postmortem_id)
    incident = incidents.get(db=db, incident_id=postmortem.incident_id)
    return Document(
        kind="postmortem",
        title=f"{t('Postmortem', lang)}: {postmortem.title}",
        filename=f"postmortem-{postmortem.id}",
        markdown=postmortem_export.markdown(db=db, postmortem=postmortem, language=lang),
        language=lang,
        generated_at=now,
        charts=incident_report.charts(db=db, incident=incident, now=now, lang=lang),
    )


def score_chart(evaluation: drill_report.Evaluation, lang: str) -> Markup:
    """Points (0-100) per criterion of the scorecard; a criterion not met is red."""
    card = evaluation.card
    bars = [
        Bar(drill_report.criterion_title(c, lang), c.points, text=str(c.points), late=not c.met)
        for c in card.criteria
    ]
    desc = drill_report.verdict(card, lang)
    return bar_chart(
        chart_id=f"drill-run-{evaluation.run.id}-scores",
        title=t("Score per target", lang),
        desc=desc,
        bars=bars,
    )


def team_chart(evaluation: drill_report.Evaluation, lang: str) -> Markup:
    bars = [Bar(team, score) for team, score in sorted(evaluation.card.teams.items())]
    desc = ", ".join(f"{bar.label}: {bar.value:g}" for bar in bars) or "—"
    return bar_chart(
        chart_id=f"drill-run-{evaluation.run.id}-teams", title=t("Score per team", lang), desc=desc, bars=bars
    )


def drill_document(*, db: Session, run_id: int, lang: str, now: datetime) -> Document:
    run = drills.get(db=db, run_id=run_id)
    evaluation = drill_report.evaluate(db=db, run=run, language=lang)
    return Document(
        kind="drill",
        title=f"{t('Drill evaluation report', lang)}: {evaluation.drill.name.get(lang)}",
        filename=f"drill-run-{run.id}",
        markdown=drill_report.markdown(evaluation, lang),
        language=lang,
        generated_at=now,
        # A tabletop run without team answers has no per-team scores: no empty chart for them.
        charts=[score_chart(evaluation, lang)]
        + ([team_chart(evaluation, lang)] if evaluation.card.teams else []),
    )


def build(*, db: Session, kind: Kind, object_id: int, lang: str, now: datetime) -> Document:
    """The document of ``kind`` for the incident, postmortem or drill run ``object_id``."""
    if kind == "incident":
        return incident_document(db=db, incident_id=object_id, lang=lang, now=now)
    if kind == "postmortem":
        return postmortem_document(db=db, postmortem_id=object_id, lang=lang, now=now)
    return drill_document(db=db, run_id=object_id, lang=lang, now=now)
