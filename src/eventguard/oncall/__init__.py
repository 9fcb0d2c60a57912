"""On-call: who of a team is on call when (schedules in the plan, overrides in the database), iCal feeds."""
