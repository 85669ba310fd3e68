"""`planlog task send|status|adjust` and `planlog rollup ORG --rank`: the contract of issue 17."""

from __future__ import annotations

from typing import Any

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
    assert set(sent) == {"task_id", "copies"} and sent["copies"] == 2
    again = planlog("task", "send", item_id, "--to", EAST, "--to", CITY, "--json")
    assert again == {"task_id": sent["task_id"], "copies": 0}


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
