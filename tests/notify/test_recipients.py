"""Who gets told: notify targets resolved through on-call to people and their contact methods."""

from __future__ import annotations

from eventguard.notify.recipients import resolve
from eventguard.plans import service as plans
from eventguard.plans.schemas import PlanSpec
from tests.conftest import EXAMPLE_PLAN


def _spec() -> PlanSpec:
    result = plans.validate_source(source=EXAMPLE_PLAN.read_text(encoding="utf-8"), filename="x")
    assert result.spec is not None
    return result.spec


def test_a_team_lead_target_reaches_whoever_is_on_call_with_methods_fastest_first() -> None:
    spec = _spec()
    level = spec.level(1)
    assert level is not None
    recipients = resolve(spec, level.notify, on_call=lambda team: ["chen-jie"] if team == "tech" else [])
    by_target = {r.target: r for r in recipients}
    tech = by_target["team:tech:lead#chen-jie"]
    kinds = [m.kind for m in tech.methods]
    # group robot with a mention, e-mail, then the paging gateways: webhook, SMS, voice call
    assert kinds == ["wecom", "email", "webhook", "aliyun_sms", "twilio_voice"]
    assert tech.methods[0].options["mentions"] == ["ChenJie"]
    assert {m.options["phone"] for m in tech.methods[2:]} == {"+86 138-0000-0003"}
    assert "team:ops:lead#wang-qiang" in by_target  # no schedule: the lead


def test_a_group_channel_already_posted_with_a_mention_is_not_posted_twice() -> None:
    spec = _spec()
    level = spec.level(3)
    assert level is not None
    recipients = resolve(spec, level.notify, on_call=lambda team: [])
    targets = [r.target for r in recipients]
    # tech-wecom is listed in the level, but the tech lead's first method already posts there with a
    # mention; customer service's lead is mentioned in the ops DingTalk group the same way.
    assert targets == ["team:tech:lead#zhang-wei", "team:customer-service:lead#liu-yang"]
    assert [r.methods[0].channel_id for r in recipients] == ["tech-wecom", "ops-dingtalk"]


def test_channel_targets_keep_secrets_as_environment_variable_names() -> None:
    spec = _spec()
    recipients = resolve(spec, [spec.levels[0].notify[-2]], on_call=lambda team: [])
    [method] = recipients[0].methods
    assert method.secret_env == "EG_WECOM_TECH_KEY" and "key=" not in method.address
