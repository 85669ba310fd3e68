"""The web board over plain HTTP (TestClient): sign-in, pages, roles, forms, CSRF, language."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from planlog.auth.tokens import authenticate, revoke_token
from planlog.demo import demo_plan_text

if TYPE_CHECKING:
    from conftest import Web

# --------------------------------------------------------------------------- signing in


def test_login_sets_an_httponly_samesite_cookie_and_redirects_home(web: Web) -> None:
    response = web.sign_in(web.tokens["hospital_chair"])
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("planlog_session=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback


def test_login_over_https_marks_the_cookie_secure(web: Web) -> None:
    response = web.sign_in(web.tokens["hospital_chair"], base="https://testserver")
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_a_bad_token_is_a_chinese_401_page(web: Web) -> None:
    response = web.client.get("/login?token=pl_nonsense", follow_redirects=False)
    assert response.status_code == 401
    assert "text/html" in response.headers["content-type"]
    assert "令牌无效或已被撤销" in response.text
    assert "planlog_session" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/plans/{plan}",
        "/plans/{plan}/calendar",
        "/plans/{plan}/audit",
        "/orgs",
        "/import",
        "/items/{item}",
        "/plans/{plan}/export/board.csv",
    ],
)
def test_pages_without_a_session_redirect_to_the_sign_in_help(web: Web, path: str) -> None:
    target = path.format(plan=web.seeded.plan, item=web.seeded.items["report"])
    response = web.client.get(target, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")
    help_page = web.client.get(response.headers["location"])
    assert help_page.status_code == 200
    assert "访问令牌" in help_page.text and "planlog token create" in help_page.text


def test_a_form_post_without_a_session_redirects_too(web: Web) -> None:
    item = web.seeded.items["report"]
    response = web.client.post(
        f"/items/{item}/progress", data={"percent": "10"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_the_sign_in_form_posts_the_token(web: Web) -> None:
    signin = web.client.get("/signin?next=/orgs")
    data = {
        "token": web.tokens["hospital_editor"],
        "next": web.form_value(signin.text, "next"),
        "csrf": web.form_value(signin.text, "csrf"),
    }
    response = web.client.post("/login", data=data, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/orgs"
    assert "HttpOnly" in response.headers["set-cookie"]
    bad = web.client.post("/login", data={**data, "token": "pl_wrong"}, follow_redirects=False)
    assert bad.status_code == 401 and "令牌无效" in bad.text


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(web: Web) -> None:
    token = web.tokens["hospital_chair"]
    back = web.sign_in(token, next="/orgs")
    assert back.headers["location"] == "/orgs"
    away = web.sign_in(token, next="//evil.example")
    assert away.headers["location"] == "/"


def test_revoking_the_token_signs_the_browser_out(web: Web) -> None:
    client = web.login("hospital_editor")
    assert client.get(web.board).status_code == 200
    principal = authenticate(web.services.engine, web.tokens["hospital_editor"])
    assert principal is not None
    revoke_token(web.services.engine, principal.token_id)
    response = client.get(web.board, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_logout_forgets_the_session(web: Web) -> None:
    client = web.login("hospital_chair")
    response = client.get("/logout", follow_redirects=False)
    assert response.status_code == 303
    assert 'planlog_session=""' in response.headers["set-cookie"]
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/signin")


# --------------------------------------------------------------------------- pages


def test_home_with_one_plan_goes_straight_to_its_board(web: Web) -> None:
    client = web.login("hospital_chair")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == web.board


def test_home_lists_the_plans_in_scope(web: Web) -> None:
    web.services.app.create_plan(org="某区总工会", year=2026, title="区计划", actor="刘主席")
    client = web.login("city_chair")
    page = client.get("/")
    assert page.status_code == 200
    assert "2026年工会工作计划" in page.text and "区计划" in page.text
    assert "外市计划" not in page.text


def test_the_board_shows_sections_lights_responsible_targets_and_totals(web: Web) -> None:
    client = web.login("hospital_chair")
    page = client.get(f"{web.board}?now=2026-07-01")
    assert page.status_code == 200
    text = page.text
    for words in ("健全工会组织", "建设职工之家", "向上级工会报告工作", "工会办公室"):
        assert words in text
    # 3月31日 passed without completion: red, with its label; the race was done: green.
    assert 'class="light light-overdue"' in text and "已逾期" in text
    assert 'class="light light-done"' in text and "已完成" in text
    assert "6月1日—8月31日" in text  # a window as a range
    assert "新增会员40名" in text  # a target with its current value
    assert "红绿灯按 7月1日 判断" in text
    assert 'role="progressbar"' in text


def test_board_filters_by_responsible_status_and_quick_filters(web: Web) -> None:
    client = web.login("hospital_chair")
    mine = client.get(web.board, params={"responsible": "工会办公室"}).text
    assert "向上级工会报告工作" in mine and "发展会员" not in mine
    late = client.get(web.board, params={"quick": "overdue", "now": "2026-07-01"}).text
    assert "发展会员" in late and "向上级工会报告工作" in late  # 6月30日 also passed
    assert "组织元旦长跑" not in late
    done = client.get(web.board, params={"status": "done"}).text
    assert "组织元旦长跑" in done and "发展会员" not in done
    june = client.get(web.board, params={"quick": "month", "now": "2026-06-15"}).text
    assert "向上级工会报告工作" in june and "各科室工会申报模范职工之家" in june
    assert "发展会员" not in june
    soon = client.get(web.board, params={"quick": "next30", "now": "2026-06-10"}).text
    assert "向上级工会报告工作" in soon and "发展会员" not in soon
    nothing = client.get(web.board, params={"responsible": "无此人"}).text
    assert "没有符合条件的事项" in nothing


def test_the_calendar_shows_the_year_by_month_with_windows_and_today(web: Web) -> None:
    client = web.login("hospital_editor")
    page = client.get(f"{web.board}/calendar", params={"now": "2026-07-01"})
    assert page.status_code == 200
    text = page.text
    assert all(f"{month}月" in text for month in range(1, 13))
    assert "6月1日—8月31日" in text and 'class="gantt-bar' in text
    assert "今天 7月1日" in text and "本月" in text


def test_the_item_page_shows_details_occurrences_and_history(web: Web) -> None:
    client = web.login("hospital_auditor")
    page = client.get(f"/items/{web.seeded.items['report']}")
    assert page.status_code == 200
    text = page.text
    assert "每半年报告一次" in text and "6月;12月" in text
    assert "6月30日" in text and "12月31日" in text
    assert "新增事项“向上级工会报告工作”" in text and "王主席" in text


def test_history_and_diff_summaries_are_in_english_on_request(web: Web) -> None:
    web.services.app.cancel_item(web.seeded.items["race"], actor="王主席", reason="场地改造")
    client = web.login("hospital_auditor")
    item = client.get(f"/items/{web.seeded.items['report']}", params={"lang": "en"}).text
    assert "Added item “向上级工会报告工作”" in item and "新增事项" not in item
    audit = client.get(f"{web.board}/audit", params={"from": "2026-01-01", "lang": "en"}).text
    assert "Cancelled the item" in audit and "取消事项" not in audit


def test_the_federation_rolls_up_the_tree_in_scope(web: Web) -> None:
    client = web.login("city_chair")
    page = client.get("/orgs", params={"now": "2026-07-01"})
    assert page.status_code == 200
    text = page.text
    assert text.index("某市总工会") < text.index("某区总工会") < text.index("某医院工会")
    assert "外市总工会" not in text
    assert "逾期 2" in text and "2026年工会工作计划" in text
    hospital = web.login("hospital_chair").get("/orgs").text
    assert "某医院工会" in hospital and "某区总工会" not in hospital


def test_the_audit_view_has_as_of_diff_chain_and_exports(web: Web) -> None:
    web.services.app.cancel_item(web.seeded.items["race"], actor="王主席", reason="场地改造")
    client = web.login("hospital_auditor")
    page = client.get(f"{web.board}/audit", params={"from": "2026-01-01"})
    assert page.status_code == 200
    text = page.text
    assert 'type="date" name="as_of"' in text
    assert "场地改造" in text and "取消" in text  # when, who, what, why
    for kind in ("board.csv", "board.xlsx", "history.jsonl", "calendar.ics"):
        assert f"/plans/{web.seeded.plan}/export/{kind}" in text
    top = web.login("city_chair").get(f"{web.board}/audit").text
    assert "完整：已校验" in top
    editor = web.login("hospital_editor").get(f"{web.board}/audit").text
    assert "仅主席和审计可校验审计链" in editor


def test_an_auditor_below_the_top_is_not_shown_the_whole_log_verification(web: Web) -> None:
    """The chain covers every organisation: its report may name another one's event."""
    text = web.login("hospital_auditor").get(f"{web.board}/audit").text
    assert "仅顶级组织的主席和审计可校验" in text
    assert "完整：已校验" not in text


@pytest.mark.parametrize(
    ("kind", "media"),
    [
        ("board.csv", "text/csv"),
        ("board.xlsx", "application/vnd.openxmlformats"),
        ("history.jsonl", "application/x-ndjson"),
        ("calendar.ics", "text/calendar"),
    ],
)
def test_exports_work_with_the_session_cookie(web: Web, kind: str, media: str) -> None:
    client = web.login("hospital_auditor")
    response = client.get(f"{web.board}/export/{kind}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.content


def test_an_unknown_export_is_a_404_page(web: Web) -> None:
    response = web.login("hospital_chair").get(f"{web.board}/export/board.docx")
    assert response.status_code == 404
    assert "未找到" in response.text


def test_as_of_replays_the_board_as_recorded_then(web: Web) -> None:
    item = web.seeded.items["members"]
    web.services.app.report_progress(item, actor="赵丽", percent=60, note="已发展24名")
    client = web.login("hospital_chair")
    now = client.get(web.board).text
    assert "60%" in now
    then = client.get(web.board, params={"as_of": "2026-02-01"})
    assert then.status_code == 200
    assert "历史回放" in then.text and "60%" not in then.text
    before = client.get(web.board, params={"as_of": "2025-12-01"})
    assert before.status_code == 404 and "尚未创建" in before.text


# --------------------------------------------------------------------------- roles


def test_an_editor_sees_the_progress_form_but_not_cancel(web: Web) -> None:
    page = web.login("hospital_editor").get(f"/items/{web.seeded.items['report']}").text
    assert "/progress" in page and "/complete" in page
    assert "/cancel" not in page and "/reopen" not in page


def test_a_chair_may_also_reopen_and_cancel(web: Web) -> None:
    page = web.login("hospital_chair").get(f"/items/{web.seeded.items['race']}").text
    assert "/reopen" in page and "/cancel" in page


def test_an_auditor_sees_no_forms(web: Web) -> None:
    page = web.login("hospital_auditor").get(f"/items/{web.seeded.items['report']}").text
    assert page.count("<form") == page.count('action="/logout"') == 1  # only signing out
    assert "您的角色只能查看" in page


def test_another_organisations_plan_and_item_are_404_pages(web: Web) -> None:
    client = web.login("hospital_chair")
    other_item = web.services.app.get_plan(web.seeded.other_plan).item_ids[0]
    for path in (
        f"/plans/{web.seeded.other_plan}",
        f"/plans/{web.seeded.other_plan}/calendar",
        f"/plans/{web.seeded.other_plan}/audit",
        f"/plans/{web.seeded.other_plan}/export/board.csv",
        f"/items/{other_item}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "不在您的组织范围内" in response.text
        assert "外市" not in response.text


def test_nonsense_ids_and_dates_are_pages_not_server_errors(web: Web) -> None:
    client = web.login("hospital_chair")
    assert client.get("/items/not-a-uuid").status_code == 404
    assert client.get("/plans/123").status_code == 404
    bad = client.get(web.board, params={"as_of": "yesterday"})
    assert bad.status_code == 422 and "ISO 8601" in bad.text
    assert client.get(web.board, params={"status": "<script>", "quick": "x"}).status_code == 200


def test_an_item_as_of_a_past_date_is_read_only(web: Web) -> None:
    item = web.seeded.items["members"]
    web.services.app.report_progress(item, actor="赵丽", percent=60, note="已发展24名")
    page = web.login("hospital_chair").get(f"/items/{item}", params={"as_of": "2026-02-01"})
    assert page.status_code == 200
    assert "截至" in page.text
    assert page.text.count("<form") == page.text.count('action="/logout"') == 1
    assert "已发展24名" not in page.text


@pytest.mark.parametrize(
    "fields",
    [
        {"percent": "1e3"},
        {"percent": "-1"},
        {"target": "99", "value": "5"},
        {"target": "0", "value": "nan"},
        {"value": "inf"},
        {"occurrence": "2026-13-01", "percent": "5"},
        {"occurrence": "2026-05-05", "percent": "5"},
        {"percent": "5", "note": "长" * 3000},
        {"percent": "5", "version": "99999999999999999999"},
    ],
)
def test_odd_form_input_is_refused_as_a_page(web: Web, fields: dict[str, str]) -> None:
    web.login("hospital_editor")
    response = _progress(web, web.seeded.items["members"], **fields)
    assert 400 <= response.status_code < 500, response.text
    assert "text/html" in response.headers["content-type"]


def test_odd_completion_dates_are_refused_as_a_page(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    data = {"csrf": web.csrf(f"/items/{item}"), "done_on": "tomorrow"}
    response = web.client.post(f"/items/{item}/complete", data=data)
    assert response.status_code == 422 and "日期格式有误" in response.text


def test_an_editor_may_not_cancel_or_import(web: Web) -> None:
    client = web.login("hospital_editor")
    item = web.seeded.items["report"]
    csrf = web.csrf(f"/items/{item}")
    refused = client.post(f"/items/{item}/cancel", data={"csrf": csrf, "reason": "不做了"})
    assert refused.status_code == 403 and "无权" in refused.text
    assert not web.services.app.get_item(item).cancelled
    assert client.get("/import").status_code == 403


# --------------------------------------------------------------------------- writing


def _progress(web: Web, item: Any, **fields: str) -> Any:
    data = {"csrf": web.csrf(f"/items/{item}"), "version": str(web.version(item)), **fields}
    return web.client.post(f"/items/{item}/progress", data=data, follow_redirects=False)


def test_progress_through_the_form_shows_on_the_item_and_the_board(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    response = _progress(web, item, percent="40", note="已发展16名", target="1", value="16")
    assert response.status_code == 303
    page = web.client.get(response.headers["location"]).text
    assert "进度已记录" in page
    assert "报告进度 40%（目标1：16.0）：已发展16名" in page and "李明" in page
    board = web.client.get(web.board).text
    # issue 14: a target says what it counts and how far (新增会员 16/40名)
    assert "40%" in board and re.search(r"新增会员 <strong>16</strong>/40名", board)
    recorded = web.services.app.history(item)[-1]
    assert recorded["actor"] == "李明" and recorded["percent"] == 40


def test_completion_through_the_form(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["report"]
    data = {
        "csrf": web.csrf(f"/items/{item}"),
        "version": str(web.version(item)),
        "occurrence": "2026-06-30",
        "done_on": "2026-06-28",
        "note": "已报送",
        "evidence": "https://oa.example.org/1",
    }
    response = web.client.post(f"/items/{item}/complete", data=data, follow_redirects=False)
    assert response.status_code == 303
    page = web.client.get(response.headers["location"]).text
    assert "已登记完成" in page and "完成 2026-06-30 时限（2026-06-28 完成）：已报送" in page
    assert 'href="https://oa.example.org/1"' in page


def test_a_chair_cancels_and_reopens_with_a_reason(web: Web) -> None:
    web.login("hospital_chair")
    race = web.seeded.items["race"]
    data = {"csrf": web.csrf(f"/items/{race}"), "occurrence": "2026-01-01", "reason": "补充材料"}
    assert web.client.post(f"/items/{race}/reopen", data=data).status_code == 200
    assert web.services.app.get_item(race).percent == 0
    data = {"csrf": web.csrf(f"/items/{race}"), "reason": ""}
    missing = web.client.post(f"/items/{race}/cancel", data=data)
    assert missing.status_code == 422 and "须说明原因" in missing.text
    data["reason"] = "场地改造"
    page = web.client.post(f"/items/{race}/cancel", data=data)
    assert page.status_code == 200 and "已取消：场地改造" in page.text


def test_a_post_without_the_csrf_token_is_refused(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    before = web.version(item)
    missing = web.client.post(f"/items/{item}/progress", data={"percent": "50"})
    assert missing.status_code == 403 and "表单校验失败" in missing.text
    forged = web.client.post(f"/items/{item}/progress", data={"percent": "50", "csrf": "0" * 64})
    assert forged.status_code == 403
    assert web.version(item) == before


def test_a_csrf_token_belongs_to_one_session(web: Web) -> None:
    web.login("hospital_chair")
    item = web.seeded.items["members"]
    chairs = web.csrf(f"/items/{item}")
    web.login("hospital_editor")
    stolen = web.client.post(f"/items/{item}/progress", data={"percent": "50", "csrf": chairs})
    assert stolen.status_code == 403


def test_refusals_are_readable_messages_on_the_page(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    too_much = _progress(web, item, percent="150", note="写错了")
    assert too_much.status_code == 422
    assert "进度须为 0–100 的整数" in too_much.text
    assert "写错了" in too_much.text  # what was typed is kept
    empty = _progress(web, item)
    assert empty.status_code == 422 and "请填写说明、进度、目标当前值或上传佐证文件" in empty.text


def test_a_rule_refusal_is_worded_in_chinese(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    web.services.app.complete(item, actor="赵丽")
    page = web.client.get(f"/items/{item}").text
    assert "/complete" not in page  # nothing left to complete: no form
    # A form rendered before that completion, submitted now:
    data = {"csrf": web.csrf(f"/items/{web.seeded.items['report']}"), "occurrence": "2026-03-31"}
    refused = web.client.post(f"/items/{item}/complete", data=data)
    assert refused.status_code == 422
    assert "该时限已完成" in refused.text


def test_a_stale_form_is_refused_instead_of_overwriting(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    csrf, version = web.csrf(f"/items/{item}"), web.version(item)
    web.services.app.report_progress(item, actor="赵丽", percent=30)  # someone else, meanwhile
    data = {"csrf": csrf, "version": str(version), "percent": "10"}
    stale = web.client.post(f"/items/{item}/progress", data=data)
    assert stale.status_code == 409
    assert "已被他人修改" in stale.text
    assert web.services.app.get_item(item).percent == 30


def test_evidence_that_is_not_a_web_link_is_never_a_link(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    response = _progress(web, item, percent="10", evidence="javascript:alert(1)")
    page = web.client.get(response.headers["location"]).text
    assert 'href="javascript:' not in page
    assert "javascript:alert(1)" in page


def test_text_is_escaped(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["members"]
    response = _progress(web, item, percent="10", note="<script>alert(1)</script>")
    page = web.client.get(response.headers["location"]).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --------------------------------------------------------------------------- import


def test_import_previews_then_creates_the_plan_once(web: Web) -> None:
    client = web.login("hospital_chair")
    form = {
        "csrf": web.csrf("/import"),
        "org": "某医院工会",
        "year": "2026",
        "title": "示范计划",
        "text": demo_plan_text(),
    }
    preview = client.post("/import/preview", data=form)
    assert preview.status_code == 200
    text = preview.text
    assert "导入预览" in text and "健全工会组织，规范工作制度" in text
    assert "3月25日" in text and "6月1日—8月31日" in text  # deadlines read as dates
    assert len(web.services.app.list_plans()) == 2  # nothing saved yet
    confirm = {
        name: re.search(rf'name="{name}" value="([^"]*)"', text).group(1)  # type: ignore[union-attr]
        for name in ("csrf", "org", "year", "title", "filename", "payload")
    }
    first = client.post("/import", data=confirm, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"].endswith("?imported=new")
    again = client.post("/import", data=confirm, follow_redirects=False)
    assert again.headers["location"] == first.headers["location"].replace("new", "again")
    board = client.get(again.headers["location"]).text
    assert "此前已导入" in board and "示范计划" in board
    assert len(web.services.app.list_plans()) == 3


def test_the_import_preview_highlights_inferred_deadlines_with_a_legend(web: Web) -> None:
    client = web.login("hospital_chair")
    text = "一、组织建设\n1、健全制度。时限：3月底前\n2、四月份举办职工技能竞赛。\n3、加强学习。\n"
    form = {"csrf": web.csrf("/import"), "org": "某医院工会", "year": "2026", "text": text}
    page = client.post("/import/preview", data=form).text
    assert "标黄的事项需要核对" in page and "Highlighted items need a check" in page
    rows = re.findall(r"<tr( class=\"flagged\")?>\s*<td>组织建设</td>", page)
    # 时限 label: not flagged; a month read from the sentence: not flagged; nothing: flagged.
    assert [bool(r) for r in rows] == [False, False, True]
    assert "句中" in page and "按年底" in page


def test_import_by_upload_and_its_refusals(web: Web) -> None:
    client = web.login("hospital_chair")
    csrf = web.csrf("/import")
    files = {"file": ("计划.txt", demo_plan_text().encode(), "text/plain")}
    data = {"csrf": csrf, "org": "某医院工会", "year": "2026"}
    uploaded = client.post("/import/preview", data=data, files=files)
    assert uploaded.status_code == 200 and "计划.txt" in uploaded.text
    empty = client.post("/import/preview", data=data)
    assert empty.status_code == 422 and "请粘贴计划文本或选择文件" in empty.text
    elsewhere = client.post("/import/preview", data={**data, "org": "外市总工会", "text": "x"})
    assert elsewhere.status_code == 422
    bad = {"file": ("plan.pdf", b"%PDF", "application/pdf")}
    assert client.post("/import/preview", data=data, files=bad).status_code == 422
    big = {"file": ("大.txt", b"x" * (701 * 1024), "text/plain")}
    too_big = client.post("/import/preview", data=data, files=big)
    assert too_big.status_code == 422 and "网页导入上限 700 KB" in too_big.text
    huge = client.post("/import/preview", data={**data, "text": "字" * 400_000})
    assert huge.status_code == 400 and "输入有误" in huge.text  # over the 1 MB field limit


# --------------------------------------------------------------------------- language, headers


def test_the_english_switch_is_remembered(web: Web) -> None:
    client = web.login("hospital_chair")
    english = client.get(web.board, params={"lang": "en"})
    assert english.status_code == 200
    assert "Progress board" in english.text and "Responsible" in english.text
    assert 'lang="en"' in english.text
    assert "lang=en" in english.headers["set-cookie"]
    again = client.get(web.board).text
    assert "Progress board" in again and "工作进度" not in again
    chinese = client.get(web.board, params={"lang": "zh"}).text
    assert "工作进度" in chinese


def test_pages_carry_security_headers(web: Web) -> None:
    response = web.login("hospital_chair").get(web.board)
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_static_files_are_served(web: Web) -> None:
    response = web.client.get("/static/planlog.css")
    assert response.status_code == 200 and "text/css" in response.headers["content-type"]


def test_the_web_pages_are_not_in_the_api_document(web: Web) -> None:
    paths = web.client.get("/openapi.json").json()["paths"]
    assert all(p.startswith(("/api/", "/feeds/", "/healthz")) for p in paths)


def test_a_deadline_in_the_next_year_says_its_year(web: Web) -> None:
    item = web.seeded.items["report"]
    web.services.app.move_occurrence(
        item, "2026-12-31", date(2027, 1, 31), actor="王主席", reason="年度总结次年报送"
    )
    page = web.login("hospital_chair").get(f"/items/{item}").text
    assert "2027年1月31日" in page and "6月30日" in page and "2026年6月30日" not in page


def test_the_site_icon_is_served_from_the_package(web: Web) -> None:
    client = web.login("hospital_chair")
    icon = client.get("/favicon.ico", follow_redirects=False)
    assert icon.status_code == 301 and icon.headers["location"] == "/static/favicon.svg"
    assert client.get("/static/favicon.svg").headers["content-type"].startswith("image/svg")


def test_the_board_tiles_account_for_every_deadline(web: Web) -> None:
    page = web.login("hospital_chair").get(web.board, params={"now": "2026-07-10"}).text
    section = page.split('<section class="totals"', 1)[1].split("</section>", 1)[0]
    tiles = {
        label: int(n)
        for n, label in re.findall(r'<span class="n">(\d+)</span><span class="k">([^<]+)<', section)
    }
    lights = ("已完成", "待确认办结", "已逾期", "即将到期", "进行中", "未开始", "已下达")
    # each deadline under one light (cancelled items count apart, as items)
    assert sum(tiles.get(light, 0) for light in lights) == tiles["时限"] > 0, tiles
    assert tiles["未开始"] > 0
