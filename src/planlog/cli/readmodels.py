"""Commands that read the projections: board, diff, calendar, workload, timeline, and
`planlog projections …` to rebuild them and see how far behind they are."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from planlog.cli.common import JsonOption, State, emit_json, guarded, out_console, parse_id, state
from planlog.cli.render import TIME_COLUMN, china_time, light_text, literal, print_board
from planlog.domain.values import REASON_MAX, required_text
from planlog.i18n import lang
from planlog.projections.calendar import open_deadlines
from planlog.projections.quarantine import QuarantinedEvent
from planlog.projections.queries import board_document, diff_document, evaluation_day
from planlog.projections.rollup import subtree
from planlog.projections.timeline import timeline
from planlog.projections.workload import workload
from planlog.service.app import day_span, parse_moment, span_bounds

projections_cli = typer.Typer(
    help="Read models: rebuild, status, run; events in quarantine.", no_args_is_help=True
)

NowOpt = Annotated[
    str | None, typer.Option("--now", help="Judge due-soon/overdue on this day (ISO 8601).")
]
BelowOpt = Annotated[
    bool,
    typer.Option(
        "--below", help="With --org: the organisations below it too (a district's unions)."
    ),
]


def _hint_below(st: State, org: str | None, below: bool, rows: list[Any]) -> None:
    """An empty answer for a federation or district says where its unions' deadlines are:
    `--org` alone is that organisation's own plans, and a district often has none."""
    if rows or org is None or below:
        return
    with st.read_models().connect() as conn:
        has_below = len(subtree(conn, org)) > 1
    if has_below:
        out_console.print(
            literal(
                f"“{org}”本身没有未完成的时限；其下属工会的请加 --below"
                f"（{org} has none of its own; add --below for the organisations under it）"
            )
        )


@guarded
def board(
    ctx: typer.Context,
    plan_id: str,
    now: NowOpt = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show what was recorded up to this time.")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """The progress board of a plan, grouped by section, with traffic lights."""
    st = state(ctx)
    document = board_document(
        st.app(),
        st.read_models(),
        parse_id(plan_id, "plan id"),
        now=parse_moment(now) if now else None,
        as_of=parse_moment(as_of) if as_of else None,
    )
    if json_out:
        emit_json(document)
    else:
        print_board(document)


@guarded
def diff(
    ctx: typer.Context,
    plan_id: str,
    start: Annotated[str, typer.Option("--from", help="ISO 8601 recorded time.")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601 recorded time.")],
    json_out: bool = JsonOption,
) -> None:
    """What changed in a plan between two recorded times: added, completed, rescheduled, …"""
    st = state(ctx)
    after, until = day_span(start, end)
    document = diff_document(
        st.app(), st.read_models(), parse_id(plan_id, "plan id"), after, until, lang()
    )
    if json_out:
        emit_json(document)
        return
    table = Table(
        TIME_COLUMN,
        "人 actor",
        "变化 change",
        "事项 item",
        "说明 summary",
        "原因 reason",
        title=f"{china_time(document['from'])} → {china_time(document['to'])}",
    )
    for c in document["changes"]:
        table.add_row(
            china_time(c["recorded_at"]),
            literal(c["actor"]),
            literal(c["type"]),
            literal(c["title"]),
            literal(c["summary"]),
            literal(c["reason"]),
        )
    out_console.print(table)


@guarded
def calendar(
    ctx: typer.Context,
    plan: Annotated[str | None, typer.Option("--plan", help="Only this plan.")] = None,
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    below: BelowOpt = False,
    responsible: Annotated[
        str | None, typer.Option("--responsible", help="Only deadlines of this 责任人.")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="Due on or after (date).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Due on or before (date).")] = None,
    now: NowOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Open deadlines by due date (the deadline calendar)."""
    st = state(ctx)
    app = st.app()
    today = evaluation_day(app, parse_moment(now) if now else None, None)
    with st.read_models().connect() as conn:
        deadlines = open_deadlines(
            conn,
            start=parse_moment(start).date() if start else None,
            end=parse_moment(end).date() if end else None,
            plan_id=str(parse_id(plan, "plan id")) if plan else None,
            org=org,
            responsible=responsible,
            below=below,
        )
    from planlog.domain.status import light

    rows = [
        {
            "item_id": d.item_id,
            "plan_id": d.plan_id,
            "org": d.org,
            "title": d.title,
            "responsible": d.responsible,
            "opens": d.opens.isoformat() if d.opens else None,
            "due": d.due.isoformat(),
            "status": light(d.status, d.due, today),
        }
        for d in deadlines
    ]
    if json_out:
        emit_json(rows)
        return
    table = Table("截止 due", "开始 opens", "事项 item", "责任人", "组织 org", "状态 status")
    _hint_below(st, org, below, rows)
    for r in rows:
        table.add_row(
            r["due"],
            r["opens"] or "",
            literal(r["title"]),
            literal(r["responsible"]),
            literal(r["org"]),
            light_text(str(r["status"])),
        )
    out_console.print(table)


@guarded
def workload_command(
    ctx: typer.Context,
    plan: Annotated[str | None, typer.Option("--plan", help="Only this plan.")] = None,
    org: Annotated[
        str | None,
        typer.Option("--org", help="Only this organisation (with --below, and those under it)."),
    ] = None,
    below: BelowOpt = False,
    now: NowOpt = None,
    json_out: bool = JsonOption,
) -> None:
    """Open, due-soon and overdue deadlines per responsible person of each union."""
    st = state(ctx)
    today = evaluation_day(st.app(), parse_moment(now) if now else None, None)
    with st.read_models().connect() as conn:
        plan_id = str(parse_id(plan, "plan id")) if plan else None
        rows = workload(conn, today, plan_id=plan_id, org=org, below=below)
    if json_out:
        emit_json(rows)
        return
    _hint_below(st, org, below, rows)
    table = Table(
        "责任人 responsible",
        "组织 org",
        "未完成 open",
        "即将到期 due soon",
        "已逾期 overdue",
        "下次截止 next due",
    )
    for r in rows:
        table.add_row(
            literal(r["responsible"]),
            literal(r["org"]),
            str(r["open"]),
            str(r["due_soon"]),
            str(r["overdue"]),
            r["next_due"] or "",
        )
    out_console.print(table)


@guarded
def timeline_command(
    ctx: typer.Context,
    plan: Annotated[str | None, typer.Option("--plan")] = None,
    item: Annotated[str | None, typer.Option("--item")] = None,
    start: Annotated[str | None, typer.Option("--from")] = None,
    end: Annotated[str | None, typer.Option("--to")] = None,
    limit: Annotated[int | None, typer.Option("--limit")] = None,
    json_out: bool = JsonOption,
) -> None:
    """The audit timeline: every recorded event with who, when and a summary."""
    st = state(ctx)
    after, until = span_bounds(start, end)
    with st.read_models().connect() as conn:
        entries = timeline(
            conn,
            plan_id=str(parse_id(plan, "plan id")) if plan else None,
            aggregate_id=str(parse_id(item, "item id")) if item else None,
            after=after,
            until=until,
            limit=limit,
            language=lang(),
        )
    if json_out:
        emit_json(entries)
        return
    table = Table("#", TIME_COLUMN, "人 actor", "事件 type", "说明 summary", "原因 reason")
    for e in entries:
        table.add_row(
            str(e["position"]),
            china_time(e["recorded_at"]),
            literal(e["actor"]),
            literal(e["type"]),
            literal(e["summary"]),
            literal(e["reason"]),
        )
    out_console.print(table)


def register_read_commands(app: typer.Typer) -> None:
    app.command("board")(board)
    app.command("diff")(diff)
    app.command("calendar")(calendar)
    app.command("workload")(workload_command)
    app.command("timeline")(timeline_command)


@projections_cli.command("status")
@guarded
def status(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """Position and lag of each projection, and the events it holds in quarantine."""
    runner = state(ctx).runner()
    statuses = runner.status()
    held = runner.quarantined(open_only=True)
    if json_out:
        emit_json(
            [
                {
                    **s.to_dict(),
                    "quarantined_events": [e.to_dict() for e in held if e.projection == s.name],
                }
                for s in statuses
            ]
        )
        return
    table = Table("projection", "position", "head", "lag", "隔离 quarantined")
    for s in statuses:
        table.add_row(literal(s.name), str(s.position), str(s.head), str(s.lag), str(s.quarantined))
    out_console.print(table)
    if held:
        print_quarantine(held)


def print_quarantine(entries: list[QuarantinedEvent]) -> None:
    table = Table(
        "#",
        "projection",
        "事件 event",
        "版本 v",
        "状态 status",
        "错误 error",
        "首次 first seen",
        title="隔离中的事件 / events in quarantine",
    )
    for e in entries:
        status_text = e.status
        if e.released_at is not None:
            status_text += f" ({e.released_by}: {e.release_reason})"
        table.add_row(
            str(e.position),
            literal(e.projection),
            literal(f"{e.type} {e.aggregate_id}"),
            str(e.version),
            literal(status_text),
            literal(e.error),
            china_time(e.first_seen),
        )
    out_console.print(table)


@projections_cli.command("quarantine")
@guarded
def quarantine_command(
    ctx: typer.Context,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only events still unapplied, not released ones.")
    ] = False,
    json_out: bool = JsonOption,
) -> None:
    """Events a projection could not apply: set aside so that every other event goes on."""
    entries = state(ctx).runner().quarantined(open_only=open_only)
    if json_out:
        emit_json([e.to_dict() for e in entries])
    elif entries:
        print_quarantine(entries)
    else:
        out_console.print("没有隔离中的事件 / no event is in quarantine")


@projections_cli.command("retry")
@guarded
def retry(
    ctx: typer.Context,
    positions: Annotated[
        list[int] | None, typer.Argument(help="Positions to retry (default: every one).")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Apply quarantined events again, after an upcaster or a code fix; those that still
    fail stay in quarantine. Exit 1 if any still fails."""
    result = state(ctx).runner().retry(positions or None)
    if json_out:
        emit_json(result.to_dict())
    else:
        out_console.print(
            f"已应用 applied {len(result.applied)}, 仍失败 still failing {len(result.failed)}"
        )
        if result.failed:
            print_quarantine(result.failed)
    if result.failed:
        raise typer.Exit(1)


@projections_cli.command("release")
@guarded
def release(
    ctx: typer.Context,
    position: Annotated[int, typer.Argument(help="Position of the quarantined event.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it may stay unapplied.")],
    projection: Annotated[
        str | None, typer.Option("--projection", help="Only in this projection.")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Accept that a quarantined event stays unapplied (e.g. a compensating event was
    recorded); who and why are kept with it."""
    st = state(ctx)
    why = required_text(reason, "reason", max_len=REASON_MAX)
    released = st.runner().release(position, actor=st.actor, reason=why, projection=projection)
    if json_out:
        emit_json({"released": [e.to_dict() for e in released]})
    else:
        names = ", ".join(e.projection for e in released)
        out_console.print(f"已放行 released event #{position} ({names})")


@projections_cli.command("rebuild")
@guarded
def rebuild(
    ctx: typer.Context,
    only: Annotated[list[str] | None, typer.Option("--only", help="Rebuild just these.")] = None,
    lanes: Annotated[
        int | None,
        typer.Option("--lanes", min=1, max=8, help="Processes to rebuild in (default: cores, ≤2)."),
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Empty the read models and project the whole event log again."""
    runner = state(ctx).runner()
    head = runner.head()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        disable=json_out,
        transient=False,
    ) as bar:
        task = bar.add_task("重建 rebuilding", total=head or 1)
        processed = runner.rebuild(
            only,
            progress=lambda position, _head: bar.update(task, completed=position),
            lanes=lanes,
        )
    result = {"events": processed, "projections": [s.to_dict() for s in runner.status()]}
    if json_out:
        emit_json(result)
    else:
        out_console.print(f"已重建 rebuilt from {processed} events")


@projections_cli.command("run")
@guarded
def run(
    ctx: typer.Context,
    interval: Annotated[float, typer.Option("--interval", help="Poll interval, seconds.")] = 1.0,
) -> None:
    """Keep the projections caught up until interrupted (polls SQLite, LISTENs on PostgreSQL)."""
    stop = threading.Event()
    try:
        state(ctx).runner().run_forever(stop, poll_interval=interval)
    except KeyboardInterrupt:
        stop.set()
