"""Keeps every read model up to date with the event log, exactly once.

Each batch is read from the log once, decoded once, and handed to every
projection that has not seen it. In ONE transaction the projections write their
rows and move their tracking positions — with a compare-and-set, so that two
runners racing for the same batch can never both apply it. A crash anywhere in a
batch rolls the whole batch back and the next run resumes from the last
committed position.

eventsourcing's SQLite recorder cannot subscribe, so on SQLite the runner polls;
on PostgreSQL it LISTENs on the channel the recorder NOTIFYs after each write.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection

from planlog.application import PlanlogApp
from planlog.domain.errors import PlanlogError
from planlog.projections.base import Projection, create_tables, make_engine, tracking
from planlog.projections.board import BoardProjection
from planlog.projections.changes import Change, ChangeReader
from planlog.projections.rollup import RollupProjection
from planlog.projections.timeline import TimelineProjection
from planlog.store import ddl_lock, pg_connect

log = logging.getLogger("planlog.projections")

Progress = Callable[[int, int], None]  # (position reached, head of the log)
Fault = Callable[[str, int], None]  # (projection name, batch end) — tests crash runs here


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while batches are decoded and applied.

    A batch holds tens of thousands of fresh dicts; each allocation burst would
    set off a collection that scans them all again, costing more than the decoding
    itself (bench/rebuild_rate.py). Projections create no reference cycles, so
    reference counting frees everything; a collection runs once at the end.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_projections() -> list[Projection]:
    from planlog.audit.chain import ChainProjection
    from planlog.scheduler.outbox import OutboxProjection

    return [
        BoardProjection(),
        TimelineProjection(),
        RollupProjection(),
        OutboxProjection(),
        ChainProjection(),
    ]


class TrackingMoved(PlanlogError):
    """Another runner committed this batch first; ours is rolled back and re-read."""

    code = "tracking_moved"


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return self.head - self.position

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "position": self.position, "head": self.head, "lag": self.lag}


class ProjectionRunner:
    def __init__(
        self,
        app: PlanlogApp,
        projections: Sequence[Projection] | None = None,
        *,
        engine: Engine | None = None,
        batch_size: int = 20_000,
    ) -> None:
        self.app = app
        self.engine = engine or make_engine(app.store)
        self.projections = list(projections or default_projections())
        self.batch_size = batch_size
        sqlite_path = str(app.store.sqlite_path) if app.store.kind == "sqlite" else None
        self.reader = ChangeReader(app.recorder, sqlite_path)
        with ddl_lock(app.store):
            create_tables(self.engine)
            with self.engine.begin() as conn:
                known = set(conn.execute(select(tracking.c.name)).scalars())
                for p in self.projections:
                    if p.name not in known:
                        conn.execute(tracking.insert().values(name=p.name, position=0))

    def close(self) -> None:
        self.reader.close()
        self.engine.dispose()

    # ------------------------------------------------------------ positions

    def positions(self, conn: Connection | None = None) -> dict[str, int]:
        names = [p.name for p in self.projections]
        query = select(tracking.c.name, tracking.c.position).where(tracking.c.name.in_(names))
        if conn is not None:
            return {name: position for name, position in conn.execute(query)}
        with self.engine.connect() as own:
            return {name: position for name, position in own.execute(query)}

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        positions = self.positions()
        return [ProjectionStatus(p.name, positions[p.name], head) for p in self.projections]

    # -------------------------------------------------------------- running

    def catch_up(
        self,
        *,
        until: int | None = None,
        progress: Progress | None = None,
        fault: Fault | None = None,
    ) -> int:
        """Apply every recorded event not yet projected; returns how many were read."""
        processed = 0
        head = until if until is not None else self.head()
        with no_cyclic_gc():
            while True:
                positions = self.positions()
                start = min(positions.values())
                if start >= head:
                    return processed
                changes = self.reader.read(start, head, self.batch_size)
                if not changes:
                    return processed
                try:
                    self._apply_batch(changes, positions, fault)
                except TrackingMoved:
                    log.info("another runner applied events after %s; re-reading", start)
                    continue
                processed += len(changes)
                if progress is not None:
                    progress(changes[-1].position, head)

    def _apply_batch(
        self, changes: list[Change], positions: dict[str, int], fault: Fault | None
    ) -> None:
        end = changes[-1].position
        with self.engine.begin() as conn:
            for projection in self.projections:
                seen = positions[projection.name]
                if seen >= end:
                    continue
                # Move the position first: the row lock (PostgreSQL) or the write lock
                # (SQLite) then keeps a second runner out until this batch commits.
                moved = conn.execute(
                    update(tracking)
                    .where(tracking.c.name == projection.name, tracking.c.position == seen)
                    .values(position=end)
                )
                if moved.rowcount != 1:
                    raise TrackingMoved(f"{projection.name} moved past {seen}")
                types = projection.types
                mine = [
                    c for c in changes if c.position > seen and (types is None or c.type in types)
                ]
                if mine:
                    projection.apply(conn, mine)
                if fault is not None:
                    fault(projection.name, end)

    def rebuild(
        self, names: Sequence[str] | None = None, *, progress: Progress | None = None
    ) -> int:
        """Empty the chosen read models (all by default) and project the whole log again."""
        chosen = [p for p in self.projections if names is None or p.name in names]
        unknown = set(names or ()) - {p.name for p in self.projections}
        if unknown:
            raise PlanlogError(f"no projection named {', '.join(sorted(unknown))}")
        with self.engine.begin() as conn:
            for projection in chosen:
                projection.reset(conn)
                conn.execute(
                    update(tracking).where(tracking.c.name == projection.name).values(position=0)
                )
        # Bulk loading into tables without secondary indexes and indexing once at the
        # end is cheaper than keeping every index up to date row by row.
        indexes = [i for p in chosen for t in p.tables for i in t.indexes]
        with self.engine.begin() as conn:
            for index in indexes:
                index.drop(conn, checkfirst=True)
        for projection in chosen:
            projection.replaying = True
        try:
            return self.catch_up(progress=progress)
        finally:
            for projection in chosen:
                projection.replaying = False
            with self.engine.begin() as conn:
                for index in indexes:
                    index.create(conn, checkfirst=True)

    def wait_until(self, position: int, timeout: float = 10.0) -> bool:
        """Read-your-writes: wait until every projection has reached `position`."""
        deadline = time.monotonic() + timeout
        while min(self.positions().values()) < position:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def run_forever(self, stop: threading.Event, *, poll_interval: float = 1.0) -> None:
        """Catch up, then wait for new events until `stop` is set."""
        waiter = new_event_waiter(self.app)
        try:
            while not stop.is_set():
                try:
                    self.catch_up()
                except Exception:
                    log.exception("projection batch failed; retrying after %ss", poll_interval)
                    stop.wait(poll_interval)
                    continue
                waiter(poll_interval, stop)
        finally:
            close = getattr(waiter, "close", None)
            if close is not None:
                close()


EventWaiter = Callable[[float, threading.Event], None]


def new_event_waiter(app: PlanlogApp) -> EventWaiter:
    if app.store.kind == "postgresql":
        return ListenWaiter(app)
    return _poll


def _poll(timeout: float, stop: threading.Event) -> None:
    stop.wait(timeout)


class ListenWaiter:
    """Wakes the runner when PostgreSQL NOTIFYs that events were written."""

    def __init__(self, app: PlanlogApp) -> None:
        from psycopg import sql

        self.conn = pg_connect(app.store)
        channel = str(app.recorder.channel_name)  # type: ignore[attr-defined]
        self.conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))

    def __call__(self, timeout: float, stop: threading.Event) -> None:
        """Return on a NOTIFY, on `stop`, or after `timeout` seconds (a safety poll)."""
        deadline = time.monotonic() + timeout
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            # Listen in short slices so that a stop request is seen within a second.
            if list(self.conn.notifies(timeout=min(remaining, 1.0), stop_after=1)):
                return

    def close(self) -> None:
        self.conn.close()
