"""A person in a real browser (Debian's Chromium, a real uvicorn server on loopback):
opens the one-time sign-in link their chair sent, lands on 我的任务 on a phone, and
reports a note alone. Screenshot: test-artifacts/screenshots/person-my-tasks.png."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import uvicorn
from tests import evidence_files as files

from planlog.auth.links import sign_in_url
from planlog.config import Settings
from planlog.http.app import create_app
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import RegisterPerson

from .test_browser import PHONE, _free_port, _shot, browser  # noqa: F401 (a fixture)

ORG = "某医院工会"


@dataclass
class PersonSite:
    base: str
    link: str
    late_item: str
    app: PlanlogApp
    chair_link: str
    svc: Any = None
    person_id: str = ""
    soon_item: str = ""


@pytest.fixture(scope="module")
def person_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PersonSite]:
    url = f"sqlite:///{tmp_path_factory.mktemp('people') / 'planlog.db'}"
    app = create_app(Settings(database_url=url), background=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    svc = app.state.services
    today = svc.app.today()
    year = today.year
    late = max(date(year, 1, 1), today - timedelta(days=6))
    soon = min(date(year, 12, 31), today + timedelta(days=9))
    svc.app.register_organisation(ORG, actor="admin", chair="王主席")
    plan = svc.app.create_plan(org=ORG, year=year, title=f"{year}年工会工作计划", actor="王主席")
    late_item = svc.app.add_item(
        plan.id,
        NewItem(title="报送职代会提案落实情况", responsible="组织部、宣传部", dues=[late]),
        actor="王主席",
    )
    soon_item = svc.app.add_item(
        plan.id, NewItem(title="发展新会员", responsible="张三", dues=[soon]), actor="王主席"
    )
    svc.app.add_item(
        plan.id, NewItem(title="别人的任务", responsible="财务部", dues=[soon]), actor="王主席"
    )
    person = svc.app.handle(
        RegisterPerson(org=ORG, name="张三", department="组织部", actor="王主席")
    )
    base = f"http://127.0.0.1:{port}"
    chair = svc.app.handle(RegisterPerson(org=ORG, name="王主席", role="chair", actor="admin"))
    link = sign_in_url(svc.fresh(), str(person.id), base)
    chair_link = sign_in_url(svc.fresh(), str(chair.id), base, next_path="/people")
    yield PersonSite(
        base, link, str(late_item.id), svc.app, chair_link, svc, str(person.id), str(soon_item.id)
    )
    server.should_exit = True
    thread.join(10)


def test_a_person_signs_in_with_a_link_and_reports_a_note_on_a_phone(
    browser: Any,  # noqa: F811
    person_site: PersonSite,
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(person_site.link)
    expect(page.get_by_role("heading", name="以 张三（组织部） 身份登录？")).to_be_visible()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/me$"))

    expect(page.get_by_role("heading", name=re.compile("我的任务"))).to_be_visible()
    cards = page.locator(".task")
    expect(cards).to_have_count(2)  # not 财务部's task
    expect(cards.first).to_contain_text("报送职代会提案落实情况")
    expect(cards.first).to_contain_text("逾期")
    expect(cards.nth(1)).to_contain_text("发展新会员")
    # Phone first: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    first = cards.first
    first.get_by_label("说明").fill("提案落实情况已汇总，待主席审阅")
    first.get_by_role("button", name="报告进展").click()
    expect(page.get_by_role("status")).to_contain_text("已报告")
    expect(page.locator(".task").first).to_contain_text("提案落实情况已汇总，待主席审阅")
    _shot(page, "person-my-tasks")

    history = person_site.app.history(UUID(person_site.late_item))
    assert history[-1]["actor"] == "张三（组织部）"
    context.close()


def test_a_chair_adds_a_person_and_shows_their_sign_in_link(
    browser: Any,  # noqa: F811
    person_site: PersonSite,
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(person_site.chair_link)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/people$"))
    expect(page.get_by_role("link", name="人员")).to_be_visible()
    form = page.locator("form[action='/people']")
    form.get_by_label("姓名").fill("李四")
    form.get_by_label("部门").fill("宣传部")
    form.get_by_label("手机号码").fill("13900139000")
    form.get_by_role("button", name="添加人员").click()
    expect(page.get_by_role("status")).to_contain_text("已添加人员")
    page.get_by_role("link", name="李四（宣传部）").click()
    page.get_by_role("button", name="生成登录链接").click()
    expect(page.get_by_label("登录链接")).to_have_value(re.compile(r"/login/link\?code="))
    _shot(page, "people-sign-in-link")
    context.close()


def test_a_person_reports_a_note_with_a_photo_from_my_tasks_on_a_phone(
    browser: Any,  # noqa: F811
    person_site: PersonSite,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    photo = tmp_path / "新会员入会现场.jpg"
    photo.write_bytes(files.jpeg(color="teal", size=(1600, 1200)))
    sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    link = sign_in_url(person_site.svc.fresh(), person_site.person_id, person_site.base)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(link)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/me$"))

    card = page.locator(".task", has_text="发展新会员")
    card.get_by_label("说明").fill("新会员入会仪式已举行，附照片")
    card.get_by_label(re.compile("佐证文件")).set_input_files(str(photo))
    card.get_by_role("button", name="报告进展").click()
    expect(page.get_by_role("status")).to_contain_text("已报告")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.goto(f"{person_site.base}/items/{person_site.soon_item}")
    thumb = page.locator(f'img.evidence-thumb[src="/evidence/{sha}/thumbnail"]')
    expect(thumb).to_be_visible()
    thumb.scroll_into_view_if_needed()
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    expect(page.locator("#evidence")).to_contain_text("新会员入会现场.jpg")
    _shot(page, "person-my-tasks-photo")
    context.close()
