"""The editable import preview (issue 14): what is confirmed is what the preview showed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from conftest import Web

PLAN = "一、组织建设\n1、健全制度。时限：3月底前\n2、四月份举办职工技能竞赛。\n3、加强学习。\n"
HIDDEN = ("csrf", "org", "year", "title", "filename", "payload")


def _preview(web: Web, text: str = PLAN) -> str:
    client = web.login("hospital_chair")
    form = {"csrf": web.csrf("/import"), "org": "某医院工会", "year": "2026", "text": text}
    response = client.post("/import/preview", data=form)
    assert response.status_code == 200, response.text
    return response.text


def _form(page: str) -> dict[str, Any]:
    """The preview's form as a browser would post it untouched."""
    form: dict[str, Any] = {
        name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)  # type: ignore[union-attr]
        for name in HIDDEN
    }
    for field in ("row", "row_title", "row_section", "row_deadline", "row_responsible"):
        form[field] = re.findall(rf'name="{field}" value="([^"]*)"', page)
    form["row_drop"] = []
    return form


def _imported(web: Web, response: Any) -> list[Any]:
    assert response.status_code == 303, response.text
    plan_id = UUID(re.search(r"/plans/([0-9a-f-]+)", response.headers["location"]).group(1))  # type: ignore[union-attr]
    app = web.services.app
    return [app.get_item(i) for i in app.get_plan(plan_id).item_ids]


def test_an_edited_title_and_deadline_are_what_gets_imported(web: Web) -> None:
    form = _form(_preview(web))
    form["row_title"][0] = "健全工会制度（改）"
    form["row_deadline"][2] = "9月底前"
    form["row_responsible"][1] = "工会办公室"
    items = _imported(web, web.client.post("/import", data=form, follow_redirects=False))
    assert items[0].details.title == "健全工会制度（改）"
    assert items[2].deadline_text == "9月底前"
    assert [o.due.isoformat() for o in items[2].ordered_occurrences()] == ["2026-09-30"]
    assert items[2].source["deadline_source"] == "typed"
    assert items[1].details.responsible == "工会办公室"
    # An edited row keeps its source line and the document's fingerprint.
    assert items[0].source["line"] == 2 and items[0].source["fingerprint"]


def test_a_dropped_row_is_not_imported(web: Web) -> None:
    form = _form(_preview(web))
    form["row_drop"] = ["1"]
    items = _imported(web, web.client.post("/import", data=form, follow_redirects=False))
    assert [i.details.title for i in items] == ["健全制度", "加强学习"]


def test_updating_the_preview_reads_a_typed_deadline_again(web: Web) -> None:
    form = _form(_preview(web))
    form["row_deadline"][2] = "6月1日至8月31日"
    form["row_drop"] = ["0"]
    page = web.client.post("/import/preview", data=form).text
    assert "6月1日—8月31日" in page  # the new reading, shown before saving
    assert "手填" in page  # said to be typed
    assert 'class="dropped"' in page and "不导入" in page  # the dropped row stays, marked
    assert 'name="row_drop" value="0" aria-label="删除 1" checked' in page
    # Confirming the updated preview imports what it showed.
    again = _form(page)
    again["row_drop"] = ["0"]
    items = _imported(web, web.client.post("/import", data=again, follow_redirects=False))
    assert len(items) == 2
    assert str(items[1].ordered_occurrences()[0].opens) == "2026-06-01"


def test_an_unreadable_typed_deadline_is_said_and_falls_due_at_year_end(web: Web) -> None:
    form = _form(_preview(web))
    form["row_deadline"][0] = "下辈子"
    page = web.client.post("/import/preview", data=form).text
    assert "无法识别时限“下辈子”" in page
    assert page.count('class="flagged"') == 2  # the unreadable row and the implicit one


def test_flagged_rows_are_highlighted_in_the_editable_preview(web: Web) -> None:
    page = _preview(web)
    rows = re.findall(r"<tr( class=\"flagged\")?>\s*<td>组织建设</td>", page)
    assert [bool(r) for r in rows] == [False, False, True]
    assert "flag-implicit" in page


def test_a_reviewed_preview_or_confirmation_needs_the_form_token(web: Web) -> None:
    form = _form(_preview(web))
    form["csrf"] = "0" * 32
    plans = len(web.services.app.list_plans())
    assert web.client.post("/import/preview", data=form).status_code == 403
    assert web.client.post("/import", data=form, follow_redirects=False).status_code == 403
    assert len(web.services.app.list_plans()) == plans


def test_the_same_document_reviewed_twice_is_recognised(web: Web) -> None:
    form = _form(_preview(web))
    form["row_title"][1] = "技能竞赛"
    first = web.client.post("/import", data=form, follow_redirects=False)
    again = web.client.post("/import", data=_form(_preview(web)), follow_redirects=False)
    assert again.headers["location"] == first.headers["location"].replace("new", "again")


def test_mismatched_rows_are_refused(web: Web) -> None:
    form = _form(_preview(web))
    form["row_title"] = form["row_title"][:1]
    assert web.client.post("/import", data=form, follow_redirects=False).status_code == 422


def test_a_reviewed_row_longer_than_a_typed_title_is_refused(web: Web) -> None:
    form = _form(_preview(web))
    form["row_title"][0] = "长" * 301
    response = web.client.post("/import", data=form, follow_redirects=False)
    assert response.status_code == 422 and "≤ 300" in response.text
