"""Alembic environment: runs online against the URL put into the config by eventguard.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from eventguard.db.engine import make_engine
from eventguard.db.registry import metadata

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = make_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `eventguard db upgrade`")
run_migrations_online()
