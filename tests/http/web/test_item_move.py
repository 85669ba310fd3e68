"""The item page's move form: chairs move one occurrence with a reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conftest import Web


def _move(web: Web, item: Any, **fields: str) -> Any:
    data = {"csrf": web.csrf(f"/items/{item}"), "version": str(web.version(item)), **fields}
    return web.client.post(f"/items/{item}/move", data=data, follow_redirects=False)


def test_a_chair_moves_an_occurrence_through_the_form(web: Web) -> None:
    web.login("hospital_chair")
    item = web.seeded.items["report"]
    assert f'action="/items/{item}/move"' in web.client.get(f"/items/{item}").text
    response = _move(web, item, occurrence="2026-06-30", to="2026-07-15", reason="上级通知延期")
    assert response.status_code == 303
    assert response.headers["location"] == f"/items/{item}?done=move#top"
    page = web.client.get(f"/items/{item}?done=move").text
    assert "时限已调整" in page
    assert sorted(web.services.app.get_item(item).occurrences) == ["2026-07-15", "2026-12-31"]


def test_a_move_without_a_reason_or_date_is_refused_on_the_page(web: Web) -> None:
    web.login("hospital_chair")
    item = web.seeded.items["report"]
    no_reason = _move(web, item, occurrence="2026-06-30", to="2026-07-15", reason="")
    assert no_reason.status_code == 422 and "须说明原因" in no_reason.text
    no_date = _move(web, item, occurrence="2026-06-30", to="", reason="延期")
    assert no_date.status_code == 422 and "日期格式有误" in no_date.text


def test_an_auditor_has_no_move_form(web: Web) -> None:
    web.login("hospital_auditor")
    item = web.seeded.items["report"]
    assert "/move" not in web.client.get(f"/items/{item}").text
