"""Channels: one small module per vendor (WeCom, DingTalk, Feishu, Slack, email, webhook), each
registered through the ``eventguard_channels`` plugin hook exactly as a third party's would be."""
