"""Events: the online event a plan is for (slug, name, timezone, phases, active plan version)."""
