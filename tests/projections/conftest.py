from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, select

from planlog.projections.base import metadata, tracking
from planlog.projections.plan_counts import org_moves
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp


def simulate_year(app: PlanlogApp, clock: Any, plans: int = 2) -> list[str]:
    """A plan's year in miniature: every kind of event, on a simulated clock."""
    app.register_organisation("市总工会", actor="admin", chair="张主席")
    app.register_organisation("区总工会", actor="admin", parent="市总工会")
    plan_ids = []
    for n in range(plans):
        org = "区总工会" if n % 2 else "市总工会"
        plan = app.create_plan(org=org, year=2026, title=f"2026年工作计划{n}", actor="chair")
        plan_ids.append(str(plan.id))
        half = app.add_item(
            plan.id,
            NewItem(
                title="女工工作报告",
                section="健全女工组织",
                responsible="工会女工",
                rrule="FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
            ),
            actor="chair",
        )
        window = app.add_item(
            plan.id,
            NewItem(
                title="职工之家申报",
                section="建家活动",
                responsible="李四",
                windows=[(date(2026, 6, 1), date(2026, 8, 31))],
            ),
            actor="chair",
        )
        dropped = app.add_item(
            plan.id,
            NewItem(title="春游", section="文体活动", dues=[date(2026, 4, 30)]),
            actor="chair",
        )
        clock.advance(days=20)
        app.report_progress(half.id, actor="工会女工", percent=30, note="起草")
        app.reassign(window.id, "王五", actor="chair", reason="人员调整")
        clock.advance(days=30)
        app.complete(half.id, actor="工会女工", occurrence="2026-06-30", note="已报送")
        app.move_occurrence(
            window.id, "2026-08-31", date(2026, 9, 15), actor="chair", reason="上级通知延期"
        )
        app.cancel_item(dropped.id, actor="chair", reason="经费压减")
        clock.advance(days=10)
        app.reopen(half.id, "2026-06-30", actor="auditor", reason="材料不全")
        app.revise(half.id, actor="chair", title="女职工工作情况报告")
        app.complete(half.id, actor="工会女工", occurrence="2026-06-30")
    return plan_ids


def dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row, sorted, for comparing two ways of building them. Not the
    positions kept beside the rows (`tracking`, and `org_moves`: the batch that last
    moved each organisation's figures), which follow how the log was cut in batches."""
    tables = [t for t in metadata.sorted_tables if t not in (tracking, org_moves)]
    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(repr, row)) for row in conn.execute(select(t))) for t in tables
        }


@pytest.fixture
def runner(app: PlanlogApp) -> Iterator[ReadModelRunner]:
    projection_runner = ReadModelRunner(app, batch_size=7)
    yield projection_runner
    projection_runner.close()


@pytest.fixture
def busy_year() -> Any:
    return simulate_year


@pytest.fixture
def read_model_rows() -> Any:
    return dump
