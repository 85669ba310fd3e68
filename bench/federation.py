"""federation: what a city federation's costs do as the number of its unions grows.

PostgreSQL, an organisation tree city → 20 districts → N unions, one 50-item plan per
union (created through `create_plan`, the write path under test), then a simulated year
of events (progress, completions, reschedules, reminders) saved through the application
in batches (`app.save(*items)`, one batch per union and month, so the log interleaves
unions as a real year does). At each size it measures:

- `create_plan_ms`: a new union's 50-item plan (`create_plan`, registering the union),
  median of a few, on the full store;
- `board_p99_ms`: one union's board through the API (`GET /api/v1/plans/{id}/board`,
  in process, a union chair's token);
- `rollup_p99_ms`: the federation's rollup (`GET /api/v1/orgs/{city}/rollup`), and
  `district_rollup_p99_ms` for one district;
- `remind_seconds`: one `planlog.scheduler.service.reminder_pass` as it is;
- `rebuild_seconds`: a full rebuild of every read model (`events` events);
- `http_workers` (largest size only): board requests per second through a real uvicorn
  on loopback with 1, 2 and 4 web workers (`planlog.http.asgi:app`, the production
  layout in README), a threaded keep-alive client.

Sizes: `PLANLOG_BENCH_FEDERATION` (comma separated unions, default "20,200"), or
`python -m bench.federation --full` for 900 and 9,000. Growth factors are each figure at
the largest size divided by the smallest.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

from planlog.domain.clock import recording_clock
from planlog.domain.errors import PlanlogError
from planlog.domain.model import PlanItem
from planlog.domain.organisation import Organisation
from planlog.domain.schedule import Occurrence

PG_DSN = os.environ.get("PLANLOG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
DEFAULT_SIZES = (20, 200)
FULL_SIZES = (900, 9_000)
DISTRICTS = 20
ITEMS = 50
YEAR = 2026
TODAY = datetime(YEAR, 11, 20, 2, 0, tzinfo=UTC)  # the day boards, rollups and reminders see
REQUESTS = 200  # per latency figure
HTTP_SECONDS = 6.0
HTTP_CLIENTS = 8
ROOT = Path(__file__).resolve().parent.parent


def _sizes(argv: list[str]) -> tuple[int, ...]:
    if "--full" in argv:
        return FULL_SIZES
    raw = os.environ.get("PLANLOG_BENCH_FEDERATION")
    return tuple(int(s) for s in raw.split(",")) if raw else DEFAULT_SIZES


def _item_spec(n: int, year: int = YEAR) -> Any:
    from planlog.service.app import NewItem

    kind = n % 3
    if kind == 0:
        rrule = "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"  # quarterly
        return NewItem(
            title=f"季度任务{n}", section=f"第{n % 5 + 1}部分", responsible="办公室", rrule=rrule
        )
    if kind == 1:
        due = date(year, 1 + n % 12, 10 + n % 15)
        return NewItem(
            title=f"专项任务{n}", section=f"第{n % 5 + 1}部分", responsible="组织部", dues=[due]
        )
    rrule = "FREQ=MONTHLY;BYMONTHDAY=-1"
    return NewItem(
        title=f"每月任务{n}", section=f"第{n % 5 + 1}部分", responsible="财务", rrule=rrule
    )


def _union(d: int, u: int) -> str:
    return f"第{d}区第{u}基层工会"


def _district(d: int) -> str:
    return f"第{d}区工会"


CITY = "市总工会"


# ------------------------------------------------------------------ building


def build(url: str, unions: int) -> dict[str, Any]:
    """The federation's tree and plans, then a simulated year of its events."""
    from planlog.service.app import PlanlogApp

    app = PlanlogApp(url, clock=lambda: datetime(YEAR, 1, 5, 1, 0, tzinfo=UTC))
    rng = random.Random(unions)
    with recording_clock(lambda: datetime(YEAR, 1, 4, 1, 0, tzinfo=UTC)):
        orgs = [Organisation.register(CITY, parent=None, chair="主席", actor="bench")]
        orgs += [
            Organisation.register(_district(d), parent=CITY, chair=None, actor="bench")
            for d in range(DISTRICTS)
        ]
        app.save(*orgs)
    names = [_union(i % DISTRICTS, i // DISTRICTS) for i in range(unions)]
    plans: dict[str, Any] = {}
    for i, name in enumerate(names):
        plan = app.create_plan(
            org=name,
            year=YEAR,
            title=f"{name}{YEAR}年工作计划",
            actor="bench",
            items=[_item_spec(n) for n in range(ITEMS)],
            parent=_district(i % DISTRICTS),
        )
        plans[name] = plan.id
    _simulate_year(app, plans, rng)
    events = int(app.recorder.max_notification_id() or 0)
    app.close()
    return {"plans": plans, "events": events}


def _simulate_year(app: Any, plans: dict[str, Any], rng: random.Random) -> None:
    """Month by month, union by union: progress, completions (most on time, a few never),
    reschedules and the reminders the year's passes issued (the policy's own keys), each
    month's events for one union saved in one batch. Then the passes up to the day before
    the measured one, so that the measured pass issues one day's reminders."""
    items: dict[str, list[PlanItem]] = {}
    for name, plan_id in plans.items():
        items[name] = [app.repository.get(i) for i in app.get_plan(plan_id).item_ids]
    for month in range(1, 12):
        start = datetime(YEAR, month, 1, 1, 0, tzinfo=UTC)
        for name in plans:
            touched = []
            for item in items[name]:
                if _work_month(item, month, start, rng):
                    touched.append(item)
            if touched:
                app.save(*touched)
    yesterday = TODAY - timedelta(days=1)
    for name in plans:
        touched = []
        for item in items[name]:
            if item.cancelled:
                continue
            reminded = [
                _remind(item, occ.key, yesterday)
                for occ in item.ordered_occurrences()
                if occ.status != "done"
            ]
            if any(reminded):
                touched.append(item)
        if touched:
            app.save(*touched)


_POLICY = None


def _remind(item: PlanItem, occurrence: str, now: datetime) -> bool:
    """Issue what a reminder pass at `now` would, with the default policy."""
    from planlog.domain.policy import ReminderPolicy
    from planlog.scheduler.policy import due_reminder, reminder_slots
    from planlog.scheduler.workdays import calendar_for

    global _POLICY
    if _POLICY is None:
        _POLICY = (ReminderPolicy.from_stored({}, plan="bench"), calendar_for("china"))
    policy, calendar = _POLICY
    occ = item.occurrences[occurrence]
    slots = reminder_slots(occ.due, occ.opens, policy, calendar)
    slot = due_reminder(slots, item.reminders.get(occurrence, set()), now)
    if slot is None:
        return False
    with recording_clock(lambda: now):
        item.issue_reminder(
            occurrence,
            kind=slot.kind,
            key=slot.key,
            scheduled_for=slot.send_at,
            recipients=["办公室"],
            escalate=slot.escalate,
            actor="planlog",
        )
    return True


def _work_month(item: PlanItem, month: int, start: datetime, rng: random.Random) -> bool:
    changed = False
    for occ in item.ordered_occurrences():
        if occ.status == "done" or occ.due.month != month or occ.due.year != YEAR:
            continue
        day = occ.due
        with recording_clock(lambda d=day: datetime(d.year, d.month, 1, 2, 0, tzinfo=UTC)):
            item.report_progress(actor="干事", occurrence=occ.key, percent=30, note="推进中")
        _remind(item, occ.key, datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC))
        roll = rng.random()
        if roll < 0.08 and day.day < 25 and month < 11:
            later = Occurrence(due=day + timedelta(days=5))
            with recording_clock(lambda d=day: datetime(d.year, d.month, d.day, 3, 0, tzinfo=UTC)):
                try:
                    keep = [
                        Occurrence(due=o.due, opens=o.opens)
                        for o in item.ordered_occurrences()
                        if o.status != "done" and o.key != occ.key
                    ]
                    item.reschedule([*keep, later], actor="主席", reason="工作调整", plan_year=YEAR)
                except PlanlogError:
                    pass
        elif roll < 0.97:
            with recording_clock(lambda d=day: datetime(d.year, d.month, d.day, 2, 0, tzinfo=UTC)):
                item.report_progress(actor="干事", occurrence=occ.key, percent=80, note="即将完成")
                item.complete(actor="干事", occurrence=occ.key, done_on=day)
        changed = True
    return changed


# ------------------------------------------------------------------ measuring


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def measure(url: str, built: dict[str, Any], unions: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from planlog.auth.tokens import create_token
    from planlog.config import Settings
    from planlog.http.app import create_app
    from planlog.projections.outbox import SENT, reminder_outbox
    from planlog.projections.runner import ReadModelRunner
    from planlog.scheduler.service import reminder_pass
    from planlog.service.app import PlanlogApp

    figures: dict[str, Any] = {"unions": unions, "events": built["events"]}
    app = PlanlogApp(url, clock=lambda: TODAY)
    runner = ReadModelRunner(app)
    runner.catch_up()
    # The year's reminders were delivered as they were issued: only today's are pending.
    with runner.engine.begin() as conn:
        o = reminder_outbox.c
        conn.execute(reminder_outbox.update().values(status=SENT, sent_at=o.issued_at))

    # A new union and its plan, on the full store: the write path must not grow with it.
    samples = []
    for n in range(7):
        started = time.perf_counter()
        app.create_plan(
            org=f"新建基层工会{n}",
            year=YEAR + 1,  # next year's plan: nothing of it is due on the measured day
            title="新建工会工作计划",
            actor="bench",
            items=[_item_spec(k, YEAR + 1) for k in range(ITEMS)],
            parent=_district(n % DISTRICTS),
        )
        samples.append(time.perf_counter() - started)
    figures["create_plan_ms"] = round(statistics.median(samples[2:]) * 1000, 1)
    runner.catch_up()

    settings = Settings(database_url=url, base_url="http://127.0.0.1")
    rng = random.Random(7)
    names = list(built["plans"])
    chosen = rng.sample(names, min(20, len(names)))
    tokens = {name: create_token(runner.engine, name, "chair")[1] for name in chosen}
    city_token = create_token(runner.engine, CITY, "chair")[1]
    with TestClient(create_app(settings, background=False)) as client:

        def timed(path: str, token: str) -> float:
            started = time.perf_counter()
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            return elapsed * 1000

        board = [
            timed(f"/api/v1/plans/{built['plans'][n]}/board", tokens[n])
            for n in (rng.choice(chosen) for _ in range(REQUESTS))
        ]
        city = [timed(f"/api/v1/orgs/{CITY}/rollup", city_token) for _ in range(REQUESTS // 4)]
        district = [
            timed(f"/api/v1/orgs/{_district(3)}/rollup", city_token) for _ in range(REQUESTS // 2)
        ]
    figures["board_p99_ms"] = round(_p99(board), 1)
    figures["board_median_ms"] = round(statistics.median(board), 1)
    figures["rollup_p99_ms"] = round(_p99(city), 1)
    figures["district_rollup_p99_ms"] = round(_p99(district), 1)

    started = time.perf_counter()
    result = reminder_pass(app, runner, TODAY, settings=settings)
    figures["remind_seconds"] = round(time.perf_counter() - started, 2)
    figures["reminders_issued"] = len(result.issued)

    head = runner.head()
    started = time.perf_counter()
    runner.rebuild()
    seconds = time.perf_counter() - started
    figures["rebuild_seconds"] = round(seconds, 2)
    figures["rebuild_events_per_s"] = round(head / seconds)
    figures["events"] = head
    figures["_tokens"] = tokens
    runner.close()
    app.close()
    return figures


# ------------------------------------------------------------------ HTTP workers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
            time.sleep(0.3)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"uvicorn on port {port} did not come up")


def http_throughput(
    url: str, plans: dict[str, Any], tokens: dict[str, str]
) -> list[dict[str, Any]]:
    out = []
    targets = [(f"/api/v1/plans/{plans[n]}/board", t) for n, t in tokens.items()]
    env = {**os.environ, "PLANLOG_DATABASE_URL": url, "PYTHONPATH": _pythonpath()}
    for workers in (1, 2, 4):
        port = _free_port()
        command = [
            sys.executable, "-m", "uvicorn", "planlog.http.asgi:app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        server = subprocess.Popen(command, env=env, cwd=ROOT)
        try:
            _wait_up(port)
            count, errors = _load(port, targets, HTTP_SECONDS / 3)  # warm every worker
            count, errors = _load(port, targets, HTTP_SECONDS)
            out.append(
                {
                    "workers": workers,
                    "requests_per_s": round(count / HTTP_SECONDS, 1),
                    "errors": errors,
                    "clients": HTTP_CLIENTS,
                }
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return out


def _pythonpath() -> str:
    import planlog

    src = str(Path(planlog.__file__).resolve().parent.parent)
    return os.pathsep.join([src, str(ROOT), os.environ.get("PYTHONPATH", "")])


def _load(port: int, targets: list[tuple[str, str]], seconds: float) -> tuple[int, int]:
    stop = time.monotonic() + seconds
    done = [0] * HTTP_CLIENTS
    failed = [0] * HTTP_CLIENTS

    def client(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            path, token = rng.choice(targets)
            try:
                conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    done[k] += 1
                else:
                    failed[k] += 1
            except (OSError, http.client.HTTPException):
                failed[k] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(HTTP_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), sum(failed)


# ------------------------------------------------------------------ the entry


def run(argv: list[str] | None = None) -> dict[str, Any]:
    sizes = _sizes(argv if argv is not None else sys.argv[1:])
    per_size: dict[str, dict[str, Any]] = {}
    http_workers: list[dict[str, Any]] = []
    for unions in sizes:
        schema = f"bench_fed_{uuid.uuid4().hex[:10]}"
        url = f"{PG_DSN}?schema={schema}"
        try:
            started = time.perf_counter()
            built = build(url, unions)
            load_seconds = time.perf_counter() - started
            figures = measure(url, built, unions)
            figures["load_seconds"] = round(load_seconds, 1)
            tokens = figures.pop("_tokens")
            per_size[str(unions)] = figures
            print(json.dumps({"federation": figures}, ensure_ascii=False), file=sys.stderr)
            if unions == max(sizes):
                http_workers = http_throughput(url, built["plans"], tokens)
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    small, large = per_size[str(min(sizes))], per_size[str(max(sizes))]
    keys = ("create_plan_ms", "board_p99_ms", "rollup_p99_ms", "district_rollup_p99_ms")
    keys += ("remind_seconds", "rebuild_seconds", "events")
    growth = {k: round(large[k] / small[k], 2) if small[k] else None for k in keys}
    return {
        "value": large["create_plan_ms"],
        "baseline": small["create_plan_ms"],
        "sizes": list(sizes),
        "per_size": per_size,
        "create_plan_growth": growth["create_plan_ms"],
        "growth": growth,
        "http_workers": http_workers,
        "note": (
            "PostgreSQL; city → 20 districts → N unions, one 50-item plan each, a simulated"
            " year; value = create_plan ms at the largest size, baseline = at the smallest;"
            " growth = largest / smallest; http_workers: board requests/s through uvicorn"
        ),
    }


if __name__ == "__main__":
    from bench.results_file import record

    figures = run()
    entry = record(
        "federation",
        figures.pop("value"),
        "ms (create_plan, largest size)",
        figures.pop("baseline"),
        **figures,
    )
    print(json.dumps(entry, ensure_ascii=False, indent=1))
