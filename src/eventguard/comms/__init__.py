"""Telling participants: the public status page (``statuspage``), public updates (``updates``),
subscribers (``subscribers``), backup plans (``backups``) and announcement webhooks (``hooks``).
Models, schemas, the command line and the outbox reactions are shared by them, here."""
