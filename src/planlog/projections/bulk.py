"""Bulk writes and reads: inserts straight to the DB-API cursor, lookups in chunks.

A rebuild writes a row or more per event; SQLAlchemy's per-row parameter
processing cost more than the database itself did (bench/rebuild_rate.py), so
read models insert plain tuples with one executemany per table and batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.engine import Connection

T = TypeVar("T")

#: keys per `IN (…)` lookup: well below every database's limit on bound parameters
CHUNK = 500


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[list[T]]:
    """`values` in consecutive lists of at most `size`."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


@cache
def _insert_sql(table: Table, paramstyle: str) -> str:
    marker = "?" if paramstyle == "qmark" else "%s"
    columns = ", ".join(c.name for c in table.columns)
    return (
        f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join([marker] * len(table.columns))})"
    )


def insert_rows(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert tuples given in the table's column order."""
    if rows:
        conn.exec_driver_sql(_insert_sql(table, conn.dialect.paramstyle), list(rows))
