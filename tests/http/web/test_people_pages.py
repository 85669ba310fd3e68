"""People in the browser (in-process): a person's one-time link, my tasks with a note-only
report, the password form, and the chair's people page scoped to their organisations."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from planlog.auth.links import sign_in_url
from planlog.auth.passwords import set_password
from planlog.service.commands import RegisterPerson

from .conftest import HOSPITAL, OTHER, Web


def register(web: Web, org: str = HOSPITAL, **extra: Any) -> str:
    fields = {"name": "张三", "department": "工会办公室", **extra}
    person = web.services.app.handle(RegisterPerson(org=org, actor="王主席", **fields))
    web.services.fresh()
    return str(person.id)


def link_path(web: Web, person_id: str) -> str:
    url = sign_in_url(web.services.engine, person_id, "http://testserver")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def open_link(web: Web, path: str) -> Any:
    web.client.cookies.clear()
    question = web.client.get(path)
    assert question.status_code == 200, question.text
    data = {
        "code": web.form_value(question.text, "code"),
        "csrf": web.form_value(question.text, "csrf"),
    }
    return web.client.post("/login/link", data=data, follow_redirects=False)


def test_a_link_asks_first_then_signs_the_person_in_to_my_tasks(web: Web) -> None:
    person_id = register(web)
    path = link_path(web, person_id)
    question = web.client.get(path)
    assert "以 张三（工会办公室） 身份登录？" in question.text
    assert "planlog_session" not in question.cookies
    signed_in = open_link(web, path)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/me"
    page = web.client.get("/me").text
    assert "我的任务" in page and "向上级工会报告工作" in page
    # the overdue half-year report first, then the one still to come
    assert page.index("2026-06-30") < page.index("2026-12-31")


def test_a_used_link_is_refused(web: Web) -> None:
    path = link_path(web, register(web))
    assert open_link(web, path).status_code == 303
    web.client.cookies.clear()
    again = web.client.get(path)
    assert again.status_code == 401 and "已使用或已过期" in again.text


def test_a_note_alone_is_reported_from_my_tasks_under_the_persons_name(web: Web) -> None:
    person_id = register(web)
    open_link(web, link_path(web, person_id))
    item = web.seeded.items["report"]
    reported = web.client.post(
        "/me/progress",
        data={
            "csrf": web.csrf("/me"),
            "item_id": str(item),
            "occurrence": "2026-06-30",
            "note": "材料已报送，等待上级反馈",
        },
        follow_redirects=False,
    )
    assert reported.status_code == 303, reported.text
    page = web.client.get("/me?saved=reported").text
    assert "已报告" in page and "材料已报送，等待上级反馈" in page
    assert web.services.app.history(item)[-1]["actor"] == "张三（工会办公室）"


def test_an_empty_report_is_refused_on_the_page(web: Web) -> None:
    open_link(web, link_path(web, register(web)))
    refused = web.client.post(
        "/me/progress",
        data={"csrf": web.csrf("/me"), "item_id": str(web.seeded.items["report"]), "note": " "},
    )
    assert refused.status_code == 422 and "进度报告须有说明" in refused.text


def test_a_token_that_is_no_person_has_no_tasks(web: Web) -> None:
    web.login("hospital_editor")
    assert "当前登录不属于任何人员" in web.client.get("/me").text


def test_a_person_signs_in_with_a_password(web: Web) -> None:
    person_id = register(web, mobile="13800138000")
    set_password(web.services.engine, person_id, "correct horse")
    web.client.cookies.clear()
    page = web.client.get("/signin").text
    data = {
        "csrf": web.form_value(page, "csrf"),
        "next": "/",
        "account": "13800138000",
        "password": "correct horse",
    }
    wrong = web.client.post("/login/password", data={**data, "password": "wrong one"})
    assert wrong.status_code == 401 and "账号或密码不正确" in wrong.text
    signed_in = web.client.post("/login/password", data=data, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/me"
    assert "向上级工会报告工作" in web.client.get("/me").text


def test_a_chair_adds_a_person_and_shows_their_sign_in_link(web: Web) -> None:
    web.login("hospital_chair")
    added = web.client.post(
        "/people",
        data={
            "csrf": web.csrf("/people"),
            "org": HOSPITAL,
            "name": "李四",
            "department": "女工委员会",
            "role": "editor",
            "mobile": "13900139000",
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    listing = web.client.get(added.headers["location"]).text
    assert "已添加人员" in listing and "李四（女工委员会）" in listing
    person_id = listing.split('id="person-')[1].split('"')[0]
    shown = web.client.post(f"/people/{person_id}/link", data={"csrf": web.csrf("/people")})
    assert shown.status_code == 200 and "/login/link?code=" in shown.text


def test_a_bad_mobile_is_refused_and_the_form_keeps_what_was_typed(web: Web) -> None:
    web.login("hospital_chair")
    refused = web.client.post(
        "/people",
        data={"csrf": web.csrf("/people"), "org": HOSPITAL, "name": "李四", "mobile": "call"},
    )
    assert refused.status_code == 422 and "手机号码" in refused.text
    assert 'value="李四"' in refused.text


def test_a_chair_edits_and_retires_a_person(web: Web) -> None:
    person_id = register(web)
    web.login("hospital_chair")
    csrf = web.csrf("/people")
    edited = web.client.post(
        f"/people/{person_id}",
        data={"csrf": csrf, "name": "张三", "department": "组织部", "role": "chair"},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert "张三（组织部）" in web.client.get(f"/people/{person_id}").text
    retired = web.client.post(
        f"/people/{person_id}/retire", data={"csrf": csrf, "reason": "调离"}, follow_redirects=False
    )
    assert retired.status_code == 303
    assert "已停用" in web.client.get("/people?saved=retired").text


@pytest.mark.parametrize("who", ["other_chair", "hospital_editor"])
def test_people_of_a_union_are_not_for_another_union_nor_for_editors(web: Web, who: str) -> None:
    person_id = register(web)
    web.login(who)
    expected = 404 if who == "other_chair" else 403
    assert web.client.get(f"/people/{person_id}").status_code == expected
    if who == "other_chair":
        assert "张三" not in web.client.get("/people").text
        register(web, org=OTHER, name="外市人员")
        assert "外市人员" in web.client.get("/people").text


def test_the_item_pages_progress_form_takes_a_note_alone(web: Web) -> None:
    web.login("hospital_editor")
    item = web.seeded.items["report"]
    page = f"/items/{item}"
    reported = web.client.post(
        f"{page}/progress",
        data={"csrf": web.csrf(page), "occurrence": "2026-06-30", "note": "已起草"},
        follow_redirects=False,
    )
    assert reported.status_code == 303, reported.text
    assert web.services.app.get_item(item).occurrences["2026-06-30"].note == "已起草"


class _Seconds:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _password_form(web: Web, account: str, password: str) -> dict[str, str]:
    page = web.client.get("/signin").text
    csrf = web.form_value(page, "csrf")
    return {"csrf": csrf, "next": "/", "account": account, "password": password}


def test_repeated_wrong_passwords_lock_the_account_until_the_window_passes(web: Web) -> None:
    from planlog.auth.passwords import FAILURES_ALLOWED, WINDOW, SignInThrottle

    person_id = register(web, mobile="13800138001")
    set_password(web.services.engine, person_id, "correct horse")
    clock = _Seconds()
    web.client.app.state.sign_in_throttle = SignInThrottle(clock=clock)  # type: ignore[attr-defined]
    web.client.cookies.clear()
    for _ in range(FAILURES_ALLOWED):
        wrong = web.client.post("/login/password", data=_password_form(web, "13800138001", "no"))
        assert wrong.status_code == 401
    # Even the right password is refused now, naming the wait, in both languages.
    right = _password_form(web, "13800138001", "correct horse")
    refused = web.client.post("/login/password", data=right, follow_redirects=False)
    assert refused.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in refused.text
    assert "try again in 15 minutes" in refused.text
    assert int(refused.headers["Retry-After"]) <= WINDOW
    clock.now += WINDOW + 1
    signed_in = web.client.post(
        "/login/password",
        data=_password_form(web, "13800138001", "correct horse"),
        follow_redirects=False,
    )
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/me"


def test_wrong_passwords_from_one_address_lock_out_guesses_at_other_accounts(web: Web) -> None:
    from planlog.auth.passwords import FAILURES_ALLOWED, SignInThrottle

    web.client.app.state.sign_in_throttle = SignInThrottle(clock=_Seconds())  # type: ignore[attr-defined]
    web.client.cookies.clear()
    for n in range(FAILURES_ALLOWED):
        form = _password_form(web, f"1390000000{n}", "guess")
        assert web.client.post("/login/password", data=form).status_code == 401
    form = _password_form(web, "13900000099", "guess")
    assert web.client.post("/login/password", data=form).status_code == 429


def test_argon2_verifications_are_bounded_per_process() -> None:
    from planlog.auth import passwords

    # the bound is a real semaphore of VERIFY_AT_ONCE permits, held while verifying
    assert passwords.VERIFY_AT_ONCE == 2
    for _ in range(passwords.VERIFY_AT_ONCE):
        assert passwords._verifying.acquire(blocking=False)
    try:
        assert not passwords._verifying.acquire(blocking=False)
    finally:
        for _ in range(passwords.VERIFY_AT_ONCE):
            passwords._verifying.release()


def test_a_chair_is_refused_a_link_for_another_chair_in_the_browser(web: Web) -> None:
    person_id = register(web, role="chair")
    web.login("hospital_chair")
    refused = web.client.post(f"/people/{person_id}/link", data={"csrf": web.csrf("/people")})
    assert refused.status_code == 403
    assert "只能为编辑或审计角色的人员" in refused.text and "/login/link?code=" not in refused.text
