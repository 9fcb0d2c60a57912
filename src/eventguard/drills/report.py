"""The evaluation report of a drill run (演练评估报告), in the spirit of AQ/T 9009 and ISO 22398
exercise reports: objectives, timeline, scores, strengths, gaps and action items."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from eventguard.drills import scoring, service
from eventguard.drills.models import DrillRun, DrillStatus
from eventguard.events import service as events
from eventguard.i18n import t
from eventguard.incidents import timeline
from eventguard.plans.schemas import Drill


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    what: str


@dataclass
class Evaluation:
    run: DrillRun
    drill: Drill
    event_slug: str
    card: scoring.Scorecard
    timeline: list[TimelineLine] = field(default_factory=list)

    @property
    def strengths(self) -> list[scoring.Criterion]:
        return [c for c in self.card.criteria if c.met]

    @property
    def gaps(self) -> list[scoring.Criterion]:
        return [c for c in self.card.criteria if not c.met]


def criterion_title(criterion: scoring.Criterion, language: str) -> str:
    params = {
        "target": criterion.detail.get("target", ""),
        "team": criterion.detail.get("team", criterion.team or ""),
        "number": criterion.detail.get("number", ""),
    }
    used = {name: value for name, value in params.items() if "{" + name + "}" in criterion.title}
    return t(criterion.title, language, **used)


def minutes(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def evaluate(*, db: Session, run: DrillRun, language: str) -> Evaluation:
    """Everything the report shows, read once."""
    spec = service.spec_of(db, run)
    drill = service.drill_of(spec, run.drill_id)
    card = (
        scoring.Scorecard.from_dict(run.scorecard)
        if run.status is DrillStatus.finished
        else service.score(db=db, run=run)
    )
    lines: list[TimelineLine] = []
    if run.started_at is not None:
        lines.append(
            TimelineLine(run.started_at, t("Drill started by {name}", language, name=run.created_by))
        )
    for injection in service.injections(db=db, run_id=run.id):
        if injection.injected_at is not None:
            title = str(injection.alert.get("title", ""))
            lines.append(
                TimelineLine(
                    injection.injected_at,
                    t("Injected ({kind}): {title}", language, kind=injection.kind, title=title),
                )
            )
    for answer in service.answers(db=db, run_id=run.id):
        lines.append(
            TimelineLine(
                answer.answered_at,
                t(
                    "Answer to question {number}: {answer}",
                    language,
                    number=answer.position,
                    answer=answer.answer,
                ),
            )
        )
    for incident in service.run_incidents(db=db, run=run):
        for entry in timeline.entries(db=db, incident_id=incident.id):
            what = entry.kind + (f": {entry.text}" if entry.text else "")
            if entry.kind == "status":
                what = f"status → {entry.data.get('status')}"
            lines.append(TimelineLine(entry.at, f"#{incident.id} {what} ({entry.actor_name})"))
    if run.finished_at is not None:
        lines.append(
            TimelineLine(run.finished_at, t("Drill finished by {name}", language, name=run.finished_by or ""))
        )
    lines.sort(key=lambda line: line.at)
    slug = events.get(db=db, event_id=run.event_id).slug
    return Evaluation(run=run, drill=drill, event_slug=slug, card=card, timeline=lines)


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def mode_name(mode: str, language: str) -> str:
    return t("live", language) if mode == "live" else t("tabletop", language)


def verdict(card: scoring.Scorecard, language: str) -> str:
    """E.g. "85/100, passed (pass score 80)"."""
    if card.passed:
        return t(
            "{score}/100, passed (pass score {pass_score})",
            language,
            score=card.score,
            pass_score=card.pass_score,
        )
    return t(
        "{score}/100, not passed (pass score {pass_score})",
        language,
        score=card.score,
        pass_score=card.pass_score,
    )


def markdown(evaluation: Evaluation, language: str) -> str:
    """The report as Markdown."""
    run, drill, card = evaluation.run, evaluation.drill, evaluation.card
    out = [
        f"# {t('Drill evaluation report', language)}: {drill.name.get(language)}",
        "",
        f"- {t('Event', language)}: {evaluation.event_slug}",
        f"- {t('Scenario', language)}: {drill.scenario}",
        f"- {t('Mode', language)}: {mode_name(run.mode, language)}",
        f"- {t('Started', language)}: {run.started_at.isoformat() if run.started_at else '—'}",
        f"- {t('Score', language)}: {verdict(card, language)}",
        "",
        f"## {t('Objectives', language)}",
        "",
        *[f"- {objective.get(language)}" for objective in drill.objectives],
        "",
        f"## {t('Scores', language)}",
        "",
        _row(t("Criterion", language), t("Target", language), t("Actual", language), t("Points", language)),
        "|---|---|---|---|",
        *[
            _row(
                criterion_title(c, language),
                minutes(c.target_seconds),
                minutes(c.actual_seconds),
                str(c.points),
            )
            for c in card.criteria
        ],
        "",
        f"## {t('Strengths', language)}",
        "",
        *([f"- {criterion_title(c, language)}" for c in evaluation.strengths] or ["—"]),
        "",
        f"## {t('Gaps', language)}",
        "",
        *([f"- {criterion_title(c, language)} ({c.points})" for c in evaluation.gaps] or ["—"]),
        "",
        f"## {t('Action items', language)}",
        "",
        *(
            [
                f"- [ ] {t('Improve: {what}', language, what=criterion_title(c, language))}"
                for c in evaluation.gaps
            ]
            or ["—"]
        ),
        "",
        f"## {t('Timeline', language)}",
        "",
        *[f"- {line.at.isoformat()} {line.what}" for line in evaluation.timeline],
    ]
    if run.notes:
        out += ["", f"## {t('Notes', language)}", "", run.notes]
    return "\n".join(out) + "\n"
