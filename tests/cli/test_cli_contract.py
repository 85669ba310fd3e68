"""The CLI contract used by acceptance checks, end to end on both stores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from planlog.cli import app
from planlog.projections.board import board_plans
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp


def new_plan(planlog: Any) -> str:
    created = planlog(
        "plan",
        "create",
        "--org",
        "某医院工会",
        "--year",
        "2026",
        "--title",
        "2026年工会工作计划",
        "--json",
    )
    return str(created["id"])


def test_plan_create_and_list(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    assert planlog("plan", "list", "--json") == [
        {"id": plan_id, "org": "某医院工会", "year": 2026, "title": "2026年工会工作计划"}
    ]


def test_item_add_returns_its_occurrences(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog(
        "item",
        "add",
        plan_id,
        "--title",
        "职工代表选举",
        "--section",
        "民主管理",
        "--responsible",
        "工会女工",
        "--due",
        "2026-06-30",
        "--window",
        "2026-06-01..2026-08-31",
        "--json",
    )
    assert item["id"]
    assert [{k: o[k] for k in ("opens", "due", "status")} for o in item["occurrences"]] == [
        {"opens": None, "due": "2026-06-30", "status": "open"},
        {"opens": "2026-06-01", "due": "2026-08-31", "status": "open"},
    ]
    assert item["section"] == "民主管理" and item["responsible"] == "工会女工"


def test_item_add_expands_an_rrule(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog(
        "item",
        "add",
        plan_id,
        "--title",
        "季度报告",
        "--rrule",
        "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1",
        "--json",
    )
    assert [o["due"] for o in item["occurrences"]] == [
        "2026-03-31",
        "2026-06-30",
        "2026-09-30",
        "2026-12-31",
    ]


def test_complete_without_occurrence_completes_the_earliest_open(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog(
        "item",
        "add",
        plan_id,
        "--title",
        "半年报告",
        "--due",
        "2026-06-30",
        "--due",
        "2026-12-31",
        "--json",
    )
    done = planlog("item", "complete", item["id"], "--note", "已报送", "--json")
    assert [o["status"] for o in done["occurrences"]] == ["done", "open"]
    again = planlog("item", "complete", item["id"], "--occurrence", "2026-12-31", "--json")
    assert [o["status"] for o in again["occurrences"]] == ["done", "done"]


def test_progress_cancel_show_and_history(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog(
        "item", "add", plan_id, "--title", "困难职工帮扶", "--due", "2026-12-31", "--json"
    )
    progressed = planlog(
        "item", "progress", item["id"], "--percent", "40", "--note", "走访12户", "--json"
    )
    assert progressed["percent"] == 40
    cancelled = planlog("item", "cancel", item["id"], "--reason", "并入送温暖活动", "--json")
    assert cancelled["status"] == "cancelled"
    shown = planlog("item", "show", item["id"], "--json")
    assert shown["occurrences"][0]["status"] == "cancelled"
    history = planlog("history", item["id"], "--json")
    assert [(h["type"], h["actor"], h["reason"]) for h in history] == [
        ("Planned", "张主席", None),
        ("ProgressReported", "张主席", None),
        ("Cancelled", "张主席", "并入送温暖活动"),
    ]
    assert all(h["recorded_at"] for h in history)


def test_item_show_as_of_an_earlier_time(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog("item", "add", plan_id, "--title", "换届选举", "--due", "2026-12-31", "--json")
    planned_at = planlog("history", item["id"], "--json")[0]["recorded_at"]
    planlog("item", "complete", item["id"], "--json")
    earlier = planlog("item", "show", item["id"], "--as-of", planned_at, "--json")
    assert earlier["occurrences"][0]["status"] == "open"


def test_refusal_exits_non_zero_with_a_json_error(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog("item", "add", plan_id, "--title", "x", "--due", "2026-03-25", "--json")
    refused = planlog("item", "progress", item["id"], "--percent", "120", "--json", expect_exit=1)
    assert refused["error"]["rule"] == "percent_range"
    assert "120" in refused["error"]["message"]


def test_refusal_without_json_is_one_line(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog("item", "add", plan_id, "--title", "x", "--due", "2026-03-25", "--json")
    output = planlog("item", "complete", item["id"], "--occurrence", "2026-04-01", expect_exit=1)
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "2026-04-01" in lines[0]


def test_unknown_plan_id_is_refused(planlog: Any) -> None:
    refused = planlog(
        "item", "add", "not-a-uuid", "--title", "x", "--due", "2026-03-25", "--json", expect_exit=1
    )
    assert "not-a-uuid" in refused["error"]["message"]
    assert refused["error"]["code"] == "invalid_id"


def test_installed_entry_point_runs(tmp_path: Path) -> None:
    env = {**os.environ, "PLANLOG_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "planlog", "plan", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_version_prints_the_installed_version_without_touching_a_store(tmp_path: Path) -> None:
    from importlib.metadata import version

    store = tmp_path / "never.db"
    result = CliRunner().invoke(app, ["--db", f"sqlite:///{store}", "--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"planlog {version('planlog')}"
    assert not store.exists()


def test_a_plan_or_item_is_named_by_the_first_characters_of_its_id(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog("item", "add", plan_id, "--title", "职代会", "--due", "2026-03-25", "--json")
    assert planlog("plan", "show", plan_id[:8], "--json")["id"] == plan_id
    assert planlog("item", "show", item["id"][:6].upper(), "--json")["id"] == item["id"]
    # an id kind's own prefix only: an item's is no plan's
    refused = planlog("plan", "show", item["id"][:8], "--json", expect_exit=1)
    assert "是事项编号" in refused["error"]["message"]  # it says whose id it is
    assert refused["error"]["code"] == "not_found"
    planlog("workload", "--plan", item["id"][:8], "--json", expect_exit=1)


def test_an_id_prefix_of_several_ids_is_refused_naming_them(planlog: Any, store_url: str) -> None:
    new_plan(planlog)
    twins = ["abcd0000-0000-4000-8000-000000000001", "abcd0000-0000-4000-8000-000000000002"]
    store = PlanlogApp(store_url)
    runner = ReadModelRunner(store)
    try:
        with runner.engine.begin() as conn:  # two plans whose ids share their start
            for twin in twins:
                row = {"plan_id": twin, "org": "某医院工会", "year": 2026, "title": "x"}
                conn.execute(board_plans.insert().values(**row, created_at="2026-01-01"))
    finally:
        runner.close()
        store.close()
    refused = planlog("board", "abcd", "--json", expect_exit=1)
    assert all(twin in refused["error"]["message"] for twin in twins)
    assert refused["error"]["code"] == "ambiguous_id"
    assert refused["error"]["matches"] == twins
    # shorter than four characters names too many to be meant: not looked up
    short = planlog("board", "abc", "--json", expect_exit=1)
    assert "UUID" in short["error"]["message"]
    assert short["error"]["code"] == "invalid_id"


def test_an_id_prefix_that_starts_no_id_is_not_found(planlog: Any) -> None:
    new_plan(planlog)
    refused = planlog("board", "ffffeeee", "--json", expect_exit=1)
    assert refused["error"]["code"] == "not_found"
    assert refused["error"]["id"] == "ffffeeee"


def test_parse_deadline_json_contract(planlog: Any) -> None:
    parsed = planlog("parse-deadline", "六月至八月", "--year", "2026", "--json")
    assert parsed == {
        "text": "六月至八月",
        "occurrences": [{"opens": "2026-06-01", "due": "2026-08-31"}],
        "rrule": None,
        "soft": False,
        "ambiguous": False,
        "note": None,
        "flags": [],  # issue 13: added, the rest of the shape is unchanged
    }


def test_parse_deadline_reads_the_next_year_with_its_flag(planlog: Any) -> None:
    parsed = planlog("parse-deadline", "次年2月底前", "--year", "2026", "--json")
    assert parsed["occurrences"] == [{"opens": None, "due": "2027-02-28"}]
    assert parsed["flags"] == ["next_year"]
    late = planlog("parse-deadline", "次年6月", "--year", "2026", "--json", expect_exit=1)
    assert late["error"]["code"] == "invalid_deadline"


def test_parse_deadline_refuses_vague_text(planlog: Any) -> None:
    refused = planlog("parse-deadline", "尽快", "--year", "2026", "--json", expect_exit=1)
    assert refused["error"]["code"] == "invalid_deadline"


def test_item_add_reads_a_deadline_text(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog(
        "item", "add", plan_id, "--title", "半年报告", "--deadline", "每半年一次", "--json"
    )
    assert [o["due"] for o in item["occurrences"]] == ["2026-06-30", "2026-12-31"]
    assert item["rrule"] == "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1"


def test_import_json_contract(planlog: Any, tmp_path: Path) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(
        "一、健全女工组织\n1、组织健全。全院建立4个女工委员会。\n时限：3月25日前\n"
        "2、向上级报告工作，每半年报告一次。\n时限：6月;12月\n责任人：工会女工\n",
        encoding="utf-8",
    )
    dry = planlog(
        "import", str(plan), "--org", "某医院工会", "--year", "2026", "--dry-run", "--json"
    )
    assert dry["plan_id"] is None
    done = planlog("import", str(plan), "--org", "某医院工会", "--year", "2026", "--json")
    assert done["plan_id"]
    first, second = done["items"]
    assert {k: first[k] for k in ("section", "title", "deadline_text", "responsible")} == {
        "section": "健全女工组织",
        "title": "组织健全",
        "deadline_text": "3月25日前",
        "responsible": "工会女工",
    }
    assert first["occurrences"] == [{"opens": None, "due": "2026-03-25"}]
    assert {k: first["targets"][0][k] for k in ("value", "unit", "text")} == {
        "value": 4,
        "unit": "个",
        "text": "4个",
    }
    assert [o["due"] for o in second["occurrences"]] == ["2026-06-30", "2026-12-31"]
    shown = planlog("item", "show", first["id"], "--json")
    assert shown["title"] == "组织健全"


def test_import_json_says_where_each_deadline_came_from(planlog: Any, tmp_path: Path) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(
        "2026年工会工作计划\n一、组织建设\n1、健全制度。\n时限：3月底前\n"
        "2、四月份举办职工技能竞赛。\n3、加强学习。\n4、年度总结于次年1月底前报送。\n",
        encoding="utf-8",
    )
    dry = planlog(
        "import", str(plan), "--org", "某医院工会", "--year", "2026", "--dry-run", "--json"
    )
    assert dry["title"] == "2026年工会工作计划"
    rows = [(i["deadline_source"], i["flags"]) for i in dry["items"]]
    assert rows == [
        ("label", []),
        ("sentence", []),
        ("implicit", ["implicit"]),
        ("sentence", ["next_year"]),
    ]
    assert dry["items"][1]["occurrences"] == [{"opens": "2026-04-01", "due": "2026-04-30"}]
    # A year-end report falls due in the next year's first quarter: kept, and said.
    assert dry["items"][3]["occurrences"] == [{"opens": None, "due": "2027-01-31"}]
    assert any("2027-01-31" in w for w in dry["items"][3]["warnings"])
    done = planlog("import", str(plan), "--org", "某医院工会", "--year", "2026", "--json")
    assert [(i["deadline_source"], i["flags"]) for i in done["items"]] == rows


def test_import_warnings_show_without_json(planlog: Any, tmp_path: Path) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text("一、组织建设\n1、健全制度。\n时限：尽快\n2、落实2010年会议精神。\n")
    shown = planlog("import", str(plan), "--org", "某医院工会", "--year", "2026", "--dry-run")
    assert "尽快" in shown and "2010" in shown


def test_import_of_an_unreadable_file_is_refused(planlog: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    refused = planlog("import", str(empty), "--org", "x", "--year", "2026", "--json", expect_exit=1)
    assert refused["error"]["code"] == "invalid_document"
    assert planlog("plan", "list", "--json") == []


def test_board_diff_and_projection_status_contract(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog(
        "item",
        "add",
        plan_id,
        "--title",
        "换届",
        "--due",
        "2026-06-30",
        "--due",
        "2026-12-31",
        "--json",
    )
    planned_at = planlog("history", item["id"], "--json")[0]["recorded_at"]
    planlog("item", "complete", item["id"], "--json")
    board = planlog("board", plan_id, "--now", "2026-07-01", "--json")
    assert board["totals"]["done"] == 1 and board["totals"]["occurrences"] == 2
    assert set(board["totals"]) >= {
        "items",
        "occurrences",
        "done",
        "overdue",
        "due_soon",
        "open",
        "cancelled",
    }
    (row,) = board["items"]
    assert {k: row[k] for k in ("id", "title", "status", "percent", "next_due")} == {
        "id": item["id"],
        "title": "换届",
        # issue 14: one of two halves done and the other not yet due is under way,
        # not 未开始 (open)
        "status": "in_progress",
        "percent": 50,
        "next_due": "2026-12-31",
    }
    assert [o["status"] for o in row["occurrences"]] == ["done", "in_progress"]
    earlier = planlog("board", plan_id, "--as-of", planned_at, "--now", "2026-07-01", "--json")
    assert [o["status"] for o in earlier["items"][0]["occurrences"]] == ["overdue", "open"]
    changes = planlog("diff", plan_id, "--from", planned_at, "--to", "2100-01-01", "--json")
    assert [(c["item_id"], c["type"]) for c in changes["changes"]] == [(item["id"], "completed")]
    assert all(c["actor"] == "张主席" and c["recorded_at"] for c in changes["changes"])
    status = planlog("projections", "status", "--json")
    assert {s["name"] for s in status} == {
        "board",
        "timeline",
        "rollup",
        "tasks",
        "outbox",
        "reminder_due",
        "digests",
        "audit_chain",
        "people",
        "evidence",
    }
    assert all(s["lag"] == 0 for s in status)
    rebuilt = planlog("projections", "rebuild", "--json")
    assert rebuilt["events"] == status[0]["head"]


def test_demo_loads_once_and_prints_the_board(planlog: Any) -> None:
    output = planlog("demo", "--if-empty")
    assert "某市人民医院工会" in output and "已完成" in output
    first = planlog("plan", "list", "--json")
    planlog("demo", "--if-empty")
    assert planlog("plan", "list", "--json") == first
    board = planlog("board", first[0]["id"], "--json")
    assert board["totals"]["items"] == 24 and board["totals"]["done"] > 0


def test_remind_json_contract_and_dry_run(planlog: Any) -> None:
    plan_id = new_plan(planlog)
    item = planlog(
        "item",
        "add",
        plan_id,
        "--title",
        "报送信息",
        "--responsible",
        "工会女工",
        "--due",
        "2026-06-30",
        "--json",
    )
    dry = planlog("remind", "--now", "2026-06-23T09:00+08:00", "--dry-run", "--json")
    assert [
        {k: r[k] for k in ("item_id", "occurrence", "kind", "recipients")} for r in dry["issued"]
    ] == [
        {
            "item_id": item["id"],
            "occurrence": "2026-06-30",
            "kind": "7d",
            "recipients": ["工会女工"],
        }
    ]
    assert planlog("reminders", "--json") == []
    done = planlog("remind", "--now", "2026-06-23T09:00+08:00", "--json")
    assert [r["kind"] for r in done["issued"]] == ["7d"]
    again = planlog("remind", "--now", "2026-06-23T10:00+08:00", "--json")
    assert again["issued"] == []
    (row,) = planlog("reminders", "--json")
    assert row["item_id"] == item["id"] and row["kind"] == "7d"
    assert row["status"] in ("sent", "no_channel")


def test_token_create_makes_a_root_organisation_and_revoke_ends_it(planlog: Any) -> None:
    made = planlog("token", "create", "--org", "新建总工会", "--role", "auditor", "--json")
    assert made["token"].startswith("pl_") and isinstance(made["id"], int)
    assert "新建总工会" in [o["org"] for o in planlog("org", "list", "--json")]
    planlog("token", "revoke", str(made["id"]))
    (listed,) = planlog("token", "list", "--json")
    assert listed["revoked_at"] is not None and "token" not in listed


def test_a_second_sign_in_link_replaces_the_first(store_url: str) -> None:
    from planlog.auth.tokens import authenticate
    from planlog.cli.common import State
    from planlog.cli.serve import sign_in_link

    st = State(db=store_url, actor="admin")
    app = st.app()
    app.register_organisation("某市总工会", actor="admin")
    app.register_organisation("某医院工会", actor="admin", parent="某市总工会")
    app.create_plan(org="某医院工会", year=2026, title="计划", actor="admin")
    first = sign_in_link(st, "http://127.0.0.1:8000")
    second = sign_in_link(st, "http://127.0.0.1:8000")
    assert first and second and first != second
    engine = st.read_models()
    assert authenticate(engine, first.split("token=")[1]) is None
    principal = authenticate(engine, second.split("token=")[1])
    assert principal is not None and (principal.org, principal.role) == ("某市总工会", "chair")
    st.close()


def test_the_sign_in_link_records_writes_under_the_chairs_name(store_url: str) -> None:
    from planlog.auth.caller import actor_of
    from planlog.auth.tokens import authenticate
    from planlog.cli.common import State
    from planlog.cli.serve import sign_in_link

    st = State(db=store_url, actor="admin")
    app = st.app()
    app.register_organisation("某市总工会", actor="admin", chair="张主席")
    app.create_plan(org="某市总工会", year=2026, title="计划", actor="admin")
    link = sign_in_link(st, "http://127.0.0.1:8000")
    assert link is not None
    principal = authenticate(st.read_models(), link.split("token=")[1])
    assert principal is not None and actor_of(principal).startswith("张主席")
    st.close()


def test_diff_summaries_follow_the_language_setting(
    planlog: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan_id = new_plan(planlog)
    item = planlog("item", "add", plan_id, "--title", "换届", "--due", "2026-06-30", "--json")
    window = ("--from", "2026-01-01T00:00:00+00:00", "--to", "2100-01-01", "--json")
    chinese = planlog("diff", plan_id, *window)["changes"]
    monkeypatch.setenv("PLANLOG_LANG", "en")
    english = planlog("diff", plan_id, *window)["changes"]
    assert [c["item_id"] for c in english] == [c["item_id"] for c in chinese] == [item["id"]]
    assert chinese[0]["summary"] == "新增事项“换届”，时限 2026-06-30"
    assert english[0]["summary"] == "Added item “换届”, due 2026-06-30"
