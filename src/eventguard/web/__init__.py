"""The web console: server-rendered Jinja2 pages, bilingual, working without JavaScript."""
