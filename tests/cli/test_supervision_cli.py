"""`planlog item request-extension|confirm|return`, `planlog request approve|reject` and
`planlog plan policy --sign-off`."""

from __future__ import annotations

from typing import Any


def _plan_and_item(planlog: Any) -> tuple[str, str]:
    plan = planlog(
        "plan", "create", "--org", "某医院工会", "--year", "2026", "--title", "计划", "--json"
    )
    item = planlog(
        "item", "add", plan["id"], "--title", "半年报告", "--due", "2026-06-30", "--json"
    )
    return str(plan["id"]), str(item["id"])


def _request(planlog: Any, item: str) -> dict[str, Any]:
    return dict(
        planlog(
            "item",
            "request-extension",
            item,
            "--occurrence",
            "2026-06-30",
            "--to",
            "2026-07-31",
            "--reason",
            "等待上级批复",
            "--json",
        )
    )


def test_request_extension_prints_the_request_id(planlog: Any) -> None:
    _, item = _plan_and_item(planlog)
    request = _request(planlog, item)
    assert request["id"].startswith(item) and request["status"] == "open"


def test_request_approve_moves_the_deadline(planlog: Any) -> None:
    _, item = _plan_and_item(planlog)
    request = _request(planlog, item)
    approved = planlog("request", "approve", request["id"], "--json")
    assert approved["request"]["status"] == "approved"
    assert [o["due"] for o in approved["occurrences"]] == ["2026-07-31"]


def test_request_reject_without_a_reason_is_refused(planlog: Any) -> None:
    _, item = _plan_and_item(planlog)
    request = _request(planlog, item)
    refused = planlog("request", "reject", request["id"], "--json", expect_exit=1)
    assert refused["error"]["rule"] == "reason_required"
    rejected = planlog("request", "reject", request["id"], "--reason", "不予延期", "--json")
    assert rejected["request"]["status"] == "rejected"


def test_policy_prints_a_table_a_person_reads(planlog: Any) -> None:
    plan, _ = _plan_and_item(planlog)
    shown = planlog("plan", "policy", plan, "--lead-days", "7,1")
    assert "lead_days" in shown and "7, 1" in shown
    assert "{" not in shown and "None" not in shown  # not a Python dict


def test_policy_sign_off_makes_complete_submit_then_confirm_closes(planlog: Any) -> None:
    plan, item = _plan_and_item(planlog)
    assert planlog("plan", "policy", plan, "--sign-off", "--json")["sign_off"] is True
    # the responsible person submits; the chair (张主席, the default here) signs off
    submitted = planlog("--actor", "李干事", "item", "complete", item, "--json")
    assert submitted["occurrences"][0]["status"] == "submitted"
    returned = planlog(
        "item", "return", item, "--occurrence", "2026-06-30", "--reason", "缺材料", "--json"
    )
    assert returned["occurrences"][0]["status"] == "open"
    planlog("--actor", "李干事", "item", "complete", item, "--json")
    confirmed = planlog("item", "confirm", item, "--occurrence", "2026-06-30", "--json")
    assert confirmed["occurrences"][0]["status"] == "done"
    assert planlog("plan", "policy", plan, "--no-sign-off", "--json")["sign_off"] is False
