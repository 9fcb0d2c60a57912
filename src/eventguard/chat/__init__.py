"""War rooms in the team's chat (Slack, Feishu/Lark, DingTalk, WeCom) and the commands and buttons
that act on an incident from there. App credentials, not the robot webhooks of ``notify``."""
