"""People over the API: chairs manage the people of their organisation tree, a person's
token sees its own tasks, and a note alone is a progress report."""

from __future__ import annotations

from typing import Any

from planlog.auth.tokens import create_person_token
from planlog.projections.people import person_row

from .conftest import CITY, HOSPITAL, OTHER, Api


def add(api: Api, who: str = "hospital_chair", **body: Any) -> Any:
    payload = {"org": HOSPITAL, "name": "张三", "department": "组织部", **body}
    return api.post("/api/v1/people", who, json=payload)


def person_token(api: Api, person_id: str) -> str:
    with api.services.fresh().connect() as conn:
        person = person_row(conn, person_id)
    assert person is not None
    return create_person_token(api.services.engine, person)[1]


def test_a_chair_adds_and_lists_people_of_their_organisation(api: Api) -> None:
    made = add(api, mobile="13800138000")
    assert made.status_code == 201, made.text
    person = made.json()
    assert (person["org"], person["name"], person["role"], person["mobile"]) == (
        HOSPITAL,
        "张三",
        "editor",
        "13800138000",
    )
    listed = api.get("/api/v1/people", "hospital_chair").json()
    assert [p["id"] for p in listed] == [person["id"]]
    # the city's chair sees the people of the unions below it too
    assert [p["id"] for p in api.get("/api/v1/people", "city_chair").json()] == [person["id"]]


def test_only_a_chair_manages_people(api: Api) -> None:
    assert add(api, who="hospital_editor").status_code == 403
    assert api.get("/api/v1/people", "hospital_auditor").status_code == 403


def test_a_chair_of_another_union_can_neither_see_nor_change_nor_link(api: Api) -> None:
    person_id = add(api).json()["id"]
    assert api.get("/api/v1/people", "other_chair").json() == []
    assert api.get(f"/api/v1/people/{person_id}", "other_chair").status_code == 404
    patched = api.client.patch(
        f"/api/v1/people/{person_id}",
        headers=api.headers("other_chair"),
        json={"role": "chair"},
    )
    assert patched.status_code == 404
    assert api.post(f"/api/v1/people/{person_id}/link", "other_chair").status_code == 404
    assert api.get(f"/api/v1/people/{person_id}", "hospital_chair").json()["role"] == "editor"


def test_a_chair_cannot_add_a_person_to_another_union(api: Api) -> None:
    assert add(api, org=OTHER).status_code == 403
    assert add(api, who="hospital_chair", org=CITY).status_code == 403


def test_a_bad_value_is_a_422_naming_the_field(api: Api) -> None:
    refused = add(api, email="not-an-address")
    assert refused.status_code == 422
    assert "电子邮件" in refused.json()["detail"]
    assert api.get("/api/v1/people", "hospital_chair").json() == []


def test_patch_changes_what_is_sent_and_retires(api: Api) -> None:
    person_id = add(api, mobile="13800138000").json()["id"]
    url = f"/api/v1/people/{person_id}"
    changed = api.client.patch(
        url, headers=api.headers("hospital_chair"), json={"role": "chair", "mobile": None}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["role"], changed.json()["mobile"], changed.json()["department"]) == (
        "chair",
        None,
        "组织部",
    )
    retired = api.client.patch(url, headers=api.headers("hospital_chair"), json={"retired": True})
    assert retired.json()["retired"] is True
    assert api.post(f"{url}/link", "hospital_chair").status_code == 422


def test_a_chair_gets_a_one_time_sign_in_link(api: Api) -> None:
    person_id = add(api).json()["id"]
    link = api.post(f"/api/v1/people/{person_id}/link", "hospital_chair")
    assert link.status_code == 200, link.text
    assert "/login/link?code=" in link.json()["url"]


def test_my_tasks_are_the_persons_open_deadlines_overdue_first(api: Api) -> None:
    person_id = add(api).json()["id"]
    plan_id = api.new_plan()
    later = api.new_item(plan_id, title="年报", responsible="组织部", dues=["2026-12-31"])
    first = api.new_item(plan_id, title="季报", responsible="张三", dues=["2026-03-31"])
    api.new_item(plan_id, title="别人的", responsible="宣传部", dues=["2026-02-28"])
    token = person_token(api, person_id)
    tasks = api.client.get("/api/v1/me/tasks", headers={"Authorization": f"Bearer {token}"}).json()
    assert [(t["item_id"], t["title"], t["due"]) for t in tasks] == [
        (first, "季报", "2026-03-31"),
        (later, "年报", "2026-12-31"),
    ]
    assert set(tasks[0]) >= {
        "item_id",
        "plan_id",
        "title",
        "occurrence",
        "due",
        "days_left",
        "status",
        "percent",
        "note",
    }


def test_my_tasks_need_a_persons_token(api: Api) -> None:
    assert api.get("/api/v1/me/tasks", "hospital_editor").status_code == 403


def test_a_progress_note_alone_is_accepted_and_recorded_under_the_persons_name(
    api: Api,
) -> None:
    person_id = add(api).json()["id"]
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id, responsible="组织部")
    token = person_token(api, person_id)
    headers = {"Authorization": f"Bearer {token}"}
    reported = api.client.post(
        f"/api/v1/items/{item_id}/progress", headers=headers, json={"note": "材料已收齐"}
    )
    assert reported.status_code == 200, reported.text
    history = api.get(f"/api/v1/items/{item_id}/history", "hospital_chair").json()
    assert history[-1]["actor"] == "张三（组织部）"
    tasks = api.client.get("/api/v1/me/tasks", headers=headers).json()
    assert tasks[0]["note"] == "材料已收齐"


def test_a_chair_may_not_make_a_link_for_another_chair(api: Api) -> None:
    person_id = add(api, name="赵主席", role="chair").json()["id"]
    refused = api.post(f"/api/v1/people/{person_id}/link", "hospital_chair")
    assert refused.status_code == 403, refused.text
    detail = refused.json()["detail"]
    assert "只能为编辑或审计角色的人员" in detail and "planlog person link" in detail
    assert api.get(f"/api/v1/people/{person_id}", "hospital_chair").json()["links_issued"] == []


def test_each_link_made_is_recorded_with_who_made_it_and_when(api: Api) -> None:
    person_id = add(api, role="auditor").json()["id"]
    assert api.get(f"/api/v1/people/{person_id}", "hospital_chair").json()["links_issued"] == []
    assert api.post(f"/api/v1/people/{person_id}/link", "hospital_chair").status_code == 200
    assert api.post(f"/api/v1/people/{person_id}/link", "city_chair").status_code == 200
    issued = api.get(f"/api/v1/people/{person_id}", "hospital_chair").json()["links_issued"]
    assert [i["issued_by"] for i in issued] == ["hospital_chair", "city_chair"], issued
    assert all(i["issued_at"].endswith("+00:00") for i in issued)
