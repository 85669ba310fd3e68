"""Bulk inserts straight to the DB-API cursor.

A rebuild writes a row or more per event; SQLAlchemy's per-row parameter
processing cost more than the database itself did (bench/rebuild_rate.py), so
read models insert plain tuples with one executemany per table and batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection


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
