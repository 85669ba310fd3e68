"""The `planlog` command line (Typer + Rich)."""

from __future__ import annotations

import getpass
from importlib.metadata import version
from typing import Annotated
from uuid import UUID

import typer
from rich.table import Table

from planlog.cli.audit import audit_cli
from planlog.cli.common import (
    CURRENT_STATE,
    InvalidId,
    JsonOption,
    State,
    emit_json,
    guarded,
    out_console,
    parse_id,
    state,
)
from planlog.cli.deadlines import parse_deadline_command
from planlog.cli.demo import demo_command
from planlog.cli.evidence import evidence_cli
from planlog.cli.importing import import_command
from planlog.cli.items import item_cli
from planlog.cli.ops import register_ops_commands
from planlog.cli.orgs import org_cli, rollup_command
from planlog.cli.people import person_cli
from planlog.cli.plans import plan_cli
from planlog.cli.readmodels import projections_cli, register_read_commands
from planlog.cli.reminders import digest, notify_cli, policy, remind, reminders, worker
from planlog.cli.render import TIME_COLUMN, china_time, literal
from planlog.cli.serve import serve
from planlog.cli.supervision import request_cli
from planlog.cli.tasks import task_cli
from planlog.cli.tokens import token_cli
from planlog.service.app import PlanlogApp

app = typer.Typer(
    name="planlog",
    help="planlog — 工会年度工作计划台账 (event-sourced annual work-plan tracker).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(plan_cli, name="plan")
app.add_typer(item_cli, name="item")
app.add_typer(evidence_cli, name="evidence")
app.command("parse-deadline")(parse_deadline_command)
app.command("import")(import_command)
app.command("demo")(demo_command)
app.add_typer(org_cli, name="org")
app.add_typer(task_cli, name="task")
app.add_typer(projections_cli, name="projections")
app.command("rollup")(rollup_command)
register_read_commands(app)
app.command("remind")(remind)
app.command("reminders")(reminders)
app.command("digest")(digest)
app.command("worker")(worker)
app.add_typer(notify_cli, name="notify")
app.add_typer(audit_cli, name="audit")
app.add_typer(token_cli, name="token")
app.add_typer(person_cli, name="person")
app.add_typer(request_cli, name="request")
app.command("serve")(serve)
register_ops_commands(app)
plan_cli.command("policy")(policy)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"planlog {version('planlog')}")
        raise typer.Exit()


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
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print planlog's version and stop (版本).",
        ),
    ] = False,
) -> None:
    st = State(db=db, actor=actor or getpass.getuser())
    ctx.obj = st
    token = CURRENT_STATE.set(st)
    ctx.call_on_close(st.close)
    ctx.call_on_close(lambda: CURRENT_STATE.reset(token))


@app.command("history")
@guarded
def history(ctx: typer.Context, record: str, json_out: bool = JsonOption) -> None:
    """Every recorded change of a plan, item, task or person (by id) or of an
    organisation (by name): what, who, when, why (an item's includes the task it was
    sent down as), times in China time."""
    app = state(ctx).app()
    entries = app.history(_history_of(app, record))
    if json_out:
        emit_json(entries)
        return
    table = Table("v", TIME_COLUMN, "人 actor", "事件 type", "原因 reason")
    for e in entries:
        # an item's history holds the changes of the task it was sent down as: marked
        task = f"任务 task {e['sent_as'][:8]}: " if "sent_as" in e else ""
        table.add_row(
            str(e["version"]),
            china_time(e["recorded_at"]),
            literal(e["actor"]),
            literal(task + e["type"]),
            literal(e["reason"]),
        )
    out_console.print(table)


def _history_of(app: PlanlogApp, text: str) -> UUID:
    """The record `history` names: a whole id, an organisation's name (how people know
    an organisation: its id is derived from the name), or the start of an id. A name is
    tried before a start, as "2024" or "CAFE" are both."""
    try:
        return UUID(text.strip())
    except ValueError:
        pass
    found = app.find_organisation(text)
    if found is not None:
        return found.id
    try:
        return parse_id(text)
    except InvalidId:
        raise InvalidId(
            f"“{text}”既不是编号，也不是组织名称（{text!r} is neither an id (a UUID or its "
            "first characters) nor an organisation's name）",
            id=text,
        ) from None


def main() -> None:
    app()
