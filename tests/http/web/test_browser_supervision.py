"""Extension requests and sign-off in a real browser (Chromium, uvicorn on loopback):
a responsible person asks to move a deadline and the chair approves; the responsible
person submits a completion that the chair returns, and then confirms.

Screenshots: extension-approved.png, signoff-returned.png, signoff-confirmed.png.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from tests.http.web.test_browser import Site, _page, _shot, browser, site

from planlog.domain.schedule import last_due_day
from planlog.service.app import PlanlogApp

__all__ = ["browser", "site"]  # the fixtures, shared with test_browser.py


def _open_deadline(site: Site) -> tuple[UUID, str, str]:
    """An item of the demo with an open deadline: its id, title and that due date."""
    app = PlanlogApp(site.url)
    try:
        for item in app.plan_items(site.plan):
            if item.cancelled:
                continue
            for occ in item.ordered_occurrences():
                if occ.status in ("open", "in_progress"):
                    return item.id, item.title, occ.key
    finally:
        app.close()
    raise AssertionError("the demo has no open deadline")


def _status(site: Site, item_id: UUID, due: str) -> str:
    app = PlanlogApp(site.url)
    try:
        return str(app.get_item(item_id).occurrences[due].status)
    finally:
        app.close()


def test_an_extension_request_approved_by_the_chair(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    item_id, title, due = _open_deadline(site)
    year_end = last_due_day(date.fromisoformat(due).year)
    to = min(date.fromisoformat(due) + timedelta(days=10), year_end)
    if to.isoformat() == due:  # the last allowed day already: ask for a week less later
        to = date.fromisoformat(due)
    editor = _page(browser, site, "editor")
    editor.goto(f"{site.base}/items/{item_id}")
    form = editor.locator("form[action$='/extension-requests']")
    form.locator("select[name=occurrence]").select_option(due)
    form.locator("input[name=to]").fill(to.isoformat())
    form.locator("input[name=reason]").fill("等待上级批复材料")
    form.get_by_role("button", name="申请延期").click()
    expect(editor.get_by_role("status")).to_contain_text("延期申请已提交")
    expect(editor.locator(".extension-request.request-open")).to_be_visible()

    chair = _page(browser, site, "chair")
    chair.goto(f"{site.base}/plans/{site.plan}/pending")
    row = chair.locator(".pending-request", has_text=title)
    expect(row).to_contain_text("等待上级批复材料")
    row.get_by_role("link", name=title).click()
    chair.locator(".approve-form").get_by_role("button", name="批准").click()
    expect(chair.get_by_role("status")).to_contain_text("已批准延期")
    expect(chair.locator(".extension-request.request-approved")).to_contain_text("已批准延期")
    _shot(chair, "extension-approved")
    assert _status(site, item_id, to.isoformat()) in ("open", "in_progress")


def test_a_submission_returned_then_confirmed_by_the_chair(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    chair = _page(browser, site, "chair")
    chair.goto(f"{site.base}/plans/{site.plan}/pending")
    chair.get_by_role("button", name="开启办结审核").click()
    expect(chair.locator(".sign-off-switch")).to_contain_text("已开启")

    item_id, title, due = _open_deadline(site)
    editor = _page(browser, site, "editor")

    def submit() -> None:
        editor.goto(f"{site.base}/items/{item_id}")
        form = editor.locator("form[action$='/complete']")
        form.locator("select[name=occurrence]").select_option(due)
        form.get_by_role("button", name="提交办结").click()
        expect(editor.get_by_role("status")).to_be_visible()

    submit()
    assert _status(site, item_id, due) == "submitted"

    chair.goto(f"{site.base}/plans/{site.plan}/pending")
    chair.locator(".pending-submitted", has_text=title).get_by_role("link", name=title).click()
    back = chair.locator(".return-form")
    back.locator("input[name=reason]").fill("缺少活动照片")
    back.get_by_role("button", name="退回").click()
    expect(chair.get_by_role("status")).to_contain_text("已退回")
    expect(chair.locator(".timeline")).to_contain_text("缺少活动照片")
    _shot(chair, "signoff-returned")
    assert _status(site, item_id, due) in ("open", "in_progress")

    submit()
    chair.goto(f"{site.base}/items/{item_id}")
    chair.locator(".confirm-form").get_by_role("button", name="确认办结").click()
    expect(chair.get_by_role("status")).to_contain_text("已确认办结")
    expect(chair.locator(".timeline")).to_contain_text(re.compile("确认办结"))
    _shot(chair, "signoff-confirmed")
    assert _status(site, item_id, due) == "done"
