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
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Index, inspect, select, update
from sqlalchemy.engine import Connection

from planlog.application import PlanlogApp
from planlog.domain.errors import PlanlogError
from planlog.projections.base import (
    Projection,
    create_tables,
    make_engine,
    outdated_tables,
    tracking,
)
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
        setup: bool = True,
    ) -> None:
        self.app = app
        self._owns_engine = engine is None
        self.engine = engine or make_engine(app.store)
        self.projections = list(projections or default_projections())
        self.batch_size = batch_size
        self.reader = ChangeReader(app.recorder, app.store, self._reads_payload)
        if setup:
            self._set_up_tables()

    def _reads_payload(self, event_type: str) -> bool:
        return any(p.reads_payload(event_type) for p in self.projections)

    def _set_up_tables(self) -> None:
        with ddl_lock(self.app.store):
            self._replace_outdated_models()
            create_tables(self.engine)
            with self.engine.begin() as conn:
                known = set(conn.execute(select(tracking.c.name)).scalars())
                for p in self.projections:
                    if p.name not in known:
                        conn.execute(tracking.insert().values(name=p.name, position=0))

    def _replace_outdated_models(self) -> None:
        """A read model whose layout changed between versions is dropped and projected
        again from the start; records a rebuild keeps must be migrated by hand instead."""
        with self.engine.begin() as conn:
            for projection in self.projections:
                outdated = outdated_tables(conn, projection.tables)
                if not outdated:
                    continue
                if not projection.rebuildable and projection.migrate(conn):
                    log.warning("%s: tables %s migrated", projection.name, outdated)
                    continue
                if not projection.rebuildable:
                    raise PlanlogError(
                        f"tables {', '.join(outdated)} of {projection.name} have an older "
                        "layout and hold records a rebuild cannot restore; migrate them first"
                    )
                log.warning("%s: tables %s changed layout; rebuilding", projection.name, outdated)
                for table in reversed(projection.tables):
                    table.drop(conn, checkfirst=True)
                if inspect(conn).has_table(tracking.name):
                    conn.execute(
                        update(tracking)
                        .where(tracking.c.name == projection.name)
                        .values(position=0)
                    )

    def close(self) -> None:
        self.reader.close()
        if self._owns_engine:
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
        behind = [p for p in self.projections if positions[p.name] < end]
        with self._snapshot() as snapshot:
            # The rows are computed from this snapshot, so it must show the positions
            # the batch was chosen for.
            if self.positions(snapshot) != positions:
                raise TrackingMoved("positions moved while the batch was read")
            writers = []
            for projection in behind:
                mine = self._mine(projection, changes, positions)
                writers.append((projection, projection.prepare(snapshot, mine) if mine else None))
        with self.engine.begin() as conn:
            for projection, write in writers:
                seen = positions[projection.name]
                # Move the position first: the row lock (PostgreSQL) or the write lock
                # (SQLite) then keeps a second runner out until this batch commits; the
                # compare-and-set refuses a batch another runner committed meanwhile.
                moved = conn.execute(
                    update(tracking)
                    .where(tracking.c.name == projection.name, tracking.c.position == seen)
                    .values(position=end)
                )
                if moved.rowcount != 1:
                    raise TrackingMoved(f"{projection.name} moved past {seen}")
                if write is not None:
                    write(conn)
                if fault is not None:
                    fault(projection.name, end)

    @staticmethod
    def _mine(
        projection: Projection, changes: list[Change], positions: dict[str, int]
    ) -> list[Change]:
        seen, types = positions[projection.name], projection.types
        if changes[0].position > seen:  # the usual case: the whole batch is new to it
            return changes if types is None else [c for c in changes if c.type in types]
        return [c for c in changes if c.position > seen and (types is None or c.type in types)]

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one consistent state of the database."""
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn:
                # pysqlite starts transactions only for writes; reads need an explicit one.
                conn.exec_driver_sql("BEGIN")
                try:
                    yield conn
                finally:
                    conn.rollback()
        else:
            repeatable = self.engine.execution_options(isolation_level="REPEATABLE READ")
            with repeatable.connect() as conn:
                try:
                    yield conn
                finally:
                    conn.rollback()

    def rebuild(
        self,
        names: Sequence[str] | None = None,
        *,
        progress: Progress | None = None,
        lanes: int | None = None,
    ) -> int:
        """Empty the chosen read models (all by default) and project the whole log again,
        in `lanes` processes at once (default: one per core, at most two)."""
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
        with self.engine.begin() as conn:
            for index in secondary_indexes(chosen):
                index.drop(conn, checkfirst=True)
        for projection in chosen:
            projection.replaying = True
        try:
            groups = split_into_lanes(
                chosen,
                lanes if lanes is not None else default_lanes(),
                others=[p for p in self.projections if p not in chosen],
            )
            if len(groups) == 1:
                return self.catch_up(progress=progress)
            return self._catch_up_in_lanes(groups, progress)
        finally:
            for projection in chosen:
                projection.replaying = False
            # Lanes index their own tables as they finish; this covers a failed lane.
            restore_indexes(self.engine, chosen)

    def _catch_up_in_lanes(self, groups: list[list[Projection]], progress: Progress | None) -> int:
        """Catch up each group of projections in its own process, this one included.

        Each lane reads the log itself and moves only its own projections' positions,
        so the exactly-once guarantee per projection is the one `catch_up` gives; the
        lanes only take turns at the database's write lock.
        """
        head = self.head()
        chosen = [p for group in groups for p in group]

        def report(*_: int) -> None:
            if progress is not None:
                positions = self.positions()
                progress(min(positions[p.name] for p in chosen), head)

        others = [_Lane(self.app.store.url, group, self.batch_size, head) for group in groups[1:]]
        own = ProjectionRunner(
            self.app, groups[0], engine=self.engine, batch_size=self.batch_size, setup=False
        )
        try:
            processed = own.catch_up(until=head, progress=report)
            restore_indexes(self.engine, groups[0])
        finally:
            own.close()
            failures = [failure for lane in others if (failure := lane.wait(report))]
        if failures:
            raise PlanlogError("rebuild failed in a lane: " + "; ".join(failures))
        report()
        return processed

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


def secondary_indexes(projections: Sequence[Projection]) -> list[Index]:
    return [index for p in projections for table in p.tables for index in table.indexes]


def restore_indexes(engine: Engine, projections: Sequence[Projection]) -> None:
    with engine.begin() as conn:
        for index in secondary_indexes(projections):
            index.create(conn, checkfirst=True)


def default_lanes() -> int:
    # Past two lanes the lanes mostly wait for each other at the write lock.
    return max(1, min(2, os.cpu_count() or 1))


def split_into_lanes(
    projections: Sequence[Projection], lanes: int, *, others: Sequence[Projection] = ()
) -> list[list[Projection]]:
    """Share projections among lanes by their cost, heaviest first, to the lightest lane.

    `others` (projections not being rebuilt) go with the first lane, which is this process.
    """
    groups: list[list[Projection]] = [[] for _ in range(max(1, lanes))]
    load = [0.0] * len(groups)
    for projection in sorted(projections, key=lambda p: -p.cost):
        lightest = load.index(min(load))
        groups[lightest].append(projection)
        load[lightest] += projection.cost
    groups[0].extend(others)
    return [group for group in groups if group] or [[]]


class _Lane:
    """A forked process that catches up some projections up to `head`."""

    def __init__(self, url: str, projections: list[Projection], batch_size: int, head: int):
        context = multiprocessing.get_context("fork")
        self.names = ", ".join(p.name for p in projections)
        self._result, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_run_lane,
            args=(url, projections, batch_size, head, sender),
            name=f"planlog-rebuild[{self.names}]",
            daemon=True,
        )
        self.process.start()
        sender.close()

    def wait(self, report: Callable[[], None]) -> str | None:
        """Wait for the lane to end; returns what went wrong, if it failed."""
        while self.process.is_alive():
            self.process.join(0.2)
            report()
        if self.process.exitcode == 0:
            return None
        reason = self._result.recv() if self._result.poll() else f"exit {self.process.exitcode}"
        return f"{self.names}: {reason}"


def _run_lane(
    url: str, projections: list[Projection], batch_size: int, head: int, result: Any
) -> None:
    # A forked child must not touch its parent's connections: it opens its own.
    try:
        app = PlanlogApp(url)
        runner = ProjectionRunner(app, projections, batch_size=batch_size, setup=False)
        runner.catch_up(until=head)
        restore_indexes(runner.engine, projections)
    except BaseException as exc:
        result.send(f"{type(exc).__name__}: {exc}")
        raise


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
