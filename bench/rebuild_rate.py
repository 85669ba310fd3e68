"""rebuild_rate: events per second of a full rebuild of every projection.

Baseline: raw sqlite3 SELECT of the same events table plus a JSON decode of each
payload (stdlib json), in the same process, on the same file, just before the
rebuild and again after it. The rebuild runs as `planlog projections rebuild` does: its lanes in
forked processes, one per core (at most two). Each round starts from a fresh copy
of the populated store (the audit chain is kept by rebuilds, so a second rebuild
of the same file would skip chaining); the round with the median ratio is
reported, with every round's ratio, because this machine's timings drift by
up to a quarter between runs.

`python -m bench.rebuild_rate --url URL [--rounds N]` rebuilds the read models of an
existing store instead (a federation built by bench/federation.py, say) and prints the
best round's events per second: on a shared machine the least disturbed round is the
one that says what the rebuild costs. It rewrites that store's read models only.
"""

from __future__ import annotations

import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from planlog.domain.clock import recording_clock
from planlog.domain.model import Plan, PlanItem
from planlog.projections.runner import ReadModelRunner, default_lanes
from planlog.service.app import NewItem, PlanlogApp

EVENTS = 200_000
ITEMS_PER_PLAN = 500
CHUNK = 400
ROUNDS = 5


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
        item.reschedule([_later(last.due)], actor="chair", reason="延期", plan_year=2026)
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
    raw_read(db)  # warm the page cache so neither side pays for the first read from disk
    baseline_events, before = raw_read(db)
    app = PlanlogApp(f"sqlite:///{db}")
    runner = ReadModelRunner(app)
    lanes = default_lanes()
    start = time.perf_counter()
    rebuilt = runner.rebuild(lanes=lanes)
    seconds = time.perf_counter() - start
    # The baseline brackets the rebuild: machine speed drifts within a round.
    _, after = raw_read(db)
    baseline_seconds = (before + after) / 2
    return {
        "events": rebuilt,
        "seconds": seconds,
        "baseline_events": baseline_events,
        "baseline_seconds": baseline_seconds,
        "lanes": lanes,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "lane_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def run() -> dict[str, Any]:
    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        populated = Path(tmp) / "populated.db"
        events = populate(populated)
        for n in range(ROUNDS):
            db = Path(tmp) / f"round{n}.db"
            shutil.copyfile(populated, db)
            out = subprocess.run(
                [sys.executable, "-m", "bench.rebuild_rate", str(db)],
                check=True,
                capture_output=True,
                text=True,
            )
            rounds.append(json.loads(out.stdout))
            db.unlink()
    for figures in rounds:
        figures["rate"] = figures["events"] / figures["seconds"]
        figures["baseline_rate"] = figures["baseline_events"] / figures["baseline_seconds"]
        figures["ratio"] = figures["rate"] / figures["baseline_rate"]
    ranked = sorted(rounds, key=lambda f: f["ratio"])
    median = ranked[len(ranked) // 2]
    return {
        "value": median["rate"],
        "baseline": median["baseline_rate"],
        "events": events,
        "lanes": median["lanes"],
        "round_ratios": [round(f["ratio"], 3) for f in rounds],
        "peak_rss_mb": round(max(f["peak_rss_mb"] for f in rounds), 1),
        "lane_peak_rss_mb": round(max(f["lane_peak_rss_mb"] for f in rounds), 1),
        "note": (
            "median of fresh-copy rounds: full rebuild of board (+calendar, workload),"
            " timeline, rollup, outbox and audit chain in forked lanes,"
            " vs raw sqlite3 + json.loads"
        ),
    }


def rebuild_store(url: str, rounds: int = 3) -> dict[str, Any]:
    """Rebuild every read model of the store at `url` `rounds` times, as
    `planlog projections rebuild` does; the fastest round's figures."""
    app = PlanlogApp(url)
    runner = ReadModelRunner(app)
    head = runner.head()
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        runner.rebuild(lanes=default_lanes())
        seconds.append(time.perf_counter() - start)
    runner.close()
    app.close()
    best = min(seconds)
    return {
        "events": head,
        "seconds": round(best, 2),
        "events_per_s": round(head / best),
        "rounds_s": [round(s, 2) for s in seconds],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "lane_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


if __name__ == "__main__":
    if sys.argv[1] == "--url":
        rounds = int(sys.argv[4]) if sys.argv[3:4] == ["--rounds"] else 3
        print(json.dumps(rebuild_store(sys.argv[2], rounds)))
    else:
        print(json.dumps(child(Path(sys.argv[1]))))
