"""A small plan for the stress tests: one event, one on-call person reached through webhook paging
gateways pointed at the test's local receivers, every alert name its own incident (level 3, no
escalation, no auto-resolve), so the expected incidents and notifications can be counted exactly."""

from __future__ import annotations

SLUG = "stress-2026"


def stress_plan(*, pager: str, backup_pager: str | None = None, feed: str | None = None) -> str:
    """The plan. ``pager`` (and ``backup_pager``, the failover gateway) page the on-call person with
    their phone number; ``feed`` is a webhook channel told of every opened and resolved incident."""
    channels = [("pager", pager)] + ([("backup-pager", backup_pager)] if backup_pager else [])
    if feed:
        channels.append(("feed", feed))
    channel_yaml = "".join(
        f"""  - id: {cid}
    type: webhook
    name: {{zh-CN: {cid} 网关, en: {cid} gateway}}
    owner: ann
    target: {url}
"""
        for cid, url in channels
    )
    team_channels = ", ".join(cid for cid, _ in channels if cid != "feed")
    feed_target = "\n      - {channel: feed}" if feed else ""
    levels = "".join(
        f"""  - level: {number}
    name: {{zh-CN: {number} 级响应, en: Level {number}}}
    description: {{zh-CN: 压力测试, en: Stress test}}
    notify_within: 5m
    notify:
      - {{team: ops, role: lead}}{feed_target}
    public_announcement: none
    pause_activity: false
    auto_resolve: false
"""
        for number in (1, 2, 3)
    )
    return f"""format_version: 1
event:
  slug: {SLUG}
  name: {{zh-CN: 压力测试活动, en: Stress test event}}
  timezone: UTC
  owner: ann
  default_level: 3
  group_by: [alertname]
  phases:
    - name: live
      start: 2026-01-01T00:00:00Z
      end: 2027-12-31T00:00:00Z
people:
  - id: ann
    name: Ann On-call
    phone: "+86 138-0000-0100"
    language: en
channels:
{channel_yaml}teams:
  - id: ops
    kind: ops
    name: {{zh-CN: 运维, en: Operations}}
    lead: ann
    members: [ann]
    channels: [{team_channels}]
levels:
{levels}"""
