"""Participant feedback surveys (参与者反馈调研): answers imported from CSV or given on a public form,
tagged by the plan's keyword rules, complaints ranked by frequency and trend across events."""
