"""`planlog task …`: send an item of a federation's plan down to its unions (任务下达),
read the task's status, and move its deadlines."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from planlog.cli.common import JsonOption, emit_json, guarded, out_console, parse_date, parse_id
from planlog.cli.common import state as cli_state
from planlog.cli.render import literal
from planlog.domain.errors import NotFound
from planlog.i18n import count_of, lang, t
from planlog.projections.queries import evaluation_day
from planlog.projections.tasks import org_parents, task_status
from planlog.service.app import parse_moment
from planlog.service.commands import AdjustTask, SendTask

task_cli = typer.Typer(
    help="Tasks sent down by a federation (任务下达): send, status, adjust.",
    no_args_is_help=True,
)

#: a copy's status (planlog.projections.tasks) → the planlog word for it: `open` is a
#: copy neither done, handed in nor overdue, started or not: 未到期 / not due yet
STATUS_WORDS = {
    "done": "done",
    "overdue": "overdue",
    "open": "not_due_yet",
    "submitted": "submitted",
    "cancelled": "cancelled",
}


@task_cli.command("send")
@guarded
def send(
    ctx: typer.Context,
    item_id: str,
    to: Annotated[
        list[str],
        typer.Option("--to", help="A federation or district; every union below it gets a copy."),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Say how many unions would get a copy and which deadlines have passed; "
            "record nothing (预览).",
        ),
    ] = False,
    json_out: bool = JsonOption,
) -> None:
    """Send an item of a federation's plan to every union below the organisations --to."""
    st = cli_state(ctx)
    with st.read_models().connect() as conn:
        parents = org_parents(conn)
    sent = st.app().handle(
        SendTask(
            item_id=parse_id(item_id, "item id"),
            to=to,
            parents=parents,
            actor=st.actor,
            dry_run=dry_run,
        )
    )
    if json_out:
        emit_json(sent.document())
        return
    n = sent.copies
    out_console.print(
        f"预览：将下达至 {n} 个工会，未记录任何内容（dry run: {count_of(n, 'union')} "
        "would get a copy; nothing recorded）"
        if sent.dry_run
        else f"任务 {sent.task_id} 已下达至 {n} 个工会（sent to {count_of(n, 'union')}）"
    )
    if sent.reason:
        out_console.print(literal(sent.reason))
    if sent.unions:  # a preview names them: check before sending
        shown = "、".join(sent.unions[:_PREVIEW_NAMES])
        more = len(sent.unions) - _PREVIEW_NAMES
        if more > 0:
            shown += f" …（另有 {more} 个 / {more} more）"
        out_console.print(literal(shown))
    if sent.past_due:
        days = "、".join(sent.past_due)
        out_console.print(literal(t("task_past_due").format(days=days)))


#: unions a preview names on the terminal (`--json` lists every one)
_PREVIEW_NAMES = 30


@task_cli.command("status")
@guarded
def status(
    ctx: typer.Context,
    task_id: str,
    now: Annotated[str | None, typer.Option("--now", help="Judge overdue on this day.")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Per union: its copy and whether it is done, overdue or open."""
    st = cli_state(ctx)
    today = evaluation_day(st.app(), parse_moment(now) if now else None, None)
    with st.read_models().connect() as conn:
        found = task_status(conn, str(parse_id(task_id, "task id")), today)
    if found is None:
        raise NotFound(f"没有此任务（no task with id {task_id}）", id=task_id)
    if json_out:
        emit_json(found)
        return
    counts = " · ".join(
        f"{t(STATUS_WORDS[key])} {found[key]}"
        for key in ("done", "overdue", "open", "submitted")
        if key in found
    )
    en = lang() == "en"
    table = Table(
        "Union" if en else "工会",
        t("status"),
        "Item" if en else "事项",
        title=f"{found['title']} · {counts}",
    )
    for union in found["unions"]:
        word = t(STATUS_WORDS.get(union["status"], union["status"]))
        table.add_row(literal(union["org"]), word, union["item_id"])
    out_console.print(table)


@task_cli.command("adjust")
@guarded
def adjust(
    ctx: typer.Context,
    task_id: str,
    due: Annotated[list[str], typer.Option("--due", help="New due date (YYYY-MM-DD).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the deadlines move.")],
    json_out: bool = JsonOption,
) -> None:
    """Move the task's deadlines: the federation's item and every union's copy."""
    st = cli_state(ctx)
    moved = st.app().handle(
        AdjustTask(
            task_id=parse_id(task_id, "task id"),
            dues=[parse_date(d, "due") for d in due],
            actor=st.actor,
            reason=reason,
        )
    )
    if json_out:
        emit_json({"task_id": str(moved.task_id), "copies": moved.copies})
        return
    out_console.print(f"已调整 {moved.copies} 个工会的时限（moved {moved.copies} copies）")
