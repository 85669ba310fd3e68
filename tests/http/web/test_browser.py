"""The web board in a real browser: Debian's Chromium driven by Playwright against a real
uvicorn server on loopback, with the demo plan and its simulated half year of history.

Screenshots of the main pages are kept in test-artifacts/screenshots/ (git-ignored) for
people to look at. Without /usr/bin/chromium these tests skip, except in CI (CI=true),
where a missing browser is a failure: a green CI must mean the pages were driven.
"""

from __future__ import annotations

import os
import re
import socket
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

from planlog.auth.tokens import create_token
from planlog.config import Settings
from planlog.demo import DEMO_ORG, DEMO_TREE, demo_plan_text, load_demo
from planlog.domain.model import DONE
from planlog.http.app import create_app
from planlog.service.app import PlanlogApp

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    base: str
    plan: UUID
    tokens: dict[str, str]
    url: str

    def open_item(self) -> tuple[UUID, str, int]:
        """An item of the demo with an open occurrence, and its percent now."""
        app = PlanlogApp(self.url)
        try:
            for item in app.plan_items(self.plan):
                if not item.cancelled and any(o.status != DONE for o in item.ordered_occurrences()):
                    return item.id, item.title, item.percent
        finally:
            app.close()
        raise AssertionError("the demo has no open item")

    def percent(self, item_id: UUID) -> int:
        app = PlanlogApp(self.url)
        try:
            return int(app.get_item(item_id).percent)
        finally:
            app.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'planlog.db'}"
    # History up to yesterday; everything the browser does is recorded today.
    plan = load_demo(url, date.today())
    app = create_app(Settings(database_url=url), background=False)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the server did not start"
    engine = app.state.services.engine
    city = DEMO_TREE[0][0]
    tokens = {
        "chair": create_token(engine, DEMO_ORG, "chair", "王主席")[1],
        "editor": create_token(engine, DEMO_ORG, "editor", "李明")[1],
        "city_chair": create_token(engine, city, "chair", "张主席")[1],
    }
    yield Site(f"http://127.0.0.1:{port}", plan, tokens, url)
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh (Debian's Chromium)"
        if _ci():
            pytest.fail(reason + " — browser tests cannot be skipped in CI")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def _page(browser: Any, site: Site, who: str, viewport: dict[str, int] = DESKTOP) -> Any:
    """A browser signed in as `who` the way a person does it: open the sign-in link,
    confirm on the page it shows, and land on an address without the token."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{site.base}/login?token={site.tokens[who]}")
    expect(page.get_by_role("heading", name=re.compile("身份登录？"))).to_be_visible()
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)
    assert "token" not in page.url
    return page


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_sign_in_read_the_board_report_progress_and_look_back(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "editor")
    # One plan in scope: signing in lands on its board.
    expect(page).to_have_url(re.compile(rf"/plans/{site.plan}$"))
    expect(page.get_by_role("heading", name="健全工会组织，规范工作制度")).to_be_visible()
    expect(page.get_by_role("heading", name="关心职工生活，开展送温暖活动")).to_be_visible()
    expect(page.locator(".item .light-done").first).to_be_visible()
    expect(page.locator(".light-overdue, .light-done").first).to_contain_text(
        re.compile("已逾期|已完成")
    )
    _shot(page, "board")

    item_id, title, before = site.open_item()
    card = page.locator(f'.item[data-item="{item_id}"]')
    expect(card.locator(".pct")).to_have_text(f"{before}%")
    card.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(rf"/items/{item_id}$"))
    expect(page.get_by_role("heading", name="报告进度")).to_be_visible()
    expect(page.get_by_text("取消事项")).to_have_count(0)  # editors do not cancel
    _shot(page, "item")

    new_percent = 95 if before < 95 else 99
    form = page.locator("form[action$='/progress']")
    form.get_by_label("进度（%）").fill(str(new_percent))
    form.get_by_label("说明").fill("浏览器测试：材料已汇总")
    form.get_by_role("button", name="报告进度").click()
    expect(page.get_by_text("进度已记录。")).to_be_visible()
    expect(page.locator(".timeline li").first).to_contain_text(
        f"报告进度 {new_percent}%：浏览器测试：材料已汇总"
    )
    expect(page.locator(".timeline li").first).to_contain_text("李明")

    page.get_by_role("link", name="工作进度").click()
    after = site.percent(item_id)
    assert after != before
    card = page.locator(f'.item[data-item="{item_id}"]')
    expect(card.locator(".pct")).to_have_text(f"{after}%")

    # The board as recorded yesterday: before the progress reported just now.
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page.goto(f"{site.base}/plans/{site.plan}/audit")
    page.get_by_label("截至").fill(yesterday)
    page.get_by_role("button", name="查看").first.click()
    expect(page.get_by_role("status").first).to_contain_text("历史回放")
    expect(page).to_have_url(re.compile(rf"as_of={yesterday}"))
    card = page.locator(f'.item[data-item="{item_id}"]')
    expect(card.locator(".pct")).to_have_text(f"{before}%")
    page.context.close()


def test_the_sign_in_link_asks_first_and_the_cookie_is_a_session_not_the_token(
    browser: Any, site: Site
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{site.base}/login?token={site.tokens['editor']}")
    # Opening the link alone signs nobody in.
    expect(page.get_by_role("heading", name="以 李明 身份登录？")).to_be_visible()
    assert not [c for c in context.cookies() if c["name"] == "planlog_session"]
    _shot(page, "sign-in-confirm")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(rf"/plans/{site.plan}$"))
    session = next(c for c in context.cookies() if c["name"] == "planlog_session")
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == "/"
    assert site.tokens["editor"] not in session["value"]

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("status")).to_contain_text("您已退出登录")
    # The cookie from before the sign-out, put back, opens nothing.
    context.add_cookies([{k: session[k] for k in ("name", "value", "domain", "path")}])
    page.goto(f"{site.base}/plans/{site.plan}")
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    context.close()


def test_screenshots_of_the_other_pages(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    page.goto(f"{site.base}/plans/{site.plan}/calendar")
    expect(page.get_by_role("heading", name=re.compile("时限日历"))).to_be_visible()
    expect(page.locator(".today-row")).to_be_visible()
    _shot(page, "calendar")

    page.goto(f"{site.base}/plans/{site.plan}/audit")
    # The chain covers every organisation: a union under a district does not verify it.
    expect(page.get_by_text(re.compile("仅顶级组织的主席和审计可校验"))).to_be_visible()
    expect(page.locator("table.diff tbody tr").first).to_be_visible()
    # The screenshot shows the first months, where the demo's scripted changes give reasons.
    year = date.today().year
    page.goto(f"{site.base}/plans/{site.plan}/audit?from={year}-01-01&to={year}-04-30")
    _shot(page, "audit")

    page.goto(f"{site.base}/import")
    page.get_by_label("粘贴计划文本").fill(demo_plan_text())
    page.get_by_label("标题").fill("截图用计划")
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_role("heading", name="导入预览")).to_be_visible()
    expect(page.locator("table.preview tbody tr")).to_have_count(24)
    _shot(page, "import-preview")
    page.context.close()

    city = _page(browser, site, "city_chair")
    city.goto(f"{site.base}/plans/{site.plan}/audit")
    expect(city.get_by_text(re.compile("完整：已校验 \\d+ 个事件"))).to_be_visible()
    city.goto(f"{site.base}/orgs")
    expect(city.locator(".org-name").first).to_have_text(DEMO_TREE[0][0])
    expect(city.locator(".org-name")).to_have_count(len(DEMO_TREE))
    _shot(city, "federation")
    city.context.close()


def test_the_board_on_a_phone(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "editor", viewport=PHONE)
    expect(page.locator(".totals")).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the board is {width}px wide on a {PHONE['width']}px phone"
    _shot(page, "board-phone")
    page.context.close()


def test_a_chair_moves_one_occurrence_with_a_reason(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    item_id, _, _ = site.open_item()
    app = PlanlogApp(site.url)
    try:
        item = app.get_item(item_id)
        first = next(o for o in item.ordered_occurrences() if o.status != DONE)
        taken = {o.due for o in item.ordered_occurrences()}
    finally:
        app.close()
    year = first.due.year
    new_due = next(d for d in (date(year, 12, 30 - n) for n in range(28)) if d not in taken)

    page = _page(browser, site, "chair")
    page.goto(f"{site.base}/items/{item_id}")
    page.get_by_text("调整时限 /").click()  # the chair's <details>
    form = page.locator("form[action$='/move']")
    form.get_by_label("时限").select_option(first.due.isoformat())
    form.get_by_label("新的截止日期").fill(new_due.isoformat())
    form.get_by_label("原因").fill("浏览器测试：上级通知延期")
    form.get_by_role("button", name="调整时限").click()
    expect(page.get_by_text("时限已调整。")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/items/{item_id}\?done=move"))
    expect(page.locator(".timeline li").first).to_contain_text("浏览器测试：上级通知延期")
    page.context.close()


# ------------------------------------------------------------------ the chair's flows (issue 14)


def _no_sideways_scroll(page: Any, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width}px wide on a {PHONE['width']}px phone"


def test_a_chair_adds_an_item_reading_the_deadline_first(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    page.get_by_role("link", name="添加任务").click()
    expect(page).to_have_url(re.compile(rf"/plans/{site.plan}/items/new$"))
    form = page.locator("#item-form")
    form.get_by_label("标题").fill("浏览器测试：开展职工技能竞赛")
    form.get_by_label("或新建部分").fill("提升职工素质")
    form.get_by_label("目标", exact=True).fill("全院各科室参与")
    form.get_by_label("责任人", exact=True).fill("工会办公室")
    form.get_by_label("目标名称").first.fill("参赛科室")
    form.get_by_label("目标数值").first.fill("12")
    form.get_by_label("单位").first.fill("个")
    form.get_by_label(re.compile("^时限（按计划原文填写")).fill("每季度末")
    # Read by the server while typing (our own script, allowed by the page's CSP).
    reading = page.locator("#reading")
    expect(reading).to_contain_text("3月31日")
    expect(reading).to_contain_text("12月31日")
    _shot(page, "chair-add-item")
    form.get_by_role("button", name="添加任务").click()
    expect(page.get_by_text("任务已添加。")).to_be_visible()
    expect(page.get_by_role("heading", name="浏览器测试：开展职工技能竞赛")).to_be_visible()
    expect(page.locator(".timeline li").first).to_contain_text("王主席")
    _shot(page, "chair-add-item-saved")
    page.context.close()


def test_the_add_item_form_reads_a_deadline_without_script_too(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{site.base}/login?token={site.tokens['chair']}")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{site.base}/plans/{site.plan}/items/new")
    page.get_by_label(re.compile("^时限（按计划原文填写")).fill("6月;12月")
    page.get_by_role("button", name="预览时限解读").click()
    expect(page.locator("#reading")).to_contain_text("6月30日")
    _no_sideways_scroll(page, "the add-item form")
    _shot(page, "chair-add-item-phone")
    context.close()


def test_a_chair_edits_an_item_with_a_reason(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    item_id, _, _ = site.open_item()
    page = _page(browser, site, "chair")
    page.goto(f"{site.base}/items/{item_id}")
    page.get_by_role("link", name="编辑").click()
    expect(page).to_have_url(re.compile(rf"/items/{item_id}/edit$"))
    form = page.locator("#item-form")
    form.get_by_label("责任人", exact=True).fill("李明")
    form.get_by_label("措施").fill("浏览器测试：每月调度一次")
    form.get_by_label(re.compile("^时限（按计划原文填写")).fill("11月;12月")
    expect(page.locator("#reading")).to_contain_text("11月30日")
    form.get_by_label("修改原因").fill("浏览器测试：党委会调整分工")
    _shot(page, "chair-edit-item")
    form.get_by_role("button", name="保存修改").click()
    expect(page.get_by_text("修改已保存")).to_be_visible()
    expect(page.locator(".item-meta.big")).to_contain_text("李明")
    history = page.locator(".timeline li")
    for n in range(3):  # revised, reassigned, rescheduled: each with who and why
        expect(history.nth(n)).to_contain_text("浏览器测试：党委会调整分工")
        expect(history.nth(n)).to_contain_text("王主席")
    _shot(page, "chair-edit-item-history")
    page.context.close()


def test_a_chair_configures_sections_reminders_channels_and_feeds(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    page.get_by_role("link", name="设置").click()
    expect(page).to_have_url(re.compile(rf"/plans/{site.plan}/settings$"))

    sections = page.locator("#sections")
    sections.get_by_label("新增部分").fill("浏览器测试部分")
    sections.get_by_role("button", name="新增部分").click()
    expect(page.get_by_text("部分已保存。")).to_be_visible()

    policy = page.locator("#policy")
    policy.get_by_label("提前提醒天数").fill("10,3")
    policy.get_by_role("button", name="提交").click()
    expect(page.get_by_text("提醒规则已保存。")).to_be_visible()
    expect(page.locator("#policy").get_by_label("提前提醒天数")).to_have_value("10,3")

    channels = page.locator("#channels")
    channels.locator("form").first.get_by_label("渠道地址").fill("json://127.0.0.1:9/hook")
    channels.get_by_role("button", name="提交").click()
    expect(page.get_by_text("提醒渠道已保存。")).to_be_visible()
    page.locator("#channels").get_by_role("button", name="发送测试消息").click()
    expect(page.locator(".test-result")).to_contain_text("发送失败")  # nothing listens there
    _shot(page, "chair-settings-test-message")

    feeds = page.locator("#feeds")
    feeds.get_by_role("button", name="创建订阅").click()
    link = page.locator("#new-feed")
    expect(link).to_have_value(re.compile(r"/feeds/cal_.+\.ics$"))
    expect(page.get_by_role("button", name="复制")).to_be_visible()  # the script shows it
    _shot(page, "chair-settings")
    page.get_by_role("button", name="撤销").first.click()
    expect(page.get_by_text("订阅已撤销。")).to_be_visible()
    page.context.close()

    editor = _page(browser, site, "editor")
    editor.goto(f"{site.base}/plans/{site.plan}/settings")
    expect(editor.get_by_text("您的角色无权执行此操作。")).to_be_visible()
    editor.context.close()


def test_the_ledger_prints_on_a4_landscape_and_as_of_a_date(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    page.get_by_role("link", name="打印台账").click()
    expect(page).to_have_url(re.compile(rf"/plans/{site.plan}/print$"))
    table = page.locator("table.ledger-table")
    for column in ("序号", "责任人", "进展情况", "佐证材料链接", "逾期天数", "完成日期"):
        expect(table.get_by_role("columnheader", name=column)).to_be_visible()
    expect(page.get_by_role("button", name="打印")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.top")).to_be_hidden()
    _shot(page, "chair-print")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS / "chair-print.pdf"), prefer_css_page_size=True)
    page.emulate_media(media="screen")

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page.get_by_label("截至日期").fill(yesterday)
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"as_of={yesterday}"))
    expect(page.get_by_role("status").first).to_contain_text("历史回放")
    expect(page.locator(".ledger-head")).to_contain_text(f"截至 {yesterday}")
    _shot(page, "chair-print-as-of")
    page.context.close()


def test_the_settings_page_on_a_phone(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair", viewport=PHONE)
    page.goto(f"{site.base}/plans/{site.plan}/settings")
    expect(page.get_by_role("heading", name="提醒规则")).to_be_visible()
    _no_sideways_scroll(page, "the settings page")
    _shot(page, "chair-settings-phone")
    page.context.close()


def test_a_chair_renames_the_plan_and_reorders_its_sections(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    page.goto(f"{site.base}/plans/{site.plan}/settings")
    title = page.locator("#title")
    title.get_by_label("计划名称").fill("浏览器测试：2026年度工会工作计划")
    title.get_by_label("原因").fill("浏览器测试：按正式发文名称")
    _shot(page, "chair-rename-plan")
    title.get_by_role("button", name="修改计划名称").click()
    expect(page.get_by_text("计划名称已修改。")).to_be_visible()
    expect(page.locator("#title").get_by_label("计划名称")).to_have_value(
        "浏览器测试：2026年度工会工作计划"
    )

    rows = page.locator("#sections .section-row input[name='title']")
    first, second = rows.nth(0).input_value(), rows.nth(1).input_value()
    page.get_by_role("button", name=f"上移：{second}").click()
    expect(page.get_by_text("部分顺序已调整。")).to_be_visible()
    rows = page.locator("#sections .section-row input[name='title']")
    expect(rows.nth(0)).to_have_value(second)
    expect(rows.nth(1)).to_have_value(first)
    _shot(page, "chair-reorder-sections")
    page.goto(f"{site.base}/plans/{site.plan}")
    expect(page.get_by_role("heading", level=1)).to_have_text("浏览器测试：2026年度工会工作计划")
    headings = page.locator("section.section h2")
    expect(headings.nth(0)).to_contain_text(second)
    page.context.close()


def test_the_board_says_how_many_days_each_late_row_is_overdue(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    late = page.locator("li.item-overdue")
    expect(late.first).to_be_visible()
    expect(late.first.locator(".days-overdue")).to_have_text(re.compile(r"^逾期\d+天$"))
    for n in range(late.count()):  # every late row says it, not only the first
        expect(late.nth(n).locator(".days-overdue")).to_be_visible()
    late.first.scroll_into_view_if_needed()
    _shot(page, "board-days-overdue")
    page.context.close()


def test_a_chair_records_work_already_done_in_bulk(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    page.get_by_role("link", name="补录已完成").click()
    expect(page).to_have_url(re.compile(rf"/plans/{site.plan}/backfill$"))
    rows = page.locator("#backfill-form tbody tr")
    assert rows.count() >= 2, "the demo has past-due open deadlines"
    picked = []
    for n in range(2):
        row = rows.nth(n)
        picked.append(row.locator("label").inner_text())
        row.get_by_role("checkbox").check()
        due = row.locator("input[name='done_on']").input_value()
        earlier = date.fromisoformat(due) - timedelta(days=2)
        row.locator("input[name='done_on']").fill(earlier.isoformat())
        row.locator("input[name='note']").fill(f"浏览器测试：补录第{n + 1}项")
    _shot(page, "chair-backfill")
    page.get_by_role("button", name="补录所选").click()
    result = page.locator("#result")
    expect(result).to_contain_text("已补录 2 项，未能补录 0 项")
    expect(result.locator(".result-ok")).to_have_count(2)
    _shot(page, "chair-backfill-done")


REVIEWED_PLAN = (
    "一、组织建设\n1、健全制度。时限：3月底前\n2、四月份举办职工技能竞赛。\n3、加强学习。\n"
)


def test_the_chair_reviews_an_import_then_confirms_what_was_shown(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    page.goto(f"{site.base}/import")
    page.get_by_label("粘贴计划文本").fill(REVIEWED_PLAN)
    page.get_by_label("标题").fill("审阅后导入的计划")
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_role("heading", name="导入预览")).to_be_visible()
    rows = page.locator("table.preview tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_have_class(re.compile("flagged"))  # no 时限: due at year end

    page.get_by_label("工作任务 1", exact=True).fill("健全工会各项制度")
    page.get_by_label("时限（原文） 3", exact=True).fill("9月底前")
    page.get_by_label("删除 2", exact=True).check()
    page.get_by_role("button", name="更新预览").click()
    expect(page.get_by_role("heading", name="导入预览")).to_be_visible()
    expect(rows.nth(1)).to_have_class(re.compile("dropped"))
    expect(rows.nth(2).locator("td.reading")).to_contain_text("9月30日")  # read again
    expect(rows.nth(2)).to_contain_text("手填")
    expect(page.get_by_label("工作任务 1", exact=True)).to_have_value("健全工会各项制度")
    _shot(page, "chair-import-review")

    page.get_by_role("button", name="确认导入").click()
    expect(page).to_have_url(re.compile(r"/plans/[0-9a-f-]+\?imported=new$"))
    expect(page.get_by_role("status").first).to_be_visible()
    expect(page.get_by_text("健全工会各项制度").first).to_be_visible()
    expect(page.get_by_text("加强学习").first).to_be_visible()
    expect(page.get_by_text("举办职工技能竞赛")).to_have_count(0)  # dropped: not imported
    _shot(page, "chair-import-confirmed")
    page.context.close()


def test_the_auditor_reads_a_summary_then_pages_the_timeline(browser: Any, site: Site) -> None:
    from playwright.sync_api import expect

    page = _page(browser, site, "chair")
    page.goto(f"{site.base}/plans/{site.plan}/audit")
    summary = page.locator("#summary")
    expect(summary.get_by_role("heading", name="变更概要")).to_be_visible()
    expect(summary.locator("table.by-kind tbody tr").first).to_be_visible()
    expect(summary.locator("table.by-person tbody tr").first).to_be_visible()
    expect(summary.get_by_role("heading", name=re.compile("逾期完成"))).to_be_visible()
    expect(summary.get_by_role("heading", name=re.compile("调整时限"))).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.locator("table.diff tbody tr")).to_have_count(50)
    expect(timeline.locator(".pager-status")).to_contain_text("第 1/")
    _shot(page, "auditor-summary")

    timeline.get_by_role("link", name="下一页").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("#timeline .pager-status")).to_contain_text("第 2/")
    expect(page.locator("#timeline").get_by_role("link", name="上一页")).to_be_visible()
    page.locator("#timeline").scroll_into_view_if_needed()
    _shot(page, "auditor-timeline-page-2")

    # A filter keeps to its person on every page.
    page.locator("#timeline").get_by_label("人员").select_option("王主席")
    page.locator("#timeline").get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"actor=%E7%8E%8B%E4%B8%BB%E5%B8%AD"))
    whos = page.locator("#timeline table.diff tbody tr td:nth-child(2)")
    expect(whos.first).to_have_text("王主席")
    assert set(whos.all_inner_texts()) == {"王主席"}
    page.context.close()
