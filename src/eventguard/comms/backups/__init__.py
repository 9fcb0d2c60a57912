"""Backup plans switched on from an incident: the plan's links (plans) and switching them (service)."""
