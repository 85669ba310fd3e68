"""Extension requests (延期申请) and sign-off (办结审核) over the API, on both stores."""

from __future__ import annotations

from typing import Any

ASK = {"occurrence": "2026-06-30", "to": "2026-07-31", "reason": "等待上级批复"}


def _requested(api: Any, item: str, who: str = "hospital_editor") -> str:
    made = api.post(f"/api/v1/items/{item}/extension-requests", who, json=ASK)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _sign_off_on(api: Any, plan: str) -> None:
    put = api.client.put(
        f"/api/v1/plans/{plan}/policy",
        headers=api.headers("hospital_chair"),
        json={"sign_off": True},
    )
    assert put.status_code == 200, put.text
    assert put.json()["sign_off"] is True


def test_a_responsible_person_requests_an_extension_and_gets_its_id(api: Any) -> None:
    item = api.new_item(api.new_plan())
    made = api.post(f"/api/v1/items/{item}/extension-requests", "hospital_editor", json=ASK)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["id"].startswith(item) and body["status"] == "open"
    assert made.headers["ETag"] == '"2"'
    shown = api.get(f"/api/v1/items/{item}", "hospital_editor").json()
    assert shown["extension_requests"][0]["id"] == body["id"]


def test_an_approved_request_moves_the_deadline(api: Any) -> None:
    item = api.new_item(api.new_plan())
    request_id = _requested(api, item)
    approved = api.post(f"/api/v1/extension-requests/{request_id}/approve", "hospital_chair")
    assert approved.status_code == 200, approved.text
    assert [o["due"] for o in approved.json()["occurrences"]] == ["2026-07-31", "2026-12-31"]
    assert approved.json()["request"]["status"] == "approved"
    assert approved.headers["ETag"] == f'"{approved.json()["version"]}"'


def test_a_rejected_request_needs_a_reason_and_keeps_the_deadline(api: Any) -> None:
    item = api.new_item(api.new_plan())
    request_id = _requested(api, item)
    url = f"/api/v1/extension-requests/{request_id}/reject"
    assert api.post(url, "hospital_chair", json={}).status_code == 422
    rejected = api.post(url, "hospital_chair", json={"reason": "时间已很宽裕"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["request"]["decision_reason"] == "时间已很宽裕"
    assert [o["due"] for o in rejected.json()["occurrences"]] == ["2026-06-30", "2026-12-31"]


def test_a_second_open_request_for_the_same_deadline_is_refused(api: Any) -> None:
    item = api.new_item(api.new_plan())
    _requested(api, item)
    again = api.post(f"/api/v1/items/{item}/extension-requests", "hospital_editor", json=ASK)
    assert again.status_code == 422 and again.json()["rule"] == "one_open_request"


def test_a_request_must_be_later_and_inside_the_plan_year(api: Any) -> None:
    item = api.new_item(api.new_plan())
    url = f"/api/v1/items/{item}/extension-requests"
    earlier = api.post(url, "hospital_editor", json={**ASK, "to": "2026-06-01"})
    assert earlier.status_code == 422 and earlier.json()["rule"] == "extension_later"
    too_late = api.post(url, "hospital_editor", json={**ASK, "to": "2027-04-01"})
    assert too_late.status_code == 422 and too_late.json()["rule"] == "due_in_plan_year"


def test_requests_are_scoped_to_the_callers_unions(api: Any) -> None:
    item = api.new_item(api.new_plan())
    url = f"/api/v1/items/{item}/extension-requests"
    assert api.post(url, "other_chair", json=ASK).status_code == 404
    request_id = _requested(api, item)
    decide = f"/api/v1/extension-requests/{request_id}/approve"
    assert api.post(decide, "other_chair").status_code == 404
    assert api.post(decide, "hospital_editor").status_code == 403
    assert api.post(decide, "hospital_auditor").status_code == 403


def test_deciding_a_request_honours_if_match(api: Any) -> None:
    item = api.new_item(api.new_plan())
    request_id = _requested(api, item)
    stale = api.post(
        f"/api/v1/extension-requests/{request_id}/approve",
        "hospital_chair",
        headers={"If-Match": '"1"'},
    )
    assert stale.status_code == 412
    fresh = api.post(
        f"/api/v1/extension-requests/{request_id}/approve",
        "hospital_chair",
        headers={"If-Match": '"2"'},
    )
    assert fresh.status_code == 200, fresh.text


def test_a_decided_request_cannot_be_decided_again(api: Any) -> None:
    item = api.new_item(api.new_plan())
    request_id = _requested(api, item)
    url = f"/api/v1/extension-requests/{request_id}"
    assert api.post(f"{url}/approve", "hospital_chair").status_code == 200
    again = api.post(f"{url}/reject", "hospital_chair", json={"reason": "晚了"})
    assert again.status_code == 422 and again.json()["rule"] == "request_open"


def test_a_malformed_or_unknown_request_id_is_refused(api: Any) -> None:
    item = api.new_item(api.new_plan())
    bad = api.post("/api/v1/extension-requests/nonsense/approve", "hospital_chair")
    assert bad.status_code == 422
    unknown = api.post(f"/api/v1/extension-requests/{item}-r9/approve", "hospital_chair")
    assert unknown.status_code == 422 and unknown.json()["rule"] == "request_exists"


def test_complete_leaves_the_occurrence_submitted_when_sign_off_is_on(api: Any) -> None:
    plan = api.new_plan()
    item = api.new_item(plan)
    _sign_off_on(api, plan)
    done = api.post(
        f"/api/v1/items/{item}/complete", "hospital_editor", json={"occurrence": "2026-06-30"}
    )
    assert done.status_code == 200, done.text
    assert done.json()["occurrences"][0]["status"] == "submitted"


def test_complete_is_done_at_once_when_sign_off_is_off(api: Any) -> None:
    item = api.new_item(api.new_plan())
    done = api.post(f"/api/v1/items/{item}/complete", "hospital_editor", json={})
    assert done.json()["occurrences"][0]["status"] == "done"


def test_the_chair_returns_then_confirms_a_submission(api: Any) -> None:
    plan = api.new_plan()
    item = api.new_item(plan)
    _sign_off_on(api, plan)
    api.post(f"/api/v1/items/{item}/complete", "hospital_editor", json={})
    back = {"occurrence": "2026-06-30", "reason": "缺少材料"}
    assert api.post(f"/api/v1/items/{item}/return", "hospital_editor", json=back).status_code == 403
    returned = api.post(f"/api/v1/items/{item}/return", "hospital_chair", json=back)
    assert returned.status_code == 200, returned.text
    assert returned.json()["occurrences"][0]["status"] == "open"
    api.post(f"/api/v1/items/{item}/complete", "hospital_editor", json={})
    confirmed = api.post(
        f"/api/v1/items/{item}/confirm", "hospital_chair", json={"occurrence": "2026-06-30"}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["occurrences"][0]["status"] == "done"


def test_returning_needs_a_reason_and_a_submission(api: Any) -> None:
    plan = api.new_plan()
    item = api.new_item(plan)
    url = f"/api/v1/items/{item}/confirm"
    not_submitted = api.post(url, "hospital_chair", json={"occurrence": "2026-06-30"})
    assert not_submitted.status_code == 422
    assert not_submitted.json()["rule"] == "occurrence_submitted"
    _sign_off_on(api, plan)
    api.post(f"/api/v1/items/{item}/complete", "hospital_editor", json={})
    no_reason = api.post(
        f"/api/v1/items/{item}/return", "hospital_chair", json={"occurrence": "2026-06-30"}
    )
    assert no_reason.status_code == 422 and no_reason.json()["rule"] == "reason_required"


def test_sign_off_is_scoped_to_the_callers_unions(api: Any) -> None:
    plan = api.new_plan()
    item = api.new_item(plan)
    _sign_off_on(api, plan)
    api.post(f"/api/v1/items/{item}/complete", "hospital_editor", json={})
    body = {"occurrence": "2026-06-30"}
    assert api.post(f"/api/v1/items/{item}/confirm", "other_chair", json=body).status_code == 404


def test_the_board_counts_submitted_apart_from_done(api: Any) -> None:
    plan = api.new_plan()
    item = api.new_item(plan)
    _sign_off_on(api, plan)
    api.post(f"/api/v1/items/{item}/complete", "hospital_editor", json={})
    ask = {"occurrence": "2026-12-31", "to": "2027-01-15", "reason": "年底事务多"}
    api.post(f"/api/v1/items/{item}/extension-requests", "hospital_editor", json=ask)
    board = api.get(f"/api/v1/plans/{plan}/board", "hospital_chair").json()
    assert {k: board["totals"][k] for k in ("done", "submitted", "requests_open")} == {
        "done": 0,
        "submitted": 1,
        "requests_open": 1,
    }
    first, second = board["items"][0]["occurrences"]
    assert first["status"] == "submitted"
    assert second["request"]["status"] == "open" and second["request"]["to"] == "2027-01-15"
