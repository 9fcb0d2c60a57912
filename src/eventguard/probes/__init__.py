"""Monitoring probes (实时监控机制): the plan's ``monitoring`` section checked by the worker, each
result kept (bounded per probe), a failing probe turned into an alert through the intake journal and
its recovery into the resolve (docs/probes.md)."""
