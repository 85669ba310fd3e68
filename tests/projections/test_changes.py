"""Reading the log as projections do: payloads decoded only where some projection reads them."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from planlog.projections.chain import ChainProjection
from planlog.projections.changes import UNREAD, ChangeReader, _Decoder
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp


def _no_payload(event_type: str) -> bool:
    return False


def test_an_undecoded_payload_keeps_the_recorded_time_and_the_raw_bytes(app: PlanlogApp) -> None:
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="chair")
    app.add_item(plan.id, NewItem(title="职工之家申报"), actor="chair")
    reader = ChangeReader(app.recorder, app.store)
    rows = reader.rows(0, 1_000, 1_000)
    reader.close()

    decoded = _Decoder()(rows)
    skipped = _Decoder(_no_payload)(rows)

    assert [c.recorded_at for c in skipped] == [c.recorded_at for c in decoded]
    assert [c.raw for c in skipped] == [row[4] for row in rows]
    assert all(c.data is UNREAD for c in skipped)
    assert "chair" in {c.data.get("actor") for c in decoded}


@pytest.mark.parametrize(
    "use",
    [
        lambda d: d["plan_id"],
        lambda d: d.get("actor"),
        lambda d: "actor" in d,
        lambda d: list(d),
        lambda d: bool(d),
        lambda d: d.items(),
        lambda d: d.setdefault("actor", "someone"),
        lambda d: d.update(actor="someone"),
    ],
)
def test_an_undecoded_payload_refuses_every_use(use: Any) -> None:
    with pytest.raises(LookupError, match="was not decoded"):
        use(UNREAD)


def test_a_payload_laid_out_otherwise_is_decoded_even_when_unread() -> None:
    state = orjson.dumps(
        {
            "actor": "li",
            "timestamp": {"_type_": "datetime_iso", "_data_": "2026-03-01T00:00:00+00:00"},
        }
    )
    topic = "planlog.domain.model:PlanItem.Cancelled"
    [change] = _Decoder(_no_payload)([(7, "0" * 32, 3, topic, state)])
    assert change.recorded_at == "2026-03-01T00:00:00+00:00"
    assert change.data == {"actor": "li"}
    assert change.type == "PlanItem.Cancelled"


def test_a_runner_decodes_the_payloads_of_its_projections_only(app: PlanlogApp) -> None:
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="chair")
    app.add_item(plan.id, NewItem(title="职工之家申报"), actor="chair")
    chain_only = ReadModelRunner(app, [ChainProjection()])
    everything = ReadModelRunner(app)
    try:
        assert all(c.data is UNREAD for c in chain_only.reader.read(0, 1_000, 1_000))
        changes = everything.reader.read(0, 1_000, 1_000)
        decoded = {c.type for c in changes if c.data is not UNREAD}
        assert decoded == {
            c.type for c in changes if any(p.reads_payload(c.type) for p in everything.projections)
        }
        assert {"Plan.Created", "PlanItem.Planned"} <= decoded
        assert "Plan.ItemAttached" not in decoded  # no read model needs what it says
    finally:
        chain_only.close()
        everything.close()


def _logged_plan(url: str) -> PlanlogApp:
    app = PlanlogApp(url)
    plan = app.create_plan(org="市总工会", year=2026, title="计划", actor="chair")
    for n in range(5):
        app.add_item(plan.id, NewItem(title=f"任务{n}"), actor="chair")
    return app


def test_postgres_log_is_read_as_the_recorder_stored_it(pg_url: str) -> None:
    app = _logged_plan(pg_url)
    reader = ChangeReader(app.recorder, app.store)
    rows = reader.rows(2, 9, 1_000)
    reader.close()
    recorded = app.recorder.select_notifications(
        start=2, limit=1_000, stop=9, inclusive_of_start=False
    )
    assert rows == [
        (n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in recorded
    ]
    app.close()


def test_postgres_log_is_read_by_its_position_index_whatever_the_statistics(
    pg_url: str,
) -> None:
    app = _logged_plan(pg_url)
    reader = ChangeReader(app.recorder, app.store)
    reader.rows(0, 1, 1)
    log = reader._postgres
    assert log is not None
    session = log._connection()  # the reader's own session, as it plans its reads
    table = f'"{app.store.pg_schema}".planlog_events'
    # Statistics that say the log is empty: planned from them, a read of the log is a
    # scan of the whole table and a sort.
    session.execute(f"ANALYZE {table}")
    session.execute(
        f"UPDATE pg_class SET reltuples = 0, relpages = 0 WHERE oid = '{table}'::regclass"
    )
    explain = b"EXPLAIN " + log._select.as_bytes(session)
    plan = "\n".join(row[0] for row in session.execute(explain, (0, 20_000)))
    reader.close()
    assert "Index Scan using planlog_events_notification_id_idx" in plan
    assert "Sort" not in plan and "Seq Scan" not in plan
    app.close()


def test_a_postgres_batch_reads_rows_by_key_whatever_the_statistics(pg_url: str) -> None:
    # A table filled since its last ANALYZE looks empty to the planner: a catch-up that
    # let it plan its by-key reads scanned the whole table for each batch.
    app = _logged_plan(pg_url)
    runner = ReadModelRunner(app)
    try:
        with runner._snapshot() as conn:
            assert conn.exec_driver_sql("SHOW enable_seqscan").scalar() == "off"
        with runner._writing() as conn:  # its deletes and updates by key likewise
            assert conn.exec_driver_sql("SHOW enable_seqscan").scalar() == "off"
        with runner.engine.connect() as conn:  # local to the snapshot: the pool is clean
            assert conn.exec_driver_sql("SHOW enable_seqscan").scalar() == "on"
    finally:
        runner.close()
        app.close()
