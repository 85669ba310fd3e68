"""`literal` and the board renderable, printed to a colour terminal: each kind of hostile
text on its own, so that each defence is shown to hold by itself."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from rich.console import Console

from planlog.cli.render import board_renderable, literal
from planlog.domain.board import BoardItem, build_board
from planlog.domain.schedule import Occurrence as BoardOccurrence

#: hostile text → how the terminal must show it
CASES = {
    "[/]": "[/]",
    "[link=https://evil.example]x[/link]": "[link=https://evil.example]x[/link]",
    "[bold red]x": "[bold red]x",
    ":warning:": ":warning:",  # an emoji code Rich would replace
    "\x1b]8;;http://evil\x07x\x1b]8;;\x07": "␛]8;;http://evil␇x␛]8;;␇",
    "\x1b[2J\x1b[H": "␛[2J␛[H",
    "\x9b2J": "\ufffd2J",  # the C1 form of CSI
    "a\rb\x7f": "a\nb␡",
}
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _terminal_output(renderable: object) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=400)
    console.print(renderable)
    return out.getvalue()


@pytest.mark.parametrize("text", CASES)
def test_literal_shows_text_as_written_in_a_colour_terminal(text: str) -> None:
    output = _terminal_output(literal(text, "bold"))
    assert _SGR.search(output)  # styled: a link would have been written too
    assert "\x1b]" not in output
    assert _SGR.sub("", output) == CASES[text] + "\n"


def test_literal_of_none_is_empty() -> None:
    assert literal(None).plain == ""


@pytest.mark.parametrize("text", CASES)
def test_board_shows_hostile_text_literally_in_every_user_field(text: str) -> None:
    item = BoardItem(
        id="a",
        title="任务" + text,
        section_id="s1",
        number="1",
        responsible="责任人" + text,
        cancelled=False,
        occurrences=[BoardOccurrence(date(2026, 6, 30), None, "open")],
    )
    plan = {"id": "p", "org": "工会" + text, "year": 2026, "title": "计划" + text}
    board = build_board(plan, [{"id": "s1", "title": "部分" + text}], [item], date(2026, 1, 5))
    output = _terminal_output(board_renderable(board))
    assert "\x1b]" not in output
    plain = _SGR.sub("", output)
    assert "\x1b" not in plain
    first, *more = CASES[text].split("\n")  # a line break splits the cell in two lines
    for field in ("工会", "计划", "部分", "任务", "责任人"):
        assert field + first in plain, field
    for line in more:
        assert plain.count(line) >= 5
