"""Hash scheme 3: one log gives one chain head on SQLite and PostgreSQL (the id is hashed in
one form), an id rewritten into another textual form still breaks the chain, and a store
chained under scheme 2 that goes on under scheme 3 still verifies and keeps its anchors."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.audit.test_chain import recomputed, record

from planlog.audit.anchor import check_anchors, write_anchor
from planlog.demo import load_demo
from planlog.ops.copy import copy_log
from planlog.projections.chain import (
    SCHEME,
    ChainProjection,
    Layout,
    audit_chain,
    chain_as,
    head,
    layout,
    still_contains,
    verify,
)
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp
from planlog.service.store import parse_database_url


def chained_head(url: str) -> dict[str, Any]:
    app = PlanlogApp(url)
    runner = ReadModelRunner(app, [ChainProjection()])
    try:
        runner.catch_up()
        report = verify(app, runner.engine)
        assert report.ok, report.first_bad
        assert report.head is not None
        return dict(report.head)
    finally:
        runner.close()
        app.close()


def test_scheme_3_is_what_new_links_are_written_with() -> None:
    assert SCHEME == 3


@pytest.mark.postgres
def test_scheme_3_gives_one_head_for_one_log_on_sqlite_and_postgresql(
    tmp_path: Path, pg_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'one.db'}"
    load_demo(sqlite_url, date.today())
    PlanlogApp(pg_url).close()  # its tables
    copy_log(parse_database_url(sqlite_url), parse_database_url(pg_url))
    on_sqlite, on_postgresql = chained_head(sqlite_url), chained_head(pg_url)
    assert on_sqlite["position"] > 100
    assert on_sqlite == on_postgresql


def test_the_links_follow_the_scheme_3_formula(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    """On SQLite the ids are stored as 32 hex digits and hashed as the UUID they spell."""
    record(app, clock)
    runner.catch_up()
    assert [(p, d) for p, d in _links(runner)] == recomputed(raw, scheme=3)
    if app.store.kind == "sqlite":
        assert recomputed(raw, scheme=3) != recomputed(raw, scheme=2)


def _links(runner: ReadModelRunner) -> list[tuple[int, str]]:
    from planlog.projections.chain import links

    return links(runner.engine)


def _schemes(runner: ReadModelRunner) -> list[int]:
    with runner.engine.connect() as conn:
        rows = conn.execute(audit_chain.select().order_by(audit_chain.c.last_position))
        return [int(r.scheme) for r in rows]


def test_a_store_chained_under_scheme_2_then_scheme_3_verifies_and_keeps_its_old_anchor(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any, tmp_path: Path
) -> None:
    _, ids = record(app, clock)
    # the chain as a planlog of scheme 2 wrote it
    upto = int(app.recorder.max_notification_id() or 0)
    old_head = chain_as(app, runner.engine, Layout.uniform(2), upto)
    assert old_head == {"position": upto, "hash": recomputed(raw, scheme=2)[-1][1]}
    anchors = tmp_path / "anchors"
    old_anchor = write_anchor(app, anchors, engine=runner.engine)
    assert old_anchor is not None and old_anchor["scheme"] == 2
    # this planlog goes on from there under scheme 3
    app.complete(ids[2], actor="李四", note="升级后完成")
    runner.catch_up()
    assert _schemes(runner)[0] == 2 and _schemes(runner)[-1] == 3
    report = verify(app, runner.engine)
    assert report.ok and report.checked == runner.head() > upto
    assert layout(runner.engine).ranges == [(upto, 2), (runner.head(), 3)]
    new_anchor = write_anchor(app, anchors, engine=runner.engine)
    assert new_anchor is not None and new_anchor["scheme"] == 3
    checked = check_anchors(app, runner.engine, anchors / "anchors.jsonl")
    assert checked.ok and checked.checked == 2, checked.first_bad
    assert still_contains(app, runner.engine, old_head["position"], old_head["hash"])
    top = head(runner.engine)
    assert top is not None and still_contains(app, runner.engine, top["position"], top["hash"])


def test_an_event_altered_in_the_scheme_2_part_of_a_mixed_chain_fails_its_anchor(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any, tmp_path: Path
) -> None:
    _, ids = record(app, clock)
    upto = int(app.recorder.max_notification_id() or 0)
    chain_as(app, runner.engine, Layout.uniform(2), upto)
    anchors = tmp_path / "anchors"
    assert write_anchor(app, anchors, engine=runner.engine) is not None
    app.complete(ids[2], actor="李四")
    runner.catch_up()
    target = raw.positions()["PlanItem.OccurrenceCompleted"]
    assert target < upto
    raw.set_state(target, raw.row(target)[3].replace("已完成".encode(), "未完成".encode()))
    report = verify(app, runner.engine)
    assert report.first_bad is not None
    assert (report.first_bad["position"], report.first_bad["code"]) == (target, "altered")
    checked = check_anchors(app, runner.engine, anchors / "anchors.jsonl")
    assert not checked.ok and checked.first_bad is not None
    assert checked.first_bad["code"] == "rechained"
