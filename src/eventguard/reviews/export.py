"""A postmortem as Markdown: its sections, facts, action items and the frozen timeline."""

from __future__ import annotations

from sqlalchemy.orm import Session

from eventguard.i18n import t
from eventguard.reviews import service
from eventguard.reviews.models import Postmortem


def section_title(name: str, language: str) -> str:
    titles = {
        "summary": t("Summary", language),
        "impact": t("Impact", language),
        "root_causes": t("Root causes", language),
        "contributing_factors": t("Contributing factors", language),
        "trigger": t("Trigger", language),
        "detection": t("Detection", language),
        "response": t("Response", language),
        "resolution": t("Resolution", language),
        "went_well": t("What went well", language),
        "went_badly": t("What went badly", language),
        "lucky": t("Where we were lucky", language),
        "lessons": t("Lessons", language),
    }
    return titles.get(name, name)


def status_name(status: str, language: str) -> str:
    names = {
        "draft": t("draft", language),
        "in_review": t("in review", language),
        "approved": t("approved", language),
        "open": t("open", language),
        "in_progress": t("in progress", language),
        "done": t("done", language),
        "wont_do": t("won't do", language),
    }
    return names.get(status, status)


def markdown(*, db: Session, postmortem: Postmortem, language: str) -> str:
    """The document as it stands, in ``language`` (the texts themselves as written)."""
    facts = postmortem.document.get("facts", {})
    sections = postmortem.document.get("sections", {})
    out = [
        f"# {t('Postmortem', language)}: {postmortem.title}",
        "",
        f"- {t('Incident', language)}: #{postmortem.incident_id}"
        + (" [DRILL]" if postmortem.is_drill else ""),
        f"- {t('Status', language)}: {status_name(postmortem.status.value, language)} v{postmortem.version}",
        f"- {t('Due', language)}: {postmortem.due_at.isoformat()}",
        f"- {t('Duration', language)}: {facts.get('duration_minutes', '—')} min",
        f"- {t('Participants affected', language)}: {facts.get('participants_affected') or '—'}",
        "",
    ]
    for name, text in sections.items():
        out += [f"## {section_title(name, language)}", "", text or "—", ""]
    out += [f"## {t('Action items', language)}", ""]
    items = service.list_items(db=db, postmortem_id=postmortem.id)
    for item in items:
        mark = "x" if item.status.value == "done" else " "
        plan = f" → v{item.plan_version_number}" if item.plan_version_number else ""
        out.append(
            f"- [{mark}] {item.title} ({item.owner_team}, {item.due_at.date().isoformat()}, "
            f"{status_name(item.status.value, language)}){plan}"
        )
    if not items:
        out.append("—")
    out += ["", f"## {t('Timeline', language)}", ""]
    for entry in postmortem.timeline:
        text = f": {entry['text']}" if entry.get("text") else ""
        out.append(f"- {entry['at']} {entry['kind']}{text} ({entry['actor']})")
    return "\n".join(out) + "\n"
