"""`planlog token …`: the administrator's tool for API access."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from planlog.auth.tokens import (
    ROLES,
    create_person_token,
    create_token,
    list_tokens,
    revoke_token,
)
from planlog.cli.common import JsonOption, emit_json, guarded, out_console, parse_id, state
from planlog.cli.render import literal
from planlog.domain.errors import NotFound, PlanlogError
from planlog.projections.people import person_row
from planlog.service.commands import RegisterOrganisation

token_cli = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


@token_cli.command("create")
@guarded
def create(
    ctx: typer.Context,
    org: Annotated[
        str | None, typer.Option("--org", help="The token sees this org and those below.")
    ] = None,
    role: Annotated[str | None, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Who holds it (recorded as actor).")
    ] = None,
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help="A person's token: organisation, role and name are the person's (planlog "
            "person list).",
        ),
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Create a token; an organisation that does not exist yet is created as a root."""
    st = state(ctx)
    if person is not None:
        if org is not None or role is not None or name is not None:
            raise PlanlogError(
                "--person 与 --org/--role/--name 不能同时使用：令牌的组织和角色取自该人员"
                "（--person takes organisation, role and name from the person: "
                "give none of --org, --role, --name）"
            )
        engine = st.read_models()
        with engine.connect() as conn:
            holder = person_row(conn, str(parse_id(person, "person id")))
        if holder is None:
            raise NotFound(f"没有编号为 {person} 的人员（no person with id {person}）")
        token_id, token = create_person_token(engine, holder)
        _created(token_id, token, holder.org, holder.role, holder.id, json_out)
        return
    if org is None or role is None:
        raise PlanlogError(
            "需要 --org 和 --role，或 --person（give --org and --role, or --person）"
        )
    if role not in ROLES:
        raise PlanlogError(f"role {role!r} is not one of {', '.join(ROLES)}")
    app = st.app()
    try:
        app.get_organisation(org).refuse_if_retired("发放令牌", "be given tokens")
    except NotFound:
        app.handle(RegisterOrganisation(name=org, actor=st.actor))
    token_id, token = create_token(st.read_models(), org.strip(), role, name)
    _created(token_id, token, org.strip(), role, None, json_out)


def _created(
    token_id: int, token: str, org: str, role: str, person_id: str | None, json_out: bool
) -> None:
    if json_out:
        shown = {"token": token, "id": token_id, "org": org, "role": role}
        emit_json(shown | ({"person_id": person_id} if person_id else {}))
    else:
        out_console.print(
            Text.assemble(literal(f"token #{token_id} ({role} · {org}): "), (token, "bold"))
        )
        out_console.print("只显示一次，请妥善保存 / shown once: keep it safe")


@token_cli.command("revoke")
@guarded
def revoke(ctx: typer.Context, token_id: int, json_out: bool = JsonOption) -> None:
    """Revoke a token: it stops working at once."""
    revoke_token(state(ctx).read_models(), token_id)
    if json_out:
        emit_json({"id": token_id, "revoked": True})
    else:
        out_console.print(f"token #{token_id} revoked")


@token_cli.command("list")
@guarded
def list_command(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """Tokens (never the secrets themselves)."""
    rows = list_tokens(state(ctx).read_models())
    if json_out:
        emit_json(rows)
        return
    table = Table("id", "org", "role", "name", "created", "revoked")
    for r in rows:
        table.add_row(
            str(r["id"]),
            literal(r["org"]),
            literal(r["role"]),
            literal(r["name"]),
            r["created_at"][:16],
            (r["revoked_at"] or "")[:16],
        )
    out_console.print(table)
