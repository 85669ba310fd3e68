"""After a copy: project the read models from the copied log and verify its audit chain."""

from __future__ import annotations

from planlog.domain.errors import PlanlogError
from planlog.ops.carry import DELIVERY_PROJECTIONS
from planlog.projections.base import make_engine
from planlog.projections.chain import ChainHead, Layout, chain_as, layout, recomputed_at, verify
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp
from planlog.stages import Stages


class ChainBroken(PlanlogError):
    code = "chain_broken"


def prepare(url: str) -> PlanlogApp:
    """Open a store so that its tables exist (the copy writes into them)."""
    return PlanlogApp(url)


def chain_layout(url: str) -> Layout:
    """The schemes the store's chain was written with (see `planlog.projections.chain`)."""
    app = PlanlogApp(url)
    engine = make_engine(app.store)
    try:
        return layout(engine)
    finally:
        engine.dispose()
        app.close()


def keep_links(url: str, schemes: Layout, upto: int) -> None:
    """Chain a copied log up to `upto` under the schemes its source's chain was written
    with (already named for this kind of store: `Layout.translate`), before `settle`
    chains the rest under the current scheme: the copy's head is then the source's."""
    if upto < 1 or not schemes.ranges:
        return
    app = PlanlogApp(url)
    engine = make_engine(app.store)
    try:
        chain_as(app, engine, schemes, min(upto, schemes.ranges[-1][0]))
    finally:
        engine.dispose()
        app.close()


def settle(
    url: str, stages: Stages | None = None, *, delivery_carried: bool = False
) -> ChainHead | None:
    """Project every read model from the log and verify the audit chain; its head.
    `stages` receives the seconds each step took.

    With `delivery_carried` (the outbox rows were copied from the source beforehand,
    `planlog.ops.carry`), the outboxes are projected as live, not as a replay: a copied
    row is kept as it is, and a reminder the source had not yet projected is `pending`
    (a replay would mark it `replayed`, never to be sent)."""
    stages = stages if stages is not None else Stages()
    app = PlanlogApp(url)
    try:
        runner = ReadModelRunner(app)
        try:
            # rebuild, not catch_up: it indexes once at the end and projects in lanes
            with stages.timed("read_models"):
                if delivery_carried:
                    live = set(DELIVERY_PROJECTIONS)
                    runner.rebuild([p.name for p in runner.projections if p.name not in live])
                    runner.catch_up()
                else:
                    runner.rebuild()
            with stages.timed("verify"):
                report = verify(app, runner.engine)
        finally:
            runner.close()
    finally:
        app.close()
    if not report.ok:
        raise ChainBroken(
            f"复制后的审计链校验失败（the audit chain of the copy does not verify: "
            f"{report.first_bad}）"
        )
    return report.head


def log_head(url: str, position: int, schemes: Layout | None = None) -> ChainHead | None:
    """The chain's head at `position` recomputed from the log alone, each position under
    the scheme `schemes` (default: the store's chain) names for it."""
    if position < 1:
        return None
    schemes = schemes if schemes is not None else chain_layout(url)
    app = PlanlogApp(url)
    try:
        last, digest, _ = recomputed_at(app, position, schemes=schemes)
    finally:
        app.close()
    return {"position": last, "hash": digest}
