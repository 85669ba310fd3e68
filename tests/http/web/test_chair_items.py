"""The chair corrects the plan in the browser: add an item, edit one, read a 时限 first."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    from conftest import Web


def _post(web: Web, path: str, form_page: str, **fields: Any) -> Any:
    data = {"csrf": web.csrf(form_page), **fields}
    return web.client.post(path, data=data, follow_redirects=False)


def test_the_deadline_preview_reads_a_shixian_in_the_plan_year(web: Web) -> None:
    web.login("hospital_chair")
    answer = web.client.get(f"{web.board}/deadline-preview", params={"text": "6月;12月"})
    assert answer.status_code == 200
    assert "6月30日" in answer.text and "12月31日" in answer.text
    assert "(2026-06-30)" in answer.text
    bad = web.client.get(f"{web.board}/deadline-preview", params={"text": "尽快"})
    assert bad.status_code == 200 and 'class="error' in bad.text


def test_a_chair_adds_an_item_with_a_typed_deadline_and_a_new_section(web: Web) -> None:
    web.login("hospital_chair")
    board = web.client.get(web.board).text
    assert f'href="/plans/{web.seeded.plan}/items/new"' in board
    form = f"{web.board}/items/new"
    page = web.client.get(form)
    assert page.status_code == 200 and 'src="/static/planlog.js"' in page.text
    fields = {
        "title": "开展职工技能竞赛",
        "new_section": "提升职工素质",
        "goal": "全院参与",
        "measures": "分科室初赛",
        "responsible": "工会办公室",
        "deadline": "每季度末",
        "target_label": ["参赛科室", ""],
        "target_value": ["12", ""],
        "target_unit": ["个", ""],
    }
    response = _post(web, form, form, **fields)
    assert response.status_code == 303, response.text
    target = response.headers["location"]
    found = re.search(r"/items/([0-9a-f-]+)\?done=add", target)
    assert found
    item_id = UUID(found.group(1))
    item = web.services.app.get_item(item_id)
    assert item.title == "开展职工技能竞赛" and item.responsible == "工会办公室"
    assert sorted(item.occurrences) == ["2026-03-31", "2026-06-30", "2026-09-30", "2026-12-31"]
    assert item.deadline_text == "每季度末"
    assert [t.text for t in item.details.targets] == ["参赛科室"]
    assert item.details.targets[0].unit == "个"
    plan = web.services.app.get_plan(web.seeded.plan)
    assert plan.section_by_title("提升职工素质") is not None
    shown = web.client.get(target.split("#")[0]).text
    assert "任务已添加" in shown and "王主席" in shown


def test_adding_by_dates_and_refusals_keep_what_was_typed(web: Web) -> None:
    web.login("hospital_chair")
    form = f"{web.board}/items/new"
    no_deadline = _post(web, form, form, title="没有时限的任务")
    assert no_deadline.status_code == 422 and "须填写时限或日期" in no_deadline.text
    assert 'value="没有时限的任务"' in no_deadline.text
    bad_date = _post(web, form, form, title="日期有误", dates="2026-02-30")
    assert bad_date.status_code == 422 and "日期第 1 行有误" in bad_date.text
    unreadable = _post(web, form, form, title="读不懂", deadline="尽快")
    assert unreadable.status_code == 422 and 'value="尽快"' in unreadable.text
    assert "无法识别这个时限" in unreadable.text
    preview = _post(web, form, form, title="预览", deadline="6月", action="preview")
    assert preview.status_code == 200 and "6月30日" in preview.text
    ok = _post(web, form, form, title="按日期", dates="2026-05-01\n2026-06-01~2026-06-15")
    assert ok.status_code == 303


def test_a_chair_edits_details_responsible_and_schedule_with_a_reason(web: Web) -> None:
    web.login("hospital_chair")
    item_id = web.seeded.items["report"]
    assert f'href="/items/{item_id}/edit"' in web.client.get(f"/items/{item_id}").text
    form = f"/items/{item_id}/edit"
    page = web.client.get(form)
    assert page.status_code == 200 and 'value="向上级工会报告工作"' in page.text
    sections = web.services.app.get_plan(web.seeded.plan).sections
    fields = {
        "version": str(web.version(item_id)),
        "title": "向上级工会书面报告工作",
        "number": "1",
        "section": next(s.section_id for s in sections if s.title == "健全工会组织"),
        "goal": "每半年报告一次",
        "responsible": "李明",
        "deadline": "7月;12月",
        "reason": "上级要求改为书面报告",
        "target_label": ["报告份数"],
        "target_value": ["2"],
        "target_unit": ["份"],
    }
    response = _post(web, form, form, **fields)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/items/{item_id}?done=edit#top"
    item = web.services.app.get_item(item_id)
    assert item.title == "向上级工会书面报告工作" and item.responsible == "李明"
    assert sorted(item.occurrences) == ["2026-07-31", "2026-12-31"]
    assert item.details.targets[0].text == "报告份数"
    types = [e["type"] for e in web.services.app.history(item_id)][-3:]
    assert types == ["Revised", "Reassigned", "Rescheduled"]
    shown = web.client.get(f"/items/{item_id}").text
    assert shown.count("上级要求改为书面报告") >= 3


def test_an_edit_that_changes_nothing_or_the_schedule_without_reason_is_refused(web: Web) -> None:
    web.login("hospital_chair")
    item_id = web.seeded.items["members"]
    form = f"/items/{item_id}/edit"
    same = {"version": str(web.version(item_id)), "title": "发展会员", "number": "2"}
    same |= {"section": web.services.app.get_item(item_id).section_id or ""}
    same |= {"responsible": "工会女工委员会", "target_label": "新增会员40名"}
    same |= {"target_value": "40", "target_unit": "名"}
    nothing = _post(web, form, form, **same)
    assert nothing.status_code == 422 and "没有修改任何内容" in nothing.text
    no_reason = _post(web, form, form, **same, dates="2026-04-30")
    assert no_reason.status_code == 422 and "须说明原因" in no_reason.text
    moved = _post(web, form, form, **same, dates="2026-04-30", reason="推迟一个月")
    assert moved.status_code == 303
    assert sorted(web.services.app.get_item(item_id).occurrences) == ["2026-04-30"]
    same["version"] = str(web.version(item_id))
    regrouped = _post(web, form, form, **same, new_section="会员发展")
    assert regrouped.status_code == 303
    section = web.services.app.get_plan(web.seeded.plan).section_by_title("会员发展")
    assert section and web.services.app.get_item(item_id).section_id == section.section_id


def test_only_chairs_edit_and_the_forms_need_their_token(web: Web) -> None:
    item_id = web.seeded.items["report"]
    web.login("hospital_editor")
    for path in (f"/items/{item_id}/edit", f"{web.board}/items/new"):
        refused = web.client.get(path)
        assert refused.status_code == 403 and "您的角色无权执行此操作" in refused.text
    assert "/edit" not in web.client.get(f"/items/{item_id}").text
    web.login("hospital_chair")
    forged = web.client.post(
        f"/items/{item_id}/edit", data={"title": "x", "csrf": "nope"}, follow_redirects=False
    )
    assert forged.status_code == 403
    web.login("other_chair")
    assert web.client.get(f"/items/{item_id}/edit").status_code == 404


def test_the_chair_pages_speak_english_on_request(web: Web) -> None:
    web.login("hospital_chair")
    item_id = web.seeded.items["report"]
    new = web.client.get(f"{web.board}/items/new?lang=en").text
    assert "Add item" in new and "Deadline as written" in new
    edit = web.client.get(f"/items/{item_id}/edit?lang=en").text
    assert "Edit the item" in edit and "Reason (kept in the history)" in edit
    reading = web.client.get(f"{web.board}/deadline-preview", params={"text": "6月"}).text
    assert "Jun 30" in reading  # the language is remembered
    settings = web.client.get(f"{web.board}/settings").text
    assert "Reminder policy" in settings and "Calendar feeds" in settings
    assert "Print the ledger" in web.client.get(web.board).text


def test_the_forms_take_the_apis_typed_limits_but_keep_longer_imported_text(web: Web) -> None:
    item_id = web.seeded.items["apply"]
    long_measures = "分步实施。" * 1_500  # 7,500 characters, as an imported document may carry
    web.services.app.revise(item_id, actor="导入", measures=long_measures)
    web.login("hospital_chair")
    form = f"/items/{item_id}/edit"
    item = web.services.app.get_item(item_id)
    fields = {"version": str(item.version), "title": item.title, "measures": long_measures}
    fields |= {"section": item.section_id or "", "deadline": item.deadline_text or ""}
    fields |= {"responsible": "李明"}
    kept = _post(web, form, form, **fields)
    assert kept.status_code == 303, kept.text
    assert web.services.app.get_item(item_id).details.measures == long_measures
    fields |= {"version": str(web.version(item_id)), "title": "长" * 301}
    too_long = _post(web, form, form, **fields)
    assert too_long.status_code == 422 and "≤ 300" in too_long.text
    new = f"{web.board}/items/new"
    refused = _post(web, new, new, title="长" * 301, deadline="6月")
    assert refused.status_code == 422 and "≤ 300" in refused.text
