"""Text people typed is printed as written: never read as Rich markup, and no control
character or escape sequence of it reaches the terminal.

New events refuse control characters, but a log may hold them from before that check,
so the store here is written with the check switched off, as such a log was.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import planlog.domain.values
from planlog.cli import app as cli
from planlog.service.app import NewItem, PlanlogApp

#: Markup that crashes Rich ([/]), makes a hyperlink or restyles, then an OSC-8 hyperlink
#: and a clear-screen written as raw escape sequences.
HOSTILE = "[/][link=https://evil.example]x[/link][bold red]\x1b]8;;http://evil\x07点我\x1b[2J"
#: The same text as the terminal must show it: markup literally, ESC and BEL as symbols.
SHOWN = "[/][link=https://evil.example]x[/link][bold red]␛]8;;http://evil␇点我␛[2J"
#: Wide enough that no table wraps the text, so it can be found in one piece.
WIDE = {"COLUMNS": "1000"}


@dataclass
class HostileStore:
    url: str
    plan_id: str
    item_id: str


@pytest.fixture
def hostile(store_url: str, clock: Any, monkeypatch: pytest.MonkeyPatch) -> HostileStore:
    """Every kind of text the CLI prints, each holding markup and escape sequences."""
    with monkeypatch.context() as patch:
        # As a log recorded before the domain refused control characters.
        patch.setattr(planlog.domain.values, "bad_character", lambda text: None)
        app = PlanlogApp(store_url, clock=clock)
        try:
            actor = "干事" + HOSTILE
            org = "工会" + HOSTILE
            app.register_organisation(org, actor=actor)
            plan = app.create_plan(org=org, year=2026, title="计划" + HOSTILE, actor=actor)
            spec = NewItem(
                title="任务" + HOSTILE,
                section="部分" + HOSTILE,
                number="1",
                responsible="责任人" + HOSTILE,
                dues=[date(2026, 6, 30), date(2026, 12, 31)],
            )
            item = app.add_item(plan.id, spec, actor=actor)
            clock.advance(days=1)
            app.complete(item.id, actor=actor, occurrence="2026-06-30", note="说明" + HOSTILE)
            clock.advance(days=1)
            app.reassign(item.id, "新人" + HOSTILE, actor=actor, reason="原因" + HOSTILE)
        finally:
            app.close()
    return HostileStore(store_url, str(plan.id), str(item.id))


def run(store: HostileStore, *args: str, expect_exit: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--db", store.url, *args], env=WIDE)
    assert result.exit_code == expect_exit, (result.output, result.exception)
    return result.output


Args = Callable[[HostileStore], list[str]]

#: command → (its arguments, the texts it must show, each followed by SHOWN)
COMMANDS: dict[str, tuple[Args, tuple[str, ...]]] = {
    "board": (
        lambda s: ["board", s.plan_id, "--now", "2026-07-01"],
        ("工会", "计划", "部分", "任务", "新人"),
    ),
    "calendar": (lambda s: ["calendar", "--now", "2026-07-01"], ("工会", "任务", "新人")),
    "timeline": (lambda s: ["timeline"], ("干事", "原因")),
    "history": (lambda s: ["history", s.item_id], ("干事", "原因")),
    "workload": (lambda s: ["workload", "--now", "2026-07-01"], ("新人",)),
    "diff": (
        lambda s: ["diff", s.plan_id, "--from", "2000-01-01", "--to", "2100-01-01"],
        ("干事", "任务", "原因"),
    ),
    "item show": (lambda s: ["item", "show", s.item_id], ("任务", "部分", "新人", "说明")),
    "plan list": (lambda s: ["plan", "list"], ("工会", "计划")),
    "plan show": (lambda s: ["plan", "show", s.plan_id], ("计划", "工会", "部分")),
    "org list": (lambda s: ["org", "list"], ("工会",)),
    "rollup": (lambda s: ["rollup", "--now", "2026-07-01"], ("工会",)),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_commands_print_rich_markup_and_escape_sequences_in_user_text_literally(
    hostile: HostileStore, command: str
) -> None:
    args, texts = COMMANDS[command]
    output = run(hostile, *args(hostile))
    assert "\x1b" not in output and "\x07" not in output
    for text in texts:
        assert text + SHOWN in output, f"{command} does not show {text}… literally:\n{output}"


def test_board_prints_rich_markup_in_a_title_literally(hostile: HostileStore) -> None:
    output = run(hostile, "board", hostile.plan_id, "--now", "2026-07-01")
    assert "任务[/][link=https://evil.example]x[/link][bold red]" in output


def test_a_refusal_quoting_markup_is_printed_literally(hostile: HostileStore) -> None:
    output = run(hostile, "item", "show", "[/][link=https://evil.example]x", expect_exit=1)
    assert "'[/][link=https://evil.example]x' is not a valid item id" in output


_SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("command", ["board", "timeline"])
def test_a_colour_terminal_gets_no_hyperlink_and_no_escape_sequence_from_user_text(
    hostile: HostileStore, command: str
) -> None:
    """In a real colour terminal Rich writes styles, and would write OSC-8 hyperlinks for
    `[link=…]` markup: only colour (SGR) sequences may appear, none from the data."""
    args, texts = COMMANDS[command]
    result = subprocess.run(
        [sys.executable, "-m", "planlog", "--db", hostile.url, *args(hostile)],
        capture_output=True,
        text=True,
        env={**os.environ, **WIDE, "FORCE_COLOR": "1", "TERM": "xterm-256color"},
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert _SGR.search(output), "not rendered for a colour terminal: the test would prove nothing"
    assert "\x1b]" not in output  # no OSC at all: no hyperlink, no window title
    plain = _SGR.sub("", output)
    assert "\x1b" not in plain and "\x07" not in plain
    for text in texts:
        assert text + SHOWN in plain


def test_import_dry_run_prints_document_text_literally(store_url: str, tmp_path: Path) -> None:
    """A plan document is anyone's text; the importer refuses control characters in it,
    but markup is ordinary text there."""
    document = tmp_path / "plan.txt"
    document.write_text(
        "一、健全[/]女工组织\n1、组织健全[bold red]x。全院建立4个女工委员会。\n"
        "时限：3月25日前\n责任人：工会[link=https://evil.example]x[/link]女工\n",
        encoding="utf-8",
    )
    store = HostileStore(store_url, "", "")
    output = run(store, "import", str(document), "--org", "[/]工会", "--year", "2026", "--dry-run")
    for text in (
        "健全[/]女工组织",
        "组织健全[bold red]x",
        "工会[link=https://evil.example]x[/link]女工",
    ):
        assert text in output
