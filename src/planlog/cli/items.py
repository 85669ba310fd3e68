"""`planlog item …`: plan an item and record what happens to it."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from planlog.cli.common import (
    JsonOption,
    emit_json,
    guarded,
    out_console,
    parse_date,
    parse_id,
    parse_window,
    state,
)
from planlog.cli.render import light_text, literal, progress_bar, sent_text
from planlog.domain.model import PlanItem
from planlog.projections.tasks import sent_of_item
from planlog.service.app import PlanlogApp, parse_moment
from planlog.service.commands import (
    AddItem,
    Backfill,
    Cancel,
    Complete,
    MoveOccurrence,
    NewItem,
    Reassign,
    Reopen,
    ReportProgress,
    ReviseItem,
    schedule_change,
)
from planlog.service.views import item_view

item_cli = typer.Typer(
    help="Plan items (工作任务): add, progress, complete, …", no_args_is_help=True
)

OccurrenceOpt = Annotated[
    str | None,
    typer.Option(
        "--occurrence", help="Due date (YYYY-MM-DD) of the occurrence; default the earliest open."
    ),
]
NoteOpt = Annotated[str | None, typer.Option("--note", help="What was done (说明).")]
EvidenceOpt = Annotated[str | None, typer.Option("--evidence", help="Link to evidence (佐证材料).")]
IfVersionOpt = Annotated[
    int | None,
    typer.Option("--if-version", help="Refuse unless the item is still at this version."),
]


def show_item(
    app: PlanlogApp, item: PlanItem, json_out: bool, sent: dict[str, Any] | None = None
) -> None:
    plan = app.get_plan(item.plan_id)
    view = item_view(item, app.today(), plan, sent=sent)
    if json_out:
        emit_json(view)
        return
    out_console.print(
        Text.assemble(literal(view["title"], "bold"), f"  ({view['id']}, v{view['version']})")
    )
    if view["section"]:
        out_console.print(Text.assemble("部分 section: ", literal(view["section"])))
    if view["responsible"]:
        out_console.print(Text.assemble("责任人 responsible: ", literal(view["responsible"])))
    out_console.print(light_text(view["status"]) + "  " + progress_bar(view["percent"]))
    if sent:
        out_console.print(sent_text(sent))
    table = Table("开始 opens", "截止 due", "状态 status", "完成于 done on", "说明 note")
    for occ in view["occurrences"]:
        table.add_row(
            occ["opens"] or "",
            occ["due"],
            light_text(occ["light"]),
            occ["done_on"] or "",
            literal(occ["note"]),
        )
    out_console.print(table)


@item_cli.command("add")
@guarded
def add(
    ctx: typer.Context,
    plan_id: str,
    title: Annotated[
        str, typer.Option("--title", help="The task as written in the plan (工作任务).")
    ],
    section: Annotated[
        str | None, typer.Option("--section", help="Section title; created if new.")
    ] = None,
    number: Annotated[
        str | None, typer.Option("--number", help="Its number in the plan (序号), as printed.")
    ] = None,
    goal: Annotated[str | None, typer.Option("--goal", help="目标")] = None,
    measures: Annotated[str | None, typer.Option("--measures", help="措施")] = None,
    responsible: Annotated[str | None, typer.Option("--responsible", help="责任人")] = None,
    due: Annotated[list[str] | None, typer.Option("--due", help="Due date, repeatable.")] = None,
    window: Annotated[
        list[str] | None, typer.Option("--window", help="OPENS..DUE window, repeatable.")
    ] = None,
    rrule: Annotated[
        str | None, typer.Option("--rrule", help="RFC 5545 RRULE in the plan year.")
    ] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="时限 as written, e.g. '6月;12月'.")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Plan a new item with a structured schedule or a 时限 text."""
    st = state(ctx)
    app = st.app()
    spec = NewItem(
        title=title,
        rrule=rrule,
        dues=[parse_date(d, "--due") for d in due or []],
        windows=[parse_window(w) for w in window or []],
        section=section,
        number=number,
        goal=goal,
        measures=measures,
        responsible=responsible,
    )
    pid = parse_id(plan_id, "plan id")
    item = app.handle(AddItem.typed(plan_id=pid, spec=spec, deadline=deadline, actor=st.actor))
    show_item(app, item, json_out)


@item_cli.command("show")
@guarded
def show(
    ctx: typer.Context,
    item_id: str,
    as_of: Annotated[str | None, typer.Option("--as-of", help="ISO 8601 recorded time.")] = None,
    version: Annotated[int | None, typer.Option("--version", help="Event version.")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Show an item now, as recorded at a past time, or at a version."""
    st = state(ctx)
    app = st.app()
    moment = parse_moment(as_of) if as_of else None
    item = app.get_item(parse_id(item_id, "item id"), as_of=moment, version=version)
    sent = None
    if moment is None and version is None:  # the tasks read model knows the present only
        with st.read_models().connect() as conn:
            sent = sent_of_item(conn, str(item.id), app.today())
    show_item(app, item, json_out, sent)


@item_cli.command("complete")
@guarded
def complete(
    ctx: typer.Context,
    item_id: str,
    occurrence: OccurrenceOpt = None,
    done_on: Annotated[
        str | None, typer.Option("--done-on", help="Date the work was done (default today).")
    ] = None,
    note: NoteOpt = None,
    evidence: EvidenceOpt = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Mark an occurrence done."""
    st = state(ctx)
    app = st.app()
    item = app.handle(
        Complete(
            item_id=parse_id(item_id, "item id"),
            actor=st.actor,
            occurrence=occurrence,
            done_on=parse_date(done_on, "--done-on") if done_on else None,
            note=note,
            evidence=evidence,
            expected_version=if_version,
        )
    )
    show_item(app, item, json_out)


@item_cli.command("backfill")
@guarded
def backfill(
    ctx: typer.Context,
    item_id: str,
    occurrence: Annotated[
        str, typer.Option("--occurrence", help="Due date (YYYY-MM-DD) of the occurrence.")
    ],
    done_on: Annotated[
        str, typer.Option("--done-on", help="The day (YYYY-MM-DD) the work was done.")
    ],
    note: NoteOpt = None,
    evidence: EvidenceOpt = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Record an occurrence as already done (补录): the history says it was a backfill."""
    st = state(ctx)
    app = st.app()
    item = app.handle(
        Backfill(
            item_id=parse_id(item_id, "item id"),
            actor=st.actor,
            occurrence=parse_date(occurrence, "--occurrence").isoformat(),
            done_on=parse_date(done_on, "--done-on"),
            note=note,
            evidence=evidence,
            expected_version=if_version,
        )
    )
    show_item(app, item, json_out)


@item_cli.command("progress")
@guarded
def progress(
    ctx: typer.Context,
    item_id: str,
    percent: Annotated[int | None, typer.Option("--percent", help="0–100.")] = None,
    target: Annotated[
        int | None, typer.Option("--target", help="Target number (1-based) to update.")
    ] = None,
    value: Annotated[
        float | None, typer.Option("--value", help="The target's current value.")
    ] = None,
    occurrence: OccurrenceOpt = None,
    note: NoteOpt = None,
    evidence: EvidenceOpt = None,
    evidence_sha256: Annotated[
        list[str] | None,
        typer.Option(
            "--evidence-sha256",
            help="A file added before with `planlog evidence add` (repeatable).",
        ),
    ] = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Report progress: a note, a percent, a target's current value, files added before."""
    st = state(ctx)
    app = st.app()
    item = app.handle(
        ReportProgress(
            item_id=parse_id(item_id, "item id"),
            actor=st.actor,
            occurrence=occurrence,
            percent=percent,
            target_index=target - 1 if target is not None else None,
            target_value=value,
            note=note,
            evidence=evidence,
            evidence_sha256=evidence_sha256 or (),
            expected_version=if_version,
        )
    )
    show_item(app, item, json_out)


@item_cli.command("reopen")
@guarded
def reopen(
    ctx: typer.Context,
    item_id: str,
    occurrence: Annotated[str, typer.Option("--occurrence", help="Due date of the occurrence.")],
    reason: Annotated[str, typer.Option("--reason")],
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Reopen a completed occurrence (with a reason)."""
    st = state(ctx)
    app = st.app()
    item = app.handle(
        Reopen(
            item_id=parse_id(item_id, "item id"),
            occurrence=occurrence,
            actor=st.actor,
            reason=reason,
            expected_version=if_version,
        )
    )
    show_item(app, item, json_out)


@item_cli.command("cancel")
@guarded
def cancel(
    ctx: typer.Context,
    item_id: str,
    reason: Annotated[str, typer.Option("--reason")],
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Cancel an item (with a reason); it stays in the record."""
    st = state(ctx)
    app = st.app()
    item = app.handle(
        Cancel(
            item_id=parse_id(item_id, "item id"),
            actor=st.actor,
            reason=reason,
            expected_version=if_version,
        )
    )
    show_item(app, item, json_out)


@item_cli.command("reassign")
@guarded
def reassign(
    ctx: typer.Context,
    item_id: str,
    to: Annotated[str, typer.Option("--to", help="New responsible person or body.")],
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Hand an item to someone else."""
    st = state(ctx)
    app = st.app()
    item = app.handle(
        Reassign(
            item_id=parse_id(item_id, "item id"),
            responsible=to,
            actor=st.actor,
            reason=reason,
            expected_version=if_version,
        )
    )
    show_item(app, item, json_out)


@item_cli.command("reschedule")
@guarded
def reschedule(
    ctx: typer.Context,
    item_id: str,
    reason: Annotated[str, typer.Option("--reason")],
    occurrence: Annotated[
        str | None, typer.Option("--occurrence", help="Move only this occurrence (its due date).")
    ] = None,
    to: Annotated[str | None, typer.Option("--to", help="New due date for --occurrence.")] = None,
    due: Annotated[list[str] | None, typer.Option("--due", help="New due dates.")] = None,
    window: Annotated[list[str] | None, typer.Option("--window")] = None,
    rrule: Annotated[str | None, typer.Option("--rrule")] = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Move one occurrence (--occurrence D --to D2) or replace the open schedule."""
    st = state(ctx)
    app = st.app()
    command = schedule_change(
        item_id=parse_id(item_id, "item id"),
        actor=st.actor,
        reason=reason,
        occurrence=occurrence,
        to=parse_date(to, "--to") if to else None,
        dues=[parse_date(d, "--due") for d in due or []],
        windows=[parse_window(w) for w in window or []],
        rrule=rrule,
        expected_version=if_version,
    )
    item = app.handle(command)
    show_item(app, item, json_out)


@item_cli.command("move")
@guarded
def move(
    ctx: typer.Context,
    item_id: str,
    occurrence: Annotated[str, typer.Option("--occurrence", help="Due date of the occurrence.")],
    to: Annotated[str, typer.Option("--to", help="Its new due date (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option("--reason")],
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Move one occurrence to a new due date (with a reason); the others stay."""
    st = state(ctx)
    command = MoveOccurrence(
        item_id=parse_id(item_id, "item id"),
        occurrence=occurrence,
        to=parse_date(to, "--to"),
        actor=st.actor,
        reason=reason,
        expected_version=if_version,
    )
    app = st.app()
    show_item(app, app.handle(command), json_out)


@item_cli.command("revise")
@guarded
def revise(
    ctx: typer.Context,
    item_id: str,
    title: Annotated[str | None, typer.Option("--title")] = None,
    goal: Annotated[str | None, typer.Option("--goal")] = None,
    measures: Annotated[str | None, typer.Option("--measures")] = None,
    number: Annotated[
        str | None, typer.Option("--number", help="Its number in the plan (序号), as printed.")
    ] = None,
    section: Annotated[
        str | None, typer.Option("--section", help="Section id (s1, s2, …) to move it to.")
    ] = None,
    helpers: Annotated[
        str | None, typer.Option("--helpers", help="Helping units (协办单位).")
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason")] = None,
    if_version: IfVersionOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Revise what an item says."""
    st = state(ctx)
    given = {
        "title": title,
        "goal": goal,
        "measures": measures,
        "number": number,
        "section_id": section,
        "helpers": helpers,
    }
    command = ReviseItem(
        item_id=parse_id(item_id, "item id"),
        actor=st.actor,
        reason=reason,
        expected_version=if_version,
        changes={k: v for k, v in given.items() if v is not None},
    )
    app = st.app()
    item = app.handle(command)
    show_item(app, item, json_out)
