"""Incidents: leveled, classified, with a lifecycle, roles, a timeline, runbook tasks and evidence."""
