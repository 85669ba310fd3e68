"""`planlog token …`: the administrator's tool for API access."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from planlog.auth.tokens import ROLES, create_token, list_tokens, revoke_token
from planlog.cli.common import JsonOption, emit_json, guarded, out_console, state
from planlog.cli.render import literal
from planlog.domain.errors import NotFound, PlanlogError
from planlog.service.commands import RegisterOrganisation

token_cli = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)


@token_cli.command("create")
@guarded
def create(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="The token sees this org and those below.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    name: Annotated[
        str | None, typer.Option("--name", help="Who holds it (recorded as actor).")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Create a token; an organisation that does not exist yet is created as a root."""
    st = state(ctx)
    if role not in ROLES:
        raise PlanlogError(f"role {role!r} is not one of {', '.join(ROLES)}")
    app = st.app()
    try:
        app.get_organisation(org)
    except NotFound:
        app.handle(RegisterOrganisation(name=org, actor=st.actor))
    token_id, token = create_token(st.read_models(), org.strip(), role, name)
    if json_out:
        emit_json({"token": token, "id": token_id, "org": org.strip(), "role": role})
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
