"""`planlog import`: a plan document into a plan, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from planlog.cli.common import JsonOption, emit_json, guarded, out_console, state
from planlog.cli.plans import PARENT_HELP, registered_line
from planlog.importer import read_plan
from planlog.importing import import_document


@guarded
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Plan document: .txt .md .docx .xlsx .yaml")],
    org: Annotated[str, typer.Option("--org", help="Organisation the plan belongs to.")],
    year: Annotated[int, typer.Option("--year", help="Plan year.")],
    title: Annotated[
        str | None, typer.Option("--title", help="Plan title (default: the document's).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be created; record nothing.")
    ] = False,
    parent: Annotated[str | None, typer.Option("--parent", help=PARENT_HELP)] = None,
    json_out: bool = JsonOption,
) -> None:
    """Import a plan document: sections, items, 时限, 责任人 and targets. A missing
    organisation is registered with the plan (at the top level, or under --parent)."""
    st = state(ctx)
    imported = read_plan(file, year)
    result = import_document(
        st.app(),
        imported,
        org=org,
        year=year,
        actor=st.actor,
        title=title,
        document=file.name,
        dry_run=dry_run,
        parent=parent,
    )
    if json_out:
        emit_json(result)
        return
    table = Table(
        "部分 section",
        "序号",
        "工作任务 task",
        "时限 deadline",
        "截止 due",
        "责任人",
        title=f"{result['title']} ({len(result['items'])} 项)",
    )
    for row in result["items"]:
        dues = "、".join(o["due"][5:] for o in row["occurrences"][:6])
        if len(row["occurrences"]) > 6:
            dues += f" …({len(row['occurrences'])})"
        table.add_row(
            row["section"] or "",
            row["number"] or "",
            row["title"],
            row["deadline_text"] or "（年底）",
            dues,
            row["responsible"] or "",
        )
    out_console.print(table)
    for warning in result["warnings"]:
        out_console.print(f"[yellow]注意[/] {warning}")
    if result["org_registered"]:
        would = "（试运行：将）" if dry_run else ""
        out_console.print(would + registered_line(result["org"], parent))
    if dry_run:
        out_console.print("试运行，未保存 / dry run: nothing was recorded")
    elif result["already_imported"]:
        out_console.print(f"该文件已导入 / already imported as plan [bold]{result['plan_id']}[/]")
    else:
        out_console.print(f"已导入 / imported as plan [bold]{result['plan_id']}[/]")
