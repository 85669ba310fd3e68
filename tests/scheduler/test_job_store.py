"""The scheduler never unpickles anything from the database (issue 16), on both stores.

Before: jobs lived pickled in planlog_scheduler_jobs (APScheduler's SQLAlchemyJobStore),
so whoever could write to the database could make the worker run code of their choosing.
Now jobs live in memory and are re-added at every start; the old table is dropped unread.
"""

from __future__ import annotations

import pathlib
import pickle
from datetime import datetime, timedelta
from time import sleep
from typing import Any

from sqlalchemy import Column, Float, LargeBinary, MetaData, String, Table, inspect

from planlog.config import Settings
from planlog.projections.base import make_engine
from planlog.scheduler.dispatch import set_channels
from planlog.scheduler.service import OLD_JOB_TABLE, Service
from planlog.service.app import NewItem, PlanlogApp

ORG = "某医院工会"


class Planted:
    """What an attacker with write access puts in the job table: unpickling it runs
    `Path.touch(marker)`, which a test can see (any other call would do as well)."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (self.marker,))


def plant_pickled_job(store_url: str, marker: pathlib.Path) -> None:
    """A due job in the table layout the old SQLAlchemyJobStore used and read."""
    app = PlanlogApp(store_url)
    engine = make_engine(app.store)
    table = Table(
        OLD_JOB_TABLE,
        MetaData(),
        Column("id", String(191), primary_key=True),
        Column("next_run_time", Float(25), index=True),
        Column("job_state", LargeBinary, nullable=False),
    )
    table.create(engine)
    with engine.begin() as conn:
        conn.execute(
            table.insert(),
            [
                # due since 1970, so the old store handed it to the scheduler at once
                {"id": "planted", "next_run_time": 0.0, "job_state": pickle.dumps(Planted(marker))},
                {
                    "id": "planlog-reminders",
                    "next_run_time": 0.0,
                    "job_state": pickle.dumps(Planted(marker)),
                },
            ],
        )
    engine.dispose()
    app.close()


def test_a_pickled_job_planted_in_the_database_is_never_unpickled(
    store_url: str, tmp_path: pathlib.Path, http_receiver: Any
) -> None:
    marker = tmp_path / "unpickled-by-the-worker"
    assert pickle.loads(pickle.dumps(Planted(marker))) is None and marker.exists()
    marker.unlink()  # the payload works; now plant it

    app = PlanlogApp(store_url)
    app.register_organisation(ORG, actor="admin", chair="王主席")
    plan = app.create_plan(org=ORG, year=app.today().year, title="计划", actor="chair")
    app.add_item(
        plan.id, NewItem(title="逾期事项", dues=[app.today() - timedelta(days=4)]), actor="chair"
    )
    plant_pickled_job(store_url, marker)
    service = Service(
        Settings(database_url=store_url, reminder_interval=1, delivery_interval=1, workdays="all")
    )
    set_channels(service.runner.engine, ORG, None, [http_receiver.url("json", "/hook")])
    service.start()
    try:
        assert service.active
        # A whole pass ran (issued and delivered), and a few more scheduler wake-ups.
        deadline = datetime.now() + timedelta(seconds=30)
        while not http_receiver.requests and datetime.now() < deadline:
            sleep(0.1)
        sleep(2.5)
        jobs = {job.id for job in service.scheduler.get_jobs()}  # type: ignore[union-attr]
    finally:
        service.stop()
    app.close()

    assert len(http_receiver.requests) == 1
    assert jobs == {
        "planlog-reminders",
        "planlog-delivery",
        "planlog-anchor",
        "planlog-laggard-digest",
    }
    assert not marker.exists()
    check = make_engine(PlanlogApp(store_url).store)
    assert not inspect(check).has_table(OLD_JOB_TABLE)  # dropped, unread
    check.dispose()
