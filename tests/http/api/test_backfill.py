"""POST /api/v1/items/{id}/backfill and PATCH /api/v1/plans/{id} (issue 14)."""

from __future__ import annotations

from typing import Any

BACKFILL = {"occurrence": "2026-06-30", "done_on": "2026-06-28", "note": "已于六月报送"}


def test_backfill_marks_done_answers_the_item_and_shows_on_the_board(api: Any) -> None:
    plan = api.new_plan()
    item = api.new_item(plan)
    done = api.post(f"/api/v1/items/{item}/backfill", "hospital_chair", json=BACKFILL)
    assert done.status_code == 200, done.text
    body = done.json()
    assert done.headers["ETag"] == f'"{body["version"]}"'
    first = body["occurrences"][0]
    assert (first["status"], first["done_on"], first["note"]) == (
        "done",
        "2026-06-28",
        "已于六月报送",
    )
    board = api.get(f"/api/v1/plans/{plan}/board", "hospital_chair").json()
    assert board["items"][0]["occurrences"][0]["status"] == "done"
    history = api.get(f"/api/v1/items/{item}/history", "hospital_chair").json()
    assert history[-1]["type"] == "OccurrenceBackfilled"


def test_backfill_refusals(api: Any) -> None:
    item = api.new_item(api.new_plan())
    url = f"/api/v1/items/{item}/backfill"
    assert api.post(url, "hospital_auditor", json=BACKFILL).status_code == 403
    unknown = api.post(url, "hospital_chair", json={**BACKFILL, "occurrence": "2026-03-31"})
    assert unknown.status_code == 422 and unknown.json()["rule"] == "occurrence_exists"
    future = api.post(url, "hospital_chair", json={**BACKFILL, "done_on": "2999-01-01"})
    assert future.status_code == 422 and future.json()["rule"] == "backfill_in_past"
    assert api.post(url, "hospital_chair", json={"occurrence": "2026-06-30"}).status_code == 422
    stale = api.post(url, "hospital_chair", json=BACKFILL, headers={"If-Match": '"99"'})
    assert stale.status_code == 412


def test_patch_plan_renames_it(api: Any) -> None:
    plan = api.new_plan()
    url = f"/api/v1/plans/{plan}"
    renamed = api.client.patch(
        url,
        headers=api.headers("hospital_chair"),
        json={"title": "2026年工作要点", "reason": "更正"},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == "2026年工作要点"
    assert api.get(url, "hospital_chair").json()["title"] == "2026年工作要点"
    listed = api.get("/api/v1/plans", "hospital_chair").json()
    assert [p["title"] for p in listed if p["id"] == plan] == ["2026年工作要点"]
    board = api.get(f"{url}/board", "hospital_chair").json()
    assert board["plan"]["title"] == "2026年工作要点"
    refused = api.client.patch(url, headers=api.headers("hospital_auditor"), json={"title": "x"})
    assert refused.status_code == 403
    empty = api.client.patch(url, headers=api.headers("hospital_chair"), json={"title": ""})
    assert empty.status_code == 422
    outside = api.client.patch(url, headers=api.headers("other_chair"), json={"title": "x"})
    assert outside.status_code == 404


def test_put_section_order(api: Any) -> None:
    plan = api.new_plan()
    for title in ("组织建设", "权益维护"):
        api.new_item(plan, section=title)
    sections = api.get(f"/api/v1/plans/{plan}", "hospital_chair").json()["sections"]
    order = [s["id"] for s in reversed(sections)]
    moved = api.client.put(
        f"/api/v1/plans/{plan}/sections/order",
        headers=api.headers("hospital_chair"),
        json={"order": order},
    )
    assert moved.status_code == 200, moved.text
    assert [s["title"] for s in moved.json()["sections"]] == ["权益维护", "组织建设"]
    board = api.get(f"/api/v1/plans/{plan}/board", "hospital_chair").json()
    assert [s["title"] for s in board["sections"]] == ["权益维护", "组织建设"]
