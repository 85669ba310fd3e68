"""The worker anchors the audit chain daily, outside the database (planlog.audit.anchor)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from planlog.config import Settings
from planlog.scheduler.service import ANCHOR_JOB, DIGEST_JOB, Service, run_anchor
from planlog.service.app import PlanlogApp


def test_the_active_worker_anchors_the_chain_daily_after_midnight_china_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchors = tmp_path / "anchors"
    monkeypatch.setenv("PLANLOG_ANCHOR_DIR", str(anchors))
    url = f"sqlite:///{tmp_path / 'planlog.db'}"
    app = PlanlogApp(url)
    app.create_plan(org="某医院工会", year=2026, title="计划", actor="admin")
    app.close()
    service = Service(Settings(database_url=url, reminder_interval=3600, workdays="all"))
    service.start()
    try:
        assert service.scheduler is not None
        job = service.scheduler.get_job(ANCHOR_JOB)
        assert isinstance(job.trigger, CronTrigger)
        fields = {f.name: str(f) for f in job.trigger.fields}
        assert (fields["hour"], fields["minute"]) == ("0", "30")
        assert str(job.trigger.timezone) == "Asia/Shanghai"
        run_anchor(service.key)  # what the job runs
    finally:
        service.stop()
    lines = (anchors / "anchors.jsonl").read_text().splitlines()
    assert len(lines) == 1
    anchor = json.loads(lines[0])
    assert anchor["events"] > 0 and len(anchor["hash"]) == 64


def test_a_worker_without_an_anchor_dir_warns_at_start_on_postgres_only(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """D6: on PostgreSQL, no PLANLOG_ANCHOR_DIR means anchors in the current directory: the
    worker says so at start, naming the setting, and starts all the same. A SQLite store
    keeps them beside its file, and a configured directory is used as it is."""
    monkeypatch.delenv("PLANLOG_ANCHOR_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    postgres = store_url.startswith("postgresql")
    for configured in (False, True):
        if configured:
            monkeypatch.setenv("PLANLOG_ANCHOR_DIR", str(tmp_path / "anchors"))
        caplog.clear()
        service = Service(Settings(database_url=store_url, reminder_interval=3600))
        with caplog.at_level("WARNING", logger="planlog.scheduler"):
            service.start()
        try:
            assert service.active
        finally:
            service.stop()
        warned = [r.getMessage() for r in caplog.records if "PLANLOG_ANCHOR_DIR" in r.getMessage()]
        if postgres and not configured:
            assert len(warned) == 1, warned
            assert warned[0].startswith("未设置 PLANLOG_ANCHOR_DIR")
            assert (
                f"PLANLOG_ANCHOR_DIR is not set: the daily audit anchors go to {tmp_path}"
                in (warned[0])
            )
        else:
            assert warned == []


def test_the_active_worker_checks_the_laggard_digests_a_minute_after_it_starts(
    tmp_path: Path,
) -> None:
    # Not an hour later: a worker restarted more often than hourly would never send one.
    url = f"sqlite:///{tmp_path / 'planlog.db'}"
    service = Service(Settings(database_url=url, reminder_interval=3600, workdays="all"))
    started = datetime.now(ZoneInfo("Asia/Shanghai"))
    service.start()
    try:
        assert service.scheduler is not None
        job = service.scheduler.get_job(DIGEST_JOB)
        assert job.next_run_time - started < timedelta(minutes=2)
    finally:
        service.stop()
