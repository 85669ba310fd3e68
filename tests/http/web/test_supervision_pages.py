"""The item page's extension-request and sign-off forms, and the chair's pending list."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from planlog.service.commands import SetReminderPolicy

if TYPE_CHECKING:
    from conftest import Web


def _post(web: Web, item: Any, path: str, **fields: str) -> Any:
    data = {"csrf": web.csrf(f"/items/{item}"), "version": str(web.version(item)), **fields}
    return web.client.post(f"/items/{item}/{path}", data=data, follow_redirects=False)


def _ask(web: Web, item: Any) -> str:
    web.login("hospital_editor")
    asked = _post(
        web, item, "extension-requests", occurrence="2026-06-30", to="2026-07-31", reason="等批复"
    )
    assert asked.status_code == 303, asked.text
    request_id = web.services.app.get_item(item).open_extension_request("2026-06-30")
    assert request_id
    return str(request_id)


def _sign_off_on(web: Web) -> None:
    web.services.app.handle(
        SetReminderPolicy(plan_id=web.seeded.plan, policy={"sign_off": True}, actor="王主席")
    )


def test_a_responsible_person_requests_an_extension_on_the_item_page(web: Web) -> None:
    item = web.seeded.items["report"]
    web.login("hospital_editor")
    assert f'action="/items/{item}/extension-requests"' in web.client.get(f"/items/{item}").text
    _ask(web, item)
    page = web.client.get(f"/items/{item}?done=request").text
    assert "延期申请已提交" in page and "延期申请中" in page


def test_the_chair_approves_a_request_from_the_item_page(web: Web) -> None:
    item = web.seeded.items["report"]
    request_id = _ask(web, item)
    web.login("hospital_chair")
    approved = _post(web, item, f"extension-requests/{request_id}/approve")
    assert approved.status_code == 303
    assert sorted(web.services.app.get_item(item).occurrences) == ["2026-07-31", "2026-12-31"]


def test_a_rejection_without_a_reason_is_refused_on_the_page(web: Web) -> None:
    item = web.seeded.items["report"]
    request_id = _ask(web, item)
    web.login("hospital_chair")
    refused = _post(web, item, f"extension-requests/{request_id}/reject", reason="")
    assert refused.status_code == 422 and "须说明原因" in refused.text
    rejected = _post(web, item, f"extension-requests/{request_id}/reject", reason="时间够")
    assert rejected.status_code == 303


def test_an_editor_cannot_approve(web: Web) -> None:
    item = web.seeded.items["report"]
    request_id = _ask(web, item)
    assert "/approve" not in web.client.get(f"/items/{item}").text
    refused = _post(web, item, f"extension-requests/{request_id}/approve")
    assert refused.status_code == 403


def test_with_sign_off_the_complete_form_submits_and_the_chair_returns_then_confirms(
    web: Web,
) -> None:
    item = web.seeded.items["members"]
    _sign_off_on(web)
    web.login("hospital_editor")
    assert "提交办结" in web.client.get(f"/items/{item}").text
    assert _post(web, item, "complete", occurrence="2026-03-31").status_code == 303
    assert web.services.app.get_item(item).occurrences["2026-03-31"].status == "submitted"
    web.login("hospital_chair")
    assert "确认办结" in web.client.get(f"/items/{item}").text
    returned = _post(web, item, "return", occurrence="2026-03-31", reason="缺少名单")
    assert returned.status_code == 303
    assert web.services.app.get_item(item).occurrences["2026-03-31"].status == "open"
    web.login("hospital_editor")
    _post(web, item, "complete", occurrence="2026-03-31")
    web.login("hospital_chair")
    assert _post(web, item, "confirm", occurrence="2026-03-31").status_code == 303
    assert web.services.app.get_item(item).occurrences["2026-03-31"].status == "done"


def test_the_pending_page_lists_requests_and_submissions(web: Web) -> None:
    _ask(web, web.seeded.items["report"])
    _sign_off_on(web)
    web.login("hospital_editor")
    _post(web, web.seeded.items["members"], "complete", occurrence="2026-03-31")
    web.login("hospital_chair")
    page = web.client.get(f"/plans/{web.seeded.plan}/pending").text
    assert "向上级工会报告工作" in page and "发展会员" in page
    assert "pending-request" in page and "pending-submitted" in page


def test_the_chair_switches_sign_off_on_the_pending_page(web: Web) -> None:
    web.login("hospital_chair")
    path = f"/plans/{web.seeded.plan}/pending"
    switched = web.client.post(
        f"{path}/sign-off", data={"csrf": web.csrf(path), "on": "1"}, follow_redirects=False
    )
    assert switched.status_code == 303
    assert web.services.app.get_plan(web.seeded.plan).sign_off is True


def test_the_pending_page_is_for_chairs_of_the_plans_union(web: Web) -> None:
    web.login("hospital_editor")
    assert web.client.get(f"/plans/{web.seeded.plan}/pending").status_code == 403
    web.login("other_chair")
    assert web.client.get(f"/plans/{web.seeded.plan}/pending").status_code == 404
