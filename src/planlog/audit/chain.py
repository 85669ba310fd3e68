"""A hash chain over the event log: auditors can show the record was not altered.

Each event's link is ``sha256(prev_hash | position | aggregate_id | version | type | payload)``,
where ``payload`` is the stored JSON bytes exactly as recorded, so changing, deleting or
inserting any event breaks every link from it on. The chain is kept by a projection that
only ever appends: a rebuild keeps the rows it finds and never re-chains a position it
has passed, so it cannot "bless" history altered after it was chained.

What the chain does not prove on its own: someone who can rewrite both the log and the
``audit_chain`` table can recompute a consistent chain. Against that, an auditor keeps the
head (`planlog audit head`) of an export and later asks `still_contains`, which recomputes
from the log alone and does not trust the table.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, TypedDict
from uuid import UUID

from sqlalchemy import Column, Engine, Integer, LargeBinary, Table, inspect, select
from sqlalchemy.engine import Connection

from planlog.application import PlanlogApp
from planlog.projections.base import Projection, Writer, metadata
from planlog.projections.bulk import chunks, insert_rows
from planlog.projections.changes import Change, ChangeReader, aggregate_id_text

GENESIS = "0" * 64  # the "previous hash" of the first event

#: The links, a block per projected batch: one row per event cost a rebuild more
#: than hashing the event did (bench/rebuild_rate.py). A block holds its links'
#: positions (little-endian int64) and SHA-256 digests (32 bytes each), in order.
audit_chain = Table(
    "audit_chain",
    metadata,
    Column("last_position", Integer, primary_key=True, autoincrement=False),
    Column("first_position", Integer, nullable=False),
    Column("positions", LargeBinary, nullable=False),
    Column("digests", LargeBinary, nullable=False),
)

_DIGEST = 32


def _block(links: list[tuple[int, bytes]]) -> tuple[int, int, bytes, bytes]:
    positions = array("q", [p for p, _ in links])
    if sys.byteorder == "big":
        positions.byteswap()
    return links[-1][0], links[0][0], positions.tobytes(), b"".join(d for _, d in links)


def _unblock(positions: bytes, digests: bytes) -> Iterator[tuple[int, str]]:
    numbers = array("q")
    numbers.frombytes(positions)
    if sys.byteorder == "big":
        numbers.byteswap()
    for n, position in enumerate(numbers):
        yield position, digests[n * _DIGEST : (n + 1) * _DIGEST].hex()


#: what `first_bad["code"]` can be, and the `problem` text that goes with it
ALTERED, MISSING, INSERTED = "altered", "missing", "inserted"
PROBLEMS = {
    # A mismatch cannot tell payload from identity (id, version, topic): both are hashed.
    ALTERED: "payload or identity altered",
    MISSING: "event missing from the log",
    INSERTED: "event inserted into the chained range",
}


class ChainHead(TypedDict):
    position: int
    hash: str


class BadEvent(TypedDict):
    position: int
    aggregate_id: str | None  # None when the event is missing: the log no longer says
    version: int | None
    type: str | None
    code: str
    problem: str


def _as_bytes(payload: Any) -> bytes:
    # Only a tampered row holds anything but bytes (e.g. TEXT written into SQLite's BLOB
    # column); hash it as stored rather than crash the projection or the verifier.
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    if payload is None:
        return b""
    return bytes(payload)


def _digest(
    prev: str, position: int, aggregate_id: str, version: int, kind: str, raw: Any
) -> bytes:
    digest = sha256(f"{prev}|{position}|{aggregate_id}|{version}|{kind}|".encode())
    # update() rather than concatenation: no copy of a large payload
    digest.update(raw if type(raw) is bytes else _as_bytes(raw))
    return digest.digest()


def link(prev: str, position: int, aggregate_id: str, version: int, kind: str, raw: Any) -> str:
    """The hash of one event, chained to the hash of the event before it."""
    return _digest(prev, position, aggregate_id, version, kind, raw).hex()


class ChainProjection(Projection):
    """Appends one link per event to `audit_chain`; never deletes or rewrites a link."""

    name = "audit_chain"
    cost = 2.0  # µs per event in bench/rebuild_rate.py
    tables = (audit_chain,)
    types = None
    rebuildable = False

    def reads_payload(self, event_type: str) -> bool:
        return False  # it hashes the payload as stored

    def reset(self, conn: Connection) -> None:
        """Keep the chain: links are evidence, and re-deriving them from the log as it is
        now would bless whatever was altered since they were written."""

    def prepare(self, snapshot: Connection, changes: list[Change]) -> Writer:
        top = _head(snapshot)
        head_position, prev = (top["position"], top["hash"]) if top else (0, GENESIS)
        # Only extend past the head. On a rebuild every chained position is skipped; an
        # event that appears below the head later (inserted into the log) is never
        # chained either, so verify() keeps reporting it.
        start = bisect_right(changes, head_position, key=_position)
        links: list[tuple[int, bytes]] = []
        for c in changes[start:]:
            digest = _digest(prev, c.position, c.aggregate_id, c.version, c.type, c.raw)
            prev = digest.hex()
            links.append((c.position, digest))

        def write(conn: Connection) -> None:
            if links:
                insert_rows(conn, audit_chain, [_block(links)])

        return write

    def migrate(self, conn: Connection) -> bool:
        """Re-pack a chain stored one link per row (planlog before blocks) into blocks."""
        columns = {c["name"] for c in inspect(conn).get_columns(audit_chain.name)}
        if columns != {"position", "hash"}:
            return False
        old = conn.exec_driver_sql("SELECT position, hash FROM audit_chain ORDER BY position")
        links = [(int(p), bytes.fromhex(str(h).strip())) for p, h in old]
        conn.exec_driver_sql("DROP TABLE audit_chain")
        audit_chain.create(conn)
        for block in chunks(links, 20_000):
            insert_rows(conn, audit_chain, [_block(block)])
        return True


def _position(change: Change) -> int:
    return change.position


def _head(conn: Connection) -> ChainHead | None:
    row = conn.execute(
        select(audit_chain.c.last_position, audit_chain.c.digests)
        .order_by(audit_chain.c.last_position.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"position": int(row[0]), "hash": bytes(row[1])[-_DIGEST:].hex()}


def head(engine: Engine) -> ChainHead | None:
    """The last chained event: what an auditor keeps to prove the history later."""
    with engine.connect() as conn:
        return _head(conn)


# ------------------------------------------------------------------ the raw log

LogRow = tuple[int, str, int, str, bytes]  # position, dashed aggregate id, version, type, raw


def _id_form(stored: Any) -> UUID | str:
    # A tampered SQLite row may hold any type where the recorder wrote hex text.
    return stored if isinstance(stored, UUID) else str(stored)


class _RawLog:
    """Reads the stored rows without decoding their JSON.

    `ChangeReader.rows`, not `.read`: that parses every payload, and a tampered payload
    that is no longer JSON must be reported as altered, not crash the verification.
    """

    def __init__(self, app: PlanlogApp) -> None:
        self._reader = ChangeReader(app.recorder, app.store)

    def batches(self, after: int, stop: int | None, size: int) -> Iterator[list[LogRow]]:
        """The rows with `after` < position <= `stop` (no upper bound: None), in order."""
        high = stop if stop is not None else 2**63 - 1
        while after < high:
            rows = [
                (int(p), aggregate_id_text(_id_form(o)), int(v), str(t).rpartition(":")[2], s)
                for p, o, v, t, s in self._reader.rows(after, high, size)
            ]
            if not rows:
                return
            yield rows
            after = rows[-1][0]

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> _RawLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def links(engine: Engine, *, batch_size: int = 20_000) -> list[tuple[int, str]]:
    """Every stored link as (position, hash), in position order."""
    top = head(engine)
    return list(_chained(engine, top["position"] if top else 0, batch_size))


def _chained(engine: Engine, upto: int, size: int) -> Iterator[tuple[int, str]]:
    """The links up to `upto` in position order, a batch per short read.

    Bounded by the head read before the walk: a runner may append links meanwhile, and
    those must not look like chained events missing from the log.
    """
    after = 0
    blocks = max(1, size // 1_000)  # blocks hold up to a batch of links each
    c = audit_chain.c
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(c.last_position, c.positions, c.digests)
                .where(c.last_position > after, c.first_position <= upto)
                .order_by(c.last_position)
                .limit(blocks)
            ).all()
        if not rows:
            return
        for _, positions, digests in rows:
            for position, digest in _unblock(bytes(positions), bytes(digests)):
                if position > upto:
                    return
                yield position, digest
        after = int(rows[-1][0])


# ----------------------------------------------------------------- verification


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int  # chained events recomputed and found intact (before any problem)
    head: ChainHead | None  # the last chained event
    unchained: int  # events after the head, not yet projected: not a failure
    first_bad: BadEvent | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head": dict(self.head) if self.head else None,
            "unchained": self.unchained,
            "first_bad": dict(self.first_bad) if self.first_bad else None,
        }


def _bad(position: int, code: str, row: LogRow | None = None) -> BadEvent:
    return {
        "position": position,
        "aggregate_id": row[1] if row else None,
        "version": row[2] if row else None,
        "type": row[3] if row else None,
        "code": code,
        "problem": PROBLEMS[code],
    }


def verify(app: PlanlogApp, engine: Engine, *, batch_size: int = 20_000) -> ChainReport:
    """Recompute the whole chain from the log and compare it with `audit_chain`.

    The walk stops at the first problem: every later link depends on it, so the first
    one is the one worth naming. The chain is not caught up here; callers do that first.
    """
    top = head(engine)
    head_position = top["position"] if top else 0
    chained = _chained(engine, head_position, batch_size)
    expected = next(chained, None)
    prev = GENESIS
    checked = unchained = 0
    first_bad: BadEvent | None = None
    with _RawLog(app) as log:
        for rows in log.batches(0, head_position, batch_size):
            for row in rows:
                position = row[0]
                if expected is not None and expected[0] < position:
                    first_bad = _bad(expected[0], MISSING)
                    break
                if expected is None or expected[0] > position:
                    first_bad = _bad(position, INSERTED, row)
                    break
                prev = link(prev, *row)
                if prev != expected[1]:
                    first_bad = _bad(position, ALTERED, row)
                    break
                checked += 1
                expected = next(chained, None)
            if first_bad is not None:
                break
        else:
            # links left over once the log ran out below the head: the events are gone
            if expected is not None:
                first_bad = _bad(expected[0], MISSING)
        for rows in log.batches(head_position, None, batch_size):
            unchained += len(rows)
    return ChainReport(first_bad is None, checked, top, unchained, first_bad)


def still_contains(app: PlanlogApp, engine: Engine, position: int, hash: str) -> bool:
    """Does the log still hold, unchanged, the history that ended at `position` with `hash`?

    Recomputed from the log alone, from the first event: `engine` (the `audit_chain`
    table) is deliberately not consulted, so a chain table rewritten together with the
    log cannot vouch for it. True also when events were appended after `position`.
    """
    del engine  # kept for a uniform signature with head() and verify(); see above
    if position < 1:
        return False
    prev, last = GENESIS, 0
    with _RawLog(app) as log:
        for rows in log.batches(0, position, 20_000):
            for row in rows:
                prev = link(prev, *row)
            last = rows[-1][0]
    return last == position and prev == hash.strip().lower()
