"""Issue 14 in the browser door: the chair renames the plan, reorders its sections, names
the helping units (协办单位) of an item, and reads days overdue on the board."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import Web


def _settings(web: Web) -> str:
    return f"{web.board}/settings"


def _post(web: Web, path: str, form_page: str, **fields: Any) -> Any:
    data = {"csrf": web.csrf(form_page), **fields}
    return web.client.post(path, data=data, follow_redirects=False)


def test_a_chair_renames_the_plan_with_a_reason_and_others_may_not(web: Web) -> None:
    web.login("hospital_chair")
    path = f"{web.board}/settings/title"
    renamed = _post(
        web, path, _settings(web), title="2026年度医院工会工作计划", reason="按党委发文"
    )
    assert renamed.status_code == 303
    assert renamed.headers["location"].endswith("/settings?done=title#title")
    assert web.services.app.get_plan(web.seeded.plan).title == "2026年度医院工会工作计划"
    assert "计划名称已修改。" in web.client.get(renamed.headers["location"]).text
    last = web.services.app.history(web.seeded.plan)[-1]
    assert last["actor"] == "王主席" and last["reason"] == "按党委发文"
    same = _post(web, path, _settings(web), title="2026年度医院工会工作计划")
    assert same.status_code == 422 and 'value="2026年度医院工会工作计划"' in same.text
    forged = web.client.post(path, data={"csrf": "0" * 32, "title": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    web.login("hospital_editor")
    csrf = web.csrf(web.board)
    refused = web.client.post(path, data={"csrf": csrf, "title": "x"}, follow_redirects=False)
    assert refused.status_code == 403
    assert web.services.app.get_plan(web.seeded.plan).title == "2026年度医院工会工作计划"


def _order(web: Web) -> list[str]:
    return [s.title for s in web.services.app.get_plan(web.seeded.plan).sections]


def test_a_chair_moves_a_section_up_with_the_arrow_form(web: Web) -> None:
    web.login("hospital_chair")
    assert _order(web) == ["健全工会组织", "建设职工之家"]
    page = web.client.get(_settings(web)).text
    assert "上移：建设职工之家" in page and "上移：健全工会组织" not in page  # no arrow off the end
    # The arrow's form holds the whole new order: post what the "up" arrow of the second holds.
    forms = re.findall(r'action="[^"]*/settings/sections-order".*?</form>', page, re.S)
    up = next(f for f in forms if "上移：建设职工之家" in f)
    order = re.findall(r'name="order" value="([^"]+)"', up)
    moved = _post(web, f"{web.board}/settings/sections-order", _settings(web), order=order)
    assert moved.status_code == 303
    assert _order(web) == ["建设职工之家", "健全工会组织"]
    board = web.client.get(web.board).text
    assert board.index("建设职工之家") < board.index("健全工会组织")
    stale = _post(web, f"{web.board}/settings/sections-order", _settings(web), order=order[:1])
    assert stale.status_code == 422 and "每个部分" in stale.text


def test_helping_units_are_saved_from_the_edit_form_and_shown_on_the_item(web: Web) -> None:
    web.login("hospital_chair")
    item_id = web.seeded.items["members"]
    form = f"/items/{item_id}/edit"
    assert 'name="helpers"' in web.client.get(form).text
    fields = {
        "version": str(web.version(item_id)),
        "title": "发展会员",
        "number": "2",
        "responsible": "工会女工委员会",
        "helpers": "组织部、宣传部",
        "target_label": ["新增会员40名"],
        "target_value": ["40"],
        "target_unit": ["名"],
        "reason": "明确协办单位",
    }
    saved = _post(web, form, form, **fields)
    assert saved.status_code == 303, saved.text
    assert web.services.app.get_item(item_id).details.helpers == "组织部、宣传部"
    assert web.services.app.history(item_id)[-1]["type"] == "Revised"
    page = web.client.get(f"/items/{item_id}").text
    assert "协办单位：组织部、宣传部" in page
    assert 'value="组织部、宣传部"' in web.client.get(form).text


def test_the_board_shows_days_overdue_and_what_a_target_counts(web: Web) -> None:
    web.login("hospital_chair")
    today = web.services.app.today()
    late = (today - date(2026, 3, 31)).days  # the members item's only deadline
    assert late > 0  # 3月31日 passed long ago
    board = web.client.get(web.board).text
    assert f"逾期{late}天" in board
    assert re.search(r"新增会员 40名", board)  # the thing counted, then the number
    assert f"{late} days overdue" in web.client.get(web.board + "?lang=en").text
