"""`planlog plan …`: create, list and show plans and their sections."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from planlog.cli.common import (
    JsonOption,
    emit_json,
    err_console,
    guarded,
    out_console,
    parse_id,
    state,
)
from planlog.cli.render import literal, similar_warning
from planlog.projections.queries import plan_entries
from planlog.projections.rollup import similar_names
from planlog.service.app import parse_moment
from planlog.service.commands import (
    AddSection,
    CreatePlan,
    IndexPlans,
    RenamePlan,
    RenameSection,
    ReorderSections,
)
from planlog.service.views import plan_view

plan_cli = typer.Typer(
    help="Plans (年度工作计划): create, list, show, sections.", no_args_is_help=True
)


PARENT_HELP = (
    "Where to register the organisation if it is new (上级工会); an existing one is never moved."
)


def registered_line(org: str, parent: str | None) -> Text:
    """The administrator sees when a plan registered its organisation (a typo in --org
    would otherwise make a new union silently)."""
    where = (
        Text.assemble("，上级 ", literal(parent), " / under ", literal(parent))
        if parent
        else Text("（顶层 / at the top level）")
    )
    return Text.assemble("已登记组织 / organisation registered: ", literal(org, "bold"), where)


@plan_cli.command("create")
@guarded
def create(
    ctx: typer.Context,
    org: Annotated[str, typer.Option("--org", help="Organisation (工会) that owns the plan.")],
    year: Annotated[int, typer.Option("--year", help="Plan year, e.g. 2026.")],
    title: Annotated[str, typer.Option("--title", help="Plan title.")],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    parent: Annotated[str | None, typer.Option("--parent", help=PARENT_HELP)] = None,
    json_out: bool = JsonOption,
) -> None:
    """Create an empty plan; a missing organisation is registered with it."""
    st = state(ctx)
    app = st.app()
    new_org = app.find_organisation(org) is None
    similar: list[str] = []
    if new_org:
        with st.read_models().connect() as conn:
            similar = similar_names(conn, org)
    # The administrator's door: a missing organisation is registered with the plan.
    plan = app.handle(
        CreatePlan(
            org=org,
            year=year,
            register_missing_org=True,
            parent=parent,
            title=title,
            reason=reason,
            actor=st.actor,
        )
    )
    if json_out:
        emit_json(
            {
                "id": str(plan.id),
                "org": plan.org,
                "org_registered": new_org,
                "similar_orgs": similar,
                "year": plan.year,
                "title": plan.title,
            }
        )
        return
    if new_org:
        out_console.print(registered_line(plan.org, parent))
    if similar:
        err_console.print(similar_warning(plan.org, similar))
    out_console.print(Text.assemble("计划已创建 / plan created: ", (str(plan.id), "bold")))


@plan_cli.command("list")
@guarded
def list_plans(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """List every plan."""
    entries = plan_entries(state(ctx).read_models())
    if json_out:
        emit_json([e.to_dict() for e in entries])
        return
    table = Table("id", "组织 org", "年度 year", "标题 title")
    table.columns[0].no_wrap = True  # whole, to be copied into the next command
    for column in table.columns[1:]:
        column.overflow = "fold"  # a Chinese name has no space to wrap at: cut, not "…"
    for e in entries:
        table.add_row(str(e.plan_id), literal(e.org), str(e.year), literal(e.title))
    out_console.print(table)


@plan_cli.command("show")
@guarded
def show(
    ctx: typer.Context,
    plan_id: str,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO 8601 recorded time.")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Show a plan and its sections, now or as recorded at a past time."""
    moment = parse_moment(as_of) if as_of else None
    plan = state(ctx).app().get_plan(parse_id(plan_id, "plan id"), as_of=moment)
    view = plan_view(plan)
    if json_out:
        emit_json(view)
        return
    out_console.print(
        Text.assemble(
            literal(plan.title, "bold"),
            "  ",
            literal(plan.org),
            f" · {plan.year}  ({view['items']} 项)",
        )
    )
    for section in plan.sections:
        out_console.print(_section_line(section.section_id, section.title, indent="  "))


@plan_cli.command("section-add")
@guarded
def section_add(ctx: typer.Context, plan_id: str, title: str, json_out: bool = JsonOption) -> None:
    """Add a section (一、二、三…) at the end of the plan."""
    st = state(ctx)
    plan = st.app().handle(
        AddSection(plan_id=parse_id(plan_id, "plan id"), title=title, actor=st.actor)
    )
    section = plan.sections[-1]
    if json_out:
        emit_json({"id": section.section_id, "title": section.title})
    else:
        out_console.print(_section_line(section.section_id, section.title))


@plan_cli.command("section-rename")
@guarded
def section_rename(
    ctx: typer.Context,
    plan_id: str,
    section_id: str,
    title: str,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Rename a section; items keep their place."""
    st = state(ctx)
    plan = st.app().handle(
        RenameSection(
            plan_id=parse_id(plan_id, "plan id"),
            section_id=section_id,
            title=title,
            actor=st.actor,
            reason=reason,
        )
    )
    if json_out:
        emit_json(plan_view(plan))
    else:
        out_console.print(_section_line(section_id, title))


@plan_cli.command("rename")
@guarded
def rename(
    ctx: typer.Context,
    plan_id: str,
    title: Annotated[str, typer.Option("--title", help="The plan's new title.")],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Rename the plan (计划更名)."""
    st = state(ctx)
    plan = st.app().handle(
        RenamePlan(plan_id=parse_id(plan_id, "plan id"), title=title, actor=st.actor, reason=reason)
    )
    if json_out:
        emit_json(plan_view(plan))
    else:
        out_console.print(literal(plan.title, "bold"))


@plan_cli.command("section-order")
@guarded
def section_order(
    ctx: typer.Context,
    plan_id: str,
    section_ids: Annotated[list[str], typer.Argument(help="Every section id, in the new order.")],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Reorder the plan's sections (调整部分顺序): name every section once."""
    st = state(ctx)
    plan = st.app().handle(
        ReorderSections(
            plan_id=parse_id(plan_id, "plan id"),
            order=section_ids,
            actor=st.actor,
            reason=reason,
        )
    )
    if json_out:
        emit_json(plan_view(plan))
    else:
        for section in plan.sections:
            out_console.print(_section_line(section.section_id, section.title))


@plan_cli.command("index")
@guarded
def index(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """Index the plans made before plan indexes existed (补建计划索引), once per older
    store: sending a task then finds each union's plan without reading every plan."""
    st = state(ctx)
    done = st.app().handle(IndexPlans(actor=st.actor))
    if json_out:
        emit_json({"added": done.added, "complete": done.complete})
    else:
        out_console.print(
            f"已补入索引 {done.added} 个计划（indexed {done.added} plan(s)）"
            + ("" if done.complete else "；索引仍不完整（the index is still incomplete）")
        )


def _section_line(section_id: str, title: str | None, indent: str = "") -> Text:
    return Text.assemble(indent, literal(section_id), "  ", literal(title))
