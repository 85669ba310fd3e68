"""Keeps every read model up to date with the event log, exactly once.

Each batch is read from the log once, decoded once, and handed to every
projection that has not seen it. In ONE transaction the projections write their
rows and move their tracking positions — with a compare-and-set, so that two
runners racing for the same batch can never both apply it. A crash anywhere in a
batch rolls the whole batch back and the next run resumes from the last
committed position.

No single event can stop a read model. When a projection cannot apply a batch
because of what an event holds — the database refuses a value written from it
(`quarantine.is_data_error`), or its payload lacks what the projection reads
(`ReadModel.payload_fault`) — the runner applies that projection's part of the
batch again in halves, each half with the same compare-and-set, down to the events
it cannot apply; it records each of them in `projection_quarantine` in the
transaction that moves its position past it, logs a warning naming it, and goes on.
Later events of the same aggregate are held back behind it, so that `retry` applies
them in their recorded order once the projection can (after an upcaster or a code
fix). Any other error is the code's or the environment's: it stops the batch, loudly,
to be tried again whole. So does any error of a projection that must not skip an
event (`ReadModel.quarantinable`: the audit chain), and a projection that would hold
more than `quarantine.LIMIT` events of one type (`QuarantineLimit`).

A retry or release of quarantined events locks the projection's tracking row first and
bumps its version, which every batch's compare-and-set checks: neither side computes
rows from a state the other has changed since.

A rebuild (`replay`) reads the log the same way but lets the read models that can
(`ReadModel.window`) fold many batches before they write: each row is then written once
per window instead of once per batch that touches it, which in a federation was once per
few events whatever the batch size (issue 17). A window is written, with its read
model's position, in one transaction, when it has read `window_events` events or holds
`window_bytes` of state, so a rebuild's memory follows those limits, not the log. A
catch-up at least `replay_from` events behind (a worker started on a restored store)
goes the same way; one caller per store at a time folds windows (`REPLAY_LOCK`).

eventsourcing's SQLite recorder cannot subscribe, so on SQLite the runner polls;
on PostgreSQL it LISTENs on the channel the recorder NOTIFYs after each write.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Engine, Index, and_, inspect, or_, select, update
from sqlalchemy.engine import Connection

from planlog.domain.errors import PlanlogError
from planlog.heap import no_cyclic_gc
from planlog.projections import quarantine
from planlog.projections.base import (
    ReadModel,
    Window,
    create_tables,
    make_engine,
    outdated_tables,
    probes_only,
    tracking,
)
from planlog.projections.board import BoardProjection
from planlog.projections.chain import ChainProjection
from planlog.projections.changes import Change, ChangeReader, PayloadNotDecoded
from planlog.projections.digests import DigestOutboxProjection
from planlog.projections.evidence import EvidenceProjection
from planlog.projections.outbox import OutboxProjection
from planlog.projections.people import PeopleProjection
from planlog.projections.quarantine import QuarantinedEvent, projection_quarantine
from planlog.projections.reminder_due import ReminderDueProjection
from planlog.projections.rollup import RollupProjection
from planlog.projections.tasks import TasksProjection
from planlog.projections.timeline import TimelineProjection
from planlog.service.app import PlanlogApp
from planlog.service.store import ddl_lock, pg_connect, try_store_lock

log = logging.getLogger("planlog.projections")

Progress = Callable[[int, int], None]  # (position reached, head of the log)
Fault = Callable[[str, int], None]  # (projection name, batch end) — tests crash runs here


def default_projections() -> list[ReadModel]:
    return [
        BoardProjection(),
        TimelineProjection(),
        RollupProjection(),
        TasksProjection(),
        OutboxProjection(),
        ReminderDueProjection(),
        DigestOutboxProjection(),
        ChainProjection(),
        PeopleProjection(),
        EvidenceProjection(),
    ]


class TrackingMoved(PlanlogError):
    """Another runner committed this batch first; ours is rolled back and re-read."""

    code = "tracking_moved"


class QuarantineLimit(PlanlogError):
    """A projection would hold more events of one type than `quarantine.LIMIT`."""

    code = "quarantine_limit"


class NotQuarantinable(PlanlogError):
    """A retry or release named an entry of a projection that never quarantines."""

    code = "not_quarantinable"


class Refused(Exception):
    """A projection could not apply a batch because of what one of its events holds."""

    def __init__(self, projection: str, error: BaseException) -> None:
        super().__init__(f"{projection}: {quarantine.describe(error)}")
        self.projection = projection
        self.error = error
        #: the version of the projection's tracking row the refused batch was computed at
        self.version: int | None = None


def _no_projection(names: str) -> PlanlogError:
    return PlanlogError(f"没有名为 {names} 的投影 / no projection named {names}")


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    position: int
    head: int
    quarantined: int = 0  # events it holds in quarantine (could not apply, or held back)
    released: int = 0  # quarantined events an administrator accepted as unapplied

    @property
    def lag(self) -> int:
        return self.head - self.position

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "position": self.position,
            "head": self.head,
            "lag": self.lag,
            "quarantined": self.quarantined,
            "released": self.released,
        }


@dataclass
class RetryResult:
    applied: list[QuarantinedEvent]  # applied now, out of quarantine
    failed: list[QuarantinedEvent]  # still failing (as entered again)

    def to_dict(self) -> dict[str, Any]:
        return {
            "applied": [e.to_dict() for e in self.applied],
            "failed": [e.to_dict() for e in self.failed],
        }


def window_bytes_for(memory: int | None) -> int:
    """How much a read model's window may hold on a machine with `memory` bytes: a
    sixteenth of it, from 32 MiB to 2 GiB (256 MiB when the memory is unknown). A window
    writes each row once only when it holds every item the stretch of log touches; a
    year's log touches every item each month, so a window smaller than a federation's
    items writes them again each month (at 9,000 unions, 450,000 items: ~1 GB of board
    window, measured 11,000 events/s with 256 MiB windows). A process holds up to three
    windows, about twice their estimated weight, hence the sixteenth; the floor is low
    enough for a small container (512 MiB) to rebuild a union's store without being
    killed."""
    if memory is None:
        return 256 * 2**20
    return max(32 * 2**20, min(2 * 2**30, memory // 16))


#: where the cgroup file systems are mounted, and where a process's cgroups are named
CGROUP_ROOT = "/sys/fs/cgroup"
PROC_CGROUP = "/proc/self/cgroup"


def cgroup_limit_files(proc_cgroup: str = PROC_CGROUP, root: str = CGROUP_ROOT) -> list[Path]:
    """The files of the memory limits that bind this process: its own cgroup's and every
    ancestor's, since a limit set on a systemd slice or a pod binds every process below
    it (cgroup v2: `memory.max` in the unified hierarchy; v1: `memory.limit_in_bytes` in
    the memory hierarchy), and the hierarchies' roots, which are a container's own
    cgroup when it has a cgroup namespace."""
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        lines = []
    files: list[Path] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":
            base, name = Path(root), "memory.max"
        elif "memory" in controllers.split(","):
            base, name = Path(root) / "memory", "memory.limit_in_bytes"
        else:
            continue
        cgroup = PurePosixPath(path)
        files += [base / d.relative_to("/") / name for d in (cgroup, *cgroup.parents)]
    files += [Path(root) / "memory.max", Path(root) / "memory" / "memory.limit_in_bytes"]
    return list(dict.fromkeys(files))


def _memory(proc_cgroup: str = PROC_CGROUP, root: str = CGROUP_ROOT) -> int | None:
    """The machine's memory, or the lowest memory limit binding this process when that
    is lower (a window sized to the host's memory in a smaller container is killed)."""
    try:
        found: int | None = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: the floor
        found = None
    for path in cgroup_limit_files(proc_cgroup, root):
        try:
            text = path.read_text().strip()
        except OSError:
            continue
        if text.isdigit():  # "max": no limit
            found = int(text) if found is None else min(found, int(text))
    return found


#: the store lock held while read models are folded in windows (a rebuild, or a
#: catch-up far behind)
REPLAY_LOCK = "replay"


class ReadModelRunner:
    """Brings every read model (board, timeline, rollup, outbox, audit chain) up to date
    with the log, and rebuilds, retries and releases them; `planlog projections` and
    the worker drive it. Its own class, not a kind of eventsourcing's `ProjectionRunner`
    (see `planlog.projections.base`)."""

    #: see `quarantine.LIMIT`; a runner may be given another
    quarantine_limit = quarantine.LIMIT
    #: a rebuild's window (`replay`) ends after the batch that reads this many events
    #: (what a crash makes it read again; a federation's year, 9 M events at 9,000
    #: unions, in one window: each window after the first reads and rewrites every item
    #: the log touched again) …
    window_events = 10_000_000
    #: … or once a read model's window holds about this many bytes
    window_bytes = window_bytes_for(_memory())
    #: a catch-up at least this many events behind goes as a rebuild does (`replay`):
    #: a worker started on a restored database or after a long stop would otherwise
    #: write each item's rows once per batch, at a tenth of a rebuild's events per
    #: second (measured 3,150 against 45,000 events/s at 900 unions); None: never
    replay_from: int | None = 100_000
    #: seconds a caller that does not wait (`catch_up(wait=False)`, a web request) takes
    #: another's folding as still going on, without trying the lock again: every request
    #: of every web worker opened a connection to try it while a restored store folded
    folding_recheck = 5.0

    def __init__(
        self,
        app: PlanlogApp,
        projections: Sequence[ReadModel] | None = None,
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
        #: when (time.monotonic) another caller was last found folding windows
        self._found_folding_at: float | None = None
        if setup:
            self._set_up_tables()

    def _reads_payload(self, event_type: str) -> bool:
        return any(p.reads_payload(event_type) for p in self.projections)

    def _set_up_tables(self) -> None:
        with ddl_lock(self.app.store):
            self._replace_outdated_models()
            create_tables(self.engine)
            with self.engine.begin() as conn:
                _add_tracking_version(conn)
                known = set(conn.execute(select(tracking.c.name)).scalars())
                for p in self.projections:
                    if p.name not in known:
                        conn.execute(tracking.insert().values(name=p.name, position=0))

    def _replace_outdated_models(self) -> None:
        """A read model whose layout changed between versions is dropped and projected
        again from the start; records a rebuild keeps must be migrated by hand instead."""
        with self.engine.begin() as conn:
            tracked = inspect(conn).has_table(tracking.name)
            if tracked:
                _add_tracking_version(conn)  # bumped below, on a table an older planlog made
            for projection in self.projections:
                outdated = outdated_tables(conn, projection.tables)
                if not outdated:
                    continue
                if not projection.rebuildable and projection.migrate(conn):
                    log.warning("%s: tables %s migrated", projection.name, outdated)
                    continue
                if not projection.rebuildable:
                    raise PlanlogError(
                        f"投影 {projection.name} 的表 {', '.join(outdated)} 是旧的格式，"
                        "其中的记录无法重建，请先迁移 / "
                        f"tables {', '.join(outdated)} of {projection.name} have an older "
                        "layout and hold records a rebuild cannot restore; migrate them first"
                    )
                log.warning("%s: tables %s changed layout; rebuilding", projection.name, outdated)
                for table in reversed(projection.tables):
                    table.drop(conn, checkfirst=True)
                if tracked:
                    # a new version, as a rebuild's: an answer kept at the old rows
                    # (planlog.projections.answers) is never served again
                    conn.execute(
                        update(tracking)
                        .where(tracking.c.name == projection.name)
                        .values(position=0, version=tracking.c.version + 1)
                    )
                if inspect(conn).has_table(projection_quarantine.name):
                    quarantine.clear_open(conn, projection.name)

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

    def _marks(self, conn: Connection) -> dict[str, tuple[int, int]]:
        """Each projection's (position, version): what a batch's compare-and-set checks."""
        names = [p.name for p in self.projections]
        query = select(tracking.c.name, tracking.c.position, tracking.c.version).where(
            tracking.c.name.in_(names)
        )
        return {name: (position, version) for name, position, version in conn.execute(query)}

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        with self.engine.connect() as conn:
            positions = self.positions(conn)
            counts = quarantine.counts(conn)
        return [
            ProjectionStatus(p.name, positions[p.name], head, *counts.get(p.name, (0, 0)))
            for p in self.projections
        ]

    def quarantined(self, *, open_only: bool = False) -> list[QuarantinedEvent]:
        """The events this runner's projections hold in quarantine, in log order."""
        with self.engine.connect() as conn:
            return quarantine.entries(
                conn, projections=[p.name for p in self.projections], open_only=open_only
            )

    # -------------------------------------------------------------- running

    def catch_up(
        self,
        *,
        until: int | None = None,
        progress: Progress | None = None,
        fault: Fault | None = None,
        wait: bool = True,
    ) -> int:
        """Apply every recorded event not yet projected; returns how many were read.

        Far behind (`replay_from`), it folds windows, one caller per store at a time:
        callers that each folded their own (every request of every web worker after a
        restore) would hold a window each and throw each other's away. The others wait
        for it and go on from where it ended; without `wait` (a web request, which
        serves the read models as they are) they return 0 at once."""
        head = until if until is not None else self.head()
        behind = head - min(self.positions().values())
        if behind <= 0:
            return 0  # the usual case, on every request: two reads, nothing else
        if self.replay_from is not None and behind >= self.replay_from:
            found = self._found_folding_at
            if not wait and found is not None and time.monotonic() - found < self.folding_recheck:
                return 0  # found folding a moment ago: served as they are meanwhile
            with try_store_lock(self.app.store, REPLAY_LOCK, wait=wait) as mine:
                if not mine:
                    log.info("read models %s events behind: another caller is catching up", behind)
                    self._found_folding_at = time.monotonic()
                    return 0
                # after a wait, where the other caller left them
                behind = head - min(self.positions().values())
                if behind >= self.replay_from:
                    return self.replay(until=head, progress=progress, fault=fault)
        processed = 0
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
                    self._step(changes, positions, fault)
                except TrackingMoved as moved:
                    log.info("%s; re-reading the events after %s", moved, start)
                    continue
                processed += len(changes)
                if progress is not None:
                    progress(changes[-1].position, head)

    def _step(self, changes: list[Change], positions: dict[str, int], fault: Fault | None) -> None:
        """Apply one batch to the projections in `positions` (each from its position)."""
        try:
            self._apply_batch(changes, positions, fault)
        except Refused as refused:
            log.warning(
                "%s; looking for the events in %s..%s it cannot apply",
                refused,
                changes[0].position,
                changes[-1].position,
            )
            self._isolate(changes, positions, fault)

    def replay(
        self,
        *,
        until: int | None = None,
        progress: Progress | None = None,
        fault: Fault | None = None,
    ) -> int:
        """Catch up as a rebuild does: the read models that fold batches
        (`ReadModel.folds_batches`) fold many batches into one window each and write
        it once, with their positions, when it is full (`window_events`,
        `window_bytes`) or the log ends; the others apply each batch as `catch_up`
        does. The log is read and decoded once for all of them.

        A window is only a faster way to the rows `catch_up` gives: if a read model
        cannot fold or write one (an event it cannot apply, say), its window is dropped
        and that stretch of the log is applied to it batch by batch, which finds and
        quarantines the event or stops, as `catch_up` would. Returns the events read."""
        processed = 0
        head = until if until is not None else self.head()
        with no_cyclic_gc():
            while True:
                positions = self.positions()
                start = min(positions.values())
                if start >= head:
                    return processed
                folding = [
                    p for p in self.projections if positions[p.name] == start and p.folds_batches()
                ]
                try:
                    read = self._window(folding, positions, head, progress, fault)
                except TrackingMoved as moved:
                    log.info("%s; re-reading the events after %s", moved, start)
                    continue
                if not read:
                    return processed
                processed += read

    def _window(
        self,
        folding: list[ReadModel],
        positions: dict[str, int],
        head: int,
        progress: Progress | None,
        fault: Fault | None,
    ) -> int:
        """Read from the lowest position on, folding `folding` into windows and applying
        the other projections batch by batch; write the windows; returns events read."""
        start = min(positions.values())
        with self._snapshot() as snapshot:
            marks = self._marks(snapshot)
            held = quarantine.held_aggregates(
                snapshot, [p.name for p in folding if p.quarantinable]
            )
        if any(marks[p.name][0] != start for p in folding):
            raise TrackingMoved(
                "打开窗口期间位置已变 / positions moved while the window was opened"
            )
        windows: dict[str, Window] = {}
        for p in folding:
            window = p.window()
            assert window is not None  # folds_batches() said so
            windows[p.name] = window
        waiting: dict[str, list[Change]] = {name: [] for name in windows}
        failed: list[ReadModel] = []
        others = {name: at for name, at in positions.items() if name not in windows}
        at, processed = start, 0
        while at < head and processed < self.window_events:
            changes = self.reader.read(at, head, self.batch_size)
            if not changes:
                break
            end = changes[-1].position
            if any(seen < end for seen in others.values()):
                self._step(changes, others, fault)
                others = {name: max(seen, end) for name, seen in others.items()}
            if windows:
                self._fold(windows, folding, changes, start, marks, held, waiting, failed)
            at = end
            processed += len(changes)
            if progress is not None:
                progress(end, head)
            if any(w.weight() >= self.window_bytes for w in windows.values()):
                break
        self._write_windows(windows, folding, start, at, marks, waiting, failed, fault)
        for projection in failed:
            log.warning(
                "%s could not fold events %s..%s in one window; applying them batch by batch",
                projection.name,
                start,
                at,
            )
            alone = ReadModelRunner(
                self.app, [projection], engine=self.engine, batch_size=self.batch_size, setup=False
            )
            alone.replay_from = None  # batch by batch: a window is what just failed
            alone.quarantine_limit = self.quarantine_limit
            try:
                alone.catch_up(until=at, fault=fault)
            finally:
                alone.close()
        return processed

    def _fold(
        self,
        windows: dict[str, Window],
        folding: list[ReadModel],
        changes: list[Change],
        start: int,
        marks: dict[str, tuple[int, int]],
        held: dict[str, set[str]],
        waiting: dict[str, list[Change]],
        failed: list[ReadModel],
    ) -> None:
        """Fold one batch into each window, on a snapshot that still shows the read
        models as they were when the windows began."""
        with self._snapshot() as snapshot:
            now = self._marks(snapshot)
            for projection in folding:
                window = windows.get(projection.name)
                if window is None:
                    continue
                if now[projection.name] != marks[projection.name]:
                    raise TrackingMoved(
                        f"{projection.name} 已越过 #{start} / "
                        f"{projection.name} moved past #{start} meanwhile"
                    )
                types = projection.types
                mine = changes if types is None else [c for c in changes if c.type in types]
                blocked = held.get(projection.name)
                if blocked and mine:
                    waiting[projection.name] += [c for c in mine if c.aggregate_id in blocked]
                    mine = [c for c in mine if c.aggregate_id not in blocked]
                try:
                    window.add(snapshot, mine)
                except Exception:  # the batch path finds out whose fault it is
                    log.info("%s: window dropped", projection.name, exc_info=True)
                    del windows[projection.name]
                    failed.append(projection)

    def _write_windows(
        self,
        windows: dict[str, Window],
        folding: list[ReadModel],
        start: int,
        end: int,
        marks: dict[str, tuple[int, int]],
        waiting: dict[str, list[Change]],
        failed: list[ReadModel],
        fault: Fault | None,
    ) -> None:
        """Write each window with its projection's move from `start` to `end`, one
        transaction per projection (each has its own position)."""
        for projection in folding:
            window = windows.pop(projection.name, None)
            if window is None:
                continue
            with self._snapshot() as snapshot:
                if self._marks(snapshot)[projection.name] != marks[projection.name]:
                    raise TrackingMoved(
                        f"{projection.name} 已越过 #{start} / "
                        f"{projection.name} moved past #{start} meanwhile"
                    )
                try:
                    write = window.writer(snapshot)
                except Exception:
                    log.info("%s: window dropped", projection.name, exc_info=True)
                    failed.append(projection)
                    continue
            del window  # its rows are in `write` now: hold them once
            crashed = False
            try:
                with self._writing() as conn:
                    self._move(conn, projection.name, start, end, marks[projection.name][1])
                    if waiting[projection.name]:
                        self._hold(conn, projection.name, waiting[projection.name])
                    write(conn)
                    if fault is not None:
                        crashed = True  # a crash here (tests inject one) rolls back and stops
                        fault(projection.name, end)
                        crashed = False
            except TrackingMoved:
                raise
            except Exception:  # rolled back: the batch path finds out whose fault it is
                if crashed:
                    raise  # a crash is not the window's fault: no quiet batch-by-batch path
                log.info("%s: window not written", projection.name, exc_info=True)
                failed.append(projection)

    def _apply_batch(
        self, changes: list[Change], positions: dict[str, int], fault: Fault | None
    ) -> None:
        end = changes[-1].position
        parts = [
            (p, positions[p.name], self._mine(p, changes, positions))
            for p in self.projections
            if p.name in positions and positions[p.name] < end
        ]
        self._apply(parts, end, fault)

    def _apply(
        self,
        parts: list[tuple[ReadModel, int, list[Change]]],
        end: int,
        fault: Fault | None,
    ) -> None:
        """Apply each (projection, its position, its changes) up to `end`, in one
        transaction; raises Refused if a projection cannot, and nothing is applied."""
        with self._snapshot() as snapshot:
            # The rows are computed from this snapshot, so it must show the positions
            # the batch was chosen for; the versions it shows are checked at the write.
            marks = self._marks(snapshot)
            if any(marks[p.name][0] != seen for p, seen, _ in parts):
                raise TrackingMoved(
                    "读取本批期间位置已变 / positions moved while the batch was read"
                )
            held = quarantine.held_aggregates(
                snapshot, [p.name for p, _, _ in parts if p.quarantinable]
            )
            writers = []
            for projection, seen, mine in parts:
                waiting: list[Change] = []
                if mine and projection.name in held:
                    blocked = held[projection.name]
                    waiting = [c for c in mine if c.aggregate_id in blocked]
                    mine = [c for c in mine if c.aggregate_id not in blocked]
                try:
                    write = self._prepare(projection, snapshot, mine) if mine else None
                except Refused as refused:
                    refused.version = marks[projection.name][1]
                    raise
                writers.append((projection, seen, mine, write, waiting))
        with self._writing() as conn:
            # Move the positions first: the row locks (PostgreSQL) or the write lock
            # (SQLite) then keep a second runner out until this batch commits; the
            # compare-and-set refuses a batch another runner committed meanwhile, or
            # one computed before a retry or release changed the read model. One
            # statement for every projection: a write's catch-up, which a request after
            # any write waits for, spent a fifth of its time moving them one by one.
            moves = [(p.name, seen, marks[p.name][1]) for p, seen, *_ in writers]
            self._move_all(conn, moves, end)
            for projection, _, mine, write, waiting in writers:
                version = marks[projection.name][1]
                if waiting:
                    self._hold(conn, projection.name, waiting)
                if write is not None:
                    try:
                        self._write(projection, conn, write, mine)
                    except Refused as refused:
                        refused.version = version
                        raise
                if fault is not None:
                    fault(projection.name, end)

    @staticmethod
    def _refusal(
        projection: ReadModel, changes: list[Change], error: BaseException
    ) -> Refused | None:
        """A Refused if `error` is an event's fault, to quarantine it; None if it is the
        code's or the environment's, to stop the batch.

        A projection that must not skip an event never refuses: its errors stop the
        batch and the next run tries it again.
        """
        if not projection.quarantinable:
            return None
        if quarantine.is_data_error(error):
            return Refused(projection.name, error)
        if isinstance(error, PayloadNotDecoded):
            return None  # the runner did not decode what the projection reads: a bug
        # An error in the code (KeyError, TypeError…) is the event's fault only if an
        # event lacks what the projection reads of it; bisecting then finds that event.
        fault = projection.payload_fault(changes)
        return Refused(projection.name, fault) if fault is not None else None

    def _prepare(self, projection: ReadModel, snapshot: Connection, changes: list[Change]) -> Any:
        try:
            return projection.prepare(snapshot, changes)
        except Exception as error:
            refused = self._refusal(projection, changes, error)
            if refused is None:
                raise
            raise refused from error

    def _write(
        self, projection: ReadModel, conn: Connection, write: Any, changes: list[Change]
    ) -> None:
        try:
            write(conn)
        except Exception as error:
            refused = self._refusal(projection, changes, error)
            if refused is None:
                raise
            raise refused from error

    def _move_all(
        self, conn: Connection, moves: Sequence[tuple[str, int, int | None]], end: int
    ) -> None:
        """Move each (projection, position, version) to `end` if its tracking row is
        still at that position and version (None: the version is not checked), in one
        statement: all of them move, or TrackingMoved naming those that did not."""
        if not moves:
            return
        t = tracking.c
        where = or_(
            *(
                and_(
                    t.name == name, t.position == seen, *([t.version == v] if v is not None else [])
                )
                for name, seen, v in moves
            )
        )
        if conn.execute(update(tracking).where(where).values(position=end)).rowcount == len(moves):
            return
        # Those this update moved are at `end` now; the others say why they did not move.
        now = self._marks(conn)
        moved = ", ".join(
            f"{name} #{seen}"
            for name, seen, v in moves
            if now.get(name, (None, None))[0] not in (seen, end) or v not in (None, now[name][1])
        )
        if not moved:  # at this batch's end already, as this update would have put them
            raise TrackingMoved(
                f"本批（至 #{end}）已由另一进程应用 / another runner applied this batch (up to "
                f"#{end}) meanwhile"
            )
        raise TrackingMoved(
            f"{moved} 已越过该位置，或其隔离事件已被重试或放行 / {moved}: moved past that "
            "position, or a retry or release changed its quarantine meanwhile"
        )

    def _move(self, conn: Connection, name: str, seen: int, end: int, version: int | None) -> None:
        """`_move_all` for one projection."""
        self._move_all(conn, [(name, seen, version)], end)

    def _hold(self, conn: Connection, name: str, waiting: list[Change]) -> None:
        """Enter events held back behind an earlier quarantined event of their aggregate.

        Checked again in the write transaction, after the tracking row is locked (a retry
        or release locks it too): if the earlier event left quarantine meanwhile, these
        must be applied instead, so the batch is read again.
        """
        heads = quarantine.first_open(conn, name, sorted({c.aggregate_id for c in waiting}))
        now = self._now()
        for change in waiting:
            behind = heads.get(change.aggregate_id)
            if behind is None:
                raise TrackingMoved(
                    f"{name}：{change.aggregate_id} 已离开隔离 / "
                    f"{name}: {change.aggregate_id} left quarantine meanwhile"
                )
            quarantine.record(
                conn, name, change, quarantine.held_back(behind), now, held_behind=behind
            )
            log.warning(
                "%s holds back event #%s (%s, %s version %s) behind quarantined event #%s",
                name,
                change.position,
                change.type,
                change.aggregate_id,
                change.version,
                behind,
            )

    def _now(self) -> str:
        return self.app.now().isoformat()

    # ------------------------------------------------------------ quarantine

    def _isolate(
        self, changes: list[Change], positions: dict[str, int], fault: Fault | None
    ) -> None:
        """Apply a batch some projection refused projection by projection, bisecting each
        projection's part down to the events it cannot apply."""
        end = changes[-1].position
        for projection in self.projections:
            seen = positions.get(projection.name, end)
            if seen < end:
                self._apply_range(
                    projection, self._mine(projection, changes, positions), seen, end, fault
                )

    def _apply_range(
        self,
        projection: ReadModel,
        mine: list[Change],
        seen: int,
        end: int,
        fault: Fault | None,
    ) -> None:
        """Apply `mine` (seen < positions <= end) whole if the projection can, else in
        halves, in order; an event it cannot apply alone is quarantined."""
        try:
            self._apply([(projection, seen, mine)], end, fault)
            return
        except Refused as refused:
            if not mine:
                raise
            if len(mine) == 1:
                self._quarantine(projection, mine[0], seen, end, refused)
                return
        middle = len(mine) // 2
        split = mine[middle - 1].position
        self._apply_range(projection, mine[:middle], seen, split, fault)
        self._apply_range(projection, mine[middle:], split, end, fault)

    def _quarantine(
        self, projection: ReadModel, change: Change, seen: int, end: int, refused: Refused
    ) -> None:
        problem = quarantine.describe(refused.error)
        with self.engine.begin() as conn:
            # At the version it was refused at: a retry since may have been the cause.
            self._move(conn, projection.name, seen, end, refused.version)
            held = quarantine.open_failures(conn, projection.name, change.type)
            if held >= self.quarantine_limit:
                # Counted over what stays unrepaired, not per batch: a bug would otherwise
                # set aside another `limit` events in every batch, run after run.
                raise QuarantineLimit(
                    f"投影 {projection.name} 已有 {held} 个 {change.type} 事件无法应用，"
                    f"事件 #{change.position} 也无法应用（{problem}）：更像是程序错误，"
                    "而非事件本身的问题，因此停止而不再隔离；请修复后再运行，或用 planlog "
                    f"projections retry / release 处理这些事件 / {projection.name} already "
                    f"holds {held} {change.type} events it could not apply and cannot apply "
                    f"event #{change.position} either ({problem}): more likely a bug than bad "
                    "events, so it stops instead of quarantining more; fix it and run again, "
                    "or retry or release them with planlog projections retry / release"
                ) from refused.error
            quarantine.record(conn, projection.name, change, problem, self._now())
        log.warning(
            "%s cannot apply event #%s (%s, %s version %s) and quarantined it: %s — "
            "see `planlog projections quarantine`",
            projection.name,
            change.position,
            change.type,
            change.aggregate_id,
            change.version,
            problem,
        )

    @staticmethod
    def _mine(
        projection: ReadModel, changes: list[Change], positions: dict[str, int]
    ) -> list[Change]:
        seen, types = positions[projection.name], projection.types
        if changes[0].position > seen:  # the usual case: the whole batch is new to it
            return changes if types is None else [c for c in changes if c.type in types]
        return [c for c in changes if c.position > seen and (types is None or c.type in types)]

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """The transaction a batch or window is written in. Its deletes and updates find
        rows by key: on PostgreSQL they must not be planned from statistics taken before
        the table filled (see `_snapshot`), or each batch of a first catch-up scans the
        read model whole."""
        with self.engine.begin() as conn, probes_only(conn):
            yield conn

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
                # Every read here finds rows by key (the items a batch touches). A table
                # filled since its last ANALYZE (a first catch-up, autovacuum off) looks
                # empty to the planner, which then scanned it whole for each batch: a
                # catch-up of millions of events became quadratic.
                try:
                    with probes_only(conn):
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
        in `lanes` processes at once (default: one per core, at most two). Refused while
        another caller folds windows (`REPLAY_LOCK`): both would throw each other's away."""
        with try_store_lock(self.app.store, REPLAY_LOCK) as mine:
            if not mine:
                raise PlanlogError(
                    "另一个进程正在批量追赶读模型，请稍后再重建"
                    "（another process is catching the read models up in windows; "
                    "rebuild once it has finished）"
                )
            return self._rebuild(names, progress=progress, lanes=lanes)

    def _rebuild(
        self,
        names: Sequence[str] | None,
        *,
        progress: Progress | None,
        lanes: int | None,
    ) -> int:
        chosen = [p for p in self.projections if names is None or p.name in names]
        unknown = set(names or ()) - {p.name for p in self.projections}
        if unknown:
            raise _no_projection(", ".join(sorted(unknown)))
        with self.engine.begin() as conn:
            for projection in chosen:
                projection.reset(conn)
                conn.execute(
                    update(tracking)
                    .where(tracking.c.name == projection.name)
                    # a new version: what was computed from the rows before (a batch
                    # under way, a kept answer) is not taken for the rebuilt rows
                    .values(position=0, version=tracking.c.version + 1)
                )
                # Every event is tried again from scratch; releases are kept as decisions.
                quarantine.clear_open(conn, projection.name)
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
                return self.replay(progress=progress)
            return self._catch_up_in_lanes(groups, progress)
        finally:
            for projection in chosen:
                projection.replaying = False
            # Lanes index their own tables as they finish; this covers a failed lane.
            restore_indexes(self.engine, chosen)

    def _catch_up_in_lanes(self, groups: list[list[ReadModel]], progress: Progress | None) -> int:
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

        others = [_Lane(self.app, group, self.batch_size, head) for group in groups[1:]]
        own = ReadModelRunner(
            self.app, groups[0], engine=self.engine, batch_size=self.batch_size, setup=False
        )
        try:
            processed = own.replay(until=head, progress=report)
            restore_indexes(self.engine, groups[0])
        finally:
            own.close()
            failures = [failure for lane in others if (failure := lane.wait(report))]
        if failures:
            raise PlanlogError("重建失败 / rebuild failed in a lane: " + "; ".join(failures))
        report()
        return processed

    # -------------------------------------------------------- repairing

    def retry(self, positions: Sequence[int] | None = None) -> RetryResult:
        """Apply quarantined events again (all open ones, or those at `positions`), after
        an upcaster or a code fix: each one applied leaves quarantine; one that still
        fails stays, with the events of its aggregate held back behind it.

        An aggregate's events are retried in their recorded order, from its first open
        entry: naming a held-back event retries the event it waits for first.
        """
        names = [p.name for p in self.projections]
        with self.engine.connect() as conn:
            wanted = quarantine.entries(conn, projections=names, positions=positions)
        unknown = sorted(set(positions or ()) - {e.position for e in wanted})
        if unknown:
            raise PlanlogError(
                "没有隔离中的事件 / no quarantined event at position "
                + ", ".join(f"#{p}" for p in unknown)
            )
        fixed = [e for e in wanted if e.open and not self._projection(e.projection).quarantinable]
        if fixed and positions:
            others = sorted({e.projection for e in wanted if e.open and e not in fixed})
            raise self._not_quarantinable(
                fixed,
                f"；其他投影（{', '.join(others)}）可用不带位置的 retry 重试" if others else "",
                f"; retry without positions retries {', '.join(others)}" if others else "",
            )
        for entry in fixed:  # entered by an older planlog; retrying would skip the event
            log.warning(
                "%s never quarantines events: event #%s left as it is, not retried",
                entry.projection,
                entry.position,
            )
        wanted = [e for e in wanted if e not in fixed]
        result = RetryResult([], [])
        chains: dict[tuple[str, str], None] = {}  # in log order of their first entry
        for entry in wanted:
            if entry.open:
                chains.setdefault((entry.projection, entry.aggregate_id))
        for name, aggregate_id in chains:
            self._retry_chain(self._projection(name), aggregate_id, result)
        return result

    def release(
        self, position: int, *, actor: str, reason: str, projection: str | None = None
    ) -> list[QuarantinedEvent]:
        """Accept that a quarantined event stays unapplied (a compensating event was
        recorded, say): the entry stays, with who decided and why, and the events held
        back behind it are retried. Returns the entries released."""
        q = projection_quarantine.c
        names = [p.name for p in self.projections if projection in (None, p.name)]
        if projection is not None and not names:
            raise _no_projection(projection)
        released: list[QuarantinedEvent] = []
        with self.engine.connect() as conn:
            found = quarantine.entries(
                conn, projections=names, positions=[position], open_only=True
            )
        if not found:
            raise PlanlogError(
                f"事件 #{position} 不在{f' {projection} 的' if projection else ''}隔离中 / "
                f"event #{position} is not in quarantine"
                + (f" of {projection}" if projection else "")
            )
        fixed = [e for e in found if not self._projection(e.projection).quarantinable]
        if fixed:
            others = [e.projection for e in found if e not in fixed]
            raise self._not_quarantinable(
                fixed,
                f"；其他投影请用 --projection {'/'.join(others)} 放行" if others else "",
                f"; release it in {', '.join(others)} with --projection" if others else "",
            )
        for entry in found:
            with self.engine.begin() as conn:
                self._lock(conn, entry.projection)
                done = conn.execute(
                    update(projection_quarantine)
                    .where(
                        q.projection == entry.projection,
                        q.position == position,
                        q.released_at.is_(None),
                    )
                    .values(
                        released_at=self._now(),
                        released_by=quarantine.clean(actor, 200),
                        release_reason=quarantine.clean(reason, 2_000),
                        held_behind=None,
                    )
                )
            if done.rowcount:
                released.append(entry)
                log.warning(
                    "%s: event #%s released from quarantine by %s: %s",
                    entry.projection,
                    position,
                    actor,
                    reason,
                )
                # Held back only to keep their order behind this one: they may go now.
                self._retry_chain(
                    self._projection(entry.projection), entry.aggregate_id, RetryResult([], [])
                )
        return released

    def _projection(self, name: str) -> ReadModel:
        for projection in self.projections:
            if projection.name == name:
                return projection
        raise _no_projection(name)

    @staticmethod
    def _not_quarantinable(
        entries: list[QuarantinedEvent], hint_zh: str, hint_en: str
    ) -> NotQuarantinable:
        names = ", ".join(sorted({e.projection for e in entries}))
        at = ", ".join(f"#{p}" for p in sorted({e.position for e in entries}))
        return NotQuarantinable(
            f"{names} 从不隔离事件，不能重试或放行事件 {at}：它出错时整批投影停下并记入日志，"
            f"原因修复后下次运行会重试{hint_zh} / {names} never quarantines events, so event "
            f"{at} cannot be retried or released in it: its errors stop the batch (see the "
            f"log), and the next run tries again once the cause is fixed{hint_en}"
        )

    @staticmethod
    def _lock(conn: Connection, name: str) -> None:
        """Take the projection's tracking row (or SQLite's write lock), as a batch does, and
        bump its version: a batch computed before this transaction commits is refused by
        its compare-and-set and read again, as is its decision of what to hold back."""
        conn.execute(
            update(tracking).where(tracking.c.name == name).values(version=tracking.c.version + 1)
        )

    def _retry_chain(self, projection: ReadModel, aggregate_id: str, result: RetryResult) -> None:
        """Retry one aggregate's open entries in order, up to the first that still fails."""
        q = projection_quarantine.c
        while True:
            with self.engine.connect() as conn:
                pending = quarantine.entries(
                    conn,
                    projections=[projection.name],
                    aggregate_ids=[aggregate_id],
                    open_only=True,
                )
            if not pending:
                return
            entry = pending[0]
            found = self.reader.read(entry.position - 1, entry.position, 1)
            if not found or found[0].position != entry.position:
                self._fail_retry(
                    projection.name,
                    entry,
                    "事件已不在日志中 / the event is no longer in the log",
                    result,
                )
                return
            change = [found[0]]
            wanted = projection.types is None or change[0].type in projection.types
            try:
                with self.engine.begin() as conn:
                    # Lock first, then compute the rows on what this transaction sees: a
                    # batch the live runner committed before is in it (a timeline key it
                    # took, say), and none can commit until this one has.
                    self._lock(conn, projection.name)
                    gone = conn.execute(
                        projection_quarantine.delete().where(
                            q.projection == projection.name,
                            q.position == entry.position,
                            q.released_at.is_(None),
                        )
                    )
                    if gone.rowcount != 1:
                        continue  # another retry took it: look again
                    if wanted:
                        write = self._prepare(projection, conn, change)
                        self._write(projection, conn, write, change)
            except Refused as refused:
                problem = quarantine.describe(refused.error)
                self._fail_retry(projection.name, entry, problem, result)
                return
            result.applied.append(entry)
            log.warning(
                "%s applied quarantined event #%s (%s) on retry",
                projection.name,
                entry.position,
                entry.type,
            )

    def _fail_retry(
        self, name: str, entry: QuarantinedEvent, problem: str, result: RetryResult
    ) -> None:
        """The entry stays, as the one its aggregate's later entries wait for."""
        q = projection_quarantine.c
        with self.engine.begin() as conn:
            self._lock(conn, name)
            conn.execute(
                update(projection_quarantine)
                .where(q.projection == name, q.position == entry.position)
                .values(
                    error=problem,
                    held_behind=None,
                    last_tried=self._now(),
                    attempts=q.attempts + 1,
                )
            )
            conn.execute(
                update(projection_quarantine)
                .where(
                    q.projection == name,
                    q.aggregate_id == entry.aggregate_id,
                    q.position > entry.position,
                    q.released_at.is_(None),
                )
                .values(
                    held_behind=entry.position,
                    error=quarantine.held_back(entry.position),
                )
            )
        with self.engine.connect() as conn:
            result.failed.extend(
                quarantine.entries(conn, projections=[name], positions=[entry.position])
            )
        log.warning(
            "%s still cannot apply quarantined event #%s (%s): %s",
            name,
            entry.position,
            entry.type,
            problem,
        )

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


def _add_tracking_version(conn: Connection) -> None:
    """Give a tracking table made by an older planlog its version column."""
    columns = {c["name"] for c in inspect(conn).get_columns(tracking.name)}
    if "version" not in columns:
        conn.exec_driver_sql(
            f"ALTER TABLE {tracking.name} ADD COLUMN version INTEGER NOT NULL DEFAULT 0"
        )


def secondary_indexes(projections: Sequence[ReadModel]) -> list[Index]:
    return [index for p in projections for table in p.tables for index in table.indexes]


def restore_indexes(engine: Engine, projections: Sequence[ReadModel]) -> None:
    """Index the tables a rebuild loaded, then have the planner look at them again: its
    statistics still describe the emptied tables, and with them PostgreSQL plans reads of
    a million rows as reads of none (a federation's rollup and boards slowed severalfold
    after a rebuild until autovacuum came by)."""
    with engine.begin() as conn:
        for index in secondary_indexes(projections):
            index.create(conn, checkfirst=True)
        if conn.dialect.name == "postgresql":
            for table in {t.name for p in projections for t in p.tables}:
                conn.exec_driver_sql(f'ANALYZE "{table}"')


def default_lanes() -> int:
    # Past two lanes the lanes mostly wait for each other at the write lock.
    return max(1, min(2, os.cpu_count() or 1))


def split_into_lanes(
    projections: Sequence[ReadModel], lanes: int, *, others: Sequence[ReadModel] = ()
) -> list[list[ReadModel]]:
    """Share projections among lanes by their cost, heaviest first, to the lightest lane.

    `others` (projections not being rebuilt) go with the first lane, which is this process.
    """
    groups: list[list[ReadModel]] = [[] for _ in range(max(1, lanes))]
    load = [0.0] * len(groups)
    for projection in sorted(projections, key=lambda p: -p.cost):
        lightest = load.index(min(load))
        groups[lightest].append(projection)
        load[lightest] += projection.cost
    groups[0].extend(others)
    return [group for group in groups if group] or [[]]


class _Lane:
    """A forked process that catches up some projections up to `head`."""

    def __init__(
        self, app: PlanlogApp, projections: list[ReadModel], batch_size: int, head: int
    ) -> None:
        context = multiprocessing.get_context("fork")
        self.names = ", ".join(p.name for p in projections)
        self._result, sender = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_run_lane,
            # forked, not pickled: the lane keeps this app's clock for what it records
            args=(app.store.url, app.clock, projections, batch_size, head, sender),
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
    url: str, clock: Any, projections: list[ReadModel], batch_size: int, head: int, result: Any
) -> None:
    # A forked child must not touch its parent's connections: it opens its own.
    try:
        app = PlanlogApp(url, clock=clock)
        runner = ReadModelRunner(app, projections, batch_size=batch_size, setup=False)
        runner.replay(until=head)
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
