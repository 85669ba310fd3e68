"""`planlog task send|status|adjust` and `planlog rollup ORG --rank`: the contract of issue 17."""

from __future__ import annotations

from typing import Any

from planlog.domain.clock import PLAN_TZ

CITY, EAST = "市总工会", "东区总工会"
UNIONS = ("东一工会", "东二工会")


def _federation(planlog: Any) -> str:
    planlog("org", "create", CITY, "--json")
    planlog("org", "create", EAST, "--parent", CITY, "--json")
    for union in UNIONS:
        planlog("org", "create", union, "--parent", EAST, "--json")
    plan = planlog(
        "plan", "create", "--org", CITY, "--year", "2026", "--title", "市总计划", "--json"
    )
    item = planlog(
        "item", "add", plan["id"], "--title", "安全生产月", "--due", "2026-06-30", "--json"
    )
    return str(item["id"])


def test_task_send_answers_the_task_and_its_copies(planlog: Any) -> None:
    item_id = _federation(planlog)
    sent = planlog("task", "send", item_id, "--to", EAST, "--json")
    assert set(sent) >= {"task_id", "copies"} and sent["copies"] == 2
    again = planlog("task", "send", item_id, "--to", EAST, "--to", CITY, "--json")
    assert (again["task_id"], again["copies"]) == (sent["task_id"], 0)


def test_task_status_lists_each_union_s_copy(planlog: Any) -> None:
    sent = planlog("task", "send", _federation(planlog), "--to", EAST, "--json")
    status = planlog("task", "status", sent["task_id"], "--now", "2026-07-01", "--json")
    assert (status["done"], status["overdue"], status["open"]) == (0, 2, 0)
    first = status["unions"][0]
    planlog("item", "complete", first["item_id"], "--json")
    status = planlog("task", "status", sent["task_id"], "--now", "2026-07-01", "--json")
    assert (status["done"], status["overdue"]) == (1, 1)
    assert {u["org"] for u in status["unions"]} == set(UNIONS)
    assert all(set(u) >= {"org", "status", "item_id"} for u in status["unions"])


def test_an_items_history_lists_the_send_of_its_task(planlog: Any) -> None:
    item_id = _federation(planlog)
    sent = planlog("task", "send", item_id, "--to", EAST, "--json")
    history = planlog("history", item_id, "--json")
    assert [e["type"] for e in history if "sent_as" not in e] == ["Planned"]
    task = [e for e in history if "sent_as" in e]
    assert {e["sent_as"] for e in task} == {sent["task_id"]}
    assert [e["type"] for e in task] == ["Sent", "CopiesMade"]
    assert "任务 task" in planlog("history", item_id[:8])  # the table marks them


def test_history_takes_a_task_id_and_shows_times_in_china_time(planlog: Any) -> None:
    from datetime import datetime

    sent = planlog("task", "send", _federation(planlog), "--to", EAST, "--json")
    (first, *_) = planlog("history", sent["task_id"][:8], "--json")
    assert first["type"] == "Sent"
    recorded = datetime.fromisoformat(first["recorded_at"]).astimezone(PLAN_TZ)
    table = planlog("history", sent["task_id"])
    assert recorded.strftime("%Y-%m-%d %H:%M:%S") in table  # what --as-of reads back


def test_an_unknown_whole_id_is_refused_in_chinese_first(planlog: Any) -> None:
    refused = planlog(
        "plan", "show", "12345678-0000-4000-8000-000000000000", "--json", expect_exit=1
    )
    assert refused["error"]["message"].startswith(
        "没有编号为 12345678-0000-4000-8000-000000000000 的计划"
    )


def test_a_union_cannot_move_its_copy_but_the_federation_can(planlog: Any) -> None:
    sent = planlog("task", "send", _federation(planlog), "--to", EAST, "--json")
    copy = planlog("task", "status", sent["task_id"], "--json")["unions"][0]["item_id"]
    refused = planlog(
        "item",
        "reschedule",
        copy,
        "--due",
        "2026-09-30",
        "--reason",
        "晚点",
        "--json",
        expect_exit=1,
    )
    assert refused["error"]["rule"] == "task_schedule_locked"
    moved = planlog(
        "task", "adjust", sent["task_id"], "--due", "2026-09-30", "--reason", "顺延", "--json"
    )
    assert moved["copies"] == 2


def test_rollup_rank_orders_by_overdue_then_completion(planlog: Any) -> None:
    sent = planlog("task", "send", _federation(planlog), "--to", EAST, "--json")
    done = planlog("task", "status", sent["task_id"], "--json")["unions"][1]
    planlog("item", "complete", done["item_id"], "--json")
    ranked = planlog("rollup", CITY, "--rank", "--now", "2026-07-01", "--json")
    assert [d["org"] for d in ranked["districts"]] == [EAST]
    assert [u["org"] for u in ranked["unions"]][-1] == done["org"]
    assert ranked["unions"][0]["overdue"] == 1


def test_a_target_outside_the_federation_is_refused(planlog: Any) -> None:
    item_id = _federation(planlog)
    planlog("org", "create", "外市总工会", "--json")
    refused = planlog("task", "send", item_id, "--to", "外市总工会", "--json", expect_exit=1)
    assert refused["error"]["rule"] == "task_target_below"


def test_plan_index_answers_how_many_plans_it_indexed(planlog: Any) -> None:
    _federation(planlog)  # plans made since the index began: nothing to add
    assert planlog("plan", "index", "--json") == {"added": 0, "complete": True}


def test_a_repeat_send_says_the_unions_already_hold_copies(planlog: Any) -> None:
    item_id = _federation(planlog)
    assert planlog("task", "send", item_id, "--to", EAST, "--json")["reason"] is None
    again = planlog("task", "send", item_id, "--to", EAST, "--json")
    assert again["already"] == 2 and "已收到" in again["reason"]


def test_a_send_to_no_union_is_refused_and_leaves_the_item_as_it_was(planlog: Any) -> None:
    # A union "sending" its own overdue item to itself took it off its counts and
    # reminders, with nobody holding a copy.
    planlog("org", "create", CITY, "--json")
    plan = planlog("plan", "create", "--org", CITY, "--year", "2026", "--title", "计划", "--json")
    item = planlog("item", "add", plan["id"], "--title", "安全", "--due", "2026-06-30", "--json")
    refused = planlog("task", "send", item["id"], "--to", CITY, "--json", expect_exit=1)
    assert refused["error"]["message"].startswith("“市总工会”之下没有工会")
    board = planlog("board", plan["id"], "--now", "2026-07-01", "--json")
    assert board["totals"]["overdue"] == 1
    assert [row.get("sent") for row in board["items"]] == [None]


def test_a_target_nobody_registered_is_an_unknown_organisation(planlog: Any) -> None:
    item_id = _federation(planlog)
    refused = planlog("task", "send", item_id, "--to", "不存在工会", "--json", expect_exit=1)
    assert refused["error"]["code"] == "unknown_organisation"
    assert "不存在工会" in refused["error"]["message"]


def test_a_refused_target_names_the_item_not_an_unrecorded_task(planlog: Any) -> None:
    item_id = _federation(planlog)
    planlog("org", "create", "外市总工会", "--json")
    refused = planlog("task", "send", item_id, "--to", "外市总工会", "--json", expect_exit=1)
    assert refused["error"]["id"] == item_id


def test_the_board_says_an_item_was_sent_down_and_how_its_copies_stand(planlog: Any) -> None:
    item_id = _federation(planlog)
    sent = planlog("task", "send", item_id, "--to", EAST, "--json")
    copy = planlog("task", "status", sent["task_id"], "--json")["unions"][0]["item_id"]
    planlog("item", "complete", copy, "--json")
    plan_id = planlog("item", "show", item_id, "--json")["plan_id"]
    board = planlog("board", plan_id, "--now", "2026-07-01", "--json")
    row = board["items"][0]
    assert (row["status"], row["days_overdue"], row["overdue"]) == ("sent", 0, 0)
    assert row["task_id"] == sent["task_id"]
    assert row["sent"] == {
        "task_id": sent["task_id"],
        "copies": 2,
        "done": 1,
        "submitted": 0,
        "overdue": 1,
        "open": 0,
    }
    assert board["totals"]["overdue"] == 0 and board["totals"]["sent"] == 1
    text = planlog("board", plan_id, "--now", "2026-07-01")
    assert "下达 2 个工会" in text and "已下达" in text


def test_item_show_says_the_item_was_sent_down(planlog: Any) -> None:
    item_id = _federation(planlog)
    sent = planlog("task", "send", item_id, "--to", EAST, "--json")
    shown = planlog("item", "show", item_id, "--json")
    assert shown["task_id"] == sent["task_id"] and shown["status"] == "sent"
    assert shown["sent"]["copies"] == 2


def test_task_status_calls_a_copy_neither_done_nor_overdue_not_due_yet(planlog: Any) -> None:
    sent = planlog("task", "send", _federation(planlog), "--to", EAST, "--json")
    text = planlog("task", "status", sent["task_id"], "--now", "2026-05-01")
    assert "未到期 2" in text and "进行中" not in text and "待确认办结 0" in text


def test_task_status_honours_the_english_setting(planlog: Any, monkeypatch: Any) -> None:
    sent = planlog("task", "send", _federation(planlog), "--to", EAST, "--json")
    monkeypatch.setenv("PLANLOG_LANG", "en")
    text = planlog("task", "status", sent["task_id"], "--now", "2026-05-01")
    assert "not due yet 2" in text and "Union" in text and "工会 union" not in text


def test_a_bad_task_id_is_refused_in_chinese_first(planlog: Any) -> None:
    refused = planlog("task", "status", "nope", "--json", expect_exit=1)
    assert refused["error"]["message"].startswith("“nope”不是有效的任务编号")


def test_history_of_a_name_is_refused_in_chinese_first(planlog: Any) -> None:
    output = planlog("history", EAST, expect_exit=1)
    assert "既不是编号，也不是组织名称" in output


def test_rollup_of_an_unknown_organisation_is_refused_in_chinese_first(planlog: Any) -> None:
    refused = planlog("rollup", "不存在", "--json", expect_exit=1)
    assert refused["error"]["message"].startswith("没有名为“不存在”的组织")


def test_workload_leaves_out_the_federations_item_sent_down(planlog: Any) -> None:
    item_id = _federation(planlog)
    planlog("item", "reassign", item_id, "--to", "市总办公室", "--json")
    assert [r["responsible"] for r in planlog("workload", "--org", CITY, "--json")] == [
        "市总办公室"
    ]
    planlog("task", "send", item_id, "--to", EAST, "--json")
    # its deadline is now the unions' to meet, on their copies: nobody's at the city
    assert planlog("workload", "--org", CITY, "--json") == []
    assert len(planlog("workload", "--org", UNIONS[0], "--json")) == 1


def test_workload_keeps_two_unions_offices_of_one_name_apart(planlog: Any) -> None:
    for union in UNIONS:
        plan = planlog("plan", "create", "--org", union, "--year", "2026", "--title", "计划",
                       "--json")  # fmt: skip
        planlog("item", "add", plan["id"], "--title", "报送", "--responsible", "工会办公室",
                "--due", "2026-06-30", "--json")  # fmt: skip
    rows = planlog("workload", "--now", "2026-05-01", "--json")
    assert sorted((r["org"], r["responsible"], r["open"]) for r in rows) == sorted(
        (union, "工会办公室", 1) for union in UNIONS
    )


def test_sending_a_task_whose_deadline_has_passed_says_so(planlog: Any) -> None:
    item_id = _federation(planlog)  # due 2026-06-30: past on the machine's clock
    sent = planlog("task", "send", item_id, "--to", EAST, "--json")
    assert sent["past_due"] == ["2026-06-30"]
    said = planlog("task", "send", item_id, "--to", EAST)  # nothing new to send: no warning
    assert "已过" not in said


def test_sending_a_task_warns_in_words_of_copies_overdue_from_the_start(planlog: Any) -> None:
    said = planlog("task", "send", _federation(planlog), "--to", EAST)
    assert "注意：时限 2026-06-30 已过，各工会的副本一收到即已逾期" in said


def test_a_districts_calendar_and_workload_reach_its_unions_with_below(planlog: Any) -> None:
    planlog("task", "send", _federation(planlog), "--to", EAST, "--json")
    assert planlog("calendar", "--org", EAST, "--json") == []  # the district's own: none
    assert "其下属工会的请加 --below" in planlog("calendar", "--org", EAST)
    below = planlog("calendar", "--org", EAST, "--below", "--json")
    assert sorted(d["org"] for d in below) == sorted(UNIONS)
    load = planlog("workload", "--org", EAST, "--below", "--json")
    assert sorted(r["org"] for r in load) == sorted(UNIONS)
    assert "其下属工会的请加 --below" in planlog("workload", "--org", EAST)


def test_the_calendar_leaves_out_the_federations_item_sent_down(planlog: Any) -> None:
    item_id = _federation(planlog)
    assert [d["item_id"] for d in planlog("calendar", "--org", CITY, "--json")] == [item_id]
    planlog("task", "send", item_id, "--to", EAST, "--json")
    assert planlog("calendar", "--org", CITY, "--json") == []  # the unions' copies carry it


def test_a_dry_run_says_what_a_send_would_do_and_records_nothing(planlog: Any) -> None:
    item_id = _federation(planlog)
    preview = planlog("task", "send", item_id, "--to", EAST, "--dry-run", "--json")
    assert (preview["copies"], preview["dry_run"]) == (2, True)
    assert preview["unions"] == sorted(UNIONS)  # named, to check before sending
    assert all(
        union in planlog("task", "send", item_id, "--to", EAST, "--dry-run") for union in UNIONS
    )
    status = planlog("task", "status", preview["task_id"], "--json", expect_exit=1)
    assert status["error"]["code"] == "not_found"  # no task was recorded
    sent = planlog("task", "send", item_id, "--to", EAST, "--json")
    assert (sent["copies"], sent["dry_run"]) == (2, False)
    assert preview["past_due"] == sent["past_due"]  # the warning comes before the send


def test_a_task_sent_to_a_retired_organisation_is_refused_as_retired(planlog: Any) -> None:
    item_id = _federation(planlog)
    planlog("org", "create", "东区总公会", "--parent", CITY, "--json")  # a typo, retired
    planlog("org", "retire", "东区总公会", "--reason", "名称录错", "--json")
    refused = planlog("task", "send", item_id, "--to", "东区总公会", "--json", expect_exit=1)
    assert refused["error"]["rule"] == "organisation_retired"
    assert "planlog org create" not in refused["error"]["message"]
