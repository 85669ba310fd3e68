"""What a terminal shows: the board's header and lights, and lists in a narrow window."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

from rich.console import Console

from planlog.cli.render import board_renderable
from planlog.domain.board import BoardItem, build_board
from planlog.domain.schedule import Occurrence


def _row(item_id: str, title: str, occurrences: list[Occurrence]) -> BoardItem:
    return BoardItem(
        id=item_id,
        title=title,
        section_id=None,
        number=None,
        responsible=None,
        cancelled=False,
        occurrences=occurrences,
    )


def _item(item_id: str, first_done: bool) -> BoardItem:
    first = Occurrence(date(2026, 6, 30), status="done" if first_done else "open")
    return _row(
        item_id, "半年报告", [first, Occurrence(date(2026, 12, 31))] if first_done else [first]
    )


def test_the_header_counts_started_deadlines_apart_from_unstarted_ones() -> None:
    plan = {"id": "p", "org": "某工会", "year": 2026, "title": "计划"}
    # one item half done (its December deadline under way), one not started
    board = build_board(plan, [], [_item("a", True), _item("b", False)], date(2026, 3, 1))
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(board_renderable(board))
    header = re.sub(r"\s+", " ", out.getvalue())
    assert "◐ 进行中 1" in header
    assert "○ 未开始 1" in header  # not 2: "open" counts the started one too


def test_each_light_has_a_symbol_of_its_own_without_colour() -> None:
    from planlog.cli.render import LIGHT_STYLE

    symbols = [symbol for symbol, _ in LIGHT_STYLE.values()]
    assert len(set(symbols)) == len(symbols), LIGHT_STYLE


def test_plan_list_shows_whole_ids_in_a_narrow_terminal(planlog: Any, monkeypatch: Any) -> None:
    from planlog.cli.common import out_console

    monkeypatch.setattr(out_console, "width", 80)  # whatever COLUMNS the run was given
    plan = planlog("plan", "create", "--org", "某市人民医院工会机关分会", "--year", "2026",
                   "--title", "某市人民医院工会二〇二六年度工作计划", "--json")  # fmt: skip
    listed = planlog("plan", "list")
    assert plan["id"] in listed and "…" not in listed


def test_a_federations_header_counts_the_deadlines_its_unions_carry() -> None:
    plan = {"id": "p", "org": "某市总工会", "year": 2026, "title": "计划"}
    item = _item("a", False)
    item.sent = {"task_id": "t", "copies": 3, "done": 0, "submitted": 0, "overdue": 0, "open": 3}
    board = build_board(plan, [], [item], date(2026, 3, 1))
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(board_renderable(board))
    assert "↓ 已下达 1" in re.sub(r"\s+", " ", out.getvalue())


def test_each_row_shows_its_ids_first_characters_and_another_years_deadline_its_year() -> None:
    plan = {"id": "p", "org": "某工会", "year": 2026, "title": "计划"}
    item = _row(
        "3f2a9c41-0000-4000-8000-000000000000",
        "年度总结",
        [Occurrence(date(2026, 6, 30)), Occurrence(date(2027, 1, 31))],
    )
    board = build_board(plan, [], [item], date(2026, 3, 1))
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(board_renderable(board))
    text = out.getvalue()
    assert "3f2a9c41" in text  # what to type for ITEM_ID
    assert "06-30" in text and "2027-01-31" in text and "2026-06-30" not in text
