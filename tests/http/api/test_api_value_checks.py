"""Issue 16: one value no event may hold (NaN, Infinity, a NUL, `true` as a percent) used
to be recorded and then break every request of every organisation. Each is refused at
the API door with a 422 problem that names the field, nothing is recorded, and the
whole service keeps answering: other organisations' boards, the audit chain, a rebuild.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from planlog.domain.model import Target
from planlog.service.app import NewItem

from .conftest import OTHER

PROBLEM = "application/problem+json"


def _item_with_a_target(api: Any) -> tuple[str, str]:
    plan_id = api.new_plan()
    spec = NewItem(
        title="发展会员",
        dues=[date(2026, 6, 30)],
        targets=[Target(text="新增会员800名", value=800, unit="名")],
    )
    item = api.services.app.add_item(UUID(plan_id), spec, actor="王主席")
    return plan_id, str(item.id)


def _version(api: Any, item_id: str) -> str:
    answer = api.get(f"/api/v1/items/{item_id}", "hospital_chair")
    assert answer.status_code == 200, answer.text
    return str(answer.headers["ETag"])


def _refused(answer: Any, *words: str) -> dict[str, Any]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body: dict[str, Any] = answer.json()
    for word in words:
        assert word in body["detail"], body
    return body


def _service_still_answers(api: Any, plan_id: str) -> None:
    """What the poison used to break: every read of every organisation, rebuild, verify."""
    board = api.get(f"/api/v1/plans/{plan_id}/board", "hospital_chair")
    assert board.status_code == 200, board.text
    other = api.new_plan("other_chair", OTHER)
    assert api.get(f"/api/v1/plans/{other}/board", "other_chair").status_code == 200
    assert api.get("/api/v1/plans", "city_chair").status_code == 200
    assert api.get("/api/v1/orgs", "city_chair").status_code == 200
    verified = api.get("/api/v1/audit/verify", "city_chair")  # whole log: top level only
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
    api.services.runner.rebuild(lanes=1)
    assert api.get(f"/api/v1/plans/{plan_id}/board", "hospital_chair").status_code == 200


@pytest.mark.parametrize("raw_value", ["NaN", "Infinity", "-Infinity", "1e400", "1e16"])
def test_nan_or_infinite_target_value_through_api_progress_is_refused(
    api: Any, raw_value: str
) -> None:
    plan_id, item_id = _item_with_a_target(api)
    before = _version(api, item_id)
    # Python's JSON reader takes NaN and Infinity (and 1e400 as inf): send them as written.
    answer = api.client.post(
        f"/api/v1/items/{item_id}/progress",
        headers=api.headers("hospital_editor", **{"Content-Type": "application/json"}),
        content=f'{{"target": 1, "value": {raw_value}}}',
    )
    body = _refused(answer)
    assert body["code"] in ("invalid_request", "invalid_value")
    assert "value" in body["detail"]
    assert _version(api, item_id) == before
    _service_still_answers(api, plan_id)


def test_a_finite_target_value_through_api_progress_is_still_recorded(api: Any) -> None:
    plan_id, item_id = _item_with_a_target(api)
    answer = api.post(
        f"/api/v1/items/{item_id}/progress", "hospital_editor", json={"target": 1, "value": 312}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["targets"][0]["current"] == 312
    _service_still_answers(api, plan_id)


@pytest.mark.parametrize("percent", [True, False, 40.5, "40"])
def test_percent_true_through_the_api_is_refused_not_taken_as_one(
    api: Any, percent: object
) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id)
    before = _version(api, item_id)
    answer = api.post(
        f"/api/v1/items/{item_id}/progress", "hospital_editor", json={"percent": percent}
    )
    body = _refused(answer, "percent")
    assert body["code"] == "invalid_request"
    assert _version(api, item_id) == before


def test_a_plan_year_of_true_is_refused(api: Any) -> None:
    body = {"org": "某医院工会", "year": True, "title": "计划"}
    _refused(api.post("/api/v1/plans", "hospital_chair", json=body), "year")


def test_nul_in_a_progress_note_through_the_api_is_refused(api: Any) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id)
    before = _version(api, item_id)
    answer = api.post(
        f"/api/v1/items/{item_id}/progress",
        "hospital_editor",
        json={"percent": 40, "note": "已起草\x00"},
    )
    body = _refused(answer, "U+0000", "备注", "note")
    assert (body["code"], body["field"], body["problem"]) == (
        "invalid_value",
        "note",
        "control_character",
    )
    assert _version(api, item_id) == before
    _service_still_answers(api, plan_id)


def _post_escaped(api: Any, path: str, who: str, body: dict[str, Any]) -> Any:
    """JSON with \\u escapes, as a client sends a lone surrogate (UTF-8 cannot hold one)."""
    return api.client.post(
        path,
        headers=api.headers(who, **{"Content-Type": "application/json"}),
        content=json.dumps(body, ensure_ascii=True),
    )


@pytest.mark.parametrize(
    "control",
    ["\x00", "\x1b", "\x7f", "\x85", "\ud800"],
    ids=["NUL", "ESC", "DEL", "NEL", "lone-surrogate"],
)
def test_nul_or_control_character_in_a_title_through_the_api_is_refused(
    api: Any, control: str
) -> None:
    plan_id = api.new_plan()
    items = f"/api/v1/plans/{plan_id}/items"
    before = api.get(items, "hospital_chair").json()
    # pydantic already refuses a lone surrogate (not a unicode string); the domain the rest.
    words = ("title",) if control == "\ud800" else ("title", f"U+{ord(control):04X}")
    body = {"title": f"半年{control}报告", "dues": ["2026-06-30"]}
    refused = _refused(_post_escaped(api, items, "hospital_chair", body), *words)
    if control != "\ud800":
        assert refused["code"] == "invalid_value" and refused["field"] == "title"
    assert api.get(items, "hospital_chair").json() == before
    plan = {"org": "某医院工会", "year": 2026, "title": f"计{control}划"}
    _refused(_post_escaped(api, "/api/v1/plans", "hospital_chair", plan), *words)
    assert len(api.get("/api/v1/plans", "hospital_chair").json()) == 1
    _service_still_answers(api, plan_id)
