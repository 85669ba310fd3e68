"""`planlog migrate --from URL --to URL`: move a store (e.g. the embedded SQLite file)
to another (PostgreSQL) without losing or changing a single event.

The log is copied row for row (`planlog.ops.copy`: same positions, ids, versions, topics
and stored bytes, so the same recorded times and order), read back and compared, then
the target's read models are projected and its audit chain verified. The target's chain
is written under the schemes the source's was (`Layout.translate`: links a SQLite store
wrote under scheme 2 stay valid on PostgreSQL), the rest under the current one, whose
links are the same on either kind of store; so the target's head equals the source's,
hash for hash, and is checked to (`CopyMismatch` otherwise), and anchors made on the
source verify on the target. The digest of every row (`portable`) is reported too.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from typing import Any

from planlog.config import Settings
from planlog.domain.errors import PlanlogError
from planlog.ops.backup import evidence_store
from planlog.ops.carry import copy_rows
from planlog.ops.copy import CopyMismatch, copy_log
from planlog.ops.settle import chain_layout, keep_links, log_head, prepare, settle
from planlog.projections.base import make_engine
from planlog.projections.chain import ChainHead
from planlog.service.store import StoreSettings, parse_database_url
from planlog.stages import Stages


class SameStore(PlanlogError):
    code = "same_store"


@dataclass(frozen=True)
class Migrated:
    events: int
    head: ChainHead | None
    source_head: ChainHead | None
    portable: str
    seconds: float
    evidence_files: int
    stages: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "head": self.head,
            "seconds": round(self.seconds, 3),
            "source_head": self.source_head,
            "digest": self.portable,
            "evidence_files": self.evidence_files,
            "stages": self.stages,
        }


def migrate(source_url: str, target_url: str, settings: Settings | None = None) -> Migrated:
    started = time.perf_counter()
    source, target = parse_database_url(source_url), parse_database_url(target_url)
    if source.display == target.display:
        raise SameStore(
            f"源库与目标库相同：{source.display}（the source and the target are the same store）"
        )
    prepare(source_url).close()
    prepare(target_url).close()
    stages = Stages()
    with stages.timed("copy"):
        schemes = chain_layout(source_url)  # before the copy: a link written later is
        copied = copy_log(source, target)  # under the current scheme, as the target's is
    with stages.timed("keep_links"):
        keep_links(target_url, schemes.translate(source.kind, target.kind), copied.last_position)
    with stages.timed("state"):
        carry_state(source, target, copied.last_position)
    head = settle(target_url, stages, delivery_carried=True)
    with stages.timed("source_head"):
        source_head = log_head(source_url, copied.last_position, schemes)
    if head != source_head:
        raise CopyMismatch(
            f"目标库的审计链头 {head} 与源库的 {source_head} 不同"
            f"（the target's chain head {head} differs from the source's {source_head}）"
        )
    files = _copy_evidence(source, target, settings)
    return Migrated(
        copied.events,
        head,
        source_head,
        copied.digest,
        time.perf_counter() - started,
        files,
        stages.rounded(),
    )


def carry_state(source: StoreSettings, target: StoreSettings, last_position: int) -> int:
    """Settings, credentials and delivery state (`planlog.ops.carry`), before settling."""
    source_engine, target_engine = make_engine(source), make_engine(target)
    try:
        return copy_rows(source_engine, target_engine, last_position)
    finally:
        source_engine.dispose()
        target_engine.dispose()


def _copy_evidence(source: Any, target: Any, settings: Settings | None) -> int:
    """The evidence files follow the store when its directory is another one."""
    src, dst = evidence_store(source, settings), evidence_store(target, settings)
    if not src.root.is_dir() or src.root.resolve() == dst.root.resolve():
        return 0
    count = 0
    for sha, path in src.iter_files():
        out = dst.path_of(sha)
        out.parent.mkdir(parents=True, exist_ok=True)
        if not out.exists():
            shutil.copy2(path, out)
        count += 1
    return count
