"""Organisations and scope over HTTP (issue 16), on both stores.

A chair can neither adopt an organisation (register a name that plans already use under
their own) nor register or move an existing one; plans are created only for registered
organisations in scope; and a request naming an organisation outside the caller's scope
answers the same whether that organisation exists or not.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest

from planlog.auth.tokens import create_token

CITY, DISTRICT, HOSPITAL, OTHER = "某市总工会", "某区总工会", "某医院工会", "外市总工会"
LEGACY, TOKEN_ONLY, NOWHERE = "老工会", "令牌工会", "无此工会"
PLAN_TEXT = "一、健全女工组织\n1、组织健全。\n时限：3月25日前\n责任人：工会女工\n".encode()


def head(api: Any) -> int:
    """The position of the last recorded event: unchanged means nothing was recorded."""
    return int(api.services.app.recorder.max_notification_id() or 0)


def shape(answer: Any, name: str) -> tuple[int, str, str]:
    """Status, content type and body, with the name the request gave taken out."""
    body = json.dumps(answer.json(), ensure_ascii=False, sort_keys=True)
    return answer.status_code, answer.headers["content-type"], body.replace(name, "NAME")


def test_a_chair_cannot_adopt_an_organisation_named_only_by_plans(api: Any) -> None:
    plan_id = api.legacy_plan(LEGACY)
    before = head(api)
    answer = api.post("/api/v1/orgs", "city_chair", json={"name": LEGACY, "parent": CITY})
    assert answer.status_code == 422, answer.text
    assert answer.json()["rule"] == "organisation_unique"
    assert "planlog org move" in answer.json()["detail"]
    assert head(api) == before
    # The city chair gained nothing: the plan stays out of its scope.
    assert api.get(f"/api/v1/plans/{plan_id}", "city_chair").status_code == 404
    assert plan_id not in [p["id"] for p in api.get("/api/v1/plans", "city_chair").json()]
    assert LEGACY not in [o["org"] for o in api.get("/api/v1/orgs", "city_chair").json()]


def test_a_chair_cannot_register_or_reparent_an_existing_organisation(api: Any) -> None:
    before = head(api)
    elsewhere = api.post("/api/v1/orgs", "city_chair", json={"name": OTHER, "parent": CITY})
    inside = api.post("/api/v1/orgs", "city_chair", json={"name": HOSPITAL, "parent": CITY})
    assert elsewhere.status_code == inside.status_code == 422
    assert "planlog org move" in elsewhere.json()["detail"]
    # Where the existing organisation sits is not revealed: one answer for both.
    assert shape(elsewhere, OTHER)[2] == shape(inside, HOSPITAL)[2]
    assert head(api) == before
    app = api.services.app
    assert app.get_organisation(OTHER).parent is None
    assert app.get_organisation(HOSPITAL).parent == DISTRICT


def test_a_name_held_only_by_an_api_token_cannot_be_registered_by_a_chair(api: Any) -> None:
    create_token(api.services.engine, TOKEN_ONLY, "chair", "令牌主席")  # never registered
    before = head(api)
    answer = api.post("/api/v1/orgs", "city_chair", json={"name": TOKEN_ONLY, "parent": CITY})
    assert answer.status_code == 422 and answer.json()["rule"] == "organisation_unique"
    assert head(api) == before


def test_a_chair_registers_a_new_member_union_and_then_plans_for_it(api: Any) -> None:
    made = api.post(
        "/api/v1/orgs", "hospital_chair", json={"name": " 内科分会 ", "parent": HOSPITAL}
    )
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["parent"]) == ("内科分会", HOSPITAL)
    assert api.new_plan("hospital_chair", "内科分会")
    refused = api.post("/api/v1/orgs", "hospital_chair", json={"name": "外科分会", "parent": CITY})
    assert refused.status_code == 403


def test_a_plan_or_import_for_an_unregistered_organisation_is_refused_and_records_nothing(
    api: Any,
) -> None:
    # A token made before organisations had to be registered: its own name is its scope.
    api.tokens["unregistered"] = create_token(api.services.engine, "未登记工会", "chair")[1]
    before = head(api)
    plan = api.post(
        "/api/v1/plans", "unregistered", json={"org": "未登记工会", "year": 2026, "title": "计划"}
    )
    files = {"file": ("计划.txt", PLAN_TEXT, "text/plain")}
    form = {"org": "未登记工会", "year": "2026"}
    preview = api.post("/api/v1/imports/preview", "unregistered", files=files, data=form)
    confirm = api.post("/api/v1/imports", "unregistered", files=files, data=form)
    for answer in (plan, preview, confirm):
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "unknown_organisation"
        assert "未登记工会" in answer.json()["detail"]
        assert "planlog org create" in answer.json()["detail"]
    assert head(api) == before
    assert api.services.app.list_plans() == []


def test_a_chair_may_still_plan_for_an_older_stores_unregistered_organisation(api: Any) -> None:
    api.legacy_plan(LEGACY)
    api.tokens["legacy_chair"] = create_token(api.services.engine, LEGACY, "chair")[1]
    assert api.new_plan("legacy_chair", LEGACY)
    assert api.services.app.find_organisation(LEGACY) is None  # and it was not registered


Probe = Callable[[Any, str], Any]


def _plan(api: Any, name: str) -> Any:
    return api.post(
        "/api/v1/plans", "hospital_chair", json={"org": name, "year": 2026, "title": "计划"}
    )


def _import(path: str) -> Probe:
    def send(api: Any, name: str) -> Any:
        files = {"file": ("计划.txt", PLAN_TEXT, "text/plain")}
        return api.post(path, "hospital_chair", files=files, data={"org": name, "year": "2026"})

    return send


PROBES: dict[str, Probe] = {
    "create plan": _plan,
    "import preview": _import("/api/v1/imports/preview"),
    "import": _import("/api/v1/imports"),
    "rollup": lambda api, name: api.get(f"/api/v1/orgs/{name}/rollup", "hospital_chair"),
    "rollup as auditor": lambda api, name: api.get(
        f"/api/v1/orgs/{name}/rollup", "hospital_auditor"
    ),
    "org feed": lambda api, name: api.post(
        "/api/v1/feeds", "hospital_chair", json={"kind": "org", "target": name}
    ),
    "register under it": lambda api, name: api.post(
        "/api/v1/orgs", "hospital_chair", json={"name": "新分会", "parent": name}
    ),
}


@pytest.mark.parametrize("probe", PROBES, ids=list(PROBES))
def test_naming_an_organisation_outside_scope_answers_alike_whether_it_exists_or_not(
    api: Any, probe: str
) -> None:
    api.legacy_plan(LEGACY)
    create_token(api.services.engine, TOKEN_ONLY, "chair")
    api.new_plan("other_chair", OTHER)
    before = head(api)
    send = PROBES[probe]
    missing = shape(send(api, NOWHERE), NOWHERE)
    assert missing[0] in (403, 404), missing
    for existing in (CITY, DISTRICT, OTHER, LEGACY, TOKEN_ONLY):
        assert shape(send(api, existing), existing) == missing, existing
    assert head(api) == before


def test_plan_ids_outside_scope_answer_alike_whether_the_plan_exists_or_not(api: Any) -> None:
    other_plan = api.new_plan("other_chair", OTHER)
    nowhere = str(uuid4())
    for path in ("/api/v1/plans/{}", "/api/v1/plans/{}/board", "/api/v1/plans/{}/items"):
        assert shape(api.get(path.format(other_plan), "hospital_chair"), other_plan) == shape(
            api.get(path.format(nowhere), "hospital_chair"), nowhere
        )
    feeds = [
        api.post("/api/v1/feeds", "hospital_chair", json={"kind": "plan", "target": plan})
        for plan in (other_plan, nowhere)
    ]
    assert shape(feeds[0], other_plan) == shape(feeds[1], nowhere)
    assert feeds[0].status_code == 404


def test_a_chair_retires_a_member_union_registered_by_mistake(api: Any) -> None:
    misspelt = "某医院公会"  # 公 for 工
    made = api.post("/api/v1/orgs", "city_chair", json={"name": misspelt, "parent": DISTRICT})
    assert made.status_code == 201, made.text
    answer = api.post(f"/api/v1/orgs/{misspelt}/retire", "city_chair", json={"reason": "录错"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["retired"] is True
    assert misspelt not in [o["org"] for o in api.get("/api/v1/orgs", "city_chair").json()]


def test_a_chair_cannot_retire_its_own_union(api: Any) -> None:
    before = head(api)
    own = api.post(f"/api/v1/orgs/{DISTRICT}/retire", "district_chair", json={"reason": "撤并"})
    assert own.status_code == 403 and head(api) == before


def test_retiring_a_union_outside_the_scope_answers_as_for_one_that_exists_nowhere(
    api: Any,
) -> None:
    before = head(api)
    elsewhere = api.post(f"/api/v1/orgs/{OTHER}/retire", "city_chair", json={"reason": "撤并"})
    nowhere = api.post(f"/api/v1/orgs/{NOWHERE}/retire", "city_chair", json={"reason": "撤并"})
    assert elsewhere.status_code == nowhere.status_code == 404
    assert shape(elsewhere, OTHER)[2] == shape(nowhere, NOWHERE)[2]
    assert head(api) == before


def test_only_a_chair_retires_a_union(api: Any) -> None:
    answer = api.post(f"/api/v1/orgs/{HOSPITAL}/retire", "hospital_editor", json={"reason": "x"})
    assert answer.status_code == 403 and "retire organisations" in answer.json()["detail"]


def test_retiring_a_union_others_depend_on_is_refused_naming_them(api: Any) -> None:
    before = head(api)
    in_use = api.post(f"/api/v1/orgs/{DISTRICT}/retire", "city_chair", json={"reason": "撤并"})
    assert in_use.status_code == 422 and in_use.json()["rule"] == "organisation_in_use"
    assert HOSPITAL in in_use.json()["detail"]
    assert head(api) == before


def test_a_retired_name_is_refused_to_a_chair_as_any_taken_name_is(api: Any) -> None:
    misspelt = "某医院公会"
    api.post("/api/v1/orgs", "city_chair", json={"name": misspelt, "parent": DISTRICT})
    api.post(f"/api/v1/orgs/{misspelt}/retire", "city_chair", json={"reason": "录错"})
    retired = api.post("/api/v1/orgs", "city_chair", json={"name": misspelt, "parent": CITY})
    elsewhere = api.post("/api/v1/orgs", "city_chair", json={"name": OTHER, "parent": CITY})
    assert retired.json()["rule"] == "organisation_unique"
    assert shape(retired, misspelt)[2] == shape(elsewhere, OTHER)[2]
