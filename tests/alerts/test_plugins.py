"""The plugin manager: built-in formats come through the same hook as a third party's."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from eventguard.alerts.formats.base import AlertFormat, ParsedBatch
from eventguard.plugins import BUILTIN_PLUGINS, alert_formats, get_plugin_manager, hookimpl
from tests.alerts.fixtures import RECEIVED_AT

PLUGIN_SOURCE = """
from eventguard.alerts.formats.base import AlertIn, ParsedBatch
from eventguard.plugins import hookimpl


class StageMonitorFormat:
    name = "stage-monitor"

    def parse(self, payload, *, received_at):
        return ParsedBatch(alerts=[], raw=payload)


@hookimpl
def eventguard_alert_formats():
    return [StageMonitorFormat()]
"""


@pytest.fixture
def fresh_plugins() -> Iterator[None]:
    """A plugin manager built for this test only."""
    get_plugin_manager.cache_clear()
    yield
    get_plugin_manager.cache_clear()


def test_the_built_in_formats_are_registered_as_plugins(fresh_plugins: None) -> None:
    manager = get_plugin_manager()

    assert all(manager.get_plugin(name) is not None for name in BUILTIN_PLUGINS)
    assert {"alertmanager", "grafana", "pagerduty", "generic"} <= set(alert_formats())
    assert all(name == fmt.name for name, fmt in alert_formats().items())


def test_the_plugin_manager_is_built_once(fresh_plugins: None) -> None:
    assert get_plugin_manager() is get_plugin_manager()


def test_an_installed_plugin_adds_a_format_through_its_entry_point(
    fresh_plugins: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "eg_stage_monitor.py").write_text(PLUGIN_SOURCE, encoding="utf-8")
    dist_info = tmp_path / "eg_stage_monitor-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: eg-stage-monitor\nVersion: 1.0\n")
    (dist_info / "entry_points.txt").write_text(
        textwrap.dedent("""
            [eventguard]
            stage_monitor = eg_stage_monitor
        """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "eg_stage_monitor", raising=False)

    formats = alert_formats()

    assert "stage-monitor" in formats
    assert formats["stage-monitor"].parse({"x": 1}, received_at=RECEIVED_AT).raw == {"x": 1}
    assert "alertmanager" in formats


class _Duplicate:
    name = "alertmanager"

    def parse(self, payload: Any, *, received_at: datetime) -> ParsedBatch:
        return ParsedBatch(alerts=[], raw={})


class _DuplicatePlugin:
    @hookimpl
    def eventguard_alert_formats(self) -> list[AlertFormat]:
        return [_Duplicate()]


def test_two_formats_with_one_name_are_a_setup_error(fresh_plugins: None) -> None:
    get_plugin_manager().register(_DuplicatePlugin())

    with pytest.raises(RuntimeError, match="'alertmanager'"):
        alert_formats()
