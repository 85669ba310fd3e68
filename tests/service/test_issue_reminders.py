"""A reminder pass's reminders recorded together (IssueReminders, issue 17), on both stores:
one transaction for all of them, each left out when its item says it is no longer due."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import pytest

from planlog.domain.errors import PlanlogError
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import Cancel, IssueReminder, IssueReminders, RequestExtension

DUE = date(2026, 6, 30)
SENT_AT = datetime(2026, 6, 23, 1, 0, tzinfo=UTC)


def items(app: PlanlogApp, count: int) -> list[UUID]:
    app.register_organisation("某医院工会", actor="admin", chair="王主席")
    plan = app.create_plan(org="某医院工会", year=2026, title="2026年计划", actor="chair")
    return [
        app.add_item(
            plan.id, NewItem(title=f"任务{n}", responsible="办公室", dues=[DUE]), actor="c"
        ).id
        for n in range(count)
    ]


def reminder(item_id: UUID, key: str = "7d") -> IssueReminder:
    return IssueReminder(
        item_id=item_id,
        occurrence=DUE.isoformat(),
        kind=key,
        key=key,
        scheduled_for=SENT_AT,
        recipients=["办公室"],
        escalate=False,
    )


def test_reminders_issued_together_are_recorded_on_each_item(app: PlanlogApp) -> None:
    ids = items(app, 3)
    recorded = app.handle(
        IssueReminders(reminders=[reminder(i) for i in ids], stale_if=[["7d", "1d"]] * 3)
    )
    assert [r.item_id for r in recorded] == ids
    assert all(app.get_item(i).reminders[DUE.isoformat()] == {"7d"} for i in ids)


def test_a_reminder_its_item_no_longer_wants_is_left_out_and_the_others_recorded(
    app: PlanlogApp,
) -> None:
    done, requested, reminded, cancelled, wanted = items(app, 5)
    app.complete(done, actor="li", done_on=date(2026, 6, 20))
    app.handle(
        RequestExtension(
            item_id=requested, actor="li", occurrence=DUE.isoformat(), to=date(2026, 7, 30),
            reason="等上级文件",
        )
    )  # fmt: skip
    app.handle(reminder(reminded, "1d"))  # a later reminder went out meanwhile
    app.handle(Cancel(item_id=cancelled, actor="chair", reason="不再开展"))
    batch = [done, requested, reminded, cancelled, wanted]

    recorded = app.handle(
        IssueReminders(reminders=[reminder(i) for i in batch], stale_if=[["7d", "1d"]] * 5)
    )

    assert [r.item_id for r in recorded] == [wanted]
    assert app.get_item(reminded).reminders[DUE.isoformat()] == {"1d"}
    assert app.get_item(done).reminders.get(DUE.isoformat(), set()) == set()


def test_reminders_issued_together_need_their_stale_keys_and_no_expected_version() -> None:
    item = UUID(int=1)
    with pytest.raises(PlanlogError, match="stale_if"):
        IssueReminders(reminders=[reminder(item)], stale_if=[])
    with pytest.raises(PlanlogError, match="expected_version"):
        IssueReminders(
            reminders=[IssueReminder(**{**reminder(item).__dict__, "expected_version": 1})],
            stale_if=[["7d"]],
        )
