"""The audit hash chain on real stores: intact logs verify; altered, deleted and inserted
events are named; a rebuild never re-blesses tampering; kept heads prove old history; the
gaps of issue 16 (ids and topics rewritten in another stored form, the chain's last blocks
deleted, back-dated events) fail; chains of the older hash scheme are upgraded safely."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import orjson
import pytest
from typer.testing import CliRunner

from planlog.audit.anchor import write_anchor
from planlog.cli import app as cli
from planlog.projections import chain
from planlog.projections.chain import (
    CLOCK_SKEW,
    GENESIS,
    ChainProjection,
    head,
    links,
    still_contains,
    verify,
)
from planlog.projections.runner import ReadModelRunner, default_projections
from planlog.service.app import NewItem, PlanlogApp


def reworded(state: bytes, **changes: Any) -> bytes:
    data = orjson.loads(state)
    data.update(changes)
    return orjson.dumps(data)


def record(app: PlanlogApp, clock: Any, items: int = 3) -> tuple[UUID, list[UUID]]:
    """A plan with a few items, some completed: every event carries a payload worth forging."""
    plan = app.create_plan(org="市总工会", year=2026, title="2026年工作计划", actor="chair")
    ids = []
    for n in range(items):
        item = app.add_item(
            plan.id,
            NewItem(title=f"事项{n}", responsible="李四", dues=[date(2026, 3 + n, 28)]),
            actor="chair",
        )
        ids.append(item.id)
    clock.advance(days=30)
    for item_id in ids[:2]:
        app.complete(item_id, actor="李四", note="已完成")
    return plan.id, ids


def chain_rows(runner: ReadModelRunner) -> list[tuple[int, str]]:
    return links(runner.engine)


def field(value: Any) -> bytes:
    """F(x) of the specification: a type tag, then the data (its length first if variable)."""
    if isinstance(value, UUID):
        return b"u" + value.bytes
    if isinstance(value, int):
        return b"i" + value.to_bytes(8, "big", signed=True)
    data = value.encode() if isinstance(value, str) else value
    assert isinstance(data, bytes)
    return (b"t" if isinstance(value, str) else b"b") + str(len(data)).encode() + b":" + data


def id_field(value: Any, scheme: int) -> bytes:
    """Scheme 3 hashes 32 lowercase hex digits as the UUID they spell; scheme 2 the id as
    stored."""
    hex_digits = set("0123456789abcdef")
    if scheme == 3 and isinstance(value, str) and len(value) == 32 and set(value) <= hex_digits:
        return field(UUID(hex=value))
    return field(value)


def recomputed(raw: Any, scheme: int = 3) -> list[tuple[int, str]]:
    """The chain as the specification defines it, from the rows exactly as stored."""
    found, prev = [], bytes(32)
    for position, stored_id, version, topic, state in raw.rows():
        ids = id_field(stored_id, scheme)
        message = field(position) + field(version) + ids + field(topic)
        prev = hashlib.sha256(prev + message + field(state)).digest()
        found.append((position, prev.hex()))
    return found


def scheme_1(app: PlanlogApp) -> list[tuple[int, str]]:
    """The chain as planlog computed it before scheme 2 (dashed id, class name only)."""
    found, prev = [], "0" * 64
    for n in app.recorder.select_notifications(start=1, limit=100_000):
        message = (
            f"{prev}|{n.id}|{n.originator_id}|{n.originator_version}|{n.topic.rpartition(':')[2]}|"
        ).encode() + n.state
        prev = hashlib.sha256(message).hexdigest()
        found.append((n.id, prev))
    return found


def test_the_chain_is_one_of_the_default_projections() -> None:
    assert any(isinstance(p, ChainProjection) for p in default_projections())


def test_an_intact_log_verifies(app: PlanlogApp, clock: Any, runner: ReadModelRunner) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    report = verify(app, runner.engine)
    assert report.ok and report.first_bad is None
    assert report.checked == last and report.unchained == 0
    assert report.head == {"position": last, "hash": chain_rows(runner)[-1][1]}
    assert report.to_dict() == {
        "ok": True,
        "checked": last,
        "head": {"position": last, "hash": report.head["hash"]},
        "unchained": 0,
        "first_bad": None,
        "times_checked_after": 0,
    }


def test_verify_remembers_a_bounded_number_of_ids_and_still_checks_every_event(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # audit verify walks the whole log in constant memory: the ids it remembers are
    # forgotten past a bound, here far below the log's aggregates, and nothing changes
    monkeypatch.setattr(chain._Fields, "LIMIT", 2)
    remembered: list[int] = []
    real = chain._Fields.__call__

    def counting(self: Any, value: Any) -> bytes:
        found = real(self, value)
        remembered.append(len(self.known))
        return found

    monkeypatch.setattr(chain._Fields, "__call__", counting)
    record(app, clock, items=6)
    runner.catch_up()
    report = verify(app, runner.engine, batch_size=4)
    assert report.ok and report.checked == runner.head()
    assert remembered and max(remembered) <= 2


def test_the_links_follow_the_specified_formula_across_batches(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock, items=5)
    runner.catch_up()
    assert chain_rows(runner) == recomputed(raw)
    assert recomputed(raw)[0][1] != GENESIS


def test_events_after_the_head_are_unchained_not_a_failure(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    assert verify(app, runner.engine).to_dict()["head"] is None
    _, ids = record(app, clock)
    runner.catch_up()
    chained = runner.head()
    app.complete(ids[2], actor="李四")
    report = verify(app, runner.engine)
    assert report.ok and report.checked == chained
    assert report.unchained == runner.head() - chained > 0


def test_an_altered_payload_is_named_by_position(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    target = raw.positions()["PlanItem.OccurrenceCompleted"]
    originator_id, version, _, state = raw.row(target)
    raw.set_state(target, reworded(state, actor="冒名者"))
    report = verify(app, runner.engine)
    assert not report.ok
    assert report.checked == target - 1
    assert report.first_bad == {
        "position": target,
        "aggregate_id": str(UUID(str(originator_id))),
        "version": version,
        "type": "PlanItem.OccurrenceCompleted",
        "code": "altered",
        "problem": "payload or identity altered",
        "detail": None,
    }


def test_a_payload_that_is_no_longer_json_is_still_named(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    raw.set_state(2, b"\x00 not json")
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None and (first_bad["position"], first_bad["code"]) == (2, "altered")


def test_a_one_byte_change_late_in_the_log_is_caught(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    state = raw.row(last)[3]
    raw.set_state(last, state.replace(b"\xe6\x9d\x8e", b"\xe7\x8e\x8b", 1))  # 李 → 王
    assert raw.row(last)[3] != state
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None and first_bad["position"] == last


def test_a_deleted_event_is_caught(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    raw.delete(3)
    report = verify(app, runner.engine)
    assert not report.ok and report.checked == 2
    assert report.first_bad == {
        "position": 3,
        "aggregate_id": None,
        "version": None,
        "type": None,
        "code": "missing",
        "problem": "event missing from the log",
        "detail": None,
    }


def test_deleting_the_last_chained_event_is_caught(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    raw.delete(last)
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None and (first_bad["position"], first_bad["code"]) == (last, "missing")


def test_an_event_slipped_into_the_chained_range_is_caught_and_never_chained(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    hidden = raw.delete(4)  # gone before the chain saw it: a gap the chain skips
    runner.catch_up()
    assert verify(app, runner.engine).ok
    raw.insert(4, hidden)  # …and later slipped back into the history
    report = verify(app, runner.engine)
    assert report.first_bad is not None
    assert (report.first_bad["position"], report.first_bad["code"]) == (4, "inserted")
    before = chain_rows(runner)
    runner.rebuild()
    assert chain_rows(runner) == before
    assert verify(app, runner.engine).first_bad == report.first_bad


def test_a_rebuild_after_tampering_does_not_bless_it(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    before = chain_rows(runner)
    target = raw.positions()["PlanItem.Planned"]
    raw.set_state(target, reworded(raw.row(target)[3], title="从未计划的事项"))
    runner.rebuild()
    runner.rebuild(["audit_chain"])
    assert chain_rows(runner) == before
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None and first_bad["position"] == target


def test_a_rebuild_of_an_intact_log_keeps_the_same_chain(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    record(app, clock)
    runner.catch_up()
    before = chain_rows(runner)
    runner.rebuild()
    assert chain_rows(runner) == before
    assert verify(app, runner.engine).ok


def test_a_chain_stored_a_link_per_row_is_rechained_under_the_byte_exact_scheme(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    old = scheme_1(app)
    with runner.engine.begin() as conn:  # the layout planlog wrote before blocks
        conn.exec_driver_sql("DROP TABLE audit_chain")
        conn.exec_driver_sql("CREATE TABLE audit_chain (position INTEGER PRIMARY KEY, hash TEXT)")
        for position, digest in old:
            conn.exec_driver_sql(f"INSERT INTO audit_chain VALUES ({position}, '{digest}')")
    upgraded = ReadModelRunner(app)
    assert chain_rows(upgraded) == recomputed(raw)
    assert verify(app, upgraded.engine).ok
    assert verify(app, upgraded.engine).times_checked_after == old[-1][0]
    # a head kept from an export made before the upgrade still proves its history
    assert still_contains(app, upgraded.engine, *old[-1])
    upgraded.close()


def test_a_kept_head_proves_the_history_only_grew(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    plan_id, ids = record(app, clock)
    runner.catch_up()
    kept = head(runner.engine)
    assert kept is not None
    app.complete(ids[2], actor="李四")
    app.add_item(plan_id, NewItem(title="新增事项", dues=[date(2026, 11, 30)]), actor="chair")
    runner.catch_up()
    newer = head(runner.engine)
    assert newer is not None and newer["position"] > kept["position"]
    assert still_contains(app, runner.engine, kept["position"], kept["hash"])
    assert still_contains(app, runner.engine, kept["position"], kept["hash"].upper())
    assert not still_contains(app, runner.engine, kept["position"], newer["hash"])
    assert not still_contains(app, runner.engine, kept["position"] - 1, kept["hash"])
    assert not still_contains(app, runner.engine, newer["position"] + 5, newer["hash"])

    # tampering after the kept head leaves the history up to it intact …
    last = newer["position"]
    raw.set_state(last, reworded(raw.row(last)[3], actor="冒名者"))
    assert still_contains(app, runner.engine, kept["position"], kept["hash"])
    assert not still_contains(app, runner.engine, last, newer["hash"])
    # … tampering before it does not
    raw.set_state(2, reworded(raw.row(2)[3], actor="冒名者"))
    assert not still_contains(app, runner.engine, kept["position"], kept["hash"])


def test_a_kept_head_is_not_proved_by_a_deleted_event(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    kept = head(runner.engine)
    assert kept is not None
    raw.delete(1)
    assert not still_contains(app, runner.engine, kept["position"], kept["hash"])


def test_links_appended_while_verifying_are_not_taken_for_missing_events(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planlog.projections.chain as chain

    record(app, clock)
    runner.catch_up()
    links = chain_rows(runner)
    # verify() saw the head (and the chain's tracking) at #3; another runner chained the
    # rest before the walk read them
    seen = ({"position": 3, "hash": links[2][1]}, 3, 0)  # head, tracked, times after
    monkeypatch.setattr(chain, "_chain_state", lambda engine: seen)
    report = verify(app, runner.engine)
    assert report.ok and report.checked == 3 and report.unchained == len(links) - 3


# ----------------------------------------------------------- the gaps of issue 16


def cancelled_item(app: PlanlogApp, clock: Any) -> tuple[UUID, int]:
    """An item whose cancellation is the last event: what a forger would like to hide."""
    _, ids = record(app, clock)
    clock.advance(days=1)
    app.cancel_item(ids[2], actor="chair", reason="取消")
    assert app.get_item(ids[2]).cancelled
    return ids[2], int(app.recorder.max_notification_id() or 0)


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda hex_id: str(UUID(hex_id)), id="dashed"),
        pytest.param(lambda hex_id: hex_id.upper(), id="upper-case"),
        pytest.param(lambda hex_id: "{" + str(UUID(hex_id)) + "}", id="braced"),
    ],
)
def test_an_id_rewritten_in_another_textual_form_fails_verify_naming_the_event(
    sqlite_url: str, clock: Any, rewrite: Any, raw_store: Any
) -> None:
    app = PlanlogApp(sqlite_url, clock=clock)
    runner = ReadModelRunner(app, batch_size=4)
    raw = raw_store(app)
    try:
        item_id, target = cancelled_item(app, clock)
        runner.catch_up()
        stored = raw.row(target)[0]
        assert stored == item_id.hex  # the SQLite recorder stores 32 hex digits
        raw.set_id(target, rewrite(stored))
        # the same id to a reader that normalises it, yet eventsourcing no longer finds
        # the event: the cancellation is hidden
        assert UUID(raw.row(target)[0]) == item_id
        assert not app.get_item(item_id).cancelled
        report = verify(app, runner.engine)
        assert report.first_bad is not None
        assert (report.first_bad["position"], report.first_bad["code"]) == (target, "altered")
        assert report.first_bad["type"] == "PlanItem.Cancelled"
        assert report.checked == target - 1
    finally:
        runner.close()
        app.close()


@pytest.mark.postgres
def test_postgres_stores_ids_as_uuids_so_no_other_textual_form_can_be_written(
    pg_url: str, clock: Any, raw_store: Any
) -> None:
    app = PlanlogApp(pg_url, clock=clock)
    runner = ReadModelRunner(app, batch_size=4)
    raw = raw_store(app)
    try:
        item_id, target = cancelled_item(app, clock)
        runner.catch_up()
        (column_type,) = raw.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = 'planlog_events' AND column_name = 'originator_id'",
            (app.store.pg_schema,),
        )[0]
        assert column_type == "uuid"
        raw.set_id(target, item_id.hex.upper())  # PostgreSQL reads it back as the same uuid
        assert raw.row(target)[0] == item_id
        assert app.get_item(item_id).cancelled
        assert verify(app, runner.engine).ok
    finally:
        runner.close()
        app.close()


def test_a_topic_with_its_module_rewritten_fails_verify_naming_the_event(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    _, target = cancelled_item(app, clock)
    runner.catch_up()
    topic = raw.row(target)[2]
    module, _, kind = topic.partition(":")
    assert kind == "PlanItem.Cancelled"
    raw.set_topic(target, f"planlog.forged.{module.rpartition('.')[2]}:{kind}")
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None
    assert (first_bad["position"], first_bad["code"], first_bad["type"]) == (
        target,
        "altered",
        "PlanItem.Cancelled",
    )


def test_deleting_the_last_chain_blocks_fails_verify_naming_the_gap(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    assert last > 8
    raw.cut_chain(runner, 8)  # blocks of 4 events: the ones past #8 go
    assert head(runner.engine) == {"position": 8, "hash": chain_rows(runner)[7][1]}
    runner.catch_up()  # the projection has read them: nothing chains them again
    report = verify(app, runner.engine)
    assert not report.ok and report.checked == 8
    assert report.unchained == last - 8
    assert report.first_bad is not None
    assert (report.first_bad["position"], report.first_bad["code"]) == (9, "unchained")
    assert report.first_bad["detail"] == f"the chain ends at #8; its projection read to #{last}"


def test_deleting_the_whole_chain_fails_verify(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    raw.cut_chain(runner, 0)
    report = verify(app, runner.engine)
    assert report.head is None and report.first_bad is not None
    assert (report.first_bad["position"], report.first_bad["code"]) == (1, "unchained")


def back_dated(state: bytes, moment: str) -> bytes:
    data = orjson.loads(state)
    data["timestamp"] = {"_type_": "datetime_iso", "_data_": moment}
    return orjson.dumps(data)


def test_a_back_dated_event_appended_fails_verify_naming_it(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    latest = orjson.loads(raw.row(last)[3])["timestamp"]["_data_"]
    first_day = orjson.loads(raw.row(1)[3])["timestamp"]["_data_"]
    assert first_day < latest
    # a completion appended now but "recorded" on the plan's first day
    item_id, version, topic, state = raw.row(last)
    raw.insert(last + 1, (item_id, version + 1, topic, back_dated(state, first_day)))
    runner.catch_up()  # the chain takes it in like any appended event …
    assert head(runner.engine) == {"position": last + 1, "hash": chain_rows(runner)[-1][1]}
    report = verify(app, runner.engine)  # … and verify names it
    assert report.first_bad is not None
    assert (report.first_bad["position"], report.first_bad["code"]) == (last + 1, "backdated")
    assert report.first_bad["type"] == "PlanItem.OccurrenceCompleted"
    detail = report.first_bad["detail"]
    assert detail is not None and detail.startswith(f"recorded {first_day}, before #")
    assert detail.endswith(f" recorded {latest}")  # the event with the latest time before it
    assert report.checked == last


def test_a_back_dated_event_not_yet_chained_fails_verify_too(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    last = runner.head()
    item_id, version, topic, state = raw.row(last)
    raw.insert(
        last + 1, (item_id, version + 1, topic, back_dated(state, "2025-01-01T00:00:00+00:00"))
    )
    report = verify(app, runner.engine)
    assert report.unchained == 1 and report.first_bad is not None
    assert (report.first_bad["position"], report.first_bad["code"]) == (last + 1, "backdated")


def test_a_command_recorded_on_a_clock_set_back_a_day_fails_verify(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    _, ids = record(app, clock)
    clock.advance(days=-1)
    app.report_progress(ids[2], actor="李四", percent=50, note="倒签")
    runner.catch_up()
    first_bad = verify(app, runner.engine).first_bad
    assert first_bad is not None
    assert (first_bad["position"], first_bad["code"]) == (runner.head(), "backdated")


def test_commands_committed_out_of_clock_order_within_the_skew_verify(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    """Two commands taken at once in two processes commit in either order: their recorded
    times may go back by less than CLOCK_SKEW. The events of one command share one time."""
    _, ids = record(app, clock)
    clock.advance(seconds=-(CLOCK_SKEW.total_seconds() - 1))
    app.report_progress(ids[2], actor="李四", percent=50, note="并发")
    runner.catch_up()
    assert verify(app, runner.engine).ok
    assert not verify(app, runner.engine, clock_skew=timedelta(0)).ok


# ------------------------------------------------- chains of the older hash scheme


def write_scheme_1_blocks(runner: ReadModelRunner, links: list[tuple[int, str]]) -> None:
    """The audit_chain table as planlog wrote it before hash schemes: blocks, no scheme."""
    from array import array

    with runner.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE audit_chain")
        blob = "BLOB" if conn.dialect.name == "sqlite" else "BYTEA"
        conn.exec_driver_sql(
            "CREATE TABLE audit_chain (last_position INTEGER PRIMARY KEY, first_position "
            f"INTEGER NOT NULL, positions {blob} NOT NULL, digests {blob} NOT NULL)"
        )
        for start in range(0, len(links), 4):
            block = links[start : start + 4]
            positions = array("q", [p for p, _ in block]).tobytes()
            digests = b"".join(bytes.fromhex(d) for _, d in block)
            marks = "?, ?, ?, ?" if conn.dialect.name == "sqlite" else "%s, %s, %s, %s"
            conn.exec_driver_sql(
                f"INSERT INTO audit_chain VALUES ({marks})",
                (block[-1][0], block[0][0], positions, digests),
            )


def test_a_scheme_1_chain_that_verifies_is_rechained_and_keeps_verifying(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    _, ids = record(app, clock)
    runner.catch_up()
    old = scheme_1(app)
    write_scheme_1_blocks(runner, old)
    upgraded = ReadModelRunner(app, batch_size=4)
    try:
        assert chain_rows(upgraded) == recomputed(raw)
        assert verify(app, upgraded.engine).ok
        app.complete(ids[2], actor="李四")  # and the chain goes on from there
        upgraded.catch_up()
        assert chain_rows(upgraded) == recomputed(raw)
        assert verify(app, upgraded.engine).ok
        assert still_contains(app, upgraded.engine, *old[-1])  # a head kept before
    finally:
        upgraded.close()


def test_a_scheme_1_chain_tampered_before_the_upgrade_is_kept_and_still_fails(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()
    old = scheme_1(app)
    write_scheme_1_blocks(runner, old)
    target = raw.positions()["PlanItem.OccurrenceCompleted"]
    raw.set_state(target, reworded(raw.row(target)[3], actor="冒名者"))
    upgraded = ReadModelRunner(app, batch_size=4)
    try:
        assert chain_rows(upgraded) == old  # not re-chained: that would bless the forgery
        report = verify(app, upgraded.engine)
        assert report.first_bad is not None and report.checked == target - 1
        assert (report.first_bad["position"], report.first_bad["code"]) == (target, "altered")
        assert report.times_checked_after == old[-1][0]  # the head at upgrade time
    finally:
        upgraded.close()


# ------------------------------------- recorded times: checked from where the scheme began


def test_a_fresh_store_checks_recorded_times_from_the_first_event(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner
) -> None:
    """D3: a store chained under scheme 2 from the start holds every event to the order."""
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="chair")
    runner.catch_up()
    first = runner.head()
    clock.advance(days=-1)
    app.add_item(plan.id, NewItem(title="倒签", dues=[date(2026, 6, 30)]), actor="chair")
    runner.catch_up()
    runner.rebuild()  # a rebuild keeps where the check starts, as it keeps the links
    report = verify(app, runner.engine)
    assert report.times_checked_after == 0 and report.first_bad is not None
    assert (report.first_bad["position"], report.first_bad["code"]) == (first + 1, "backdated")


def test_an_upgraded_store_checks_recorded_times_only_after_the_upgrade(
    app: PlanlogApp, clock: Any, runner: ReadModelRunner, tmp_path: Any, store_url: str
) -> None:
    """D3: history recorded under scheme 1, before the back-dating check existed (here a
    command recorded on a clock set back 60 days, as a demo loaded after real events or a
    VM restored), is not condemned after the upgrade; events recorded after it are held
    to the order among themselves."""
    _, ids = record(app, clock)
    clock.advance(days=-60)
    app.report_progress(ids[2], actor="李四", percent=10, note="升级前倒签")
    runner.catch_up()
    assert verify(app, runner.engine).first_bad is not None  # what scheme 2 alone says
    old = scheme_1(app)
    write_scheme_1_blocks(runner, old)
    at_upgrade = old[-1][0]
    upgraded = ReadModelRunner(app, batch_size=4)
    try:
        report = verify(app, upgraded.engine)
        assert report.ok and report.times_checked_after == at_upgrade
        assert write_anchor(app, tmp_path, engine=upgraded.engine) is not None
        upgraded.rebuild()
        assert verify(app, upgraded.engine).times_checked_after == at_upgrade
    finally:
        upgraded.close()
    said = CliRunner().invoke(cli, ["--db", store_url, "audit", "verify"])
    assert said.exit_code == 0, said.output
    assert f"recorded times checked after #{at_upgrade}" in said.output
    restarted = ReadModelRunner(app, batch_size=4)  # the migration is not repeated
    try:
        clock.advance(days=61)
        app.report_progress(ids[2], actor="李四", percent=50, note="升级后")
        restarted.catch_up()
        assert verify(app, restarted.engine).ok
        clock.advance(days=-1)
        app.report_progress(ids[2], actor="李四", percent=60, note="升级后倒签")
        restarted.catch_up()
        report = verify(app, restarted.engine)
        assert report.times_checked_after == at_upgrade and report.first_bad is not None
        assert (report.first_bad["position"], report.first_bad["code"]) == (
            restarted.head(),
            "backdated",
        )
        detail = report.first_bad["detail"]
        assert detail is not None and f"before #{at_upgrade + 1} " in detail
    finally:
        restarted.close()
