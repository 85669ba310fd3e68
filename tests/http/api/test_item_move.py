"""POST /api/v1/items/{id}/move: one occurrence to a new due date, honouring If-Match."""

from __future__ import annotations

from typing import Any

MOVE = {"occurrence": "2026-06-30", "to": "2026-07-15", "reason": "上级通知延期"}


def test_a_chair_moves_one_occurrence_and_gets_the_item_with_its_etag(api: Any) -> None:
    item = api.new_item(api.new_plan())
    moved = api.post(f"/api/v1/items/{item}/move", "hospital_chair", json=MOVE)
    assert moved.status_code == 200, moved.text
    assert [o["due"] for o in moved.json()["occurrences"]] == ["2026-07-15", "2026-12-31"]
    assert moved.headers["ETag"] == f'"{moved.json()["version"]}"'


def test_move_honours_if_match_and_roles(api: Any) -> None:
    item = api.new_item(api.new_plan())
    url = f"/api/v1/items/{item}/move"
    stale = api.post(url, "hospital_chair", json=MOVE, headers={"If-Match": '"99"'})
    assert stale.status_code == 412 and stale.json()["code"] == "precondition_failed"
    assert api.post(url, "hospital_auditor", json=MOVE).status_code == 403
    unknown = api.post(url, "hospital_chair", json={**MOVE, "occurrence": "2026-03-31"})
    assert unknown.status_code == 422 and unknown.json()["rule"] == "occurrence_exists"
    missing = api.post(url, "hospital_chair", json={**MOVE, "reason": ""})
    assert missing.status_code == 422
