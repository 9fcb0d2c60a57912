"""The example plan against the seed's level table (线上活动应急预案, 03 响应级别划分标准): every example
the seed gives for a level is one of the plan's examples of that level, and an alert of that kind
during the live phase classifies at that level (issue 12: "server crash" was never classified)."""

from __future__ import annotations

import pytest

from eventguard.alerts.classify import classify
from eventguard.plans.schemas import PlanSpec
from eventguard.plans.validate import validate_source
from tests.conftest import EXAMPLE_PLAN

# The seed, verbatim: 一级 "例如服务器崩溃、大规模数据泄露或恶意攻击事件", 二级 "如直播卡顿、支付系统故障
# 或区域性网络延迟问题", 三级 "例如个别用户登录失败、页面加载延迟或内容显示错误".
SEED_EXAMPLES = {
    1: ["服务器崩溃", "大规模数据泄露", "恶意攻击事件"],
    2: ["直播卡顿", "支付系统故障", "区域性网络延迟"],
    3: ["个别用户登录失败", "页面加载延迟", "内容显示错误"],
}
# What monitoring reports for each example: (labels, source) -> (level, scenario).
ALERTS = [
    (
        "服务器崩溃",
        {"alertname": "ServerCrash", "instance": "web-3"},
        "alertmanager",
        1,
        "livestream-interruption",
    ),
    ("服务器崩溃", {"alertname": "InstanceDown", "job": "api"}, "alertmanager", 1, "livestream-interruption"),
    ("大规模数据泄露", {"alertname": "DataExfiltrationDetected"}, "alertmanager", 1, "data-leak"),
    ("恶意攻击事件", {"alertname": "DDoSDetected"}, "alertmanager", 1, "malicious-attack"),
    ("直播卡顿", {"alertname": "StreamBufferingHigh"}, "alertmanager", 2, "livestream-interruption"),
    ("支付系统故障", {"alertname": "PaymentGatewayDown"}, "alertmanager", 2, "payment-failure"),
    (
        "区域性网络延迟",
        {"alertname": "RegionalLatencyHigh", "region": "south"},
        "grafana",
        2,
        "livestream-interruption",
    ),
    ("个别用户登录失败", {"alertname": "LoginFailed"}, "generic", 3, "login-failure"),
    ("页面加载延迟", {"alertname": "PageLoadSlow"}, "alertmanager", 3, "page-degradation"),
    ("内容显示错误", {"alertname": "ContentDisplayError"}, "generic", 3, "page-degradation"),
]


@pytest.fixture(scope="module")
def spec() -> PlanSpec:
    result = validate_source(source=EXAMPLE_PLAN.read_text(encoding="utf-8"), filename=str(EXAMPLE_PLAN))
    assert result.spec is not None and not result.errors and not result.warnings
    return result.spec


@pytest.mark.parametrize("number", [1, 2, 3])
def test_the_plan_names_every_example_the_seed_gives_for_the_level(spec: PlanSpec, number: int) -> None:
    level = spec.level(number)
    assert level is not None
    assert [example.zh_cn for example in level.examples] == SEED_EXAMPLES[number]


def test_every_seed_example_has_an_alert_in_the_table() -> None:
    covered = {example for example, *_ in ALERTS}
    assert covered == {example for examples in SEED_EXAMPLES.values() for example in examples}
    for example, _labels, _source, level, _scenario in ALERTS:
        assert example in SEED_EXAMPLES[level]  # the table says what the seed says


@pytest.mark.parametrize(("example", "labels", "source", "level", "scenario"), ALERTS)
def test_a_live_alert_of_each_seed_example_classifies_at_the_seed_level(
    spec: PlanSpec, example: str, labels: dict[str, str], source: str, level: int, scenario: str
) -> None:
    found = classify(spec, labels=labels, annotations={}, source=source, phase="live")
    assert (found.level, found.scenario_id) == (level, scenario), example


def test_a_server_crash_stops_everything_live_and_is_a_rehearsal_before(spec: PlanSpec) -> None:
    live = classify(
        spec, labels={"alertname": "ServerCrash"}, annotations={}, source="alertmanager", phase="live"
    )
    assert set(live.core_functions) == {f.id for f in spec.core_functions}
    prep = classify(
        spec, labels={"alertname": "ServerCrash"}, annotations={}, source="alertmanager", phase="prep"
    )
    assert prep.level == 3


def test_level_one_pauses_the_event_with_the_plans_pause_template(spec: PlanSpec) -> None:
    level = spec.level(1)
    assert level is not None and level.pause_activity  # seed: 需立即停止活动
    assert [tpl.id for tpl in spec.templates if tpl.purpose == "pause"] == ["activity-paused"]
