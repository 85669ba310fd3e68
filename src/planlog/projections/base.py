"""What a read model is, where read models live, and how their positions are tracked.

The base class is `ReadModel`, and `ReadModelRunner` (`planlog.projections.runner`)
keeps them up to date. Neither is named after eventsourcing's `Projection` or
`ProjectionRunner`: those process domain events one at a time with a tracking object,
while these read decoded rows of the log (`changes.Change`) in batches and track
their positions in `projection_tracking` themselves. The concrete read models keep
their `…Projection` names (`BoardProjection`, …), which the tests and the CLI use.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection

from planlog.projections import payloads
from planlog.projections.changes import PayloadError
from planlog.projections.payloads import Shapes
from planlog.service.store import StoreSettings

metadata = MetaData()

#: For tables keyed by text (UUIDs): on SQLite, store the rows in the primary key's own
#: B-tree instead of a rowid table plus a second B-tree for the key, which halved what a
#: rebuild writes for them (bench/rebuild_rate.py). Other databases ignore it.
CLUSTERED: dict[str, Any] = {"sqlite_with_rowid": False}

#: `info` of a table added to a read model that had others: where those are stored
#: without it, the read model is outdated and projected again from the log, since the
#: new table is kept from events its siblings have already seen (created empty beside
#: them, it would be wrong, not merely empty).
ADDED_TABLE: dict[str, Any] = {"added_to_read_model": True}

tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", Integer, nullable=False),
    #: raised by a retry or release of the projection's quarantined events: a batch
    #: computed before one committed is refused by its compare-and-set and read again
    Column("version", Integer, nullable=False, server_default="0"),
)


Writer = Callable[[Connection], None]


class Window(ABC):
    """A read model's state folded over one batch or, during a rebuild, over many, and
    written once.

    Written batch by batch, a rebuild rewrote an item's rows every time a batch touched
    it; in a federation every batch touches a different item each few events, so the
    rewrites grew with the federation (issue 17: the board deleted and re-inserted each
    item 11-14 times). A window folds every batch it is given into the state it keeps
    (loading from the read model only what it has not met yet) and writes each row once.
    `ReadModel.prepare` is a window of one batch, so a rebuild and a catch-up run the
    same code.
    """

    @abstractmethod
    def add(self, snapshot: Connection, changes: list[Any]) -> None:
        """Fold one more batch (read what it needs from `snapshot`, which shows the read
        model as it was when the window began)."""

    @abstractmethod
    def weight(self) -> int:
        """Roughly how many bytes the window holds: the runner writes it out past a limit,
        so a rebuild's memory follows that limit, not the log."""

    @abstractmethod
    def writer(self, snapshot: Connection) -> Writer:
        """The rows folded so far, computed on `snapshot`, written by the returned call."""


class ReadModel(ABC):
    """A read model kept from the event log (a "projection", hence `BoardProjection`).

    The runner hands each batch of changes to `prepare`, on a read-only snapshot
    taken at this projection's tracking position: it reads what it needs and computes
    the rows. The `Writer` it returns then writes them inside the transaction that
    also moves the tracking position, so a batch is either wholly applied and
    tracked, or not at all. Computing outside the write transaction lets runners of
    other projections, in other processes, write meanwhile.

    A projection defines `window` (folds batches: a rebuild then gives it many before
    it writes), or overrides `prepare`, or `apply` when it needs no such split.

    Either may raise on an event it cannot apply — a field missing or of another type
    than `payloads` declares, a value the database refuses, an unreadable payload
    (`changes.UnreadablePayload`). The runner then finds that event and quarantines it
    for this projection alone (`planlog.projections.quarantine`); it must not swallow
    such errors itself. Any other error is the projection's own, and stops the batch.
    """

    name: str
    tables: tuple[Table, ...]
    #: event types this projection reads (None: every event); others are skipped
    types: frozenset[str] | None
    #: set by the runner during a rebuild: the events are history being replayed
    replaying: bool = False
    #: False for records a rebuild keeps (delivery attempts, the audit chain)
    rebuildable: bool = True
    #: µs per event of a rebuild beyond reading the log: each read model rebuilt alone in
    #: one lane (`ReadModelRunner.rebuild([name], lanes=1)`) on the 900-union store
    #: bench/federation.py builds, less the same for `tasks` (whose own work is next to
    #: none: the read alone). A parallel rebuild balances its lanes by it, and a lane
    #: left with most of the work sets the pace
    cost: float = 1.0
    #: event type → what this projection reads of its payload (`payloads.Shape`): a
    #: failure on an event without that shape is the event's fault
    payloads: ClassVar[Shapes] = {}
    #: False for a read model that must not skip an event (the audit chain: a skipped
    #: event breaks every later link): its errors stop the batch, to be tried again
    quarantinable: bool = True

    def reads_payload(self, event_type: str) -> bool:
        """Whether this projection reads the payload (`Change.data`) of events of this
        type; the others reach it undecoded (`changes.UNREAD`)."""
        return self.types is None or event_type in self.types

    def payload_fault(self, changes: list[Any]) -> PayloadError | None:
        """Why it failed on `changes` if an event is at fault (see `payloads`)."""
        return payloads.fault(changes, self.payloads, self.name)

    def window(self) -> Window | None:
        """A new, empty window if this read model folds batches in one (see `Window`);
        None if it writes each batch as it comes (`prepare` or `apply`)."""
        return None

    def folds_batches(self) -> bool:
        """Whether a rebuild may fold many batches into one window of this read model:
        it has a window and applies batches no way of its own."""
        own = type(self).prepare is not ReadModel.prepare or type(self).apply is not ReadModel.apply
        return not own and self.window() is not None

    def prepare(self, snapshot: Connection, changes: list[Any]) -> Writer:
        window = self.window()
        if window is not None:
            window.add(snapshot, changes)
            return window.writer(snapshot)

        def write(conn: Connection) -> None:
            self.apply(conn, changes)

        return write

    def apply(self, conn: Connection, changes: list[Any]) -> None:
        """Read, compute and write a batch in one go (in the caller's transaction)."""
        if type(self).prepare is ReadModel.prepare and self.window() is None:
            raise NotImplementedError(f"{type(self).__name__} defines neither prepare nor apply")
        self.prepare(conn, changes)(conn)

    def migrate(self, conn: Connection) -> bool:
        """Convert kept records stored in an older layout; False if this one is unknown."""
        return False

    def reset(self, conn: Connection) -> None:
        """Empty the read model before a rebuild.

        PostgreSQL truncates: a DELETE left every old row behind as a dead one, which the
        rebuild's index builds and ANALYZE then read through again."""
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in self.tables)
            conn.exec_driver_sql(f"TRUNCATE {names}")
            return
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


def outdated_tables(conn: Connection, tables: tuple[Table, ...]) -> list[str]:
    """Tables stored with other columns, column types or primary key than this version
    of planlog defines, and tables added to a read model stored without them
    (`ADDED_TABLE`)."""
    inspector = inspect(conn)
    stored = [t for t in tables if inspector.has_table(t.name)]
    if not stored:
        return []
    names = {t.name for t in stored}
    missing = [t.name for t in tables if t.info.get("added_to_read_model") and t.name not in names]
    return [t.name for t in stored if _outdated(inspector, t)] + missing


def _outdated(inspector: Any, table: Table) -> bool:
    # Types compare by kind (text, integer, binary…): each database reflects its own names.
    stored = {c["name"]: c["type"]._type_affinity for c in inspector.get_columns(table.name)}
    defined = {c.name: c.type._type_affinity for c in table.columns}
    stored_key = inspector.get_pk_constraint(table.name)["constrained_columns"]
    return stored != defined or stored_key != [c.name for c in table.primary_key.columns]


@contextmanager
def probes_only(conn: Connection) -> Iterator[None]:
    """On PostgreSQL, no sequential scan for the reads and writes inside: each finds
    rows by key, and only the planner can get that wrong. Without statistics (a table
    just filled by a rebuild or catch-up, a restored copy, autovacuum off) it plans a
    scan of the whole read model for a handful of keys. Transaction-local and given back
    at the end, so a caller's later reads in the same transaction plan as usual; a
    failure inside leaves the setting to the rollback of the caller's transaction or
    savepoint. SQLite probes by itself."""
    if conn.dialect.name != "postgresql":
        yield
        return
    prior = conn.execute(
        text("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
    ).scalar_one()
    yield
    conn.execute(text("SELECT set_config('enable_seqscan', :prior, true)"), {"prior": prior})


#: Indexes earlier versions made and this one replaced: each still costs every write.
RETIRED_INDEXES = ("ix_reminder_outbox_status",)


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)
    with engine.begin() as conn:
        for name in RETIRED_INDEXES:
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
    # A rebuild drops secondary indexes while it loads; one that was interrupted must
    # not leave a table without them.
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)
