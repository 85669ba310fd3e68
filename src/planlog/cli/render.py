"""The board in a terminal: a Rich table per section, with progress bars and traffic lights.

Also `literal`, the one way the CLI shows text that came from people or from the event log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from planlog.display import printable
from planlog.domain.board import completion_shown, counted_percent
from planlog.domain.clock import PLAN_TZ
from planlog.i18n import count_of, lang, t

#: each light a symbol of its own, as the web board has them: colour alone is lost in a
#: log, a pasted message, a printout or a colour-blind reader's terminal
LIGHT_STYLE = {
    "done": ("✓", "green"),
    "submitted": ("◉", "blue"),
    "overdue": ("!", "bold red"),
    "due_soon": ("◔", "yellow"),
    "in_progress": ("◐", "cyan"),
    "open": ("○", "white"),
    "cancelled": ("✕", "dim"),
    "sent": ("↓", "magenta"),
}


def literal(value: object, style: str = "") -> Text:
    """Data for Rich, shown exactly as written: never read as markup, never as a terminal
    escape sequence.

    Rich parses every plain string it prints as markup (`[/]` raises, `[link=…]` makes a
    hyperlink) and as emoji codes (`:warning:`); a `Text` is printed as it is. Control
    characters, which Rich passes through (ESC above all), become visible symbols.
    """
    return Text(printable("" if value is None else str(value)), style=style)


def light_text(status: str) -> Text:
    symbol, style = LIGHT_STYLE.get(status, ("?", "white"))
    return Text(f"{symbol} {t(status)}", style=style)


def sent_text(sent: dict[str, Any]) -> Text:
    """An item sent down (任务下达): to how many unions, and how their copies stand."""
    copies = sent["copies"]
    line = f"下达 {copies} 个工会" if lang() == "zh" else f"sent to {count_of(copies, 'union')}"
    if sent["done"] is None:  # a replayed board: how the copies stood is not replayed
        return Text(f"\n↓ {line}", style="magenta")
    counts = " · ".join(
        f"{t(key if key != 'open' else 'not_due_yet')} {sent[key]}"
        for key in ("done", "overdue", "open")
    )
    return Text(f"\n↓ {line}: {counts}", style="magenta")


def china_time(recorded: str) -> str:
    """A recorded moment (ISO 8601, as the JSON gives it) in China time, to the second,
    as `--as-of` reads a time typed without a zone: what a table shows can be typed
    back. Text that is not a moment is shown as it is."""
    try:
        moment = datetime.fromisoformat(recorded)
    except ValueError:
        return recorded[:19]
    if moment.tzinfo is None:
        return moment.isoformat(sep=" ", timespec="seconds")
    return moment.astimezone(PLAN_TZ).strftime("%Y-%m-%d %H:%M:%S")


#: the column heading of a moment shown by `china_time`
TIME_COLUMN = "时间(北京) recorded (China time)"


def similar_warning(org: str, similar: list[str], *, retirable: bool = False) -> Text:
    """A new organisation named almost like existing ones: perhaps a typo. `retirable`:
    nothing depends on it yet (registered alone, no plan), so `org retire` can undo it."""
    zh, en = (
        ("如写错，可用 planlog org retire 注销", " If so, retire it with planlog org retire")
        if retirable
        else ("", "")
    )
    return Text.assemble(
        ("注意 / note: ", "bold yellow"),
        "新登记的 ",
        literal(org),
        " 与已有的 ",
        literal("、".join(similar)),
        f" 相近，是否写错？{zh}（named almost like ",
        literal(", ".join(similar)),
        f": a typo?{en}）",
    )


def progress_bar(percent: int | None, width: int = 10) -> Text:
    """A bar and its percent; None (no deadline counted) an empty bar and "—", not 0 %."""
    filled = round(width * percent / 100) if percent is not None else 0
    bar = Text("█" * filled, style="green") + Text("░" * (width - filled), style="dim")
    return bar + Text(f" {percent:>3}%" if percent is not None else "    —")


def board_renderable(board: dict[str, Any]) -> Group:
    plan, totals = board["plan"], board["totals"]
    header = Text.assemble(
        literal(plan["org"]), f" · {plan['year']} · ", literal(plan["title"]), "\n", style="bold"
    )
    header.append(f"{t('today')} {board['today']}")
    if board.get("as_of"):
        header.append(f"   {t('as_of')} {china_time(board['as_of'])}")
    header.append("\n")
    # "open" counts started and unstarted deadlines alike: 未开始 is the unstarted ones
    shown = {**totals, "open": totals["open"] - totals.get("in_progress", 0)}
    keys = ["done", "submitted", "overdue", "due_soon", "in_progress", "open", "cancelled"]
    if totals.get("sent"):  # a federation's deadlines its unions carry
        keys.insert(-1, "sent")
    for key in keys:
        header.append_text(light_text(key))
        header.append(f" {shown[key]}   ")
    header.append("\n")
    if (percent := counted_percent(totals)) is not None:
        header.append_text(progress_bar(percent, 30))
    else:  # nothing of its own counted (a plan sent down whole): not 0 %
        header.append(f"{t('percent_done')} {completion_shown(totals)}")
    parts: list[Any] = [Panel(header, title=t("board"), expand=False)]
    by_section: dict[str | None, list[dict[str, Any]]] = {}
    for item in board["items"]:
        by_section.setdefault(item["section_id"], []).append(item)
    for section in board["sections"]:
        rows = by_section.get(section["id"], [])
        if not rows:
            continue
        title = literal(section["title"] or t("no_section"))
        title.append(f"  ({section['done']}/{section['occurrences']})")
        table = Table(
            title=title,
            title_justify="left",
            expand=True,
        )
        table.add_column(t("number"), no_wrap=True, max_width=6)
        table.add_column(t("task"), ratio=3, min_width=12)
        table.add_column(t("responsible"), ratio=1, min_width=10)
        table.add_column(t("occurrences"), min_width=7)
        table.add_column(t("progress"), no_wrap=True, width=15)
        table.add_column(t("status"), no_wrap=True, width=10)
        year = str(plan["year"])
        for item in rows:
            dues = Text()
            for occ in item["occurrences"]:
                symbol, style = LIGHT_STYLE.get(occ["status"], ("?", "white"))
                # a deadline of another year (次年1月底前) says its year
                day = occ["due"][5:] if occ["due"][:4] == year else occ["due"]
                dues.append(f"{symbol}{day} ", style=style)
            title = literal(item["title"])
            if item.get("sent"):
                title += sent_text(item["sent"])
            if item.get("from_task"):
                title += Text(f"\n↑ {t('from_task')}", style="magenta")
            # what to type for ITEM_ID: an id's first characters name it (parse_id)
            title += Text(f"\n{item['id'][:8]}", style="dim")
            table.add_row(
                literal(item.get("number")),
                title,
                literal(item.get("responsible")),
                dues,
                progress_bar(item["percent"]),
                light_text(item["status"]),
            )
        parts.append(table)
    return Group(*parts)


def print_board(board: dict[str, Any], console: Console | None = None) -> None:
    (console or Console()).print(board_renderable(board))
