"""The printable ledger (台账), now and as of a past date, and the home page's summary."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from planlog.domain.board import board_from_aggregates
from planlog.projections.queries import plan_overview

if TYPE_CHECKING:
    from conftest import Web


def test_the_ledger_prints_every_column_on_a4_landscape(web: Web) -> None:
    item = web.seeded.items["members"]
    web.services.app.report_progress(
        item, actor="赵丽", percent=60, note="已发展24名", evidence="https://example.org/a"
    )
    client = web.login("hospital_editor")
    assert f'href="{web.board}/print"' in client.get(web.board).text
    page = client.get(f"{web.board}/print")
    assert page.status_code == 200
    for column in ("序号", "部分", "标题", "责任人", "时限", "状态", "进度（%）", "进展情况"):
        assert f"<th>{column}</th>" in page.text
    for column in ("佐证材料链接", "逾期天数", "完成日期"):
        assert f"<th>{column}</th>" in page.text
    assert "已发展24名" in page.text and "https://example.org/a" in page.text
    assert "2026-01-01" in page.text  # the New Year race was completed that day
    css = client.get("/static/planlog.css").text
    assert "@page { size: A4 landscape" in css and "@media print" in css


def test_the_ledger_as_of_a_past_date_replays_it(web: Web) -> None:
    item = web.seeded.items["members"]
    web.services.app.report_progress(item, actor="赵丽", percent=60, note="已发展24名")
    client = web.login("hospital_auditor")
    then = client.get(f"{web.board}/print", params={"as_of": "2026-02-01"})
    assert then.status_code == 200
    assert "历史回放" in then.text and "已发展24名" not in then.text
    assert "截至 2026-02-01" in then.text
    early = client.get(f"{web.board}/print", params={"as_of": "2025-12-01"})
    assert early.status_code == 404 and "尚未创建" in early.text
    assert client.get(f"{web.board}/print", params={"as_of": "soon"}).status_code == 422


def test_the_home_page_says_completion_overdue_and_next_deadline(web: Web) -> None:
    web.services.app.create_plan(org="某区总工会", year=2026, title="区计划", actor="刘主席")
    client = web.login("city_chair")  # two plans in scope: the list, not a redirect
    page = client.get("/")
    assert page.status_code == 200
    assert "完成率" in page.text and "逾期" in page.text and "下一时限" in page.text
    plan = web.services.app.get_plan(web.seeded.plan)
    items = web.services.app.plan_items(plan.id)
    today = web.services.app.today()
    expected = plan_overview(board_from_aggregates(plan, items, today))
    assert f"{expected['percent_done']}%" in page.text
    # A missed deadline is counted as overdue, never shown as the next one.
    assert expected["next_due"] is None or date.fromisoformat(expected["next_due"]) >= today
    if expected["next_due"]:
        assert expected["next_title"] and expected["next_title"] in page.text
