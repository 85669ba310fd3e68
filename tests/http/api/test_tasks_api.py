"""POST /api/v1/items/{id}/send, GET /api/v1/tasks/{id} and the ranked rollup: the
contract of issue 17 and its scope (404 outside the caller's tree, 403 on a target the
caller may not write to, a union sees only its own copy)."""

from __future__ import annotations

from tests.http.api.conftest import CITY, DISTRICT, HOSPITAL, OTHER, Api

from planlog.auth.tokens import create_token

SCHOOL = "某学校工会"


def _city_task(api: Api) -> tuple[str, str]:
    """A second union under the district, and an item of the city's plan."""
    svc = api.services
    svc.app.register_organisation(SCHOOL, actor="admin", parent=DISTRICT)
    api.tokens["school_chair"] = create_token(svc.engine, SCHOOL, "chair", "school_chair")[1]
    plan_id = api.new_plan("city_chair", CITY)
    return plan_id, api.new_item(plan_id, "city_chair", dues=["2026-06-30"])


def test_send_answers_the_task_and_how_many_unions_got_a_copy(api: Api) -> None:
    _, item_id = _city_task(api)
    sent = api.post(f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [DISTRICT]})
    assert sent.status_code == 200, sent.text
    assert set(sent.json()) >= {"task_id", "copies"} and sent.json()["copies"] == 2
    again = api.post(f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [CITY]})
    assert (again.json()["task_id"], again.json()["copies"]) == (sent.json()["task_id"], 0)


def test_a_dry_run_send_answers_what_it_would_do_and_records_nothing(api: Api) -> None:
    _, item_id = _city_task(api)
    body = {"to": [DISTRICT], "dry_run": True}
    preview = api.post(f"/api/v1/items/{item_id}/send", "city_chair", json=body)
    assert preview.status_code == 200, preview.text
    assert (preview.json()["copies"], preview.json()["dry_run"]) == (2, True)
    task = api.get(f"/api/v1/tasks/{preview.json()['task_id']}", "city_chair")
    assert task.status_code == 404, task.text


def test_a_send_that_copies_nothing_says_why(api: Api) -> None:
    _, item_id = _city_task(api)
    api.post(f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [DISTRICT]})
    again = api.post(f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [DISTRICT]})
    assert again.json()["already"] == 2 and "已收到" in again.json()["reason"]


def test_the_plan_board_shows_the_sent_item_with_its_task(api: Api) -> None:
    plan_id, item_id = _city_task(api)
    task_id = api.post(
        f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [DISTRICT]}
    ).json()["task_id"]
    board = api.get(f"/api/v1/plans/{plan_id}/board?now=2026-07-01", "city_chair").json()
    row = next(i for i in board["items"] if i["id"] == item_id)
    assert (row["status"], row["task_id"], row["sent"]["overdue"]) == ("sent", task_id, 2)


def test_the_task_status_lists_every_union_for_the_sender(api: Api) -> None:
    _, item_id = _city_task(api)
    task_id = api.post(
        f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [DISTRICT]}
    ).json()["task_id"]
    status = api.get(f"/api/v1/tasks/{task_id}?now=2026-07-01", "city_chair").json()
    assert (status["done"], status["overdue"], status["open"]) == (0, 2, 0)
    assert {u["org"] for u in status["unions"]} == {HOSPITAL, SCHOOL}
    assert all(set(u) >= {"org", "status", "item_id"} for u in status["unions"])


def test_a_union_sees_its_copy_and_not_the_others(api: Api) -> None:
    _, item_id = _city_task(api)
    task_id = api.post(
        f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [DISTRICT]}
    ).json()["task_id"]
    mine = api.get(f"/api/v1/tasks/{task_id}", "hospital_chair").json()
    assert [u["org"] for u in mine["unions"]] == [HOSPITAL]
    copy = api.get(f"/api/v1/items/{mine['unions'][0]['item_id']}", "hospital_chair")
    assert copy.status_code == 200
    school = api.get(f"/api/v1/tasks/{task_id}", "school_chair").json()["unions"]
    assert api.get(f"/api/v1/items/{school[0]['item_id']}", "hospital_chair").status_code == 404
    assert api.get(f"/api/v1/tasks/{task_id}", "other_chair").status_code == 404


def test_a_union_cannot_move_its_copy(api: Api) -> None:
    _, item_id = _city_task(api)
    task_id = api.post(
        f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [DISTRICT]}
    ).json()["task_id"]
    copy = api.get(f"/api/v1/tasks/{task_id}", "hospital_chair").json()["unions"][0]["item_id"]
    moved = api.post(
        f"/api/v1/items/{copy}/reschedule",
        "hospital_chair",
        json={"reason": "晚点", "dues": ["2026-09-30"]},
    )
    assert moved.status_code == 422, moved.text
    assert "task_schedule_locked" in moved.text
    adjusted = api.post(
        f"/api/v1/tasks/{task_id}/adjust",
        "city_chair",
        json={"reason": "顺延", "dues": ["2026-09-30"]},
    )
    assert adjusted.json()["copies"] == 2


def test_a_target_outside_the_caller_s_tree_is_forbidden(api: Api) -> None:
    _, item_id = _city_task(api)
    refused = api.post(f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [OTHER]})
    assert refused.status_code == 403


def test_an_item_outside_the_caller_s_tree_is_not_found(api: Api) -> None:
    _, item_id = _city_task(api)
    sent = api.post(f"/api/v1/items/{item_id}/send", "district_chair", json={"to": [DISTRICT]})
    assert sent.status_code == 404
    by_editor = api.post(
        f"/api/v1/items/{item_id}/send", "hospital_editor", json={"to": [HOSPITAL]}
    )
    assert by_editor.status_code == 403


def test_the_ranked_rollup_orders_districts_and_unions(api: Api) -> None:
    _, item_id = _city_task(api)
    task_id = api.post(
        f"/api/v1/items/{item_id}/send", "city_chair", json={"to": [DISTRICT]}
    ).json()["task_id"]
    copy = api.get(f"/api/v1/tasks/{task_id}", "school_chair").json()["unions"][0]["item_id"]
    assert api.post(f"/api/v1/items/{copy}/complete", "school_chair", json={}).status_code == 200
    ranked = api.get(f"/api/v1/orgs/{CITY}/rollup?rank=true&now=2026-07-01", "city_chair").json()
    assert [u["org"] for u in ranked["unions"]] == [HOSPITAL, SCHOOL]
    assert [d["org"] for d in ranked["districts"]] == [DISTRICT]
    hidden = api.get(f"/api/v1/orgs/{CITY}/rollup?rank=true", "district_chair")
    assert hidden.status_code == 404


def test_a_rollup_asked_again_after_a_completion_counts_it(api: Api) -> None:
    _, item_id = _city_task(api)
    path = f"/api/v1/orgs/{CITY}/rollup?now=2026-07-01"
    before = api.get(path, "city_chair").json()["total"]
    assert api.get(path, "city_chair").json()["total"] == before  # asked again: the same
    assert api.post(f"/api/v1/items/{item_id}/complete", "city_chair", json={}).status_code == 200
    after = api.get(path, "city_chair").json()["total"]
    assert (after["done"], after["overdue"]) == (before["done"] + 1, before["overdue"] - 1)


def test_a_rollup_with_a_depth_stops_its_tree_there_and_keeps_whole_totals(api: Api) -> None:
    whole = api.get(f"/api/v1/orgs/{CITY}/rollup?now=2026-07-01", "city_chair").json()
    cut = api.get(f"/api/v1/orgs/{CITY}/rollup?now=2026-07-01&depth=1", "city_chair").json()
    assert [c["org"] for c in cut["children"]] == [c["org"] for c in whole["children"]]
    assert all(c["children"] == [] for c in cut["children"])
    assert any(c["children"] for c in whole["children"])
    assert cut["total"] == whole["total"]
    assert [c["total"] for c in cut["children"]] == [c["total"] for c in whole["children"]]
    top = api.get(f"/api/v1/orgs/{CITY}/rollup?depth=0", "city_chair").json()
    assert (top["children"], top["total"]) == (
        [],
        api.get(f"/api/v1/orgs/{CITY}/rollup", "city_chair").json()["total"],
    )


def test_a_negative_depth_is_refused(api: Api) -> None:
    refused = api.get(f"/api/v1/orgs/{CITY}/rollup?depth=-1", "city_chair")
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("请求内容不合规")
