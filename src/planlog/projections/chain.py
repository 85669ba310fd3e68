"""A hash chain over the event log: auditors can show the record was not altered.

Each event's link hashes the row as the log stores it, byte for byte, except that the
originator id is hashed in one form on every kind of store (scheme 3)::

    link = sha256(prev ‖ F(position) ‖ F(originator_version) ‖ F(originator_id)
                  ‖ F(topic) ‖ F(state))

where ``prev`` is the previous link's 32 bytes (32 zero bytes before the first event) and
``F`` writes a stored value with a tag naming its stored type: ``i`` and 8 bytes (an
integer, big-endian two's complement); ``u`` and 16 bytes (a UUID); ``n`` (NULL); or
``t`` (text, UTF-8), ``b`` (bytes), ``r`` (anything else: its type and repr) followed by
the data's length in decimal digits, ``:`` and the data. The id field is canonical: a
text id of exactly 32 lowercase hex digits (what eventsourcing's SQLite recorder writes)
is hashed as the UUID it spells (``u`` and 16 bytes), as PostgreSQL's uuid column is, so
one log gives one head on either store (`planlog migrate`, `restore` across kinds); any
other stored id keeps its own tag, so an id rewritten into another textual form (which
drops the event from its aggregate) still breaks the link. The topic is hashed whole
(module and class). Changing, deleting or inserting any event breaks every link from it on.

Blocks keep the scheme they were written with (the ``scheme`` column) and are verified
under it, so a store that switched schemes mid-way still verifies, and a head recomputed
from the log alone (anchors, `still_contains`, migrate's proof) follows each position's
scheme (`Layout`). Earlier schemes:

- scheme 2: as scheme 3, but the id in the form the store keeps it (32 hex digits as
  text on SQLite, a uuid on PostgreSQL), so a store's head depended on its kind;
- scheme 4 is scheme 2 as a SQLite store kept it, on a store that holds uuids: how a
  copy to PostgreSQL (`migrate`, `restore`) keeps the links a SQLite store wrote under
  scheme 2 (`translate`). On PostgreSQL, scheme 2 links are scheme 3 links already;
- scheme 1 hashed ``f"{prev_hex}|{position}|{dashed id}|{version}|{class}|" + state``;
  blocks written under it are still verified under it (see `migrate`).

The chain is kept by a projection that only ever appends: a rebuild keeps the rows it
finds and never re-chains a position it has passed, so it cannot "bless" history altered
after it was chained. `verify` also fails when events the projection has read were never
chained (the last links were deleted), and when an event's recorded time goes back
before the events ahead of it (an event appended later, back-dated). Recorded times are
held to that order from where the chain adopted scheme 2 (`audit_chain_adopted`): from
the first event in a store chained under it from the start, after the head at upgrade time
in a store chained under scheme 1, whose history was recorded before the check existed.

What the chain does not prove on its own: someone who can rewrite both the log and the
``audit_chain`` table can recompute a consistent chain. Against that, heads are kept
outside the database (`planlog.audit.anchor`, and the head of every export) and
`still_contains` / `check_anchors` recompute from the log alone, not trusting the table.
"""

from __future__ import annotations

import logging
import struct
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any, TypedDict
from uuid import UUID

import orjson
from sqlalchemy import Column, Engine, Integer, LargeBinary, String, Table, func, inspect, select
from sqlalchemy.engine import Connection

from planlog.projections.base import ReadModel, Writer, metadata, tracking
from planlog.projections.bulk import chunks, insert_rows
from planlog.projections.changes import EVENTS_TABLES, Change, ChangeReader, aggregate_id_text
from planlog.service.app import PlanlogApp

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the "previous hash" of the first event
_GENESIS = bytes(32)
SCHEME = 3  # the hash scheme links are written with now; see the module's docstring
SCHEMES = (1, 2, 3, 4)  # every scheme a stored block or an anchor may name
_DIGEST = 32

#: The links, a block per projected batch: one row per event cost a rebuild more
#: than hashing the event did (bench/rebuild_rate.py). A block holds its links'
#: positions (little-endian int64), SHA-256 digests (32 bytes each), in order, and the
#: hash scheme they were computed with.
audit_chain = Table(
    "audit_chain",
    metadata,
    Column("last_position", Integer, primary_key=True, autoincrement=False),
    Column("first_position", Integer, nullable=False),
    Column("positions", LargeBinary, nullable=False),
    Column("digests", LargeBinary, nullable=False),
    Column("scheme", Integer, nullable=False),
)

#: Where the chain adopted a hash scheme, and after which position it holds recorded times
#: to their order. A store chained under scheme 1 recorded its history before that check
#: existed: a demo loaded after real events, a clock stepped back (NTP, a VM restored)
#: would turn it red for ever, with no remedy, since the log cannot be edited. Written by
#: `ChainProjection.migrate` only; no row means every event is checked (a fresh store),
#: so deleting the row makes the check stricter, never laxer. `verify` reports the value.
audit_chain_adopted = Table(
    "audit_chain_adopted",
    metadata,
    Column("scheme", Integer, primary_key=True, autoincrement=False),
    Column("times_checked_after", Integer, nullable=False),
    Column("adopted_at", String(40), nullable=False),
)

#: an audit_chain table as planlog stored it before schemes: blocks, or a link per row
_BLOCKS_V1 = {"last_position", "first_position", "positions", "digests"}
_ROWS_V1 = {"position", "hash"}

#: how far a recorded time may go back before the latest earlier one. Two commands
#: taken at once in two processes commit in either order, so the log's positions and
#: its recorded times can disagree by as long as a command runs (a large import: some
#: seconds); a back-dated entry worth forging goes back days.
CLOCK_SKEW = timedelta(minutes=5)


def _block(
    links: list[tuple[int, bytes]], scheme: int = SCHEME
) -> tuple[int, int, bytes, bytes, int]:
    positions = array("q", [p for p, _ in links])
    if sys.byteorder == "big":
        positions.byteswap()
    digests = b"".join(d for _, d in links)
    return links[-1][0], links[0][0], positions.tobytes(), digests, scheme


def _unblock(positions: bytes, digests: bytes) -> Iterator[tuple[int, bytes]]:
    numbers = array("q")
    numbers.frombytes(positions)
    if sys.byteorder == "big":
        numbers.byteswap()
    for n, position in enumerate(numbers):
        yield position, digests[n * _DIGEST : (n + 1) * _DIGEST]


#: what `first_bad["code"]` can be, and the `problem` text that goes with it
ALTERED, MISSING, INSERTED = "altered", "missing", "inserted"
UNCHAINED, BACKDATED, UNDATED = "unchained", "backdated", "undated"
PROBLEMS = {
    # A mismatch cannot tell payload from identity (id, version, topic): all are hashed.
    ALTERED: "payload or identity altered",
    MISSING: "event missing from the log",
    INSERTED: "event inserted into the chained range",
    UNCHAINED: "event behind the chain's position was never chained (links deleted)",
    BACKDATED: "recorded time goes back before an earlier event's",
    UNDATED: "recorded time missing or unreadable",
}
#: the same in Chinese, for the doors that show a problem to people
PROBLEMS_ZH = {
    ALTERED: "内容被改动",
    MISSING: "事件已从日志中删除",
    INSERTED: "事件被插入已入链的范围",
    UNCHAINED: "已读过的事件未入链（链尾被删除）",
    BACKDATED: "记录时间早于之前的事件（倒签）",
    UNDATED: "记录时间缺失或无法读取",
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
    detail: str | None  # what exactly, where there is more to say than `problem`


# ------------------------------------------------------------------ the hashes


_INT = struct.Struct(">q")
_INTS = struct.Struct(">cqcq")  # position and version, tagged: every link starts with them


def _field(value: Any) -> bytes:
    """A stored value as typed bytes whose extent is known: no two stored values alike."""
    kind = type(value)
    if kind is str:
        tag, data = b"t", value.encode("utf-8", "surrogatepass")
    elif kind is bytes:
        tag, data = b"b", value
    elif kind is int and -(2**63) <= value < 2**63:  # every integer SQL stores
        return b"i" + _INT.pack(value)
    elif isinstance(value, UUID):
        return b"u" + value.bytes
    elif value is None:
        return b"n"
    elif isinstance(value, bytearray | memoryview):
        tag, data = b"b", bytes(value)
    else:  # only a tampered row: a float or such in SQLite's loosely typed columns
        tag, data = b"r", f"{kind.__name__}:{value!r}".encode("utf-8", "surrogatepass")
    return b"%b%d:%b" % (tag, len(data), data)


def _digest(
    prev: bytes, position: int, version: Any, stored_id: bytes, topic: bytes, state: Any
) -> bytes:
    """Scheme 2; `stored_id` and `topic` come already as `_field`s (callers cache them)."""
    if type(version) is int and type(state) is bytes:  # every untampered row
        try:
            ints = _INTS.pack(b"i", position, b"i", version)
        except struct.error:  # beyond 64 bits: not from SQL
            ints = _field(position) + _field(version)
        digest = sha256(prev + ints + stored_id + topic + b"b%d:" % len(state))
        digest.update(state)  # update() rather than concatenation: no copy of the payload
        return digest.digest()
    message = prev + _field(position) + _field(version) + stored_id + topic + _field(state)
    return sha256(message).digest()


_HEX_DIGITS = frozenset("0123456789abcdef")


def _canonical_id(value: Any) -> bytes:
    """Scheme 3's id field: 32 lowercase hex digits as text count as the UUID they spell."""
    if type(value) is str and len(value) == 32 and _HEX_DIGITS.issuperset(value):
        return b"u" + bytes.fromhex(value)
    return _field(value)


def _sqlite_id(value: Any) -> bytes:
    """Scheme 4's id field: a uuid as the 32 hex digits SQLite's recorder keeps it as."""
    return _field(value.hex if isinstance(value, UUID) else value)


#: the id field of each scheme after 1 (the rest of the link is the same)
_ID_FIELDS: dict[int, Callable[[Any], bytes]] = {2: _field, 3: _canonical_id, 4: _sqlite_id}


class _Fields:
    """Ids and topics as `_field`s, remembered: a log holds many events of one aggregate."""

    #: entries before it starts afresh. Small: `audit verify` walks the whole log with one
    #: of these, and 200,000 remembered ids (~400 bytes each) made its memory grow with the
    #: federation up to 4,000 unions (+37 MB at 2,000); a `_field` costs about what a
    #: lookup does, so forgetting costs no time worth measuring.
    LIMIT = 10_000

    def __init__(self, field: Callable[[Any], bytes] | None = None) -> None:
        self.known: dict[object, bytes] = {}
        self._field = field or _field

    def __call__(self, value: Any) -> bytes:
        found = self.known.get(value)
        if found is None:
            found = self._field(value)
            # Only text and uuids are remembered: 1, 1.0 and True are one dict key, and a
            # tampered SQLite row may hold any of them.
            if type(value) is str or type(value) is UUID:
                if len(self.known) >= self.LIMIT:
                    self.known.clear()
                self.known[value] = found
        return found


def _as_bytes(payload: Any) -> bytes:
    # Only a tampered row holds anything but bytes (e.g. TEXT written into SQLite's BLOB
    # column); scheme 1 hashed it as stored rather than crash the verifier.
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    if payload is None:
        return b""
    return bytes(payload)


def _digest_v1(
    prev: str, position: int, aggregate_id: str, version: int, kind: str, raw: Any
) -> bytes:
    digest = sha256(f"{prev}|{position}|{aggregate_id}|{version}|{kind}|".encode())
    digest.update(raw if type(raw) is bytes else _as_bytes(raw))
    return digest.digest()


def link(prev: str, position: int, aggregate_id: str, version: int, kind: str, raw: Any) -> str:
    """The scheme-1 hash of one event (dashed id, class name only), chained to the previous
    one: how links were computed before scheme 2, kept to verify chains written then."""
    return _digest_v1(prev, position, aggregate_id, version, kind, raw).hex()


def _id_form(stored: Any) -> UUID | str:
    # A tampered SQLite row may hold any type where the recorder wrote hex text.
    return stored if isinstance(stored, UUID) else str(stored)


def _kind(topic: Any) -> str:
    return str(topic).rpartition(":")[2]


def _v1(prev: bytes, row: StoredRow) -> bytes:
    position, stored_id, version, topic, state = row
    return _digest_v1(
        prev.hex(), position, aggregate_id_text(_id_form(stored_id)), version, _kind(topic), state
    )


# ------------------------------------------------------------------ the projection


class ChainProjection(ReadModel):
    """Appends one link per event to `audit_chain`; never deletes or rewrites a link."""

    name = "audit_chain"
    cost = 0.4  # see ReadModel.cost
    tables = (audit_chain,)
    types = None
    rebuildable = False
    quarantinable = False  # a skipped event would break every later link

    def reads_payload(self, event_type: str) -> bool:
        return False  # it hashes the payload as stored

    def reset(self, conn: Connection) -> None:
        """Keep the chain: links are evidence, and re-deriving them from the log as it is
        now would bless whatever was altered since they were written."""

    def prepare(self, snapshot: Connection, changes: list[Change]) -> Writer:
        top = _head(snapshot)
        head_position, prev = (
            (top["position"], bytes.fromhex(top["hash"])) if top else (0, _GENESIS)
        )
        # Only extend past the head. On a rebuild every chained position is skipped; an
        # event that appears below the head later (inserted into the log) is never
        # chained either, so verify() keeps reporting it.
        start = bisect_right(changes, head_position, key=_position)
        links = _link(prev, changes[start:])

        def write(conn: Connection) -> None:
            if links:
                insert_rows(conn, audit_chain, [_block(links)])

        return write

    def migrate(self, conn: Connection) -> bool:
        """Bring a chain stored by an older planlog (a link per row, or blocks without a
        scheme) to this layout.

        Its links were hashed under scheme 1. If they still verify against the log under
        scheme 1, the same events are chained again under the current scheme: nothing is
        blessed that the old chain did not already vouch for. If they do not, they are kept
        as they are, marked scheme 1, so that verify() goes on naming the event that breaks
        them.
        """
        columns = {c["name"] for c in inspect(conn).get_columns(audit_chain.name)}
        old_rows: list[tuple[int, bytes]] | None = None
        if columns == _ROWS_V1:
            query = "SELECT position, hash FROM audit_chain ORDER BY position"
            old_rows = [
                (int(p), bytes.fromhex(str(h).strip())) for p, h in conn.exec_driver_sql(query)
            ]
            conn.exec_driver_sql("DROP TABLE audit_chain")
            audit_chain.create(conn)
            old: Iterable[tuple[int, bytes]] = old_rows
        elif columns == _BLOCKS_V1:
            conn.exec_driver_sql(
                "ALTER TABLE audit_chain ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1"
            )
            old = _stored_links(conn)
        else:
            return False
        intact, last = _intact_v1(conn, old)
        if intact:
            conn.execute(audit_chain.delete())
            count = _rechain(conn, last)
            log.warning("audit_chain: %d links verified under scheme 1 and re-chained", count)
        else:
            if old_rows:
                for block in chunks(old_rows, 20_000):
                    insert_rows(conn, audit_chain, [_block(block, scheme=1)])
            log.warning(
                "audit_chain: the chain does not verify under scheme 1; kept as it is "
                "(planlog audit verify names the first event that breaks it)"
            )
        top = _head(conn)
        _adopt(conn, top["position"] if top else 0)
        return True


def _link(prev: bytes, changes: list[Change]) -> list[tuple[int, bytes]]:
    """`_digest` over a batch, inlined for the untampered rows: a rebuild hashes every
    event, and a call per event made it cost 2.7 µs instead of 2.2 (on bench/'s store)."""
    links: list[tuple[int, bytes]] = []
    append, new, pack = links.append, sha256, _INTS.pack
    fields, id_fields = _Fields(), _Fields(_ID_FIELDS[SCHEME])
    # they hold text and uuid keys only, so any stored value may look up
    known, known_ids = fields.known, id_fields.known
    for position, _, version, _, _, _, state, stored_id, topic in changes:
        ids = known_ids.get(stored_id) or id_fields(stored_id)
        kind = known.get(topic) or fields(topic)
        try:
            if type(version) is not int or type(state) is not bytes:
                raise TypeError  # only a tampered row
            ints = pack(b"i", position, b"i", version)  # struct.error beyond 64 bits
        except (TypeError, struct.error):
            prev = _digest(prev, position, version, ids, kind, state)
        else:
            digest = new(prev + ints + ids + kind + b"b%d:" % len(state))
            digest.update(state)
            prev = digest.digest()
        append((position, prev))
    return links


def _position(change: Change) -> int:
    return change.position


def _adopt(conn: Connection, times_checked_after: int) -> None:
    """Record that the chain adopted `SCHEME` with its head at `times_checked_after`.

    Called from `migrate`, which runs before the runner creates missing tables."""
    audit_chain_adopted.create(conn, checkfirst=True)
    conn.execute(audit_chain_adopted.delete().where(audit_chain_adopted.c.scheme == SCHEME))
    conn.execute(
        audit_chain_adopted.insert().values(
            scheme=SCHEME,
            times_checked_after=times_checked_after,
            adopted_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
    )
    log.warning(
        "audit_chain: recorded times are checked after #%d, the head when scheme %d was "
        "adopted (the history before it was recorded before that check existed)",
        times_checked_after,
        SCHEME,
    )


def _stored_links(conn: Connection) -> Iterator[tuple[int, bytes]]:
    """Every link of the table as (position, digest), read a few blocks at a time."""
    c, after = audit_chain.c, 0
    while True:
        rows = conn.execute(
            select(c.last_position, c.positions, c.digests)
            .where(c.last_position > after)
            .order_by(c.last_position)
            .limit(20)
        ).all()
        if not rows:
            return
        for _, positions, digests in rows:
            yield from _unblock(bytes(positions), bytes(digests))
        after = int(rows[-1][0])


def _log_rows(conn: Connection, after: int, upto: int) -> Iterator[StoredRow]:
    """The log's rows after `after` up to `upto`, through a read-model connection (the log
    lives in the same SQLite file or PostgreSQL schema)."""
    dialect = conn.dialect.name
    table = EVENTS_TABLES[dialect]
    column = "rowid" if dialect == "sqlite" else "notification_id"
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    query = (
        f"SELECT {column}, originator_id, originator_version, topic, state FROM {table} "
        f"WHERE {column} > {mark} AND {column} <= {mark} ORDER BY {column} LIMIT 5000"
    )
    while after < upto:
        rows = conn.exec_driver_sql(query, (after, upto)).all()
        if not rows:
            return
        for row in rows:
            yield int(row[0]), row[1], row[2], row[3], row[4]
        after = int(rows[-1][0])


def _intact_v1(conn: Connection, old: Iterable[tuple[int, bytes]]) -> tuple[bool, int]:
    """Do these scheme-1 links match the log, event for event? And the last position."""
    links = iter(old)
    expected = next(links, None)
    if expected is None:
        return True, 0
    last, prev = 0, _GENESIS
    # the links end where the log rows are read to; read the last one lazily
    for row in _log_rows(conn, 0, 2**62):
        if expected is None:
            break
        if row[0] != expected[0]:
            return False, last
        prev = _v1(prev, row)
        if prev != expected[1]:
            return False, last
        last = row[0]
        expected = next(links, None)
    return expected is None, last


def _rechain(conn: Connection, upto: int) -> int:
    count = 0
    chain = _Recompute()
    batch: list[tuple[int, bytes]] = []
    for row in _log_rows(conn, 0, upto):
        batch.append((row[0], chain(row)))
        if len(batch) == 20_000:
            insert_rows(conn, audit_chain, [_block(batch)])
            count += len(batch)
            batch = []
    if batch:
        insert_rows(conn, audit_chain, [_block(batch)])
        count += len(batch)
    return count


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


def _chain_state(engine: Engine) -> tuple[ChainHead | None, int, int]:
    """The chain's head, how far its projection has read the log, and after which
    position recorded times are checked, as one snapshot.

    One statement, so that a runner appending links meanwhile cannot make the two
    disagree (PostgreSQL's READ COMMITTED gives each statement its own snapshot).
    """
    c = audit_chain.c
    last = select(c.last_position).order_by(c.last_position.desc()).limit(1)
    digests = select(c.digests).order_by(c.last_position.desc()).limit(1)
    tracked = select(tracking.c.position).where(tracking.c.name == ChainProjection.name)
    a = audit_chain_adopted.c
    # the first adoption after scheme 1 (there is one at most): later schemes changed
    # how ids are hashed, not which recorded times are checked
    timed = select(func.min(a.times_checked_after)).where(a.scheme >= 2)
    with engine.connect() as conn:
        position, blob, read, times_after = conn.execute(
            select(
                last.scalar_subquery(),
                digests.scalar_subquery(),
                tracked.scalar_subquery(),
                timed.scalar_subquery(),
            )
        ).one()
    top: ChainHead | None = None
    if position is not None:
        top = {"position": int(position), "hash": bytes(blob)[-_DIGEST:].hex()}
    head_position = top["position"] if top else 0
    return top, max(int(read or 0), head_position), int(times_after or 0)


# ------------------------------------------------------------------ the raw log

StoredRow = tuple[int, Any, Any, Any, Any]  # position, id, version, topic, state as stored


class _RawLog:
    """Reads the stored rows without decoding their JSON.

    `ChangeReader.rows`, not `.read`: that parses every payload, and a tampered payload
    that is no longer JSON must be reported as altered, not crash the verification.
    """

    def __init__(self, app: PlanlogApp) -> None:
        self._reader = ChangeReader(app.recorder, app.store)

    def batches(self, after: int, stop: int | None, size: int) -> Iterator[list[StoredRow]]:
        """The rows with `after` < position <= `stop` (no upper bound: None), in order."""
        high = stop if stop is not None else 2**63 - 1
        while after < high:
            rows: list[StoredRow] = [
                (int(r[0]), r[1], r[2], r[3], r[4]) for r in self._reader.rows(after, high, size)
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
    return [(p, d.hex()) for p, d, _ in _chained(engine, top["position"] if top else 0, batch_size)]


def _chained(engine: Engine, upto: int, size: int) -> Iterator[tuple[int, bytes, int]]:
    """The links up to `upto` as (position, digest, scheme), in position order, a batch
    per short read.

    Bounded by the head read before the walk: a runner may append links meanwhile, and
    those must not look like chained events missing from the log.
    """
    after = 0
    blocks = max(1, size // 1_000)  # blocks hold up to a batch of links each
    c = audit_chain.c
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(c.last_position, c.positions, c.digests, c.scheme)
                .where(c.last_position > after, c.first_position <= upto)
                .order_by(c.last_position)
                .limit(blocks)
            ).all()
        if not rows:
            return
        for _, positions, digests, scheme in rows:
            for position, digest in _unblock(bytes(positions), bytes(digests)):
                if position > upto:
                    return
                yield position, digest, int(scheme)
        after = int(rows[-1][0])


class _Recompute:
    """The chain recomputed from the log, one stored row at a time."""

    def __init__(self) -> None:
        self.prev = _GENESIS
        self._fields = _Fields()
        self._ids = {scheme: _Fields(field) for scheme, field in _ID_FIELDS.items()}

    def __call__(self, row: StoredRow, scheme: int = SCHEME) -> bytes:
        if scheme == 1:
            self.prev = _v1(self.prev, row)
        else:
            position, stored_id, version, topic, state = row
            # a scheme no planlog wrote (a tampered column) is hashed as the current one
            ids = self._ids.get(scheme) or self._ids[SCHEME]
            self.prev = _digest(
                self.prev, position, version, ids(stored_id), self._fields(topic), state
            )
        return self.prev


class Layout:
    """Which scheme each position was chained with: ranges as (last position, scheme),
    each from the previous range's last position on; positions after the last range are
    chained under `SCHEME`. Only the schemes come from the `audit_chain` table: every
    hash is still recomputed from the log, so a table rewritten to name other schemes
    cannot make an altered log give an anchored hash."""

    def __init__(self, ranges: Iterable[tuple[int, int]] = ()) -> None:
        self.ranges: list[tuple[int, int]] = []
        for last, scheme in ranges:
            if self.ranges and self.ranges[-1][1] == scheme:
                self.ranges[-1] = (last, scheme)
            else:
                self.ranges.append((last, scheme))

    @classmethod
    def uniform(cls, scheme: int) -> Layout:
        return cls([(2**62, scheme)])

    def schemes(self) -> Callable[[int], int]:
        """The scheme of each position, asked in increasing order."""
        ranges, at = self.ranges, 0

        def scheme_of(position: int) -> int:
            nonlocal at
            while at < len(ranges) and ranges[at][0] < position:
                at += 1
            return ranges[at][1] if at < len(ranges) else SCHEME

        return scheme_of

    def translate(self, source_kind: str, target_kind: str) -> Layout:
        """The same links, named for a copy of the log in another kind of store: scheme 2
        hashed the id as its store kept it, so a SQLite store's scheme-2 links are scheme
        4 on PostgreSQL, and PostgreSQL's scheme-2 links are scheme 3 anywhere."""
        if source_kind == target_kind:
            return Layout(self.ranges)
        # into PostgreSQL: scheme 2 hashed SQLite's text; into SQLite: scheme 2 hashed
        # uuids (scheme 3 does), scheme 4 hashed the text SQLite keeps (scheme 2 does)
        names = {2: 4} if target_kind == "postgresql" else {2: 3, 4: 2}
        return Layout((last, names.get(scheme, scheme)) for last, scheme in self.ranges)

    def to_list(self) -> list[list[int]]:
        return [[last, scheme] for last, scheme in self.ranges]


def layout(engine: Engine) -> Layout:
    """The schemes the store's chain was written with (`Layout`), read from its table."""
    c = audit_chain.c
    with engine.connect() as conn:
        if not inspect(conn).has_table(audit_chain.name):
            return Layout()
        rows = conn.execute(select(c.last_position, c.scheme).order_by(c.last_position))
        return Layout((int(last), int(scheme)) for last, scheme in rows)


def log_links(
    app: PlanlogApp, upto: int, *, scheme: int | None = None, schemes: Layout | None = None
) -> Iterator[tuple[int, bytes]]:
    """The links (position, digest) recomputed from the log alone up to `upto`, under
    `scheme` throughout, else following `schemes` (default: every position under
    `SCHEME`)."""
    chain = _Recompute()
    plan = Layout.uniform(scheme) if scheme is not None else (schemes or Layout())
    scheme_of = plan.schemes()
    with _RawLog(app) as raw:
        for rows in raw.batches(0, upto, 20_000):
            for row in rows:
                yield row[0], chain(row, scheme_of(row[0]))


def chain_as(app: PlanlogApp, engine: Engine, schemes: Layout, upto: int) -> ChainHead | None:
    """Chain an unchained store's log up to `upto` following `schemes`: a copy of a log
    (`planlog migrate`, `restore`) keeps the links its source wrote, whichever schemes
    they were written with, so the copy's head is the source's. `verify` then checks
    every link against the copied log. Refuses a store whose chain is not empty."""
    with engine.begin() as conn:
        audit_chain.create(conn, checkfirst=True)
        if _head(conn) is not None:
            raise ValueError("audit_chain is not empty")
        batch: list[tuple[int, bytes]] = []
        scheme, scheme_of = 0, schemes.schemes()
        for position, digest in log_links(app, upto, schemes=schemes):
            now = scheme_of(position)
            if batch and (len(batch) == 20_000 or now != scheme):
                insert_rows(conn, audit_chain, [_block(batch, scheme)])
                batch = []
            scheme = now
            batch.append((position, digest))
        if batch:
            insert_rows(conn, audit_chain, [_block(batch, scheme)])
        return _head(conn)


# ------------------------------------------------------------------ recorded times

#: where eventsourcing writes an event's recorded time: its first field (see changes.py)
_STAMP_PREFIX = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
_STAMP_AT = len(_STAMP_PREFIX)


def _stamp(state: Any) -> str | None:
    try:
        if type(state) is bytes and state.startswith(_STAMP_PREFIX):
            return state[_STAMP_AT : state.index(b'"', _STAMP_AT)].decode()
        stamp = orjson.loads(state)["timestamp"]
        return str(stamp["_data_"] if isinstance(stamp, dict) else stamp)
    except (ValueError, KeyError, TypeError):  # orjson's JSONDecodeError is a ValueError
        return None


class _Times:
    """Recorded times must not go back by position (beyond `CLOCK_SKEW`)."""

    def __init__(self, skew: timedelta) -> None:
        self.skew = skew
        self.latest: datetime | None = None
        self.latest_at = 0
        self._last_stamp: str | None = None

    def check(self, row: StoredRow) -> tuple[str, str | None] | None:
        """None if the row's recorded time is in order, else (code, detail)."""
        stamp = _stamp(row[4])
        if stamp is not None and stamp == self._last_stamp:
            return None  # the events of one command share one time
        try:
            moment = datetime.fromisoformat(stamp) if stamp is not None else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            return UNDATED, f"recorded time {stamp!r}"
        self._last_stamp = stamp
        if self.latest is not None and moment < self.latest - self.skew:
            return BACKDATED, (
                f"recorded {moment.isoformat()}, before #{self.latest_at} recorded "
                f"{self.latest.isoformat()}"
            )
        if self.latest is None or moment > self.latest:
            self.latest, self.latest_at = moment, row[0]
        return None


# ----------------------------------------------------------------- verification


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int  # chained events recomputed and found intact (before any problem)
    head: ChainHead | None  # the last chained event
    unchained: int  # events after the head, not yet projected: not a failure
    first_bad: BadEvent | None
    #: recorded times are held to their order after this position (0: every event); see
    #: `audit_chain_adopted`
    times_checked_after: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "head": dict(self.head) if self.head else None,
            "unchained": self.unchained,
            "first_bad": dict(self.first_bad) if self.first_bad else None,
            "times_checked_after": self.times_checked_after,
        }


def _version(value: Any) -> int | None:
    return value if type(value) is int else None


def _bad(
    position: int, code: str, row: StoredRow | None = None, detail: str | None = None
) -> BadEvent:
    return {
        "position": position,
        "aggregate_id": aggregate_id_text(_id_form(row[1])) if row else None,
        "version": _version(row[2]) if row else None,
        "type": _kind(row[3]) if row else None,
        "code": code,
        "problem": PROBLEMS[code],
        "detail": detail,
    }


def verify(
    app: PlanlogApp,
    engine: Engine,
    *,
    batch_size: int = 20_000,
    clock_skew: timedelta = CLOCK_SKEW,
) -> ChainReport:
    """Recompute the whole chain from the log and compare it with `audit_chain`.

    Also a failure: an event the chain's projection has read but the chain does not hold
    (its links were deleted), and a recorded time that goes back by position, among the
    events after the position the chain adopted its scheme at (`audit_chain_adopted`).
    The walk stops at the first problem: every later link depends on it, so the first
    one is the one worth naming. The chain is not caught up here; callers do that first.
    """
    top, tracked, times_after = _chain_state(engine)
    head_position = top["position"] if top else 0
    chained = _chained(engine, head_position, batch_size)
    expected = next(chained, None)
    chain, times = _Recompute(), _Times(clock_skew)
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
                if chain(row, expected[2]) != expected[1]:
                    first_bad = _bad(position, ALTERED, row)
                    break
                late = times.check(row) if position > times_after else None
                if late is not None:
                    first_bad = _bad(position, late[0], row, late[1])
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
            if first_bad is None:
                first_bad = _after_head(rows, tracked, head_position, times, times_after)
    return ChainReport(first_bad is None, checked, top, unchained, first_bad, times_after)


def _after_head(
    rows: list[StoredRow], tracked: int, head_position: int, times: _Times, times_after: int
) -> BadEvent | None:
    """The first problem among events after the chain's head, if any."""
    for row in rows:
        if row[0] <= tracked:
            detail = f"the chain ends at #{head_position}; its projection read to #{tracked}"
            return _bad(row[0], UNCHAINED, row, detail)
        late = times.check(row) if row[0] > times_after else None
        if late is not None:
            return _bad(row[0], late[0], row, late[1])
    return None


def recomputed_at(
    app: PlanlogApp, position: int, *, scheme: int | None = None, schemes: Layout | None = None
) -> tuple[int, str, int]:
    """The link the log alone gives at `position`: (last position read, its hash, events),
    under `scheme` throughout, else following `schemes` (see `log_links`).

    The last position read is below `position` when the log no longer reaches it.
    """
    last, digest, count = 0, GENESIS, 0
    for last, raw in log_links(app, position, scheme=scheme, schemes=schemes):
        count += 1
        digest = raw.hex() if last == position else digest
    return last, digest if last == position else GENESIS, count


def still_contains(app: PlanlogApp, engine: Engine, position: int, hash: str) -> bool:
    """Does the log still hold, unchanged, the history that ended at `position` with `hash`?

    Recomputed from the log alone, from the first event: of `engine` (the `audit_chain`
    table) only the scheme each position was chained with is read (`Layout`), so a chain
    table rewritten together with the log cannot vouch for it. True also when events
    were appended after `position`. A head kept before scheme 2 is recomputed under
    scheme 1, as it was made.
    """
    if position < 1:
        return False
    wanted = hash.strip().lower()
    for schemes in (layout(engine), Layout.uniform(1)):
        last, digest, _ = recomputed_at(app, position, schemes=schemes)
        if last != position:
            return False
        if digest == wanted:
            return True
    return False
