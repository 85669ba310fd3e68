"""`planlog parse-deadline`: see how planlog reads a 时限 text."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from planlog.cli.common import JsonOption, emit_json, guarded, out_console
from planlog.cli.render import literal
from planlog.deadlines import parse_deadline
from planlog.domain.clock import PLAN_TZ

# How a flag reads next to the table, Chinese first.
FLAG_NAMES = {
    "soft": "soft 力争/前后",
    "ambiguous": "ambiguous 有歧义",
    "next_year": "next_year 次年",
    "ongoing": "ongoing 全年持续",
}


@guarded
def parse_deadline_command(
    text: Annotated[str, typer.Argument(help="The 时限 text, e.g. '6月;12月' or '六月至八月'.")],
    year: Annotated[
        int | None, typer.Option("--year", help="Plan year (default: this year).")
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Read a deadline written in Chinese into occurrences (and an RRULE for recurrences)."""
    parsed = parse_deadline(text, year or datetime.now(PLAN_TZ).year)
    if json_out:
        emit_json(parsed.to_dict())
        return
    table = Table("开始 opens", "截止 due", title=literal(f"时限 {text}"))
    for occ in parsed.occurrences:
        table.add_row(occ.opens.isoformat() if occ.opens else "", occ.due.isoformat())
    out_console.print(table)
    flags = [FLAG_NAMES.get(flag, flag) for flag in parsed.flags]
    if parsed.rrule:
        out_console.print(literal(f"RRULE: {parsed.rrule}"))
    if flags:
        out_console.print(literal(" · ".join(flags) + (f" — {parsed.note}" if parsed.note else "")))
