"""`planlog import`: a plan document into a plan, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from planlog.cli.common import JsonOption, emit_json, guarded, out_console, state
from planlog.cli.plans import PARENT_HELP, registered_line
from planlog.cli.render import literal
from planlog.importer import read_plan
from planlog.service.importing import IMPLICIT_DEADLINE_WARNING, import_document

# How a deadline's source and flags read in the table, Chinese first.
SOURCE_NAMES = {"label": "时限", "column": "表格列", "sentence": "句中", "implicit": "默认"}
FLAG_NAMES = {
    "implicit": "年底",
    "soft": "力争",
    "ambiguous": "有歧义",
    "next_year": "次年",
    "ongoing": "全年",
}


def source_cell(row: dict[str, Any]) -> Text:
    """label/column/sentence/implicit, and the flags a reviewer should check, in yellow."""
    source = row.get("deadline_source", "implicit")
    cell = Text(f"{SOURCE_NAMES.get(source, source)} {source}")
    flags = [f for f in row.get("flags", []) if f != "implicit"]
    if flags:
        cell.append(" " + " ".join(FLAG_NAMES.get(f, f) for f in flags), style="yellow")
    return cell


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
        register_org=True,  # the administrator's door registers a missing organisation
        parent=parent,
    )
    if json_out:
        emit_json(result)
        return
    # Everything below comes from the document, which anyone may have written.
    caption = literal(result["title"])
    caption.append(f" ({len(result['items'])} 项)")
    table = Table(
        "部分 section",
        "序号",
        "工作任务 task",
        "时限 deadline",
        "截止 due",
        "来源 source",
        "责任人",
        title=caption,
    )
    for row in result["items"]:
        dues = "、".join(o["due"][5:] for o in row["occurrences"][:6])
        if len(row["occurrences"]) > 6:
            dues += f" …({len(row['occurrences'])})"
        table.add_row(
            literal(row["section"]),
            literal(row["number"]),
            literal(row["title"]),
            literal(row["deadline_text"] or "（年底）"),
            dues,
            source_cell(row),
            literal(row["responsible"]),
        )
    out_console.print(table)
    for warning in result["warnings"]:
        out_console.print(Text.assemble(("注意", "yellow"), " ", literal(warning)))
    # An item's warnings (an unreadable 时限, an ambiguous one, a next-year date) show here
    # too; the year-end default is counted once rather than repeated on every row.
    implicit = 0
    for row in result["items"]:
        for warning in row["warnings"]:
            if warning == IMPLICIT_DEADLINE_WARNING:
                implicit += 1
                continue
            where = f"第 {row['source_line']} 行 {row['number']} "
            out_console.print(Text.assemble(("注意", "yellow"), " ", literal(where + warning)))
    if implicit:
        out_console.print(
            Text.assemble(
                ("注意", "yellow"),
                f" {implicit} 项无时限，按年底（12月31日）计 / "
                f"{implicit} item(s) without 时限: due at year end",
            )
        )
    if result["org_registered"]:
        would = "（试运行：将）" if dry_run else ""
        out_console.print(Text.assemble(would, registered_line(result["org"], parent)))
    if dry_run:
        out_console.print("试运行，未保存 / dry run: nothing was recorded")
    elif result["already_imported"]:
        out_console.print(
            Text.assemble("该文件已导入 / already imported as plan ", (result["plan_id"], "bold"))
        )
    else:
        out_console.print(Text.assemble("已导入 / imported as plan ", (result["plan_id"], "bold")))
