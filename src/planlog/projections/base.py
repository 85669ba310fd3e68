"""What a projection is, where read models live, and how their positions are tracked."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, create_engine, event
from sqlalchemy.engine import Connection

from planlog.store import StoreSettings

metadata = MetaData()

tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
)


class Projection(ABC):
    """A read model kept from the event log.

    `apply` writes the rows for a batch of changes. The runner calls it inside the
    transaction that also moves this projection's tracking position, so a batch
    is either wholly applied and tracked, or not at all.
    """

    name: str
    tables: tuple[Table, ...]
    #: event types this projection reads (None: every event); others are skipped
    types: frozenset[str] | None
    #: set by the runner during a rebuild: the events are history being replayed
    replaying: bool = False

    @abstractmethod
    def apply(self, conn: Connection, changes: list[Any]) -> None: ...

    def reset(self, conn: Connection) -> None:
        """Empty the read model before a rebuild."""
        for table in reversed(self.tables):
            conn.execute(table.delete())


def make_engine(store: StoreSettings) -> Engine:
    """The read-model database: the same SQLite file or PostgreSQL schema as the log."""
    if store.kind == "sqlite":
        engine = create_engine(store.sqlalchemy_url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _: Any) -> None:
            cursor = dbapi_conn.cursor()
            # WAL lets readers go on while the runner writes; NORMAL sync is safe with WAL.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    options = {}
    if store.pg_schema:
        options["options"] = f"-csearch_path={store.pg_schema}"
    return create_engine(store.sqlalchemy_url, connect_args=options, pool_pre_ping=True)


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)
    # A rebuild drops secondary indexes while it loads; one that was interrupted must
    # not leave a table without them.
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)
