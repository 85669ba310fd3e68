"""Bulk writes and reads: inserts straight to the DB-API cursor, lookups in chunks.

A rebuild writes a row or more per event; SQLAlchemy's per-row parameter
processing cost more than the database itself did (bench/rebuild_rate.py), so
read models insert plain tuples with one executemany (PostgreSQL: one COPY) per table
and batch.
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


#: rows from which PostgreSQL is sent a COPY rather than one INSERT per row
COPY_FROM = 64


def insert_rows(conn: Connection, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert tuples given in the table's column order.

    On PostgreSQL a batch goes in as one COPY: psycopg's executemany still sends one
    INSERT per row, and a federation's rebuild spent most of its time there."""
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(_copy_sql(table)) as copy:
            for row in rows:
                copy.write_row(row)
        return
    conn.exec_driver_sql(_insert_sql(table, conn.dialect.paramstyle), list(rows))


@cache
def _copy_sql(table: Table) -> str:
    columns = ", ".join(f'"{c.name}"' for c in table.columns)
    return f'COPY "{table.name}" ({columns}) FROM STDIN'
