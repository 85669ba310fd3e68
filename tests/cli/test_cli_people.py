"""`planlog person …` and `planlog token create --person`: the CLI contract, on both stores."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from typer.testing import CliRunner

from planlog.auth.tokens import authenticate
from planlog.cli import app as cli_app
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp


def add_zhang(planlog: Any, *extra: str) -> dict[str, Any]:
    return dict(
        planlog(
            "person",
            "add",
            "--org",
            "某医院工会",
            "--name",
            "张三",
            "--department",
            "组织部",
            "--role",
            "chair",
            "--mobile",
            "13800138000",
            "--email",
            "zs@example.cn",
            *extra,
            "--json",
        )
    )


def test_person_add_returns_the_person_with_an_id(planlog: Any) -> None:
    person = add_zhang(planlog)
    assert person["id"]
    assert {k: person[k] for k in ("org", "name", "department", "role", "mobile", "email")} == {
        "org": "某医院工会",
        "name": "张三",
        "department": "组织部",
        "role": "chair",
        "mobile": "13800138000",
        "email": "zs@example.cn",
    }


def test_person_list_shows_everyone_added(planlog: Any) -> None:
    zhang = add_zhang(planlog)
    li = planlog("person", "add", "--org", "某医院工会", "--name", "李四", "--json")
    listed = planlog("person", "list", "--json")
    assert sorted((p["id"], p["name"], p["role"]) for p in listed) == sorted(
        [(li["id"], "李四", "editor"), (zhang["id"], "张三", "chair")]
    )


def test_a_bad_mobile_is_refused_in_chinese_and_english(planlog: Any) -> None:
    refused = planlog(
        "person",
        "add",
        "--org",
        "某医院工会",
        "--name",
        "张三",
        "--mobile",
        "call me",
        "--json",
        expect_exit=1,
    )
    assert refused["error"]["field"] == "mobile"
    assert (
        "手机号码" in refused["error"]["message"] and "mobile number" in refused["error"]["message"]
    )
    assert planlog("person", "list", "--json") == []


def test_person_link_is_a_one_time_sign_in_link(planlog: Any) -> None:
    person = add_zhang(planlog)
    link = planlog("person", "link", person["id"], "--json")
    parts = urlsplit(link["url"])
    assert parts.path == "/login/link" and parts.query.startswith("code=")


def test_token_create_for_a_person_takes_their_role_and_org(planlog: Any, store_url: str) -> None:
    person = add_zhang(planlog)
    made = planlog("token", "create", "--person", person["id"], "--json")
    assert (made["org"], made["role"], made["person_id"]) == ("某医院工会", "chair", person["id"])
    app = PlanlogApp(store_url)
    runner = ReadModelRunner(app)
    try:
        principal = authenticate(runner.engine, made["token"])
        assert principal is not None and principal.person_id == person["id"]
        assert principal.name == "张三（组织部）"
    finally:
        runner.close()
        app.close()


def test_token_create_refuses_a_person_together_with_a_role(planlog: Any) -> None:
    person = add_zhang(planlog)
    planlog(
        "token", "create", "--person", person["id"], "--role", "editor", "--json", expect_exit=1
    )


def test_changing_and_retiring_a_person(planlog: Any) -> None:
    person = add_zhang(planlog)
    changed = planlog("person", "change", person["id"], "--role", "editor", "--json")
    assert changed["role"] == "editor"
    retired = planlog("person", "retire", person["id"], "--reason", "调离", "--json")
    assert retired["retired"] is True
    assert planlog("person", "list", "--json") == []
    planlog("person", "link", person["id"], "--json", expect_exit=1)


def test_starting_a_second_server_on_a_busy_port_keeps_every_link(
    planlog: Any, store_url: str
) -> None:
    import socket

    person = add_zhang(planlog)
    planlog("plan", "create", "--org", "某医院工会", "--year", "2026", "--title", "计划", "--json")
    planlog("person", "link", person["id"], "--json")
    before = planlog("token", "list", "--json")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli_app, ["--db", store_url, "serve", "--port", str(port)])
    assert result.exit_code == 1 and "已被占用" in result.output
    assert planlog("token", "list", "--json") == before
    from planlog.auth.links import sign_in_links

    app = PlanlogApp(store_url)
    runner = ReadModelRunner(app)
    try:
        with runner.engine.connect() as conn:
            rows = list(conn.execute(select(sign_in_links.c.used_at)))
        assert rows == [(None,)]
    finally:
        runner.close()
        app.close()


def test_serve_prints_a_registered_chairs_own_link_and_keeps_peoples_tokens(
    planlog: Any, store_url: str
) -> None:
    from planlog.cli.common import State
    from planlog.cli.serve import sign_in_link

    chair = add_zhang(planlog)  # a chair of 某医院工会
    planlog("plan", "create", "--org", "某医院工会", "--year", "2026", "--title", "计划", "--json")
    token = planlog("token", "create", "--person", chair["id"], "--json")
    st = State(db=store_url, actor="admin")
    try:
        printed = sign_in_link(st, "http://127.0.0.1:8000")
        assert printed is not None and "/login/link?code=" in printed
        sign_in_link(st, "http://127.0.0.1:8000")  # a second start
        assert authenticate(st.read_models(), token["token"]) is not None
    finally:
        st.close()


def test_the_administrator_links_a_chair_and_the_list_shows_who_issued_it(planlog: Any) -> None:
    person = add_zhang(planlog)  # a chair: only the CLI may make their link
    planlog("person", "link", person["id"], "--json")
    listed = {p["id"]: p for p in planlog("person", "list", "--json")}
    issued = listed[person["id"]]["links_issued"]
    assert len(issued) == 1 and issued[0]["issued_by"].endswith("(cli)"), issued
    assert issued[0]["issued_at"]
