"""PATCH /api/v1/items/{id}: section, helping units and targets (issue 14)."""

from __future__ import annotations

from typing import Any


def test_revise_section_helpers_and_targets(api: Any) -> None:
    plan = api.new_plan()
    api.new_item(plan, section="组织建设")
    item = api.new_item(plan, section="权益维护")
    url = f"/api/v1/items/{item}"
    body = {
        "section_id": "s1",
        "helpers": "组织部、宣传部",
        "targets": [{"text": "新建基层工会", "value": 50, "unit": "家", "current": 12}],
        "reason": "更正导入",
    }
    revised = api.client.patch(url, headers=api.headers("hospital_chair"), json=body)
    assert revised.status_code == 200, revised.text
    shown = revised.json()
    assert shown["section"] == "组织建设" and shown["helpers"] == "组织部、宣传部"
    assert shown["target_lines"] == ["新建基层工会 12/50家"]
    board = api.get(f"/api/v1/plans/{plan}/board", "hospital_chair").json()
    assert [i["section_id"] for i in board["items"]] == ["s1", "s1"]
    unknown = api.client.patch(
        url, headers=api.headers("hospital_chair"), json={"section_id": "s9"}
    )
    assert unknown.status_code == 422 and unknown.json()["rule"] == "section_exists"
