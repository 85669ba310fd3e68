"""Which items reference which evidence file: one row per attachment.

The log answers "which files has this item" (its events); this read model answers the
other way round — "which items hold this file" — for the download, which serves a file
only to a caller who can see one of those items, and for `audit verify`, which checks
that every referenced file is still there and unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, select
from sqlalchemy.engine import Connection

from planlog.domain.events import event_name
from planlog.domain.model import PlanItem
from planlog.projections.base import ReadModel, metadata
from planlog.projections.bulk import insert_rows
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape, Shapes

evidence_refs = Table(
    "evidence_refs",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("item_id", String(36), nullable=False),
    Column("name", Text, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Index("ix_evidence_refs_sha256", "sha256"),
)

ATTACHED = event_name(PlanItem.EvidenceAttached)


class _File(Shape):
    sha256: str
    name: str
    content_type: str
    size: int


class _Attached(Shape):
    file: _File


class EvidenceProjection(ReadModel):
    name = "evidence"
    tables = (evidence_refs,)
    types = frozenset({ATTACHED})
    cost = 0.5  # see ReadModel.cost
    payloads: ClassVar[Shapes] = {ATTACHED: _Attached}

    def apply(self, conn: Connection, changes: list[Change]) -> None:
        rows = []
        for c in changes:
            if c.type == ATTACHED:
                f = c.data["file"]
                kind, size = f["content_type"], f["size"]
                rows.append((c.position, f["sha256"], c.aggregate_id, f["name"], kind, size))
        insert_rows(conn, evidence_refs, rows)


def items_holding(conn: Connection, sha256: str) -> list[dict[str, Any]]:
    """The attachments of one file, oldest first: item id, name, type, size."""
    query = (
        select(evidence_refs)
        .where(evidence_refs.c.sha256 == sha256)
        .order_by(evidence_refs.c.position)
    )
    return [dict(r._mapping) for r in conn.execute(query)]


def referenced_files(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every attachment, ordered by file hash then position."""
    query = select(evidence_refs).order_by(evidence_refs.c.sha256, evidence_refs.c.position)
    for row in conn.execute(query):
        yield dict(row._mapping)
