"""docs/integrations.md cannot drift from the formats it documents."""

from __future__ import annotations

import re
from pathlib import Path

from eventguard.alerts.formats.generic import GENERIC_FIELDS
from eventguard.alerts.formats.pagerduty import DETAIL_PREFIX, LABEL_FIELDS
from eventguard.plugins import alert_formats

ROUTES = {
    "alertmanager": "POST /api/v1/integrations/alertmanager",
    "grafana": "POST /api/v1/integrations/grafana",
    "pagerduty": "POST /api/v1/integrations/pagerduty/v2/enqueue",
    "generic": "POST /api/v1/integrations/generic",
}
DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def test_every_built_in_format_has_its_name_and_route_documented() -> None:
    text = DOC.read_text(encoding="utf-8")

    assert set(ROUTES) <= set(alert_formats())
    for name, route in ROUTES.items():
        assert f"`{name}`" in text
        assert route in text


def test_every_generic_field_is_in_the_field_table() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \|", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)

    assert set(GENERIC_FIELDS) <= set(rows)


def test_the_pagerduty_labels_are_documented() -> None:
    text = DOC.read_text(encoding="utf-8")

    for label in (*LABEL_FIELDS, DETAIL_PREFIX):
        assert f"`{label}" in text
