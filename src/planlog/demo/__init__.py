"""The demo: a hospital union's plan, imported through the importer, with half a year of
simulated history recorded on a simulated clock (so `--as-of` and `diff` have a past).

The simulation is seeded: the same day gives the same history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Any
from uuid import UUID

from planlog.domain.errors import NotFound, PlanlogError
from planlog.domain.model import PlanItem
from planlog.domain.status import DONE
from planlog.importer import parse_text
from planlog.service.app import PLAN_TZ, PlanlogApp
from planlog.service.commands import (
    Cancel,
    Command,
    Complete,
    MoveOccurrence,
    Reassign,
    RegisterOrganisation,
    Reopen,
    ReportProgress,
    ReviseItem,
)
from planlog.service.importing import import_document

DEMO_ORG = "某市人民医院工会"
DEMO_TREE = (
    ("某市总工会", None, "张主席"),
    ("某区总工会", "某市总工会", "刘主席"),
    (DEMO_ORG, "某区总工会", "王主席"),
)
HISTORY_DAYS = 182

#: who reports for each responsible body; some are reliably on time, some are not
PEOPLE = {
    "工会办公室": ("李明", 0.9),
    "工会女工委员会": ("赵丽", 0.85),
    "工会主席": ("王主席", 0.8),
    "工会生活委员": ("陈静", 0.7),
    "工会文体委员": ("孙强", 0.6),
    "经审委员会": ("周审", 0.95),
}


def demo_plan_text() -> str:
    return resources.files("planlog.demo").joinpath("plan.txt").read_text(encoding="utf-8")


@dataclass
class SimulatedClock:
    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), PLAN_TZ).astimezone(UTC)


class StoreNotEmpty(PlanlogError):
    """The demo records months of simulated history with past times. Recorded after
    events already in the log, those times go back before theirs: the audit chain would
    report the store as back-dated for ever, and the log cannot be edited to undo it."""

    code = "store_not_empty"

    def __init__(self, last_position: int) -> None:
        super().__init__(
            f"示例计划只能载入空的存储：该存储已有事件（至 #{last_position}），示例的模拟历史"
            "记录时间早于它们，审计链将永久判定为倒签；请换一个新数据库（例如 --db "
            "sqlite:///demo.db） / the demo loads into an empty store only: this one already "
            f"holds events (up to #{last_position}), and the demo's simulated history, "
            "recorded after them with earlier times, would fail the audit chain's "
            "back-dating check for ever; use a new database (e.g. --db sqlite:///demo.db)",
            last_position=last_position,
        )


def load_demo(database_url: str | None, today: date) -> UUID:
    """Import the demo plan and record its simulated history up to yesterday, into a
    store that holds no event yet (else `StoreNotEmpty`, and nothing is recorded)."""
    year = today.year
    # At least half a year of history: from early January, or from last year's
    # drafting season when the demo runs early in the year.
    start = min(date(year, 1, 5), today - timedelta(days=HISTORY_DAYS))
    clock = SimulatedClock(_at(start, 9))
    app = PlanlogApp(database_url, clock=clock)
    try:
        last = int(app.recorder.max_notification_id() or 0)
        if last:
            raise StoreNotEmpty(last)
        for name, parent, chair in DEMO_TREE:
            try:
                app.get_organisation(name)
            except NotFound:
                app.handle(
                    RegisterOrganisation(name=name, parent=parent, chair=chair, actor="admin")
                )
        imported = parse_text(demo_plan_text(), year, source="demo/plan.txt")
        result = import_document(
            app,
            imported,
            org=DEMO_ORG,
            year=year,
            actor="王主席",
            document="plan.txt",
            register_org=True,
        )
        plan_id = UUID(result["plan_id"])
        if not result["already_imported"]:
            _simulate(app, clock, plan_id, start, today)
        return plan_id
    finally:
        app.close()


def _simulate(
    app: PlanlogApp, clock: SimulatedClock, plan_id: UUID, start: date, today: date
) -> None:
    rng = random.Random(f"planlog-demo-{today.year}")
    items = app.plan_items(plan_id)
    scripted = _scripted_events(app, items, start)
    day = start + timedelta(days=1)
    while day < today:
        clock.moment = _at(day, 9, rng.randrange(0, 59))
        changed = False
        for command in scripted.pop(day, []):
            changed = _quietly(app, command) or changed
        for item in items:
            if not item.cancelled:
                changed = _work_on(app, clock, item, day, rng) or changed
        if changed:
            items = app.plan_items(plan_id)
        day += timedelta(days=1)


def _work_on(
    app: PlanlogApp, clock: SimulatedClock, item: PlanItem, day: date, rng: random.Random
) -> bool:
    actor, diligence = PEOPLE.get(item.responsible or "", ("李明", 0.8))
    for occ in item.ordered_occurrences():
        if occ.status == DONE:
            continue
        days_left = (occ.due - day).days
        if days_left < -20 or (occ.opens and day < occ.opens):
            continue
        on_time = days_left >= 0
        # Diligent people finish in the last days before the deadline; others run late.
        if (on_time and days_left <= 3 and rng.random() < diligence / 2) or (
            not on_time and rng.random() < diligence / 25
        ):
            clock.moment += timedelta(minutes=rng.randrange(5, 50))
            note = rng.choice(["已完成", "已按要求完成并存档", "材料已报送上级工会", "活动已举办"])
            evidence = f"https://oa.example.org/union/{item.id.hex[:8]}/{occ.key}"
            return _quietly(
                app,
                Complete(
                    item_id=item.id,
                    actor=actor,
                    occurrence=occ.key,
                    done_on=day,
                    note=note,
                    evidence=evidence,
                ),
            )
        if 0 < days_left <= 14 and occ.percent < 60 and rng.random() < 0.15:
            clock.moment += timedelta(minutes=rng.randrange(5, 50))
            percent = min(90, occ.percent + rng.choice([20, 30, 40]))
            return _quietly(
                app,
                ReportProgress(
                    item_id=item.id,
                    actor=actor,
                    occurrence=occ.key,
                    percent=percent,
                    note="正在推进",
                ),
            )
    return False


def _quietly(app: PlanlogApp, command: Command[Any]) -> bool:
    """A simulated step that a rule refuses (it is already done, say) is simply skipped."""
    try:
        app.handle(command)
    except PlanlogError:
        return False
    return True


def _scripted_events(
    app: PlanlogApp, items: list[PlanItem], start: date
) -> dict[date, list[Command[Any]]]:
    """Changes an auditor should find in the demo's history: who changed what, and why."""

    def find(prefix: str) -> UUID:
        return next(i.id for i in items if i.title.startswith(prefix))

    year = start.year
    script: dict[date, list[Command[Any]]] = {}

    def on(days: int, command: Command[Any]) -> None:
        script.setdefault(start + timedelta(days=days), []).append(command)

    on(
        15,
        Reassign(
            item_id=find("开展“金秋助学”"),
            responsible="工会女工委员会",
            actor="王主席",
            reason="生活委员休产假，由女工委员会代管",
        ),
    )
    on(
        30,
        ReportProgress(
            item_id=find("每月开展一次职工读书分享会"),
            actor="孙强",
            target_index=0,
            target_value=180,
            note="上半年借阅180人次",
        ),
    )
    on(
        45,
        MoveOccurrence(
            item_id=find("各科室工会申报"),
            occurrence=f"{year}-08-31",
            to=date(year, 9, 15),
            actor="王主席",
            reason="市总工会通知申报截止延期至9月15日",
        ),
    )
    on(
        60,
        Cancel(item_id=find("组织元旦迎新长跑"), actor="王主席", reason="体育场改造，活动取消"),
    )
    on(
        75,
        ReviseItem(
            item_id=find("组织“五一”职工登山"),
            actor="孙强",
            changes={"title": "组织“五一”职工登山比赛（含家属）"},
            reason="扩大参与面",
        ),
    )
    on(
        90,
        Reopen(
            item_id=find("编制年度工会经费预算"),
            occurrence=f"{year}-03-31",
            actor="周审",
            reason="预算未经工会委员会审议，退回补充",
        ),
    )
    on(
        120,
        ReportProgress(
            item_id=find("每月开展一次职工读书分享会"),
            actor="孙强",
            target_index=0,
            target_value=320,
            note="累计借阅320人次",
        ),
    )
    return script
