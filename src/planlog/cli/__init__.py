"""The `planlog` command line (Typer + Rich)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from planlog.application import parse_moment
from planlog.board import board_from_aggregates
from planlog.cli.common import (
    JsonOption,
    State,
    emit_json,
    guarded,
    out_console,
    parse_id,
    state,
)
from planlog.cli.items import item_cli
from planlog.cli.plans import plan_cli
from planlog.render import print_board

app = typer.Typer(
    name="planlog",
    help="planlog — 工会年度工作计划台账 (event-sourced annual work-plan tracker).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(plan_cli, name="plan")
app.add_typer(item_cli, name="item")


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="PLANLOG_DATABASE_URL",
            help="Event store: sqlite:///FILE (default sqlite:///planlog.db) or postgresql://…",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", envvar="PLANLOG_ACTOR", help="Who is acting (default: OS user)."),
    ] = None,
) -> None:
    st = State(db=db, actor=actor or getpass.getuser())
    ctx.obj = st
    ctx.call_on_close(st.close)


@app.command("history")
@guarded
def history(ctx: typer.Context, aggregate_id: str, json_out: bool = JsonOption) -> None:
    """Every recorded change of an item or plan: what, who, when, why."""
    entries = state(ctx).app().history(parse_id(aggregate_id))
    if json_out:
        emit_json(entries)
        return
    table = Table("v", "时间 recorded", "人 actor", "事件 type", "原因 reason")
    for e in entries:
        table.add_row(
            str(e["version"]), e["recorded_at"][:19], e["actor"] or "", e["type"], e["reason"] or ""
        )
    out_console.print(table)


@app.command("board")
@guarded
def board(
    ctx: typer.Context,
    plan_id: str,
    now: Annotated[str | None, typer.Option("--now", help="Evaluate lights on this day.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Show what was recorded up to this time.")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """The progress board of a plan, with traffic lights."""
    application = state(ctx).app()
    moment = parse_moment(as_of) if as_of else None
    pid = parse_id(plan_id, "plan id")
    plan = application.get_plan(pid, as_of=moment)
    items = application.plan_items(pid, as_of=moment)
    if now:
        today = parse_moment(now).date()
    elif moment:
        today = moment.date()
    else:
        today = application.today()
    result = board_from_aggregates(plan, items, today)
    result["as_of"] = moment.isoformat() if moment else None
    if json_out:
        emit_json(result)
    else:
        print_board(result)


def main() -> None:
    app()
