"""The readiness gate before the live phase: a checklist generated from the plan, legal sign-offs and
the recorded go/no-go decision."""
