"""The audit page an auditor reads (issue 14): a summary first, then a paged, filtered
timeline that keeps its filters from page to page."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Web


def _busy(web: Web, reports: int = 0) -> None:
    """A late completion, a postponement with its reason, and `reports` progress reports."""
    app, items = web.services.app, web.seeded.items
    app.complete(items["members"], actor="李明", done_on=date(2026, 4, 10), note="补交")
    app.move_occurrence(
        items["report"], "2026-06-30", date(2026, 7, 15), actor="王主席", reason="等待上级通知"
    )
    for percent in range(1, reports + 1):
        app.report_progress(items["apply"], actor="李明", percent=percent)


def _audit(web: Web, **params: str) -> str:
    client = web.login("hospital_auditor")
    response = client.get(f"{web.board}/audit", params={"from": "2026-01-01", **params})
    assert response.status_code == 200, response.text
    return response.text


def _count(page: str, css: str, label: str) -> int:
    table = page[page.index(f"counts {css}") :]
    found = re.search(rf"{re.escape(label)}</(?:span|td)>(?:</td>)?<td class=\"num\">(\d+)", table)
    assert found, label
    return int(found.group(1))


def test_the_summary_counts_by_kind_and_person_and_lists_late_and_postponed(web: Web) -> None:
    _busy(web, reports=3)
    page = _audit(web)
    assert page.index("变更概要") < page.index("变更明细")  # the summary comes first
    assert _count(page, "by-kind", "报告进度") == 3
    assert _count(page, "by-kind", "完成") == 2  # the seeded race (on time) and the late one
    assert _count(page, "by-kind", "新增") == 4
    assert _count(page, "by-person", "李明") == 4
    # The plan's own changes count too: the seeded plan's two sections.
    assert _count(page, "by-kind", "新增部分") == 2
    assert _count(page, "by-person", "王主席") == 7
    assert "共 12 项变更" in page
    late = page[page.index('class="plain late-completions"') :]
    assert "发展会员" in late and "晚 10 天" in late
    assert "组织元旦长跑" not in late.split("</ul>")[0]  # done on its due day: not late
    postponed = page[page.index('class="plain postponements"') :].split("</ul>")[0]
    assert "向上级工会报告工作" in postponed and "等待上级通知" in postponed


def test_the_timeline_is_paged_fifty_rows_a_page_keeping_the_filters(web: Web) -> None:
    _busy(web, reports=60)
    first = _audit(web)
    assert first.count('<tr>\n      <td class="nowrap">') == 50
    assert "第 1/2 页，共 69 条" in first
    link = re.search(r'href="([^"]*page=2[^"]*)" rel="next"', first)
    assert link and 'rel="prev"' not in first
    second = web.client.get(link.group(1).replace("&amp;", "&")).text
    assert "第 2/2 页，共 69 条" in second and 'rel="next"' not in second
    assert second.count('<tr>\n      <td class="nowrap">') == 19
    # A filter narrows the rows and its links keep it.
    mine = _audit(web, actor="李明")
    assert "第 1/2 页，共 61 条" in mine
    nxt = re.search(r'href="([^"]*)" rel="next"', mine)
    assert nxt and "actor=%E6%9D%8E%E6%98%8E" in nxt.group(1) and "from=2026-01-01" in nxt.group(1)


def test_the_timeline_filters_by_person(web: Web) -> None:
    _busy(web)
    page = _audit(web, actor="孙强")
    assert "共 1 条" in page and "组织元旦长跑" in page


def test_the_timeline_filters_by_kind(web: Web) -> None:
    _busy(web)
    page = _audit(web, kind="rescheduled")
    rows = page[page.index('id="timeline"') :]
    assert "共 1 条" in rows and "等待上级通知" in rows and "报告进度</span>" not in rows


def test_the_timeline_filters_by_item(web: Web) -> None:
    _busy(web)
    page = _audit(web, item=str(web.seeded.items["members"]))
    rows = page[page.index('table class="table diff"') :]
    assert "共 2 条" in page  # added, then completed late
    assert "发展会员" in rows and "向上级工会报告工作" not in rows


def test_the_timeline_filters_by_dates(web: Web) -> None:
    _busy(web)
    page = _audit(web, to="2026-01-01")
    assert "该时段内没有变更" in page or "共 0 项变更" in page
    assert "共 0 项变更" in page


def test_a_page_past_the_end_shows_the_last(web: Web) -> None:
    _busy(web)
    page = _audit(web, page="9")
    assert "第 1/1 页" in page


def test_changes_to_the_plan_itself_are_in_the_timeline(web: Web) -> None:
    web.services.app.set_reminder_policy(web.seeded.plan, {"lead_days": [14]}, actor="王主席")
    page = _audit(web, kind="policy_set")
    assert "修改提醒规则" in page and "共 1 条" in page
