"""`planlog backup`, `restore`, `migrate` and `doctor`: running a store in production."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from planlog.cli.common import JsonOption, emit_json, err_console, guarded, out_console, state
from planlog.cli.render import literal
from planlog.config import Settings
from planlog.ops.backup import Restored, backup, restore
from planlog.ops.doctor import FAIL, OK, diagnose
from planlog.ops.migrate import migrate
from planlog.service.store import DEFAULT_DATABASE_URL


def _url(ctx: typer.Context) -> str:
    st = state(ctx)
    import os

    return st.db or os.environ.get("PLANLOG_DATABASE_URL") or DEFAULT_DATABASE_URL


@guarded
def backup_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup file to write (.tar.gz).")],
    json_out: bool = JsonOption,
) -> None:
    """备份 Write the whole event log and the evidence files to FILE, while the server runs."""
    result = backup(_url(ctx), file, Settings())
    if json_out:
        emit_json(result.to_dict())
        return
    head = result.head
    out_console.print(
        literal(
            f"已备份 {result.events} 个事件、{result.evidence_files} 个证明材料文件到 {file}"
            f"（backed up {result.events} events and {result.evidence_files} evidence files); "
            f"审计链头 chain head #{head['position'] if head else 0} "
            f"{head['hash'] if head else '-'}"
        ),
        soft_wrap=True,
    )


@guarded
def restore_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file written by planlog backup.")],
    db: Annotated[
        str | None, typer.Option("--db", help="The EMPTY store to restore into (default: --db).")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """恢复 Load a backup into an empty store, project its read models, verify its chain."""
    result = restore(file, db or _url(ctx), Settings())
    if json_out:
        emit_json({"events": result.events, "head": result.head, **_evidence(result)})
    else:
        head = result.head
        out_console.print(
            literal(
                f"已恢复 {result.events} 个事件、{result.evidence_files} 个佐证文件，审计链校验"
                f"通过，链头与备份时相同（restored {result.events} events and "
                f"{result.evidence_files} evidence files; the audit chain verifies and its head "
                f"is the backup's): #{head['position'] if head else 0} "
                f"{head['hash'] if head else '-'}"
            ),
            soft_wrap=True,
        )
        for problem in result.evidence.problems:
            err_console.print(literal(problem.describe()), soft_wrap=True)
    if not result.evidence.ok:
        raise typer.Exit(1)  # the log is restored, but a file it references is not right


def _evidence(result: Restored) -> dict[str, Any]:
    return {"evidence": result.to_dict()["evidence"]}


@guarded
def migrate_command(
    source: Annotated[
        str, typer.Option("--from", help="The store to copy, e.g. sqlite:///planlog.db")
    ],
    target: Annotated[
        str, typer.Option("--to", help="The EMPTY store to copy into, e.g. postgresql://…")
    ],
    json_out: bool = JsonOption,
) -> None:
    """迁移 Copy every event to an empty store (e.g. SQLite → PostgreSQL) and prove it whole."""
    result = migrate(source, target, Settings())
    if json_out:
        emit_json(result.to_dict())
        return
    head = result.head
    out_console.print(
        literal(
            f"已迁移 {result.events} 个事件，用时 {result.seconds:.1f} 秒；目标库审计链校验通过，"
            f"链头与源库相同（migrated {result.events} events in {result.seconds:.1f} s; the "
            f"target's audit chain verifies and its head is the source's): "
            f"#{head['position'] if head else 0} {head['hash'] if head else '-'}"
        ),
        soft_wrap=True,
    )


def doctor_command(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """体检 Check the store, read models, scheduler, last backup and holiday calendar."""
    checks = diagnose(_url(ctx))
    failed = any(c.status == FAIL for c in checks)
    if json_out:
        # each check's findings under its name (store, schema, projections, quarantine,
        # scheduler, backup, calendar), and every check with its status and message
        emit_json(
            {"ok": not failed, **{c.name: c.data for c in checks}}
            | {"checks": [c.to_dict() for c in checks]}
        )
    else:
        marks = {OK: "[green]✓[/]", FAIL: "[bold red]✗[/]"}
        for c in checks:
            out_console.print(
                f"{marks.get(c.status, '[yellow]![/]')} {c.name}: ",
                literal(f"{c.zh}（{c.en}）"),
                soft_wrap=True,
            )
    if failed:
        if not json_out:
            err_console.print("体检未通过（a check failed）")
        raise typer.Exit(1)
    sys.stdout.flush()


def register_ops_commands(app: typer.Typer) -> None:
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
    app.command("migrate")(migrate_command)
    app.command("doctor")(doctor_command)
