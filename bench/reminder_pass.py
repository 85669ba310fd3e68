"""reminder_pass: seconds of one day's reminder pass, at two sizes of a federation.

Builds N unions, each with a 48-item plan (the demo plan imported twice: monthly,
quarterly, half-yearly and yearly deadlines, some with windows), none of them done:
every past deadline is chased, the heaviest case. Then the reminder passes of the
days before the measured day run for real (issuing the backlog), and the pass of the
measured day is timed as a dry run, both ways:

- `indexed`: the pass as it runs (the `reminder_due` index: only the rows whose
  moment has come);
- `full_scan`: the algorithm before it (every open occurrence, each plan replayed for
  its policy, the whole outbox read), kept callable as `ReminderIssuer.run(full_scan=True)`.

The entry's value is the indexed pass at the larger size, its baseline the full scan
at that size; `growth` says how each grew from the smaller size to the larger (the
number of unions grew by `size_factor`). A pass whose cost follows the reminders due
grows with them, not with the federation.

Sizes: PLANLOG_BENCH_REMIND_UNIONS="10,40" (default). PostgreSQL too when
PLANLOG_BENCH_PG is a DSN (a schema of its own, dropped afterwards).
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from planlog.config import Settings
from planlog.demo import demo_plan_text
from planlog.importer import parse_text
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.reminders import ReminderIssuer
from planlog.scheduler.service import reminder_pass
from planlog.scheduler.workdays import ChinaWorkdays
from planlog.service.app import PlanlogApp
from planlog.service.importing import import_document

CHINA = ZoneInfo("Asia/Shanghai")
MEASURED_DAY = date(2026, 7, 15)  # a Wednesday, half a year of deadlines behind it
WARM_DAYS = 10  # passes run for real before it, as a worker would have
ROUNDS = 3  # the best of these is kept, per way


def _sizes() -> list[int]:
    text = os.environ.get("PLANLOG_BENCH_REMIND_UNIONS", "10,40")
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if len(sizes) < 2:
        raise SystemExit("PLANLOG_BENCH_REMIND_UNIONS needs two sizes, e.g. 10,40")
    return sizes[:1] + sizes[-1:]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 8, 40, tzinfo=CHINA).astimezone(UTC)


def _build(url: str, unions: int) -> tuple[PlanlogApp, ReadModelRunner]:
    app = PlanlogApp(url)
    imported = parse_text(demo_plan_text(), 2026)
    doubled = dataclasses.replace(imported, items=imported.items + imported.items)
    app.register_organisation("某市总工会", actor="bench", chair="市总主席")
    for n in range(unions):
        org = f"基层工会{n:05d}"
        app.register_organisation(org, actor="bench", parent="某市总工会", chair=f"主席{n}")
        import_document(app, doubled, org=org, year=2026, actor="bench")
    runner = ReadModelRunner(app)
    runner.catch_up()
    return app, runner


def _measure(url: str, unions: int) -> dict[str, Any]:
    started = time.perf_counter()
    app, runner = _build(url, unions)
    built = time.perf_counter()
    settings = Settings(database_url=url)
    issuer = ReminderIssuer(app, runner.engine, ChinaWorkdays())
    day = MEASURED_DAY - timedelta(days=WARM_DAYS)
    backlog = 0
    while day < MEASURED_DAY:
        run = reminder_pass(app, runner, _at(day), settings=settings, issuer=issuer)
        backlog += len(run.issued)
        day += timedelta(days=1)
    runner.catch_up()
    now = _at(MEASURED_DAY)
    figures: dict[str, Any] = {
        "unions": unions,
        "items": unions * 48,
        "build_seconds": round(built - started, 1),
        "warm_up_seconds": round(time.perf_counter() - built, 1),
    }
    for way, full_scan in (("indexed", False), ("full_scan", True)):
        best = float("inf")
        due = 0
        for _ in range(ROUNDS):
            fresh = ReminderIssuer(app, runner.engine, ChinaWorkdays())  # nothing remembered
            start = time.perf_counter()
            run = fresh.run(now, dry_run=True, full_scan=full_scan)
            best = min(best, time.perf_counter() - start)
            due = len(run.issued)
        figures[f"{way}_seconds"] = round(best, 4)
        figures[f"{way}_due"] = due
    figures["warm_up_issued"] = backlog
    runner.close()
    app.close()
    return figures


def _stores(tmp: Path) -> list[tuple[str, Any]]:
    stores: list[tuple[str, Any]] = [("sqlite", lambda n: f"sqlite:///{tmp / f'remind{n}.db'}")]
    dsn = os.environ.get("PLANLOG_BENCH_PG")
    if dsn:
        stores.append(("postgres", lambda n: f"{dsn}?schema=bench_remind_{uuid.uuid4().hex[:8]}"))
    return stores


def _drop_schema(url: str) -> None:
    dsn, _, query = url.partition("?schema=")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{query}" CASCADE')


def run() -> dict[str, Any]:
    small, large = _sizes()
    result: dict[str, Any] = {"sizes": [small, large], "measured_day": MEASURED_DAY.isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        for store, url_for in _stores(Path(tmp)):
            per_size = []
            for unions in (small, large):
                url = url_for(unions)
                try:
                    per_size.append(_measure(url, unions))
                finally:
                    if store == "postgres":
                        _drop_schema(url)
            first, last = per_size
            result[store] = {
                "per_size": per_size,
                "size_factor": round(last["unions"] / first["unions"], 2),
                "growth": {
                    way: round(last[f"{way}_seconds"] / max(first[f"{way}_seconds"], 1e-6), 2)
                    for way in ("indexed", "full_scan")
                },
            }
    largest = result["sqlite"]["per_size"][-1]
    result["value"] = largest["indexed_seconds"] * 1000
    result["baseline"] = largest["full_scan_seconds"] * 1000
    result["note"] = (
        "ms of one day's reminder pass (dry run) at the larger size: indexed vs the old full "
        "scan; growth = seconds at the larger size / at the smaller"
    )
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), ensure_ascii=False, indent=2))
