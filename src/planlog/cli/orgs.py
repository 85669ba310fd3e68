"""`planlog org …` and `planlog rollup`: the organisation tree and completion across it."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from planlog.cli.common import JsonOption, emit_json, err_console, guarded, out_console, state
from planlog.cli.render import literal, progress_bar, similar_warning
from planlog.domain.board import completion_shown, counted_percent
from planlog.domain.errors import PlanlogError, missing_organisation
from planlog.i18n import t
from planlog.projections.queries import evaluation_day, retire_blockers
from planlog.projections.ranking import ranking
from planlog.projections.rollup import org_tree, outline, rollup, similar_names
from planlog.service.app import parse_moment
from planlog.service.commands import (
    AppointChair,
    MoveOrganisation,
    RegisterOrganisation,
    RetireOrganisation,
)
from planlog.service.views import org_view

org_cli = typer.Typer(help="Organisations (工会组织) and their tree.", no_args_is_help=True)


@org_cli.command("create")
@guarded
def create(
    ctx: typer.Context,
    name: str,
    parent: Annotated[
        str | None, typer.Option("--parent", help="The union above (上级工会).")
    ] = None,
    chair: Annotated[str | None, typer.Option("--chair", help="工会主席")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Register an organisation, optionally under a parent; one named almost like an
    existing one is registered all the same, with a warning (`similar_orgs`)."""
    st = state(ctx)
    with st.read_models().connect() as conn:
        similar = similar_names(conn, name)
    org = st.app().handle(
        RegisterOrganisation(name=name, parent=parent, chair=chair, actor=st.actor)
    )
    if json_out:
        emit_json(org_view(org) | {"similar_orgs": similar})
        return
    out_console.print(_with_parent(org.name, org.parent))
    if similar:
        err_console.print(similar_warning(org.name, similar, retirable=True))


@org_cli.command("move")
@guarded
def move(
    ctx: typer.Context,
    name: str,
    parent: Annotated[
        str | None, typer.Option("--parent", help="New parent; omit for a root.")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Place an organisation under another one."""
    st = state(ctx)
    org = st.app().handle(MoveOrganisation(name=name, parent=parent, actor=st.actor, reason=reason))
    if json_out:
        emit_json(org_view(org))
    else:
        out_console.print(_with_parent(org.name, org.parent))


@org_cli.command("chair")
@guarded
def chair(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The organisation (组织名称).")],
    person: Annotated[str, typer.Argument(help="Its chair's name (主席姓名).")],
    json_out: bool = JsonOption,
) -> None:
    """Appoint an organisation's chair: `org chair 东城区总工会 张主席` (escalated reminders and
    items nobody is named for go to the chair)."""
    st = state(ctx)
    org = st.app().handle(AppointChair(name=name, chair=person, actor=st.actor))
    if json_out:
        emit_json(org_view(org))
    else:  # said, not silent: the chair is who escalations reach
        out_console.print(_with_chair(org.name, org.chair or "—"))


@org_cli.command("retire")
@guarded
def retire(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The organisation (组织名称).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (注销原因), kept in its history.")],
    json_out: bool = JsonOption,
) -> None:
    """Retire (注销) an organisation registered by mistake (a misspelt name) or dissolved:
    it leaves the tree. Refused while organisations, plans or people are under it."""
    st = state(ctx)
    with st.read_models().connect() as conn:
        below = retire_blockers(conn, name.strip())
    org = st.app().handle(RetireOrganisation(name=name, reason=reason, actor=st.actor, below=below))
    if json_out:
        emit_json(org_view(org))
    else:
        out_console.print(literal(org.name).append("  已注销 retired", style="dim"))


@org_cli.command("list")
@guarded
def list_orgs(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """Every organisation, as a tree: each under its parent, with its chair."""
    with state(ctx).read_models().connect() as conn:
        tree = org_tree(conn)
    if json_out:
        emit_json(sorted(tree.values(), key=lambda n: n["org"]))
        return
    branches: list[Tree] = []  # the open branch at each depth
    top = Tree("组织 organisations", hide_root=True, guide_style="dim")
    for depth, name in outline(tree):
        label = _with_chair(name, tree[name]["chair"])
        del branches[depth:]
        branches.append((branches[-1] if branches else top).add(label))
    out_console.print(top)


def _with_chair(name: str, chair: str | None) -> Text:
    line = literal(name)
    if chair:
        line.append("  主席 chair: ", style="dim").append_text(literal(chair))
    return line


def _with_parent(name: str, parent: str | None) -> Text:
    line = literal(name)
    if parent:
        line.append(" ← ").append_text(literal(parent))
    return line


def _render(tree: Tree, node: dict[str, Any]) -> None:
    total = node["total"]
    label = progress_bar(counted_percent(total))
    label.append("  ").append_text(literal(node["org"]))
    label.append(f"  {total['done']}/{total['occurrences']}")
    if total["overdue"]:
        label.append(f"  {t('overdue')} {total['overdue']}", style="bold red")
    branch = tree.add(label)
    for child in node["children"]:
        _render(branch, child)


@guarded
def rollup_command(
    ctx: typer.Context,
    org: Annotated[
        str | None, typer.Argument(help="Root organisation (default: all roots).")
    ] = None,
    now: Annotated[
        str | None, typer.Option("--now", help="Judge overdue on this day (ISO 8601).")
    ] = None,
    rank: Annotated[
        bool,
        typer.Option(
            "--rank", help="Rank unions and districts by overdue, then completion (督办)."
        ),
    ] = False,
    json_out: bool = JsonOption,
) -> None:
    """Completion per organisation and its descendants."""
    st = state(ctx)
    today = evaluation_day(st.app(), parse_moment(now) if now else None, None)
    if rank:
        _ranked(st, org, today, json_out)
        return
    with st.read_models().connect() as conn:
        try:
            nodes = rollup(conn, org, today)
        except LookupError:
            raise missing_organisation(org or "") from None
    if json_out:
        emit_json(nodes)
        return
    tree = Tree(f"完成情况 completion · {today.isoformat()}")
    for node in nodes:
        _render(tree, node)
    out_console.print(tree)


def _ranked(st: Any, org: str | None, today: Any, json_out: bool) -> None:
    if org is None:
        raise PlanlogError(
            "排名须指定组织（--rank needs an organisation: planlog rollup ORG --rank）"
        )
    with st.read_models().connect() as conn:
        try:
            ranked = ranking(conn, org, today)
        except LookupError:
            raise missing_organisation(org or "") from None
    if json_out:
        emit_json(ranked)
        return
    for title, rows in (
        ("区县 districts", ranked["districts"]),
        ("基层工会 unions", ranked["unions"]),
    ):
        table = Table("#", "组织 org", "逾期 overdue", "完成率 done %", "上级 parent", title=title)
        for n, row in enumerate(rows, 1):
            table.add_row(
                str(n),
                literal(row["org"]),
                str(row["overdue"]),
                completion_shown(row),
                literal(row["parent"]),
            )
        out_console.print(table)
