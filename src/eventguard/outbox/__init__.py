"""The durable outbox: every side effect that leaves the process is a row written in the same
transaction as the change that caused it; workers deliver the rows afterwards."""
