"""`planlog audit verify|head|prove`: exit codes, the one-line tamper report, JSON."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date
from typing import Any

import orjson
from psycopg import sql
from typer.testing import CliRunner

from planlog.cli import app as cli
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.store import pg_connect


def run(store_url: str, *args: str, expect_exit: int = 0) -> Any:
    result = CliRunner().invoke(cli, ["--db", store_url, "audit", *args])
    assert result.exit_code == expect_exit, result.output
    return json.loads(result.stdout) if "--json" in args else result.output


def record(app: PlanlogApp) -> None:
    plan = app.create_plan(org="市总工会", year=2026, title="2026年工作计划", actor="chair")
    item = app.add_item(
        plan.id, NewItem(title="女工工作报告", dues=[date(2026, 6, 30)]), actor="chair"
    )
    app.complete(item.id, actor="工会女工", note="已报送")


def forge(app: PlanlogApp, position: int) -> None:
    """Rewrite who completed the event at `position`, straight in the database."""
    if app.store.kind == "sqlite":
        with closing(sqlite3.connect(str(app.store.sqlite_path))) as db:
            (state,) = db.execute(
                "SELECT state FROM stored_events WHERE rowid=?", (position,)
            ).fetchone()
            forged = orjson.dumps({**orjson.loads(state), "actor": "冒名者"})
            db.execute("UPDATE stored_events SET state=? WHERE rowid=?", (forged, position))
            db.commit()
        return
    table = sql.SQL("{}.planlog_events").format(sql.Identifier(str(app.store.pg_schema)))
    with pg_connect(app.store) as db:
        found = db.execute(
            sql.SQL("SELECT state FROM {} WHERE notification_id=%s").format(table), (position,)
        ).fetchone()
        assert found is not None
        forged = orjson.dumps({**orjson.loads(found[0]), "actor": "冒名者"})
        db.execute(
            sql.SQL("UPDATE {} SET state=%s WHERE notification_id=%s").format(table),
            (forged, position),
        )


def test_verify_an_intact_log(store_url: str, app: PlanlogApp) -> None:
    record(app)
    last = int(app.recorder.max_notification_id() or 0)
    report = run(store_url, "verify", "--json")
    assert report["ok"] is True and report["first_bad"] is None
    assert report["checked"] == last and report["head"]["position"] == last
    text = run(store_url, "verify")
    assert "audit chain intact" in text and f"{last} events, head #{last}" in text


def test_verify_an_empty_log(store_url: str, app: PlanlogApp) -> None:
    assert run(store_url, "verify", "--json") == {
        "ok": True,
        "checked": 0,
        "head": None,
        "unchained": 0,
        "first_bad": None,
        "times_checked_after": 0,
        "evidence": {"ok": True, "checked": 0, "problems": []},
    }
    assert run(store_url, "head", "--json") is None


def test_verify_names_the_forged_event_and_exits_1(store_url: str, app: PlanlogApp) -> None:
    record(app)
    run(store_url, "verify")  # chains the history as recorded
    last = int(app.recorder.max_notification_id() or 0)
    forge(app, last)
    report = run(store_url, "verify", "--json", expect_exit=1)
    assert report["ok"] is False and report["checked"] == last - 1
    bad = report["first_bad"]
    assert (bad["position"], bad["type"], bad["version"], bad["code"]) == (
        last,
        "PlanItem.OccurrenceCompleted",
        2,
        "altered",
    )
    line = run(store_url, "verify", expect_exit=1)
    assert len(line.strip().splitlines()) == 1
    assert (
        f"事件 #{last} (PlanItem.OccurrenceCompleted, item {bad['aggregate_id']}, version 2)"
        in (line)
    )
    assert "does not match the audit chain: payload or identity altered" in line


def test_a_rebuild_through_the_cli_does_not_bless_a_forgery(
    store_url: str, app: PlanlogApp
) -> None:
    record(app)
    run(store_url, "verify")
    forge(app, 2)
    result = CliRunner().invoke(cli, ["--db", store_url, "projections", "rebuild", "--json"])
    assert result.exit_code == 0, result.output
    assert run(store_url, "verify", "--json", expect_exit=1)["first_bad"]["position"] == 2


def test_head_and_prove(store_url: str, app: PlanlogApp) -> None:
    record(app)
    kept = run(store_url, "head", "--json")
    assert kept["position"] == app.recorder.max_notification_id()
    assert f"#{kept['position']} {kept['hash']}" in run(store_url, "head")
    record(app)  # the history grows: the kept head is still in it
    position, digest = str(kept["position"]), kept["hash"]
    assert run(store_url, "prove", position, digest, "--json") == {
        "position": kept["position"],
        "hash": digest,
        "contained": True,
    }
    assert "still contains" in run(store_url, "prove", position, digest)
    forge(app, kept["position"])
    assert run(store_url, "prove", position, digest, "--json", expect_exit=1)["contained"] is False
    assert "no longer contains" in run(store_url, "prove", position, digest, expect_exit=1)


def test_prove_refuses_what_is_not_a_hash(store_url: str, app: PlanlogApp) -> None:
    record(app)
    error = run(store_url, "prove", "1", "3f2a", "--json", expect_exit=1)["error"]
    assert "64 hex digits" in error["message"]


def test_verify_names_chain_links_deleted_behind_its_position_and_exits_1(
    store_url: str, app: PlanlogApp, raw: Any, runner: Any
) -> None:
    record(app)
    record(app)
    run(store_url, "verify")  # chains the history in one block
    last = int(app.recorder.max_notification_id() or 0)
    raw.cut_chain(runner, 0)
    bad = run(store_url, "verify", "--json", expect_exit=1)["first_bad"]
    assert (bad["position"], bad["code"]) == (1, "unchained")
    line = run(store_url, "verify", expect_exit=1)
    assert len(line.strip().splitlines()) == 1
    assert "事件 #1 (Organisation.Registered" in line and "never chained" in line
    assert "链尾被删除" in line
    assert f"the chain ends at #0; its projection read to #{last}" in line
