"""`planlog migrate --from sqlite:///… --to postgresql://…` on a store of over 100,000
events: every event arrives in order, the target's chain verifies and covers the same
rows, and the boards are the source's. The figures (events/s, peak memory of the migrate
process) are written to test-artifacts/migrate.json, never asserted on."""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from tests.ops.conftest import Cli

from planlog.demo import load_demo
from planlog.ops.copy import read_digest
from planlog.service.app import PlanlogApp
from planlog.service.store import parse_database_url

EVENTS = 100_000
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
_STAMP = re.compile(rb'^\{"timestamp":\{"_type_":"datetime_iso","_data_":"[^"]*"\}')


def build_large_store(url: str, events: int = EVENTS) -> list[UUID]:
    """The demo, then copies of its plan (the plan and its items, each with fresh ids)
    written straight through the recorder in bulk until the log holds `events` events.
    Every copy is recorded at the demo's last moment, so recorded times never go back."""
    load_demo(url, date.today())
    app = PlanlogApp(url)
    try:
        stored = list(app.recorder.select_notifications(start=1, limit=10_000))
        kinds = {":Plan.", ":PlanItem."}
        plan_events = [n for n in stored if any(k in n.topic for k in kinds)]
        last_stamp = _STAMP.match(stored[-1].state)
        assert last_stamp is not None
        ids = {n.originator_id for n in plan_events}
        plans: list[UUID] = []
        total = len(stored)
        while total < events:
            fresh = {old: uuid4() for old in ids}
            batch = []
            for n in plan_events:
                state = _STAMP.sub(last_stamp.group(0).replace(b"\\", b"\\\\"), n.state)
                for old, new in fresh.items():
                    state = state.replace(str(old).encode(), str(new).encode())
                    state = state.replace(old.hex.encode(), new.hex.encode())
                batch.append(
                    StoredEvent(fresh[n.originator_id], n.originator_version, n.topic, state)
                )
            app.recorder.insert_events(batch)
            plans += [
                fresh[n.originator_id] for n in plan_events if n.topic.endswith(":Plan.Created")
            ]
            total += len(batch)
        return plans
    finally:
        app.close()


@pytest.mark.postgres
def test_a_large_store_moves_to_postgresql_whole(cli: Cli, tmp_path: Path, pg_url: str) -> None:
    source = f"sqlite:///{tmp_path / 'large.db'}"
    copies = build_large_store(source)
    source_digest = read_digest(parse_database_url(source))
    assert source_digest.events >= EVENTS

    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "planlog", "migrate", "--from", source, "--to", pg_url, "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert set(result) >= {"events", "head", "seconds"}
    assert result["events"] == source_digest.events
    # every row (position, id, version, topic, stored bytes) arrived, in order
    assert read_digest(parse_database_url(pg_url)).hexdigest() == source_digest.hexdigest()
    assert result["head"]["position"] == source_digest.last_position
    verified = cli("audit", "verify", "--json", db=pg_url)
    assert verified["ok"] is True and verified["head"] == result["head"]
    today = date.today().isoformat()
    for plan in [
        cli("plan", "list", "--json", db=source)[0]["id"],
        str(copies[0]),
        str(copies[-1]),
    ]:
        assert cli("board", plan, "--now", today, "--json", db=pg_url) == cli(
            "board", plan, "--now", today, "--json", db=source
        )

    ARTIFACTS.mkdir(exist_ok=True)
    figures = {
        "events": result["events"],
        "seconds": result["seconds"],
        "events_per_second": round(result["events"] / result["seconds"]),
        "process_seconds": round(wall, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "stages": result["stages"],
    }
    (ARTIFACTS / "migrate.json").write_text(json.dumps(figures, indent=2))
    print(figures)


def test_migrate_refuses_a_target_that_holds_events(
    cli: Cli, tmp_path: Path, store_url: str
) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    load_demo(source, date.today())
    load_demo(store_url, date.today())
    refused = cli("migrate", "--from", source, "--to", store_url, "--json", expect_exit=1)
    assert refused["error"]["code"] == "target_not_empty"
