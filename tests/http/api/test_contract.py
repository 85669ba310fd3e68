"""The HTTP contract used by acceptance checks, and the rules around it."""

from __future__ import annotations

from typing import Any

import pytest

from planlog.auth.tokens import list_tokens, revoke_token

PROBLEM = "application/problem+json"


def test_create_plan_and_item_then_complete_and_read_the_board(api: Any) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id, responsible="工会女工")
    item = api.get(f"/api/v1/items/{item_id}", "hospital_chair")
    assert item.status_code == 200 and item.headers["ETag"] == '"1"'
    assert [o["status"] for o in item.json()["occurrences"]] == ["open", "open"]
    done = api.post(
        f"/api/v1/items/{item_id}/complete",
        "hospital_editor",
        json={"occurrence": "2026-06-30", "note": "已报送"},
    )
    assert done.status_code == 200 and done.headers["ETag"] == '"2"'
    board = api.get(
        f"/api/v1/plans/{plan_id}/board", "hospital_auditor", params={"now": "2026-07-01"}
    )
    assert board.status_code == 200
    assert board.json()["totals"]["done"] == 1  # read-your-writes, no waiting
    assert board.json()["items"][0]["occurrences"][0]["status"] == "done"


def test_openapi_document_is_served(api: Any) -> None:
    spec = api.client.get("/openapi.json").json()
    assert "/api/v1/plans/{plan_id}/board" in spec["paths"]
    assert "/api/v1/items/{item_id}/complete" in spec["paths"]


def test_no_token_is_401_problem_json(api: Any) -> None:
    answer = api.client.get("/api/v1/plans")
    assert answer.status_code == 401 and answer.headers["content-type"] == PROBLEM
    assert answer.json()["status"] == 401 and "bearer" in answer.json()["detail"].lower()
    assert answer.json()["detail"].startswith("需要登录令牌")  # Chinese first


def test_a_revoked_token_stops_working(api: Any) -> None:
    assert api.get("/api/v1/plans", "hospital_editor").status_code == 200
    token_id = next(
        t["id"] for t in list_tokens(api.services.engine) if t["name"] == "hospital_editor"
    )
    revoke_token(api.services.engine, token_id)
    assert api.get("/api/v1/plans", "hospital_editor").status_code == 401


@pytest.mark.parametrize(
    ("who", "action", "status"),
    [
        ("hospital_editor", "create_plan", 403),
        ("hospital_auditor", "create_plan", 403),
        ("hospital_auditor", "complete", 403),
        ("hospital_editor", "complete", 200),
        ("hospital_editor", "cancel", 403),
        ("hospital_chair", "cancel", 200),
        ("hospital_auditor", "history", 200),
        ("hospital_auditor", "read_item", 200),
        ("district_chair", "complete", 200),  # a descendant's plan
        ("city_chair", "cancel", 200),
        ("other_chair", "read_item", 404),  # another federation: not revealed
        ("other_chair", "complete", 404),
    ],
)
def test_role_and_organisation_matrix(api: Any, who: str, action: str, status: int) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id)
    requests = {
        "create_plan": lambda: api.post(
            "/api/v1/plans", who, json={"org": "某医院工会", "year": 2026, "title": "x"}
        ),
        "complete": lambda: api.post(f"/api/v1/items/{item_id}/complete", who, json={}),
        "cancel": lambda: api.post(f"/api/v1/items/{item_id}/cancel", who, json={"reason": "合并"}),
        "history": lambda: api.get(f"/api/v1/items/{item_id}/history", who),
        "read_item": lambda: api.get(f"/api/v1/items/{item_id}", who),
    }
    answer = requests[action]()
    assert answer.status_code == status, answer.text
    if status >= 400:
        assert answer.headers["content-type"] == PROBLEM


def test_a_parent_unions_plan_is_not_visible_to_a_member_union(api: Any) -> None:
    plan_id = api.new_plan("city_chair", org="某市总工会")
    assert api.get(f"/api/v1/plans/{plan_id}", "district_chair").status_code == 404
    assert api.get(f"/api/v1/plans/{plan_id}", "city_chair").status_code == 200
    listed = [p["id"] for p in api.get("/api/v1/plans", "hospital_chair").json()]
    assert plan_id not in listed


def test_creating_a_plan_outside_the_scope_is_refused(api: Any) -> None:
    answer = api.post(
        "/api/v1/plans", "hospital_chair", json={"org": "某市总工会", "year": 2026, "title": "越级"}
    )
    assert answer.status_code == 403


def test_a_stale_if_match_is_412_and_nothing_is_written(api: Any) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id)
    api.post(f"/api/v1/items/{item_id}/progress", "hospital_editor", json={"percent": 30})
    stale = api.post(
        f"/api/v1/items/{item_id}/complete", "hospital_editor", json={}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    item = api.get(f"/api/v1/items/{item_id}", "hospital_editor").json()
    assert [o["status"] for o in item["occurrences"]] == ["in_progress", "open"]
    fresh = api.post(
        f"/api/v1/items/{item_id}/complete", "hospital_editor", json={}, headers={"If-Match": '"2"'}
    )
    assert fresh.status_code == 200


def test_a_rule_violation_is_422_naming_the_rule(api: Any) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id)
    answer = api.post(
        f"/api/v1/items/{item_id}/complete", "hospital_editor", json={"occurrence": "2026-03-31"}
    )
    assert answer.status_code == 422 and answer.json()["rule"] == "occurrence_exists"


def test_invalid_input_is_422_problem_json(api: Any) -> None:
    plan_id = api.new_plan()
    answer = api.post(
        f"/api/v1/plans/{plan_id}/items",
        "hospital_chair",
        json={"title": "x", "dues": ["2026-13-40"]},
    )
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM
    assert "dues" in answer.json()["detail"]


def test_an_item_from_a_deadline_text(api: Any) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id, dues=[], deadline="每半年一次")
    item = api.get(f"/api/v1/items/{item_id}", "hospital_chair").json()
    assert [o["due"] for o in item["occurrences"]] == ["2026-06-30", "2026-12-31"]


def test_board_as_of_and_diff(api: Any) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id)
    planned_at = api.get(f"/api/v1/items/{item_id}/history", "hospital_auditor").json()[0][
        "recorded_at"
    ]
    api.post(f"/api/v1/items/{item_id}/complete", "hospital_editor", json={})
    earlier = api.get(
        f"/api/v1/plans/{plan_id}/board",
        "hospital_auditor",
        params={"as_of": planned_at, "now": "2026-07-01"},
    ).json()
    assert earlier["items"][0]["occurrences"][0]["status"] == "overdue"
    diff = api.get(
        f"/api/v1/plans/{plan_id}/diff",
        "hospital_auditor",
        params={"from": planned_at, "to": "2100-01-01"},
    ).json()
    assert [c["type"] for c in diff["changes"]] == ["completed"]
    english = api.get(
        f"/api/v1/plans/{plan_id}/diff",
        "hospital_auditor",
        params={"from": planned_at, "to": "2100-01-01", "lang": "en"},
    ).json()
    assert english["changes"][0]["summary"].startswith("Completed the ")
    assert diff["changes"][0]["summary"].startswith("完成 ")


def test_rollup_and_reminders_are_scoped(api: Any) -> None:
    plan_id = api.new_plan()
    api.new_item(plan_id)
    rollup = api.get("/api/v1/orgs/某市总工会/rollup", "city_chair").json()
    assert rollup["total"]["occurrences"] == 2 and rollup["children"][0]["org"] == "某区总工会"
    assert api.get("/api/v1/orgs/某市总工会/rollup", "hospital_chair").status_code == 404
    assert api.get("/api/v1/reminders", "other_chair").json() == []


def test_import_preview_then_confirm_once(api: Any) -> None:
    text = "一、健全女工组织\n1、组织健全。\n时限：3月25日前\n责任人：工会女工\n".encode()
    files = {"file": ("计划.txt", text, "text/plain")}
    form = {"org": "某医院工会", "year": "2026"}
    preview = api.post("/api/v1/imports/preview", "hospital_chair", files=files, data=form)
    assert preview.status_code == 200 and preview.json()["plan_id"] is None
    made = api.post("/api/v1/imports", "hospital_chair", files=files, data=form)
    assert made.status_code == 201 and made.json()["items"][0]["deadline_text"] == "3月25日前"
    again = api.post("/api/v1/imports", "hospital_chair", files=files, data=form)
    assert again.status_code == 200 and again.json()["plan_id"] == made.json()["plan_id"]


def test_an_unreadable_upload_names_the_file(api: Any) -> None:
    files = {"file": ("计划.docx", b"not a zip", "application/octet-stream")}
    answer = api.post(
        "/api/v1/imports", "hospital_chair", files=files, data={"org": "某医院工会", "year": "2026"}
    )
    assert answer.status_code == 422 and "计划.docx" in answer.json()["detail"]


def test_an_oversized_upload_is_413(api: Any) -> None:
    files = {"file": ("big.txt", b"x" * (7 * 1024 * 1024), "text/plain")}
    answer = api.post(
        "/api/v1/imports", "hospital_chair", files=files, data={"org": "某医院工会", "year": "2026"}
    )
    assert answer.status_code == 413 and answer.headers["content-type"] == PROBLEM
