"""A rebuild folds many batches into one window per read model and writes each row once:
it must end with exactly the rows a catch-up batch by batch gives, whatever the windows."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import update

from planlog.domain.errors import PlanlogError
from planlog.projections import timeline
from planlog.projections.base import tracking
from planlog.projections.rollup import org_tree
from planlog.projections.runner import REPLAY_LOCK, ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import (
    DecideExtension,
    RequestExtension,
    SetReminderPolicy,
    SignOff,
)
from planlog.service.store import try_store_lock


def varied_history(app: PlanlogApp, clock: Any, runner: ReadModelRunner, busy_year: Any) -> None:
    """Every kind of event a read model folds, caught up now and then on the way, as the
    live runner would: plans empty and full, sign-off, extension requests, reminders
    issued, a reminder policy changed after items were chased, a task sent down."""
    busy_year(app, clock)
    runner.catch_up()
    app.register_organisation("东区工会", actor="admin", parent="区总工会")
    app.register_organisation("西区工会", actor="admin", parent="区总工会")
    # An empty plan, then a plan with items: the timeline's plan keys follow the log.
    app.create_plan(org="东区工会", year=2026, title="空计划", actor="chair")
    plan = app.create_plan(org="区总工会", year=2026, title="督办计划", actor="chair")
    dues = [date(2026, 6, 30), date(2026, 12, 31)]
    first, second, third = (
        app.add_item(plan.id, NewItem(title=t, dues=dues, responsible="李干事"), actor="chair")
        for t in ("半年报告", "职工之家", "困难帮扶")
    )
    app.issue_reminder(
        first.id,
        "2026-06-30",
        kind="before",
        key="before:2026-06-23",
        scheduled_for=datetime(2026, 6, 23, 1, tzinfo=UTC),
        recipients=["李干事"],
        escalate=False,
    )
    runner.catch_up()
    app.handle(SetReminderPolicy(plan_id=plan.id, policy={"sign_off": True}, actor="chair"))
    clock.advance(days=30)
    asked = app.handle(
        RequestExtension(
            item_id=first.id,
            occurrence="2026-06-30",
            to=date(2026, 7, 31),
            reason="等批复",
            actor="李干事",
        )
    )
    request = str(asked.open_extension_request("2026-06-30"))
    app.handle(DecideExtension.of(request, approve=True, actor="chair"))
    refused = app.handle(
        RequestExtension(
            item_id=second.id,
            occurrence="2026-06-30",
            to=date(2026, 7, 15),
            reason="人手不足",
            actor="李干事",
        )
    )
    request = str(refused.open_extension_request("2026-06-30"))
    app.handle(DecideExtension.of(request, approve=False, actor="chair", reason="够了"))
    app.complete(first.id, actor="李干事", occurrence="2026-07-31")
    app.complete(second.id, actor="李干事", occurrence="2026-06-30")
    app.handle(
        SignOff(
            item_id=second.id,
            occurrence="2026-06-30",
            confirm=False,
            reason="缺材料",
            actor="chair",
        )
    )
    runner.catch_up()
    app.complete(second.id, actor="李干事", occurrence="2026-06-30")
    app.handle(SignOff(item_id=second.id, occurrence="2026-06-30", confirm=True, actor="chair"))
    app.revise(third.id, actor="chair", title="困难职工帮扶")
    app.reassign(third.id, "王五", actor="chair", reason="调整")
    with runner.engine.connect() as conn:
        parents = {name: node["parent"] for name, node in org_tree(conn).items()}
    app.send_task(third.id, ["区总工会"], parents=parents, actor="chair")
    policy = {"sign_off": True, "max_chases": 2}
    app.handle(SetReminderPolicy(plan_id=plan.id, policy=policy, actor="chair"))
    runner.catch_up()


@pytest.mark.parametrize(
    ("batch_size", "window_events"),
    [(4, 10), (7, 1_000_000)],
    ids=["windows of three batches", "one window"],
)
def test_a_rebuild_ends_with_the_rows_of_a_catch_up_batch_by_batch(
    app: PlanlogApp,
    clock: Any,
    busy_year: Any,
    read_model_rows: Any,
    batch_size: int,
    window_events: int,
) -> None:
    live = ReadModelRunner(app, batch_size=3)
    varied_history(app, clock, live, busy_year)
    caught_up = read_model_rows(live.engine)
    live.close()
    runner = ReadModelRunner(app, batch_size=batch_size)  # batches cut elsewhere
    runner.window_events = window_events
    assert runner.rebuild(lanes=1) == runner.head()
    assert read_model_rows(runner.engine) == caught_up
    runner.close()


def test_a_window_too_heavy_is_written_before_the_next_batch(
    app: PlanlogApp, clock: Any, busy_year: Any, read_model_rows: Any
) -> None:
    runner = ReadModelRunner(app, batch_size=4)
    varied_history(app, clock, runner, busy_year)
    caught_up = read_model_rows(runner.engine)
    runner.window_bytes = 1  # every batch fills a window
    runner.rebuild(lanes=1)
    assert read_model_rows(runner.engine) == caught_up
    runner.close()


def test_a_timeline_window_written_a_slice_of_rows_at_a_time_has_every_row(
    app: PlanlogApp, clock: Any, busy_year: Any, read_model_rows: Any, monkeypatch: Any
) -> None:
    runner = ReadModelRunner(app, batch_size=4)
    varied_history(app, clock, runner, busy_year)
    caught_up = read_model_rows(runner.engine)
    monkeypatch.setattr(timeline, "ROWS_PER_INSERT", 3)
    runner.window_events = 1_000_000
    runner.rebuild(lanes=1)
    assert read_model_rows(runner.engine) == caught_up
    runner.close()


class Crash(Exception):
    pass


def test_a_rebuild_crashed_while_writing_a_window_resumes_to_the_rows_of_an_uninterrupted_one(
    app: PlanlogApp, clock: Any, busy_year: Any, read_model_rows: Any, monkeypatch: Any
) -> None:
    runner = ReadModelRunner(app, batch_size=4)
    varied_history(app, clock, runner, busy_year)
    runner.window_events = 12  # windows of three batches
    runner.rebuild(lanes=1)
    uninterrupted = read_model_rows(runner.engine)
    windows = {"n": 0}

    def crash_in_second_window(projection: str, end: int) -> None:
        if projection == "timeline":
            windows["n"] += 1
            if windows["n"] == 2:
                raise Crash(f"killed while {projection} was writing its window up to {end}")

    replay = runner.replay
    monkeypatch.setattr(runner, "replay", lambda **kw: replay(fault=crash_in_second_window, **kw))
    with pytest.raises(Crash):  # not swallowed into a quiet batch-by-batch fallback
        runner.rebuild(lanes=1)
    monkeypatch.undo()
    stopped_at = {s.name: s.position for s in runner.status()}["timeline"]
    assert 0 < stopped_at < runner.head()
    runner.replay()
    assert read_model_rows(runner.engine) == uninterrupted
    runner.close()


def test_a_catch_up_far_behind_goes_in_windows_to_the_rows_of_one_batch_by_batch(
    app: PlanlogApp,
    clock: Any,
    busy_year: Any,
    read_model_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plain = ReadModelRunner(app, batch_size=3)
    plain.replay_from = None
    varied_history(app, clock, plain, busy_year)
    batch_by_batch = read_model_rows(plain.engine)
    with plain.engine.begin() as conn:  # the read models of a store just restored
        for projection in plain.projections:
            projection.reset(conn)
        conn.execute(update(tracking).values(position=0))
    plain.close()
    windowed = ReadModelRunner(app, batch_size=4)
    windowed.replay_from = 1
    windowed.window_events = 10  # windows of three batches, each over the rows before
    replays: list[int] = []
    replay = windowed.replay
    monkeypatch.setattr(windowed, "replay", lambda **kw: replays.append(1) or replay(**kw))
    assert windowed.catch_up() == windowed.head()
    assert replays == [1]
    assert read_model_rows(windowed.engine) == batch_by_batch
    windowed.close()


@pytest.fixture
def far_behind(app: PlanlogApp, clock: Any, busy_year: Any) -> Iterator[ReadModelRunner]:
    """A runner a busy year behind, with windows from the first event on: whatever it
    catches up, it folds as a rebuild does."""
    runner = ReadModelRunner(app, batch_size=4)
    busy_year(app, clock)
    runner.replay_from = 1
    yield runner
    runner.close()


def test_a_catch_up_far_behind_serves_the_read_models_as_they_are_while_another_folds(
    app: PlanlogApp, far_behind: ReadModelRunner
) -> None:
    runner = far_behind
    with try_store_lock(app.store, REPLAY_LOCK) as other:  # another process folding
        assert other
        assert runner.catch_up(wait=False) == 0
        assert set(runner.positions().values()) == {0}
        with pytest.raises(PlanlogError, match="rebuild once it has finished"):
            runner.rebuild(lanes=1)
    assert runner.catch_up() == runner.head()


def test_a_caller_that_does_not_wait_tries_the_folding_lock_again_only_after_a_while(
    app: PlanlogApp, far_behind: ReadModelRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planlog.projections import runner as module

    runner = far_behind
    tries: list[bool] = []
    lock = module.try_store_lock

    def counted(*args: Any, **kwargs: Any) -> Any:
        tries.append(kwargs.get("wait", True))
        return lock(*args, **kwargs)

    monkeypatch.setattr(module, "try_store_lock", counted)
    with try_store_lock(app.store, REPLAY_LOCK) as other:  # another process folding
        assert other
        assert [runner.catch_up(wait=False) for _ in range(3)] == [0, 0, 0]
        assert tries == [False]  # the first request tried; the next two did not
        runner.folding_recheck = 0.0  # the while has passed
        assert runner.catch_up(wait=False) == 0
        assert tries == [False, False]
    assert runner.catch_up() == runner.head()  # a caller that waits always tries


def test_a_catch_up_far_behind_waits_for_another_folding_then_goes_on(
    app: PlanlogApp, far_behind: ReadModelRunner
) -> None:
    runner = far_behind
    done: list[int] = []
    waiting = threading.Thread(target=lambda: done.append(runner.catch_up()))
    with try_store_lock(app.store, REPLAY_LOCK) as other:  # another process folding
        assert other
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and done == []  # a job does not act on half-built models
    waiting.join(60)
    assert done == [runner.head()]


def test_a_catch_up_a_little_behind_goes_batch_by_batch(
    app: PlanlogApp, clock: Any, busy_year: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = ReadModelRunner(app, batch_size=4)
    busy_year(app, clock)
    runner.replay_from = runner.head() + 1
    monkeypatch.setattr(runner, "replay", lambda **kw: pytest.fail("caught up in windows"))
    assert runner.catch_up() == runner.head()
    runner.close()


@pytest.mark.parametrize(
    ("memory", "window"),
    [
        (24 * 2**30, 1536 * 2**20),
        (2 * 2**30, 128 * 2**20),
        (256 * 2**20, 32 * 2**20),
        (64 * 2**30, 2 * 2**30),
        (None, 256 * 2**20),
    ],
    ids=["a sixteenth", "a small machine", "the floor", "the cap", "memory unknown"],
)
def test_a_window_holds_a_sixteenth_of_the_machine_s_memory_within_bounds(
    memory: int | None, window: int
) -> None:
    from planlog.projections.runner import window_bytes_for

    assert window_bytes_for(memory) == window


def _limit(root: Any, relative: str, value: int | str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{value}\n")


def test_a_container_s_memory_limit_below_the_machine_s_sizes_the_window(tmp_path: Any) -> None:
    from planlog.projections.runner import _memory

    proc = tmp_path / "cgroup"
    proc.write_text("0::/\n")
    _limit(tmp_path, "memory.max", 512 * 2**20)
    assert _memory(str(proc), str(tmp_path)) == 512 * 2**20
    _limit(tmp_path, "memory.max", "max")  # no limit: the machine's memory
    machine = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert _memory(str(proc), str(tmp_path)) == machine


def test_a_limit_on_an_ancestor_cgroup_binds_the_process_below_it(tmp_path: Any) -> None:
    from planlog.projections.runner import _memory

    proc = tmp_path / "cgroup"
    proc.write_text("0::/system.slice/planlog.service\n")
    _limit(tmp_path, "system.slice/planlog.service/memory.max", "max")
    _limit(tmp_path, "system.slice/memory.max", 768 * 2**20)
    assert _memory(str(proc), str(tmp_path)) == 768 * 2**20


def test_a_cgroup_v1_memory_limit_of_the_process_s_own_group_sizes_the_window(
    tmp_path: Any,
) -> None:
    from planlog.projections.runner import _memory

    proc = tmp_path / "cgroup"
    proc.write_text("5:cpu,cpuacct:/\n4:memory:/process_api/abc\n0::/\n")
    _limit(tmp_path, "memory/process_api/abc/memory.limit_in_bytes", 640 * 2**20)
    _limit(tmp_path, "memory/memory.limit_in_bytes", 9223372036854771712)  # v1's "none"
    assert _memory(str(proc), str(tmp_path)) == 640 * 2**20
