"""rebuild_rate: events per second of a full rebuild of every projection.

Baseline: raw sqlite3 SELECT of the same events table plus a JSON decode of each
payload (stdlib json), in the same process, on the same file. The rebuild runs
in a child process so that its peak RSS is its own.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from planlog.application import NewItem, PlanlogApp
from planlog.domain.clock import recording_clock
from planlog.domain.model import Plan, PlanItem
from planlog.projections.runner import ProjectionRunner

EVENTS = 200_000
ITEMS_PER_PLAN = 500
CHUNK = 400


def populate(db: Path, target: int = EVENTS) -> int:
    """Write a realistic store of at least `target` events: plans whose items are
    progressed, completed, reassigned, rescheduled and sometimes cancelled."""
    app = PlanlogApp(f"sqlite:///{db}")
    moment = datetime(2026, 1, 5, tzinfo=UTC)
    written = 0
    plan_no = 0
    with recording_clock(lambda: moment):
        while written < target:
            plan = app.create_plan(
                org=f"基层工会{plan_no % 50}", year=2026, title=f"工作计划{plan_no}", actor="chair"
            )
            plan_no += 1
            for start in range(0, ITEMS_PER_PLAN, CHUNK):
                plan = app.get_plan(plan.id)
                items = [_busy_item(app, plan, n) for n in range(start, start + CHUNK)]
                app.save(plan, *items)
            written = int(app.recorder.max_notification_id() or 0)
    app.close()
    return written


def _busy_item(app: PlanlogApp, plan: Plan, n: int) -> PlanItem:
    spec = NewItem(
        title=f"工作任务{n}",
        section=f"第{n % 6 + 1}部分",
        responsible=f"责任人{n % 40}",
        rrule="FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
    )
    item = app._plan_item(plan, spec, "chair")
    for due in list(item.occurrences)[: 1 + n % 4]:
        for percent in (20, 50, 80):
            item.report_progress(actor="li", occurrence=due, percent=percent, note="推进中")
        item.complete(actor="li", occurrence=due, done_on=date.fromisoformat(due))
    if n % 7 == 0:
        item.reassign(f"责任人{(n + 1) % 40}", actor="chair", reason="调整")
    if n % 11 == 0 and item.ordered_occurrences()[-1].status != "done":
        last = item.ordered_occurrences()[-1]
        item.reschedule([_later(last.due)], actor="chair", reason="延期")
    if n % 13 == 0:
        item.cancel(actor="chair", reason="取消")
    return item


def _later(day: date) -> Any:
    from planlog.domain.schedule import Occurrence

    return Occurrence(due=min(day + timedelta(days=10), date(2026, 12, 31)))


def raw_read(db: Path) -> tuple[int, float]:
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    cursor = conn.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
        "ORDER BY rowid"
    )
    count = 0
    while rows := cursor.fetchmany(5_000):
        for row in rows:
            json.loads(row[4])
            count += 1
    conn.close()
    return count, time.perf_counter() - start


def child(db: Path) -> dict[str, Any]:
    """Runs in its own process: baseline, then the rebuild, then peak RSS."""
    baseline_events, baseline_seconds = raw_read(db)
    app = PlanlogApp(f"sqlite:///{db}")
    runner = ProjectionRunner(app)
    start = time.perf_counter()
    rebuilt = runner.rebuild()
    seconds = time.perf_counter() - start
    return {
        "events": rebuilt,
        "seconds": seconds,
        "baseline_events": baseline_events,
        "baseline_seconds": baseline_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "rebuild.db"
        events = populate(db)
        # Warm the page cache so neither side pays for the first read from disk.
        raw_read(db)
        out = subprocess.run(
            [sys.executable, "-m", "bench.rebuild_rate", str(db)],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(out.stdout)
    rate = figures["events"] / figures["seconds"]
    baseline = figures["baseline_events"] / figures["baseline_seconds"]
    return {
        "value": rate,
        "baseline": baseline,
        "events": events,
        "peak_rss_mb": round(figures["peak_rss_mb"], 1),
        "note": (
            "full rebuild of board (+calendar), timeline, rollup, outbox, audit chain"
            " vs raw sqlite3 + json.loads"
        ),
    }


if __name__ == "__main__":
    print(json.dumps(child(Path(sys.argv[1]))))
