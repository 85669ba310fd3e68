"""`planlog person …`: the administrator's tool for people (who is given tasks, signs in)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from planlog.auth.links import links_issued, sign_in_url
from planlog.auth.passwords import set_password
from planlog.cli.common import JsonOption, emit_json, guarded, out_console, parse_id, state
from planlog.cli.render import literal
from planlog.config import Settings
from planlog.domain.errors import NotFound
from planlog.domain.person import ROLES
from planlog.projections.people import PersonRow, people_in, person_row
from planlog.projections.rollup import org_tree
from planlog.service.commands import (
    ChangePerson,
    RegisterOrganisation,
    RegisterPerson,
    RetirePerson,
)

person_cli = typer.Typer(
    help="People: add, list, change, retire, sign-in links.", no_args_is_help=True
)


def _row(ctx: typer.Context, person_id: str) -> PersonRow:
    with state(ctx).read_models().connect() as conn:
        found = person_row(conn, str(parse_id(person_id, "person id")))
    if found is None:
        raise NotFound(f"没有编号为 {person_id} 的人员（no person with id {person_id}）")
    return found


def _show(person: PersonRow, json_out: bool) -> None:
    if json_out:
        emit_json(person.to_dict())
    else:
        out_console.print(
            Text.assemble(
                literal(f"{person.display_name} · {person.role} · {person.org}: "),
                (person.id, "bold"),
            )
        )


@person_cli.command("add")
@guarded
def add(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="The person's organisation.")],
    name: Annotated[str, typer.Option("--name", help="姓名 (name).")],
    department: Annotated[str | None, typer.Option("--department", help="部门.")] = None,
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")] = "editor",
    mobile: Annotated[str | None, typer.Option("--mobile", help="手机号码.")] = None,
    email: Annotated[str | None, typer.Option("--email", help="电子邮件.")] = None,
    im_id: Annotated[
        str | None, typer.Option("--im-id", help="WeCom/DingTalk user id (企业微信/钉钉账号).")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Register a person of an organisation (registered first if nobody has, as
    `planlog token create` does: this is the administrator's tool)."""
    st = state(ctx)
    app = st.app()
    if app.find_organisation(org) is None and not app.legacy_registry().names_organisation(
        org.strip()
    ):
        app.handle(RegisterOrganisation(name=org, actor=st.actor))
    person = app.handle(
        RegisterPerson(
            org=org,
            name=name,
            department=department,
            role=role,
            mobile=mobile,
            email=email,
            im_id=im_id,
            actor=st.actor,
        )
    )
    _show(_row(ctx, str(person.id)), json_out)


@person_cli.command("list")
@guarded
def list_command(
    ctx: typer.Context,
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    retired: Annotated[bool, typer.Option("--retired", help="Include retired people.")] = False,
    json_out: bool = JsonOption,
) -> None:
    """People, by organisation and name."""
    engine = state(ctx).read_models()
    with engine.connect() as conn:
        orgs = list(org_tree(conn)) if org is None else [org.strip()]
        rows = people_in(conn, orgs, include_retired=retired)
    if json_out:
        # with every sign-in link made for them: who made it, when
        emit_json([{**p.to_dict(), "links_issued": links_issued(engine, p.id)} for p in rows])
        return
    table = Table("id", "组织 org", "姓名 name", "部门 department", "角色 role", "手机 mobile")
    table.columns[0].no_wrap = True  # whole, to be copied into the next command
    for p in rows:
        table.add_row(
            p.id,
            literal(p.org),
            literal(p.name + (" (停用 retired)" if p.retired else "")),
            literal(p.department),
            p.role,
            literal(p.mobile),
        )
    out_console.print(table)


@person_cli.command("change")
@guarded
def change(
    ctx: typer.Context,
    person_id: str,
    name: Annotated[str | None, typer.Option("--name")] = None,
    department: Annotated[str | None, typer.Option("--department")] = None,
    role: Annotated[str | None, typer.Option("--role")] = None,
    mobile: Annotated[str | None, typer.Option("--mobile")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    im_id: Annotated[str | None, typer.Option("--im-id")] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Change some of a person's details (an empty value clears an optional one)."""
    st = state(ctx)
    given = {
        "name": name,
        "department": department,
        "role": role,
        "mobile": mobile,
        "email": email,
        "im_id": im_id,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    st.app().handle(
        ChangePerson(
            person_id=parse_id(person_id, "person id"),
            changes=changes,
            actor=st.actor,
            reason=reason,
        )
    )
    _show(_row(ctx, person_id), json_out)


@person_cli.command("retire")
@guarded
def retire(
    ctx: typer.Context,
    person_id: str,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Retire a person: their sign-in links, sessions and tokens stop working."""
    st = state(ctx)
    st.app().handle(
        RetirePerson(person_id=parse_id(person_id, "person id"), actor=st.actor, reason=reason)
    )
    _show(_row(ctx, person_id), json_out)


@person_cli.command("link")
@guarded
def link(
    ctx: typer.Context,
    person_id: str,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="The site's address (default: PLANLOG_BASE_URL)."),
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """A one-time sign-in link for the person (valid 7 days, works once)."""
    person = _row(ctx, person_id)
    base = base_url or Settings().base_url or "http://127.0.0.1:8000"
    # the administrator's tool: any person, a chair included (the web and API may not)
    issuer = f"{state(ctx).actor} (cli)"
    url = sign_in_url(state(ctx).read_models(), person.id, base, issued_by=issuer)
    if json_out:
        emit_json({"url": url, "person_id": person.id})
    else:
        out_console.print(literal(f"{person.display_name}: "), url, soft_wrap=True)
        out_console.print("只能使用一次，7 天内有效 / works once, within 7 days")


@person_cli.command("password")
@guarded
def password(
    ctx: typer.Context,
    person_id: str,
    json_out: bool = JsonOption,
) -> None:
    """Set the person's password (asked twice, never shown)."""
    person = _row(ctx, person_id)
    first = typer.prompt("密码 password", hide_input=True, confirmation_prompt=True)
    set_password(state(ctx).read_models(), person.id, first)
    if json_out:
        emit_json({"person_id": person.id, "password_set": True})
    else:
        out_console.print(literal(f"{person.display_name}: 密码已设置 / password set"))
