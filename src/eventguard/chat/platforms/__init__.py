"""One module per chat platform: its API calls (token, create a room, invite, post, look a user up)
and how it signs its callbacks. ``PLATFORMS`` is the registry."""

from __future__ import annotations

from eventguard.chat.platforms.base import ChatError, Credentials, Platform, RoomCard
from eventguard.chat.platforms.dingtalk import DingTalk
from eventguard.chat.platforms.feishu import Feishu
from eventguard.chat.platforms.slack import Slack
from eventguard.chat.platforms.wecom import WeCom

PLATFORMS: dict[str, Platform] = {
    "slack": Slack(),
    "feishu": Feishu(),
    "dingtalk": DingTalk(),
    "wecom": WeCom(),
}

__all__ = ["PLATFORMS", "ChatError", "Credentials", "Platform", "RoomCard"]


def platform(name: str) -> Platform:
    return PLATFORMS[name]
