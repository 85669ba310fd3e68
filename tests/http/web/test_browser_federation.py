"""A federation chair in a real browser (Chromium, uvicorn on loopback): sends an item of
the city's plan down to a district's unions (任务下达), reads the task's status, and
reads who is lagging (督办) from the city down to a district and a union.

Screenshots: test-artifacts/screenshots/federation-send.png, federation-ranking.png.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import pytest
import uvicorn
from tests.http.web.test_browser import _free_port, _page, _shot, browser

from planlog.auth.tokens import create_token
from planlog.config import Settings
from planlog.http.app import create_app
from planlog.service.app import NewItem, PlanlogApp

__all__ = ["browser"]  # the Chromium fixture, shared with tests/http/web/test_browser.py

CITY, EAST, WEST = "联邦市总工会", "东城区总工会", "西城区总工会"
UNIONS = {"东城一厂工会": EAST, "东城二厂工会": EAST, "西城一厂工会": WEST}


@dataclass
class Federation:
    base: str
    tokens: dict[str, str]
    item: UUID


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """A city over two districts over three unions, each union with last year's plan; the
    city's plan has an item due long ago, and 西城一厂 is behind on its own plan. Last year,
    so that every deadline is past on whatever day the test runs."""
    url = f"sqlite:///{tmp_path_factory.mktemp('federation') / 'planlog.db'}"
    app = PlanlogApp(url)
    year = date.today().year - 1
    try:
        app.register_organisation(CITY, actor="admin", chair="张主席")
        for district in (EAST, WEST):
            app.register_organisation(district, actor="admin", parent=CITY)
        for union, district in UNIONS.items():
            app.register_organisation(union, actor="admin", parent=district)
            plan = app.create_plan(org=union, year=year, title=f"{union}工作计划", actor="admin")
            if union == "西城一厂工会":
                app.add_item(
                    plan.id, NewItem(title="职代会", dues=[date(year, 1, 1)]), actor="admin"
                )
        plan = app.create_plan(org=CITY, year=year, title=f"{year}年市总工作计划", actor="admin")
        item = app.add_item(
            plan.id, NewItem(title="安全生产月活动", dues=[date(year, 1, 2)]), actor="admin"
        )
    finally:
        app.close()
    web = create_app(Settings(database_url=url), background=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    engine = web.state.services.engine
    tokens = {"city_chair": create_token(engine, CITY, "chair", "张主席")[1]}
    yield Federation(f"http://127.0.0.1:{port}", tokens, item.id)
    server.should_exit = True
    thread.join(10)


def test_a_federation_chair_sends_a_task_and_reads_who_is_lagging(
    browser: Any, federation: Federation
) -> None:
    from playwright.sync_api import expect

    page = _page(browser, federation, "city_chair")
    page.goto(f"{federation.base}/items/{federation.item}/send")
    expect(page.get_by_role("heading", name=re.compile("下达任务"))).to_be_visible()
    # its deadline has passed: the chair is told before sending, not only after
    expect(page.locator("#past-due-before")).to_contain_text("各工会的副本一收到即已逾期")
    page.get_by_label(EAST).check()
    _shot(page, "federation-send")
    page.get_by_role("button", name="下达").click()

    # The task's status: both unions of the east district hold a copy, both overdue.
    expect(page).to_have_url(re.compile(r"/tasks/[0-9a-f-]+\?sent=1$"))
    # sent after its deadline: the chair is told its copies start overdue
    expect(page.locator("#past-due")).to_contain_text("各工会的副本一收到即已逾期")
    counts = "已完成 0 · 已逾期 2 · 未到期 0 · 待确认办结 0"
    expect(page.locator("#task-counts")).to_contain_text(counts)
    rows = page.locator("#task-unions tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#task-unions")).not_to_contain_text("西城一厂工会")
    task_url = page.url
    # A union's copy says whose deadlines they are.
    rows.first.get_by_role("link", name="安全生产月活动").click()
    expect(page.locator("#task-copy")).to_contain_text("上级下达的任务")
    page.goto(task_url)

    # The ranking: the east district (two overdue copies) above the west (one).
    page.goto(f"{federation.base}/orgs/{CITY}/rollup?rank=true")
    expect(page.get_by_role("heading", name=re.compile("督办排名"))).to_be_visible()
    districts = page.locator("#rank-districts tbody tr")
    expect(districts.first).to_contain_text(EAST)
    expect(districts.nth(1)).to_contain_text(WEST)
    expect(page.locator("#rank-unions tbody tr")).to_have_count(3)
    _shot(page, "federation-ranking")

    # Drill down: the city, the east district, one of its unions and its plan.
    page.locator("#rank-districts").get_by_role("link", name=EAST).click()
    expect(page.get_by_role("heading", name=re.compile(EAST))).to_be_visible()
    expect(page.locator("#rank-districts")).to_have_count(0)
    page.locator("#rank-unions").get_by_role("link", name="东城一厂工会").click()
    expect(page.get_by_role("heading", name=re.compile("东城一厂工会"))).to_be_visible()
    page.get_by_role("link", name="东城一厂工会工作计划").click()
    expect(page.get_by_text("安全生产月活动").first).to_be_visible()
    page.go_back()
    page.locator("#rank-up").click()
    expect(page.get_by_role("heading", name=re.compile(EAST))).to_be_visible()
    page.context.close()
