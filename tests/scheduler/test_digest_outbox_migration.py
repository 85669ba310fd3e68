"""The digest outbox kept by a planlog before per-person digests: its rows are history a
rebuild cannot restore, so a newer planlog migrates them in place, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, inspect, select
from tests.scheduler.conftest import HttpReceiver

from planlog.projections.digests import digest_outbox
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.dispatch import set_channels
from planlog.scheduler.laggards import deliver_digests
from planlog.service.app import PlanlogApp


def _v1_layout() -> Table:
    """digest_outbox as planlog stored it before per-person digests."""
    return Table(
        "digest_outbox",
        MetaData(),
        Column("position", Integer, primary_key=True, autoincrement=False),
        Column("org", Text, nullable=False),
        Column("week", String(8), nullable=False),
        Column("recipients", Text, nullable=False),
        Column("lagging", Text, nullable=False),
        Column("more", Integer, nullable=False),
        Column("issued_at", String(40), nullable=False),
        Column("status", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("next_attempt_at", String(40), nullable=False),
        Column("sent_at", String(40)),
        Column("last_error", Text),
    )


def test_an_older_digest_outbox_is_migrated_and_its_waiting_digest_still_goes_out(
    app: PlanlogApp, http_receiver: HttpReceiver
) -> None:
    app.register_organisation("东区总工会", actor="admin", chair="刘主席")
    first = ReadModelRunner(app)
    with first.engine.begin() as conn:
        digest_outbox.drop(conn)
        old = _v1_layout()
        old.create(conn)
        conn.execute(
            old.insert().values(
                position=1,
                org="东区总工会",
                week="2026-W29",
                recipients=orjson.dumps(["刘主席"]).decode(),
                lagging=orjson.dumps(
                    [{"org": "东一工会", "overdue": 2, "percent_done": 0}]
                ).decode(),
                more=0,
                issued_at="2026-07-13T01:00:00+00:00",
                status="no_channel",
                attempts=1,
                next_attempt_at="2026-07-13T02:00:00+00:00",
            )
        )
    first.close()

    runner = ReadModelRunner(app)  # sets its tables up: migrates the kept rows
    try:
        with runner.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("digest_outbox")}
            (row,) = conn.execute(select(digest_outbox))
        assert {"chairs", "delivered_to"} <= columns
        assert (row.week, row.status, row.chairs, row.delivered_to) == (
            "2026-W29",
            "no_channel",
            None,
            None,
        )
        set_channels(runner.engine, "东区总工会", None, [http_receiver.url("json", "/group")])
        sent = deliver_digests(runner.engine, datetime(2026, 7, 13, 3, tzinfo=UTC))
        assert sent == 1
        assert "东一工会：逾期 2 项" in http_receiver.requests[0].json()["message"]
    finally:
        runner.close()


def test_a_half_migrated_digest_outbox_gains_the_column_it_lacks(app: PlanlogApp) -> None:
    # A migration cut off after its first column (SQLite commits each ALTER on its own
    # outside a transaction): the next start adds the other one instead of refusing.
    app.register_organisation("东区总工会", actor="admin", chair="刘主席")
    first = ReadModelRunner(app)
    with first.engine.begin() as conn:
        digest_outbox.drop(conn)
        half = _v1_layout()
        half.append_column(Column("chairs", Text))
        half.create(conn)
    first.close()

    runner = ReadModelRunner(app)
    try:
        with runner.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("digest_outbox")}
        assert {"chairs", "delivered_to"} <= columns
    finally:
        runner.close()
