"""delivery: a busy day's reminders delivered as digests, reminders per second.

Issue 17 measured delivery serial at ~110 reminders/s, one message per reminder: a busy
day at 9,000 unions (~60,000 reminders) took ~19 minutes; the target is 5 minutes.

The outbox is seeded directly (read-model rows for `unions` unions, each with a plan,
items for a few responsible units and one reminder per item, as a reminder pass leaves
them; the event log is not what is measured here) on a SQLite file, and every union's
channel is its own json:// webhook (a path of its own) on a receiver in another process on
127.0.0.1.

Baseline, in the same process: one message per reminder, sent one after the other
through the same channel code (`delivery.send`), on a sample of the same reminders.
Value: `dispatch.deliver` (digests, WORKERS threads) over every reminder.
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.outbox import (
    PENDING,
    SENT,
    notify_channels,
    reminder_digests,
    reminder_outbox,
)
from planlog.projections.rollup import organisations
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.delivery import send
from planlog.scheduler.dispatch import WORKERS, deliver
from planlog.service.app import PlanlogApp

BUSY_DAY = 60_000  # reminders on a busy day at 9,000 unions (issue 17)
TARGET_SECONDS = 300
UNITS = ("工会办公室", "工会女工委员会", "经审委员会")
SAMPLE = 400  # reminders the serial baseline sends, one message each
NOW = datetime(2026, 6, 23, 1, 0, tzinfo=UTC)


def _serve(port: Any, count: Any, latency: float = 0.0) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if latency:
                time.sleep(latency)  # a real webhook's round trip
            with count.get_lock():
                count.value += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # It stands for thousands of unions' webhooks: the default backlog of 5 refused
        # connections once more than a few digests were sent at once.
        request_queue_size = 256

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


def _seed(runner: ReadModelRunner, reminders: int, url: str) -> None:
    """`reminders` pending outbox rows: 7 per union over 3 units, as a busy day has."""
    per_union = 7
    unions = -(-reminders // per_union)
    plans, items, occurrences, rows, orgs, channels = [], [], [], [], [], []
    stamp = NOW.isoformat()
    position = 0
    for u in range(unions):
        org = f"第{u}基层工会"
        plan_id = str(uuid.uuid4())
        orgs.append(
            {"name": org, "org_id": str(uuid.uuid4()), "parent": None, "chair": f"主席{u}",
             "registered_at": stamp}
        )  # fmt: skip
        plans.append({"plan_id": plan_id, "org": org, "year": 2026, "title": f"{org}2026年计划",
                      "created_at": stamp})  # fmt: skip
        channels.append({"org": org, "person": "", "urls": f"{url}/{u}"})  # its own webhook
        for n in range(per_union):
            if position >= reminders:
                break
            position += 1
            item_id = str(uuid.uuid4())
            due = date(2026, 6, 16) + timedelta(days=n * 3)
            items.append(
                {"position": position, "item_id": item_id, "plan_id": plan_id, "section_id": None,
                 "number": str(n + 1), "title": f"任务{n + 1}", "responsible": UNITS[n % 3],
                 "targets": "[]", "deadline_text": None, "cancelled": False, "version": 1,
                 "updated_at": stamp}
            )  # fmt: skip
            occurrences.append(
                {"item_position": position, "due": due.isoformat(), "opens": None,
                 "status": "open", "percent": 10 * n, "done_on": None, "note": None}
            )  # fmt: skip
            rows.append(
                {"position": position, "item_id": item_id, "occurrence": due.isoformat(),
                 "kind": "7d", "key": "7d", "escalate": False,
                 "recipients": orjson.dumps([UNITS[n % 3]]).decode(), "issued_at": stamp,
                 "scheduled_for": stamp, "status": PENDING, "attempts": 0,
                 "next_attempt_at": stamp, "claimed_at": None, "sent_at": None,
                 "delivered_to": "[]", "last_error": None}
            )  # fmt: skip
    with runner.engine.begin() as conn:
        for table, values in (
            (organisations, orgs),
            (board_plans, plans),
            (board_items, items),
            (board_occurrences, occurrences),
            (reminder_outbox, rows),
            (notify_channels, channels),
        ):
            conn.execute(table.insert(), values)


def run(reminders: int = BUSY_DAY, workers: int = WORKERS, latency: float = 0.0) -> dict[str, Any]:
    """`latency`: seconds the receiver takes to answer each message (0: loopback speed;
    a chat robot's webhook answers in 0.05–0.3 s), to see how many are sent at once."""
    count = multiprocessing.Value("i", 0)
    port = multiprocessing.Value("i", 0)
    receiver = multiprocessing.Process(target=_serve, args=(port, count, latency), daemon=True)
    receiver.start()
    try:
        while not port.value:
            time.sleep(0.01)
        url = f"json://127.0.0.1:{port.value}/hook"
        with tempfile.TemporaryDirectory() as tmp:
            app = PlanlogApp(f"sqlite:///{Path(tmp) / 'bench.db'}")
            runner = ReadModelRunner(app)
            _seed(runner, reminders, url)

            # Baseline: one message per reminder, serially, through the same channel code.
            started = time.perf_counter()
            for n in range(SAMPLE):  # in outbox order: 7 reminders of each union in turn
                union_url = f"{url}/{n // 7}"
                send(
                    [union_url],
                    f"【工作提醒】任务{n} · 还有7天",
                    "「任务」将于6月30日到期，还有7天。",
                )
            baseline = SAMPLE / (time.perf_counter() - started)

            before = count.value
            started = time.perf_counter()
            done = deliver(runner.engine, NOW, link_base="https://planlog.example.org",
                           workers=workers)  # fmt: skip
            seconds = time.perf_counter() - started
            messages = count.value - before
            with runner.engine.connect() as conn:
                sent = conn.execute(
                    reminder_outbox.select().where(reminder_outbox.c.status == SENT)
                ).all()
                digests = conn.execute(reminder_digests.select()).all()
            runner.close()
            app.close()
    finally:
        receiver.terminate()
        receiver.join(5)
    assert len(sent) == reminders, f"only {len(sent)} of {reminders} delivered"
    assert messages == len(digests) == len(done.digests)
    rate = reminders / seconds
    return {
        "value": rate,
        "baseline": baseline,
        "reminders": reminders,
        "messages": messages,
        "workers": workers,
        "latency": latency,
        "seconds": round(seconds, 1),
        "busy_day_seconds": round(BUSY_DAY / rate, 1),
        "busy_day_serial_seconds": round(BUSY_DAY / baseline, 1),
        "target_seconds": TARGET_SECONDS,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reminders", type=int, default=BUSY_DAY)
    parser.add_argument("--workers", type=int, default=WORKERS)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    print(run(args.reminders, args.workers, args.latency))
