"""The digest outbox: every weekly laggard digest issued (督办周报) and whether it was sent.

Issuing a digest is an event (`Organisation.DigestIssued`, once per organisation and ISO
week); sending it is a side effect done by `planlog.scheduler.laggards`, which moves a
row from `pending` to `sent` (or `retrying`, `failed`, `no_channel`). Like the reminder
outbox, rows are history, never deleted: a rebuild keeps them, and a row a rebuild must
re-create (a wiped read-model database) is `replayed`, never sent.

A row is one issued digest, sent to each of its `chairs` (people, by id) or, when none
was registered, to the organisation itself. `delivered_to` remembers which recipient had
it on which channel, so a retry goes only to those still waiting: the row is `sent` once
every recipient had it.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

import orjson
from sqlalchemy import Column, Integer, String, Table, Text, UniqueConstraint, inspect, select
from sqlalchemy.engine import Connection

from planlog.domain.events import event_name
from planlog.domain.organisation import Organisation
from planlog.projections.base import ReadModel, metadata
from planlog.projections.bulk import insert_rows
from planlog.projections.changes import Change
from planlog.projections.outbox import PENDING, REPLAYED, utc_iso
from planlog.projections.payloads import Shape, Shapes

DIGEST_ISSUED = event_name(Organisation.DigestIssued)

digest_outbox = Table(
    "digest_outbox",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("org", Text, nullable=False),
    Column("week", String(8), nullable=False),
    Column("recipients", Text, nullable=False),  # JSON list of names
    Column("lagging", Text, nullable=False),  # JSON list of {org, overdue, percent_done}
    Column("more", Integer, nullable=False),
    Column("issued_at", String(40), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(40), nullable=False),
    Column("sent_at", String(40)),
    Column("last_error", Text),
    # Added with per-person digests; NULL in rows kept from before (and carried from an
    # older backup): no chair recorded, nothing delivered to anyone yet.
    Column("chairs", Text),  # JSON list of {person_id, name}; empty: the organisation
    # JSON list of [recipient, channel key] done (`delivery.channel_key`: a fingerprint
    # of the channel's URL; pairs with a masked channel, stored by an older version, are
    # kept but never match: that channel is sent to again)
    Column("delivered_to", Text),
    UniqueConstraint("org", "week", name="uq_digest_once"),
)

#: the recipient key of a digest addressed to the organisation itself (no chair person)
UNIT_RECIPIENT = ""
#: the columns added with per-person digests (migrated by adding them)
_ADDED = ("chairs", "delivered_to")
#: the columns of the layout before per-person digests
_COLUMNS_V1 = {c.name for c in digest_outbox.columns} - set(_ADDED)


class _DigestIssued(Shape):
    org: str
    week: str
    recipients: list[str]
    lagging: list[dict[str, object]]
    more: int = 0
    chairs: list[dict[str, str]] | None = None  # version 1 recorded none


class DigestOutboxProjection(ReadModel):
    name = "digests"
    cost = 0.5  # see ReadModel.cost
    tables = (digest_outbox,)
    types = frozenset({DIGEST_ISSUED})
    payloads: ClassVar[Shapes] = {DIGEST_ISSUED: _DigestIssued}
    rebuildable = False

    def reset(self, conn: Connection) -> None:
        """Delivery records are history, not a cache: a rebuild keeps them."""

    def migrate(self, conn: Connection) -> bool:
        """Rows kept by a planlog before per-person digests gain the two new columns
        (empty: such a row goes to its organisation, as it would have). Each is added
        only if missing: a migration cut off between the two (SQLite commits each ALTER
        on its own when run outside a transaction) must not block the next start."""
        columns = {c["name"] for c in inspect(conn).get_columns(digest_outbox.name)}
        missing = [name for name in _ADDED if name not in columns]
        if not missing or columns != _COLUMNS_V1 | (set(_ADDED) - set(missing)):
            return False  # not a layout this planlog knows
        for name in missing:
            conn.exec_driver_sql(f"ALTER TABLE digest_outbox ADD COLUMN {name} TEXT")
        return True

    def apply(self, conn: Connection, changes: list[Change]) -> None:
        positions = [c.position for c in changes]
        known = set(
            conn.execute(
                select(digest_outbox.c.position).where(
                    digest_outbox.c.position.between(min(positions), max(positions))
                )
            ).scalars()
        )
        status = REPLAYED if self.replaying else PENDING
        insert_rows(
            conn,
            digest_outbox,
            [
                (
                    c.position,
                    c.data["org"],
                    c.data["week"],
                    orjson.dumps(c.data["recipients"]).decode(),
                    orjson.dumps(c.data["lagging"]).decode(),
                    c.data.get("more", 0),
                    c.recorded_at,
                    status,
                    0,
                    utc_iso(datetime.fromisoformat(c.recorded_at)),
                    None,
                    None,
                    orjson.dumps(c.data.get("chairs") or []).decode(),
                    "[]",
                )
                for c in changes
                if c.position not in known
            ],
        )
