"""Property tests (Hypothesis): the plan parser and the four alert parsers take any input without an
unexpected exception — a plan always ends in a list of line-numbered issues or a plan, an alert body
in a parsed batch or ``PayloadInvalid`` — and what they accept keeps its identity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventguard.alerts.formats.base import ParsedBatch, PayloadInvalid
from eventguard.plans.validate import validate_source
from eventguard.plugins import alert_formats
from tests.conftest import EXAMPLE_PLAN

RECEIVED = datetime(2026, 6, 16, 4, 0, tzinfo=UTC)
FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=25,
)
FIELDS = [
    "version",
    "alerts",
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "fingerprint",
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "summary",
    "severity",
    "source",
    "title",
    "groupKey",
    "orgId",
    "truncatedAlerts",
    "generatorURL",
    "url",
    "starts_at",
]
# Bodies shaped like the real ones (known keys), with any values: the parsers' checks get exercised.
shaped = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(FIELDS), inner, max_size=6),
    max_leaves=30,
)


def _parse_any(name: str, payload: Any) -> None:
    try:
        batch = alert_formats()[name].parse(payload, received_at=RECEIVED)
    except PayloadInvalid as exc:
        assert exc.problems, "an invalid payload names its problems"
        return
    assert isinstance(batch, ParsedBatch)
    for alert in batch.alerts:
        assert alert.fingerprint and alert.status in ("firing", "resolved")


@FAST
@given(
    payload=json_values | shaped, name=st.sampled_from(["alertmanager", "grafana", "pagerduty", "generic"])
)
def test_every_alert_parser_takes_any_json(payload: Any, name: str) -> None:
    _parse_any(name, payload)


@FAST
@given(
    labels=st.dictionaries(
        st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True), st.text(min_size=1, max_size=20), max_size=5
    ),
    name=st.text(min_size=1, max_size=30).filter(lambda s: s.strip() != ""),
)
def test_an_alertmanager_alert_keeps_its_identity_whatever_its_labels(
    labels: dict[str, str], name: str
) -> None:
    alert = {
        "status": "firing",
        "labels": {**labels, "alertname": name},
        "annotations": {},
        "startsAt": "2026-06-16T04:00:31Z",
        "endsAt": "0001-01-01T00:00:00Z",
    }
    body = {"version": "4", "status": "firing", "alerts": [alert, dict(reversed(list(alert.items())))]}
    try:
        batch = alert_formats()["alertmanager"].parse(body, received_at=RECEIVED)
    except PayloadInvalid:
        return  # e.g. a label value made only of control characters: refused with its reason
    first, second = batch.alerts
    assert first.fingerprint == second.fingerprint  # computed from the label set, not its order


@FAST
@given(text=st.text(max_size=300))
def test_the_plan_validator_takes_any_text(text: str) -> None:
    result = validate_source(source=text, filename="fuzz.yaml")
    assert result.errors or result.spec is not None
    for issue in result.errors:
        assert issue.line >= 1


_EXAMPLE = yaml.safe_load(EXAMPLE_PLAN.read_text(encoding="utf-8"))


@FAST
@given(section=st.sampled_from(sorted(_EXAMPLE)), value=json_values)
def test_a_plan_with_any_section_replaced_is_validated_with_line_numbers(section: str, value: Any) -> None:
    source = yaml.safe_dump({**_EXAMPLE, section: value}, allow_unicode=True)
    result = validate_source(source=source, filename="fuzz.yaml")
    assert result.errors or result.spec is not None
    assert all(issue.line >= 1 for issue in result.errors)
