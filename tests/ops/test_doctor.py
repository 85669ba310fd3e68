"""`planlog doctor`: what a server owner checks, on both stores; a failing check exits 1."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from tests.ops.conftest import Cli

from planlog.config import Settings
from planlog.demo import load_demo
from planlog.ops.doctor import FAIL, OK, WARN, _calendar
from planlog.scheduler.service import Service


def test_doctor_reports_store_schema_projections_and_scheduler(cli: Cli, store_url: str) -> None:
    load_demo(store_url, date.today())
    cli("board", cli("plan", "list", "--json", db=store_url)[0]["id"], "--json", db=store_url)
    report = cli("doctor", "--json", db=store_url)
    assert report["ok"] is True
    assert report["store"]["kind"] == ("sqlite" if store_url.startswith("sqlite") else "postgresql")
    assert report["schema"]["outdated"] == [] and report["schema"]["missing"] == []
    assert set(report["projections"]["lag"]) >= {"board", "audit_chain"}
    assert set(report["projections"]["lag"].values()) == {0}
    assert report["quarantine"]["quarantined"] == {}
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert statuses["scheduler"] == WARN  # nothing serves this store
    assert statuses["backup"] == WARN  # no backup yet
    assert statuses["store"] == OK


def test_doctor_names_the_process_that_runs_the_scheduler(cli: Cli, store_url: str) -> None:
    load_demo(store_url, date.today())
    service = Service(Settings(database_url=store_url))
    service.start()
    try:
        assert service.active
        report = cli("doctor", "--json", db=store_url)
    finally:
        service.stop()
    owner = report["scheduler"]["owner"]
    assert owner.startswith("pid ")
    if store_url.startswith("sqlite"):
        assert owner == f"pid {os.getpid()}"


def test_doctor_password_never_shown(cli: Cli, tmp_path: Path) -> None:
    report = cli(
        "doctor", "--json", db="postgresql://planlog:s3cret@127.0.0.1:1/planlog", expect_exit=1
    )
    assert "s3cret" not in str(report)
    assert report["ok"] is False
    assert report["checks"][0]["status"] == FAIL


def test_doctor_human_output_is_chinese_first(cli: Cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    load_demo(url, date.today())
    text = cli("doctor", db=url)
    first = text.splitlines()[0]
    assert "事件库" in first and first.index("事件库") < first.index("store sqlite")


def test_calendar_check_fails_for_a_year_without_holiday_data() -> None:
    assert _calendar(date(2090, 6, 1)).status == FAIL
    assert _calendar(date(2024, 6, 1)).status == OK
    # the next year missing is a warning: its holidays are published late in the year
    last_known = max(y for y in range(2020, 2100) if _calendar(date(y, 1, 1)).status != FAIL)
    assert _calendar(date(last_known, 6, 1)).status == WARN
