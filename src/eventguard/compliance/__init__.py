"""Compliance deadlines of security incidents: an incident marked reportable with a grade starts
the reporting deadlines of the plan's rules (or the shipped defaults, docs/compliance.md), reminds
the legal team before they pass and keeps the report drafts until the legal team records them sent."""
