"""Many rows into one table in one ``executemany``, with SQLAlchemy's own column types but without
its per-row statement machinery on SQLite.

``session.execute(insert(table), rows)`` runs every row's values through SQLAlchemy's compiled
parameter processing, which was a sixth of journal processing on SQLite — more than SQLite's own
insert. Here the column types' bind processors are looked up once and each distinct timestamp of a
column is converted once (a batch's timestamps are mostly the same ``now``); the result goes to the
driver's ``executemany`` in the session's transaction. Rows must all have the same keys, and every
column with a Python-side default or ``onupdate`` must be given: otherwise (and on PostgreSQL,
where SQLAlchemy batches the insert into multi-row statements itself) it is SQLAlchemy's path."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Dialect, Table, insert
from sqlalchemy.orm import Session

SQLITE_MAX_VARIABLES = 32_766  # SQLite's default limit of bound parameters per statement (3.32+)


def insert_rows(db: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of column name -> value) into ``table`` in the session's transaction."""
    if not rows:
        return
    connection = db.connection()
    dialect = connection.dialect
    keys = tuple(rows[0])
    if dialect.name != "sqlite" or not _plain(table, keys) or any(tuple(row) != keys for row in rows):
        db.execute(insert(table), list(rows))
        return
    db.flush()  # as Session.execute's autoflush would: rows pending in the session go first
    connection.exec_driver_sql(_statement(table, keys), _bound(table, keys, rows, dialect))


def insert_rows_returning_ids(db: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """``insert_rows``, and the new rows' ``id`` in the order of ``rows``. On SQLite the rows go in
    as multi-row ``INSERT``s and the ids are read off ``last_insert_rowid()``: one statement runs
    under SQLite's write lock and gives its rows max(rowid) + 1 each, in order, as the journal's
    appends rely on too (the table must not use AUTOINCREMENT gaps or insert into itself by trigger).
    Elsewhere it is SQLAlchemy's ``INSERT … RETURNING`` in parameter order."""
    if not rows:
        return []
    connection = db.connection()
    dialect = connection.dialect
    keys = tuple(rows[0])
    if dialect.name != "sqlite" or not _plain(table, keys) or any(tuple(row) != keys for row in rows):
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return [int(i) for i in db.execute(statement, list(rows)).scalars()]
    db.flush()
    bound = _bound(table, keys, rows, dialect)
    per = max(1, SQLITE_MAX_VARIABLES // len(keys))
    ids: list[int] = []
    for start in range(0, len(bound), per):
        chunk = bound[start : start + per]
        values = tuple(itertools.chain.from_iterable(chunk))
        connection.exec_driver_sql(multi_row_statement(table.name, keys, len(chunk)), values)
        last = int(connection.exec_driver_sql("SELECT last_insert_rowid()").scalar_one())
        ids.extend(range(last - len(chunk) + 1, last + 1))
    return ids


def _bound(
    table: Table, keys: tuple[str, ...], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> list[tuple[Any, ...]]:
    """Each row's values as the driver takes them, in ``keys`` order."""
    columns = []
    for key, processor in zip(keys, _processors(table, keys, dialect), strict=True):
        values = [row[key] for row in rows]
        if processor is not None:
            values = _converted(processor, values)
        columns.append(values)
    return list(zip(*columns, strict=True))


def _converted(processor: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``processor`` over ``values``, each distinct timestamp converted once (other values are
    converted each time: equal keys such as 1 and 1.0 may convert differently)."""
    memo: dict[datetime, Any] = {}
    out = []
    for value in values:
        if type(value) is datetime:
            found = memo.get(value)
            if found is None:
                found = memo[value] = processor(value)
            out.append(found)
        else:
            out.append(processor(value))
    return out


def _plain(table: Table, keys: tuple[str, ...]) -> bool:
    """True when every key is a column and no column left out has a Python-side default."""
    given = set(keys)
    if not given <= set(table.c.keys()):
        return False
    return all(
        column.key in given for column in table.c if column.default is not None or column.onupdate is not None
    )


def _processors(table: Table, keys: tuple[str, ...], dialect: Dialect) -> list[Callable[[Any], Any] | None]:
    return [bind_processor(table.c[key], dialect) for key in keys]


def bind_processor(column: ColumnElement[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """How ``column``'s values are bound on ``dialect``: its type's conversion (a TypeDecorator's
    ``process_bind_param`` included), then the dialect's own; None when values go as they are."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


@functools.cache
def _statement_text(name: str, keys: tuple[str, ...]) -> str:
    columns = ", ".join(f'"{key}"' for key in keys)
    return f'INSERT INTO "{name}" ({columns}) VALUES ({", ".join("?" for _ in keys)})'


def _statement(table: Table, keys: tuple[str, ...]) -> str:
    return _statement_text(table.name, keys)


@functools.lru_cache(maxsize=256)
def multi_row_statement(name: str, keys: tuple[str, ...], count: int) -> str:
    """``INSERT INTO name (keys) VALUES (?, …), …`` for ``count`` rows, in SQLite's paramstyle."""
    columns = ", ".join(f'"{key}"' for key in keys)
    row = "(" + ", ".join("?" for _ in keys) + ")"
    return f'INSERT INTO "{name}" ({columns}) VALUES ' + ", ".join([row] * count)
