"""`planlog demo` loads into an empty store only: its simulated history has past recorded
times, and recorded after real events it would fail the audit chain's back-dating check for
ever. `--if-empty` (what `make run` uses) leaves a store with events as it is, quietly."""

from __future__ import annotations

from typing import Any

from .test_cli_contract import new_plan


def test_demo_refuses_a_store_that_already_holds_events(planlog: Any) -> None:
    """The regression: `planlog demo` on a store with real events recorded its January-dated
    history after them, and `audit verify` answered `backdated` from then on."""
    plan_id = new_plan(planlog)
    before = planlog("audit", "head", "--json")
    error = planlog("demo", "--json", expect_exit=1)["error"]
    assert error["code"] == "store_not_empty"
    assert error["last_position"] == before["position"]
    assert error["message"].startswith("示例计划只能载入空的存储")
    assert "the demo loads into an empty store only" in error["message"]
    assert "empty store only" in planlog("demo", expect_exit=1)
    assert planlog("audit", "head", "--json") == before  # nothing was recorded
    assert [p["id"] for p in planlog("plan", "list", "--json")] == [plan_id]
    # --if-empty leaves it as it is and shows the board of the plan it has
    assert planlog("demo", "--if-empty", "--json")["plan"]["id"] == plan_id
    assert planlog("audit", "head", "--json") == before
    assert planlog("audit", "verify", "--json")["ok"] is True


def test_demo_if_empty_passes_over_a_store_with_events_but_no_plan(planlog: Any) -> None:
    planlog("org", "create", "某市总工会")
    before = planlog("audit", "head", "--json")
    assert before is not None
    assert planlog("demo", "--if-empty", "--json") is None
    assert "the demo was not loaded" in planlog("demo", "--if-empty")
    assert planlog("audit", "head", "--json") == before
    assert planlog("plan", "list", "--json") == []


def test_demo_in_an_empty_store_verifies_and_a_second_demo_is_refused(planlog: Any) -> None:
    """An empty store takes the demo and verifies; run again, it is refused like any store
    that holds events."""
    planlog("demo", "--json")
    assert planlog("audit", "verify", "--json")["ok"] is True
    head = planlog("audit", "head", "--json")
    assert planlog("demo", "--json", expect_exit=1)["error"]["code"] == "store_not_empty"
    assert planlog("audit", "head", "--json") == head
    assert planlog("audit", "verify", "--json")["ok"] is True
