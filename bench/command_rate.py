"""command_rate: planlog commands per second (get, decide, save) on SQLite.

Baseline: the bare eventsourcing rate for a trivial aggregate on the same SQLite
file in the same process, with the same number of aggregates and commands each.
Rounds alternate between the two so that disk and CPU noise hits both alike.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from planlog.service.app import NewItem, PlanlogApp

AGGREGATES = 200
COMMANDS_PER_ROUND = 1_000
ROUNDS = 4


class Counter(Aggregate):
    @event("Created")
    def __init__(self) -> None:
        self.count = 0

    @event("Incremented")
    def increment(self, by: int) -> None:
        self.count += by


class BareApp(Application[UUID]):
    name = "bare"

    def increment(self, counter_id: UUID) -> None:
        counter = self.repository.get(counter_id)
        counter.increment(by=1)
        self.save(counter)


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        planlog = PlanlogApp(f"sqlite:///{db}")
        bare = BareApp(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)})
        plan = planlog.create_plan(org="基准工会", year=2026, title="基准计划", actor="bench")
        items = [
            planlog.add_item(
                plan.id,
                NewItem(
                    title=f"事项{i}",
                    section="一、基准",
                    responsible="工会办公室",
                    rrule="FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1",
                ),
                actor="bench",
            ).id
            for i in range(AGGREGATES)
        ]
        counters = []
        for _ in range(AGGREGATES):
            counter = Counter()
            bare.save(counter)
            counters.append(counter.id)

        ours = base = 0.0
        for round_no in range(ROUNDS):
            start = time.perf_counter()
            for n in range(COMMANDS_PER_ROUND):
                planlog.report_progress(
                    items[n % AGGREGATES],
                    actor="bench",
                    percent=(n + round_no) % 100 + 1,
                    occurrence="2026-12-31",
                )
            ours += time.perf_counter() - start
            start = time.perf_counter()
            for n in range(COMMANDS_PER_ROUND):
                bare.increment(counters[n % AGGREGATES])
            base += time.perf_counter() - start
        planlog.close()
        bare.close()
    total = COMMANDS_PER_ROUND * ROUNDS
    return {
        "value": total / ours,
        "baseline": total / base,
        "commands": total,
        "aggregates": AGGREGATES,
        "note": "report_progress on items with ~20 events each, vs a trivial aggregate",
    }
