"""Background work: timers that act on the database (auto-resolve now; outbox delivery, escalation
and probes as they land). Any number of workers may run against one PostgreSQL database."""
