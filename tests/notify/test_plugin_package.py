"""A third-party plugin end to end: the package in tests/plugin_package (an alert format and a
channel in one module) is installed with pip, found through the ``eventguard`` entry-point group, and
drives POST /api/v1/integrations/stage-monitor -> journal -> incident -> a delivery over its own
channel, which a plan names, to an HTTP receiver on 127.0.0.1.

pip installs it into a temporary ``--target`` directory put on ``sys.path`` (importlib.metadata finds
its entry points there), offline (``--no-index``, hatchling from the venv): the shared venv is never
changed, and removing the directory uninstalls it."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventguard.alerts import integrations
from eventguard.audit.service import Actor
from eventguard.clock import FrozenClock
from eventguard.db import Database
from eventguard.events import service as events
from eventguard.notify.channels import channel_facts
from eventguard.notify.channels.base import ChannelFacts
from eventguard.notify.models import Delivery, DeliveryStatus
from eventguard.plans import service as plans
from eventguard.plugins import alert_formats, get_plugin_manager
from eventguard.worker.context import WorkerContext
from eventguard.worker.loop import run_once
from tests.conftest import EXAMPLE_PLAN, ProcessJournal
from tests.notify.conftest import SECRETS, VENDOR_URLS, vendor_ok
from tests.notify.receivers import HttpReceiver
from tests.plans.helpers import check, edit, line_of

PACKAGE = Path(__file__).resolve().parents[1] / "plugin_package"
MODULE = "eventguard_stage_plugin"
PAGER_TOKEN = "pager-token-1234"

PAGER_CHANNEL = """\
  - id: stage-pager
    type: pager
    name: {zh-CN: 舞台寻呼网关, en: Stage pager gateway}
    owner: zhang-wei
    target: PAGER_URL
    secret_env: EG_STAGE_PAGER_TOKEN
    config: {priority: high}
"""
STAGE_RULE = """\
      - match: {stage: hall-a}
        sources: [stage-monitor]
        level: 3
"""


@pytest.fixture(scope="module", autouse=True)
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The plugin package installed (built by pip with hatchling), visible to this process only."""
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(PACKAGE),
        ],
        check=True,
        cwd=build,
        env={"PATH": "/usr/bin:/bin", "PIP_NO_CACHE_DIR": "1", "TMPDIR": str(build)},
        timeout=120,
    )
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    get_plugin_manager.cache_clear()
    yield target
    sys.path.remove(str(target))
    sys.modules.pop(MODULE, None)
    importlib.invalidate_caches()
    get_plugin_manager.cache_clear()  # the next plugin manager no longer finds it


def _plan(source: str, base_url: str) -> str:
    """The example plan with every vendor at ``base_url``, a pager channel notified at level 3 and a
    rule for the stage monitor's alerts."""
    for vendor, path in VENDOR_URLS.items():
        source = source.replace(vendor, base_url.rstrip("/") + path)
    pager = PAGER_CHANNEL.replace("PAGER_URL", base_url.rstrip("/") + "/pager/v1/page")
    source = edit(source, "\nteams:\n", pager + "\nteams:\n")
    source = edit(source, "    classification:\n", "    classification:\n" + STAGE_RULE)
    level_three = "      - {team: customer-service, role: lead}\n      - {channel: tech-wecom}\n"
    return edit(source, level_three, level_three + "      - {channel: stage-pager}\n")


def test_the_installed_plugin_adds_its_format_and_its_channel_with_their_facts() -> None:
    assert "stage-monitor" in alert_formats()
    pager = channel_facts()["pager"]
    assert (pager.rate_limit, pager.key_join.query, pager.key_join.path) == (30, None, False)
    assert pager.config_schema.__name__ == "PagerConfig"
    assert get_plugin_manager().get_plugin("stage") is not None  # registered under its entry point's name


def test_a_plan_naming_the_plugin_channel_and_source_is_valid_and_their_typos_are_caught(
    example_source: str,
) -> None:
    source = _plan(example_source, "http://127.0.0.1:9")
    result = check(source)
    assert [issue.format("en") for issue in [*result.errors, *result.warnings]] == []

    typo = edit(source, "    type: pager\n", "    type: pagr\n")
    [issue] = [issue for issue in check(typo).errors if issue.code == "unknown_channel_type"]
    assert issue.line == line_of(typo, "type: pagr")
    assert 'did you mean "pager"?' in issue.format("en")
    bad_config = edit(source, "config: {priority: high}", "config: {priority: urgent}")
    [issue] = check(bad_config).errors
    assert issue.code == "channel_config_invalid" and issue.line == line_of(bad_config, "priority: urgent")
    source_typo = edit(source, "sources: [stage-monitor]", "sources: [stage-monitr]")
    [issue] = check(source_typo).errors
    assert issue.code == "unknown_alert_source" and 'did you mean "stage-monitor"?' in issue.format("en")


def test_an_alert_posted_in_the_plugin_format_is_delivered_over_the_plugin_channel(
    db: Session,
    database: Database,
    clock: FrozenClock,
    client: TestClient,
    process_journal: ProcessJournal,
    worker_context: WorkerContext,
    http_receiver: HttpReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {**SECRETS, "EG_STAGE_PAGER_TOKEN": PAGER_TOKEN}.items():
        monkeypatch.setenv(name, value)
    http_receiver.answer_with(vendor_ok)
    source = _plan(EXAMPLE_PLAN.read_text(encoding="utf-8"), http_receiver.url)
    version = plans.apply_plan(
        db=db, source=source, filename="stage.yaml", actor=Actor.cli("test"), clock=clock
    )
    db.commit()
    event = events.get(db=db, event_id=version.event_id)
    _integration, token = integrations.create(
        db=db, event=event, name="stage monitor", kind="stage-monitor", actor=Actor.cli("test"), clock=clock
    )
    db.commit()

    response = client.post(
        "/api/v1/integrations/stage-monitor",
        json={"check": "main-stage-audio", "state": "down", "stage": "hall-a", "detail": "no signal"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202, response.text
    assert response.json()["ok"] is True and response.json()["checks"] == 1  # the format's own answer
    assert len(process_journal().incident_ids) == 1
    for _ in range(3):
        if any(r.path.startswith("/pager") for r in http_receiver.requests):
            break
        run_once(database=database, context=worker_context)

    [paged] = [r for r in http_receiver.requests if r.path.startswith("/pager")]
    assert paged.path == "/pager/v1/page"
    assert paged.headers["authorization"] == f"Bearer {PAGER_TOKEN}"  # the key joined as the channel says
    body = paged.json()
    assert body["priority"] == "high"  # from the plan channel's config
    assert "main-stage-audio is down on hall-a" in body["title"] + body["text"]
    db.commit()
    [delivery] = db.scalars(select(Delivery).where(Delivery.channel_kind == "pager")).all()
    assert delivery.status is DeliveryStatus.delivered and delivery.channel_id == "stage-pager"


def test_docs_plugins_documents_every_channel_fact_and_is_linked_from_the_readme() -> None:
    root = Path(__file__).resolve().parents[2]
    doc = (root / "docs" / "plugins.md").read_text(encoding="utf-8")
    for name in ChannelFacts.__dataclass_fields__:
        if name != "kind":
            assert f"| `{name}` |" in doc, name
    assert "(docs/plugins.md)" in (root / "README.md").read_text(encoding="utf-8")
    assert "[project.entry-points.eventguard]" in (PACKAGE / "pyproject.toml").read_text(encoding="utf-8")
