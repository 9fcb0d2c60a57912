"""A channel's vendor facts live on its class; targets, coalescing and recipients read them from the
registry, so a plugin's channel is treated like a built-in one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from eventguard.notify.channels import channel_facts, facts_for
from eventguard.notify.channels.base import BEARER, ChannelFacts, KeyJoin, facts_of
from eventguard.notify.recipients import contact_methods
from eventguard.plugins import get_plugin_manager, hookimpl
from tests.plans.helpers import check, edit, line_of, only


def test_every_built_in_channel_declares_its_facts() -> None:
    facts = channel_facts()

    assert {kind: f.rate_limit for kind, f in facts.items() if f.rate_limit}.items() >= {
        "wecom": 20,
        "dingtalk": 20,
        "feishu": 100,
        "slack": 60,
    }.items()
    assert facts["wecom"].key_join == KeyJoin(query="key")
    assert facts["dingtalk"].key_join == KeyJoin(query="access_token")
    assert facts["feishu"].key_join == facts["slack"].key_join == KeyJoin(path=True)
    assert facts["email"].key_join == facts["webhook"].key_join == BEARER
    assert {kind: f.im_handle for kind, f in facts.items() if f.im_handle}.items() >= {
        "wecom": "wecom",
        "dingtalk": "dingtalk",
        "feishu": "feishu",
        "slack": "slack",
    }.items()
    assert sorted(kind for kind, f in facts.items() if f.pages_by_phone) == [
        "aliyun_sms",
        "tencent_sms",
        "twilio_sms",
        "twilio_voice",
        "webhook",
    ]
    assert {kind: (f.medium, f.per_recipient_limit) for kind, f in facts.items() if f.medium} == {
        "aliyun_sms": ("sms", 10),
        "tencent_sms": ("sms", 10),
        "twilio_sms": ("sms", 10),
        "twilio_voice": ("voice", 4),
    }
    assert facts["teams"].key_join == KeyJoin(query="sig") and facts["teams"].im_handle == "teams"
    assert facts["slack"].secret_markers == ("hooks.slack.com/services/",)
    assert facts["feishu"].secret_markers == ("/open-apis/bot/v2/hook/",)
    assert facts["wecom"].config_schema.model_validate({"format": "text"}).model_dump() == {"format": "text"}


def test_a_key_joins_its_address_as_the_channel_says() -> None:
    options: dict[str, Any] = {}
    assert KeyJoin(query="key").join("https://x/send", "k1", options) == "https://x/send?key=k1"
    assert (
        KeyJoin(query="access_token").join("https://x/s?a=1", "t", options)
        == "https://x/s?a=1&access_token=t"
    )
    assert KeyJoin(path=True).join("https://x/hook/", "id", options) == "https://x/hook/id"
    assert options == {}
    assert BEARER.join("https://gw/page", "tok", options) == "https://gw/page"
    assert options == {"bearer_token": "tok"}
    assert KeyJoin(query="key").join("https://x", None, options) == "https://x"


class _Bare:
    kind: ClassVar[str] = "bare"


def test_a_channel_that_declares_nothing_gets_the_defaults() -> None:
    assert facts_of(_Bare) == ChannelFacts(kind="bare")
    assert facts_for("not-installed") == ChannelFacts(kind="not-installed")


class _ZulipChannel:
    kind: ClassVar[str] = "zulip"
    im_handle: ClassVar[str] = "zulip"

    def __init__(self, context: Any) -> None: ...


class _ZulipPlugin:
    @hookimpl
    def eventguard_channels(self) -> list[type[Any]]:
        return [_ZulipChannel]


@pytest.fixture
def zulip_installed() -> Iterator[None]:
    get_plugin_manager.cache_clear()
    get_plugin_manager().register(_ZulipPlugin())
    yield
    get_plugin_manager.cache_clear()


def test_a_plugin_channels_im_handle_is_a_plan_key_and_mentions_the_person(
    zulip_installed: None, example_source: str
) -> None:
    source = edit(example_source, "im: {wecom: ZhangWei,", 'im: {zulip: "@zhang", wecom: ZhangWei,')
    source = edit(
        source,
        "channels:\n  - id: tech-wecom\n",
        "channels:\n  - id: tech-zulip\n    type: zulip\n    target: https://zulip.example.com/api/v1/messages\n"
        "  - id: tech-wecom\n",
    )
    source = edit(source, "channels: [tech-wecom", "channels: [tech-zulip, tech-wecom")
    result = check(source)
    assert [issue.format("en") for issue in result.errors] == []
    assert result.spec is not None
    person = next(p for p in result.spec.people if p.im.model_extra)
    zulip = [m for m in contact_methods(result.spec, person) if m.kind == "zulip"]
    assert [m.options["mentions"] for m in zulip] == [["@zhang"]]


def test_without_the_plugin_its_im_handle_is_an_error(example_source: str) -> None:
    source = edit(example_source, "im: {wecom: ZhangWei,", 'im: {zulip: "@zhang", wecom: ZhangWei,')
    issue = only(check(source), "unknown_im_handle")
    assert issue.line == line_of(source, "zulip:")
