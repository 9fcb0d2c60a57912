"""A realistic notification to send in channel tests."""

from __future__ import annotations

from typing import Any

from eventguard.notify.channels.base import Notification


def sample_notification(**changes: Any) -> Notification:
    """An L1 incident notification in Chinese; ``changes`` override any field."""
    fields: dict[str, Any] = {
        "idempotency_key": "n-4711-ops-lead-1",
        "topic": "incident.opened",
        "title": "直播中断",
        "text": "主播放列表 45 秒未更新,已切换备用流。",
        "markdown": "**主播放列表** 45 秒未更新\n备用流: [backup](https://backup.example.com/live)",
        "language": "zh-CN",
        "level": 1,
        "is_drill": False,
        "incident_url": "https://eventguard.example.com/i/4711",
        "ack_url": "https://eventguard.example.com/i/4711/ack?t=abc&p=ops-lead",
        "mentions": [],
        "data": {"incident_id": 4711, "event": "spring-gala-2026", "level": 1},
    }
    fields.update(changes)
    return Notification(**fields)
