"""Background work: passes that act on the database (auto-resolve, outbox reactions, notification
delivery, escalations, SLA breaches) and keep the static status pages current when configured.
Any number of workers may run against one PostgreSQL database."""
