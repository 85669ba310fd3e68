"""send_task: sending a federation task down to every union (任务下达), per copy.

A federation (a city over 20 districts over N unions, each union with its own plan of
`ITEMS` items) sends one item of its plan to the city: every union gets a copy, saved in
batches of 500 (SendTask). Measured on SQLite and PostgreSQL at 90 and 900 unions by
default (`python -m bench.send_task 90 900 9000` for more).

Baseline: one ordinary write on the same store in the same process (adding an item to a
union's plan, `AddItem`: load the plan, decide, save the plan and the item — what a copy
costs, done one command at a time), over up to 200 of the unions' plans. `ratio` = the time of one
ordinary write / the time per copy: how many times cheaper a copy is than a command,
which is what makes 9,000 unions take seconds. `growth` = the time per copy at the
largest size / at the smallest: flat (≈ 1) when nothing on the path grows with the
federation. The re-send (every union already served) is measured too: it must cost a
fraction of the send.

The setup writes the unions' plans straight through the aggregates (one registry load,
saves of 100 plans), not one CreatePlan each: the bench measures sending, not creating
plans (bench `federation` measures that).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from planlog.domain.model import Plan
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.handlers import plan_item

PG_DSN = os.environ.get("PLANLOG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
SIZES = (90, 900)
DISTRICTS = 20
ITEMS = 5
BASELINE_WRITES = 200
CITY = "基准市总工会"


def _parents(unions: int) -> dict[str, str | None]:
    parents: dict[str, str | None] = {CITY: None}
    for d in range(DISTRICTS):
        parents[f"基准第{d}区总工会"] = CITY
    for u in range(unions):
        parents[f"基准工会{u:05d}"] = f"基准第{u % DISTRICTS}区总工会"
    return parents


def _build(app: PlanlogApp, unions: int) -> tuple[Any, dict[str, str | None]]:
    parents = _parents(unions)
    for name, parent in parents.items():
        app.register_organisation(name, actor="bench", parent=parent)
    # Plans go straight into the log in batches (no register to write since plans are
    # found by their own creation events): the bench measures sending, not loading.
    pending: list[Any] = []
    spec = NewItem(title="工会工作", section="一、基准", dues=[date(2026, 6, 30)])
    for name in parents:
        if not name.startswith("基准工会"):
            continue
        plan = Plan.create(org=name, year=2026, title=f"{name}2026年计划", actor="bench")
        pending += [plan, *(plan_item(plan, spec, "bench") for _ in range(ITEMS))]
        if len(pending) > 600:
            app.save(*pending)
            pending = []
    app.save(*pending)
    city = app.create_plan(org=CITY, year=2026, title="市总2026年计划", actor="bench")
    source = app.add_item(
        city.id, NewItem(title="安全生产月活动", dues=[date(2026, 6, 30)]), actor="bench"
    )
    return source, parents


def _one_store(url: str, unions: int) -> dict[str, Any]:
    app = PlanlogApp(url)
    try:
        source, parents = _build(app, unions)
        plans = [e.plan_id for e in app.list_plans() if e.org.startswith("基准工会")]
        start = time.perf_counter()
        for n in range(BASELINE_WRITES):
            spec = NewItem(title=f"基准事项{n}", dues=[date(2026, 9, 30)])
            app.add_item(plans[n % len(plans)], spec, actor="b")
        write_ms = (time.perf_counter() - start) * 1000 / BASELINE_WRITES
        start = time.perf_counter()
        sent = app.send_task(source.id, [CITY], parents=parents, actor="bench")
        send_s = time.perf_counter() - start
        assert sent.copies == unions, sent
        start = time.perf_counter()
        again = app.send_task(source.id, [CITY], parents=parents, actor="bench")
        resend_s = time.perf_counter() - start
        assert again.copies == 0
        per_copy = send_s * 1000 / unions
        return {
            "unions": unions,
            "send_seconds": round(send_s, 3),
            "per_copy_ms": round(per_copy, 3),
            "write_ms": round(write_ms, 3),
            "ratio": round(write_ms / per_copy, 2),
            "resend_seconds": round(resend_s, 3),
        }
    finally:
        app.close()


def _sqlite(unions: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return _one_store(f"sqlite:///{Path(tmp) / 'send.db'}", unions)


def _postgres(unions: int) -> dict[str, Any]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    try:
        return _one_store(f"{PG_DSN}?schema={schema}", unions)
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for store, measure in (("sqlite", _sqlite), ("postgres", _postgres)):
        rows = [measure(n) for n in sizes]
        figures[store] = rows
        figures[f"{store}_growth"] = round(rows[-1]["per_copy_ms"] / rows[0]["per_copy_ms"], 2)
    largest = figures["postgres"][-1]
    # value: copies per second at the largest size on PostgreSQL; baseline: ordinary
    # writes per second on the same store
    figures["value"] = 1000 / largest["per_copy_ms"]
    figures["baseline"] = 1000 / largest["write_ms"]
    figures["sizes"] = list(sizes)
    return figures


if __name__ == "__main__":
    import json

    from bench.results_file import record

    chosen = tuple(int(a) for a in sys.argv[1:]) or SIZES
    result = run(chosen)
    entry = record("send_task", result.pop("value"), "copies/s", result.pop("baseline"), **result)
    print(json.dumps(entry, ensure_ascii=False, indent=2))
