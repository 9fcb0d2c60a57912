"""A report's draft as text the legal team pastes into the authority's form or mail."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from eventguard.compliance.models import ReportDeadline
from eventguard.i18n import t


def markdown(deadline: ReportDeadline, lang: str) -> str:
    rule = deadline.rule
    due = deadline.due_at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# {rule.get('name', {}).get(lang, deadline.rule_id)}",
        "",
        f"- {t('Report to', lang)}: {rule.get('authority', {}).get(lang, '')}",
        f"- {t('Due', lang)}: {due}",
        f"- {t('Source', lang)}: {rule.get('source', '')}",
        "",
    ]
    for number, field in enumerate(deadline.draft, start=1):
        label = field.get("label", {}).get(lang, "")
        value = str(field.get("value", "")).strip() or t("(to complete)", lang)
        lines += [f"## {number}. {label}", "", value, ""]
    return "\n".join(lines)
