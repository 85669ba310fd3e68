"""Exports of text people typed: no control character breaks a file, no text becomes a
formula, in XLSX (typed cells) and in CSV (no types: defused as OWASP advises)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from planlog.domain.board import BoardItem, build_board
from planlog.domain.schedule import Occurrence
from planlog.exports import board_csv, board_xlsx, calendar_ics, defuse_csv_text
from planlog.projections.calendar import Deadline

TODAY = date(2025, 6, 28)
SECTIONS = [{"id": "s1", "title": "组织建设"}]
#: Every sign that makes a spreadsheet read a cell as a formula, ASCII and full-width.
SIGNS = ["=", "+", "-", "@", "＝", "＋", "－", "＠"]


def _board(
    title: str = "新增基层工会",
    *,
    org: str = "某市总工会",
    section: str = "组织建设",
    responsible: str = "组织部",
    targets: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    item = BoardItem(
        id="x",
        title=title,
        section_id="s1",
        number="1",
        responsible=responsible,
        cancelled=False,
        occurrences=[Occurrence(date(2025, 12, 31), None, "open", 40)],
        targets=targets or [],
    )
    plan = {"id": "p1", "org": org, "year": 2025, "title": "2025年工作要点"}
    return build_board(plan, [{"id": "s1", "title": section}], [item], TODAY)


def _workbook(board: dict[str, Any]) -> Workbook:
    return load_workbook(io.BytesIO(board_xlsx(board, chain_head={"position": 1, "hash": "ab"})))


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _formula_cells(book: Workbook) -> list[str]:
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type in ("f", "e")
    ]


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_export_keeps_a_title_with_a_control_character() -> None:
    board = _board("任务\x1b[2J\x00\x07\x85\ufffe结束", section="部分\x0b", responsible="人\x1f")
    sheet = _workbook(board)["工作进度"]
    assert sheet["C3"].value == "任务␛[2J␀␇\ufffd\ufffd结束"
    assert sheet["A3"].value == "部分␋" and sheet["D3"].value == "人␟"


def test_xlsx_export_keeps_an_organisation_with_a_control_character() -> None:
    book = _workbook(_board(org="工会\x1b]8;;http://evil\x07"))
    for sheet in book.worksheets:
        assert str(sheet["A1"].value).startswith("工会␛]8;;http://evil␇ · 2025")


@pytest.mark.parametrize("sign", SIGNS)
def test_xlsx_title_cell_is_never_a_formula(sign: str) -> None:
    org = f'{sign}HYPERLINK("http://evil","点我")'
    book = _workbook(_board(org=org))
    for sheet in book.worksheets:
        cell = sheet["A1"]
        assert cell.data_type == "s" and cell.value.startswith(org + " · 2025")
        assert cell.quotePrefix  # stays text when someone edits it in Excel
    assert _formula_cells(book) == []


@pytest.mark.parametrize("sign", SIGNS)
def test_xlsx_user_text_cells_are_never_formulas(sign: str) -> None:
    text = f"{sign}1+cmd|' /C calc'!A0"
    book = _workbook(_board(text, section=text, responsible=" " + text))
    sheet = book["工作进度"]
    assert [sheet["A3"].value, sheet["C3"].value, sheet["D3"].value] == [text, text, " " + text]
    assert all(sheet[c].data_type == "s" and sheet[c].quotePrefix for c in ("A3", "C3", "D3"))
    assert book["合计"]["A3"].value == text and book["合计"]["A3"].data_type == "s"
    assert _formula_cells(book) == []


def test_xlsx_error_like_title_stays_text() -> None:
    sheet = _workbook(_board("#N/A", org="#DIV/0!"))["工作进度"]
    assert (sheet["C3"].value, sheet["C3"].data_type) == ("#N/A", "s")
    assert sheet["A1"].data_type == "s"


def test_xlsx_plain_text_gets_no_quote_prefix() -> None:
    sheet = _workbook(_board())["工作进度"]
    assert sheet["C3"].value == "新增基层工会" and not sheet["C3"].quotePrefix
    assert sheet["H3"].value == 40 and sheet["H3"].data_type == "n"


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sign", SIGNS)
def test_csv_defuses_every_formula_sign(sign: str) -> None:
    text = f"{sign}1+cmd|' /C calc'!A0"
    (_, row) = _csv_rows(board_csv(_board(text, section=text, responsible=text)))
    assert row[0] == row[2] == row[3] == "'" + text


def test_csv_defuses_full_width_equals() -> None:
    (_, row) = _csv_rows(board_csv(_board('＝HYPERLINK("http://evil","点我")')))
    assert row[2] == '\'＝HYPERLINK("http://evil","点我")'


@pytest.mark.parametrize("lead", [" ", "  ", "\u3000", '"', ' "'])
def test_csv_defuses_a_formula_after_leading_space_or_quote(lead: str) -> None:
    (_, row) = _csv_rows(board_csv(_board(f"{lead}=1+1")))
    assert row[2] == f"'{lead}=1+1"


@pytest.mark.parametrize(("lead", "shown"), [("\t", "\t"), ("\r", "\n"), ("\n", "\n")])
def test_csv_defuses_a_leading_tab_or_line_break(lead: str, shown: str) -> None:
    (_, row) = _csv_rows(board_csv(_board(f"{lead}说明")))
    assert row[2] == f"'{shown}说明"
    # a reader splitting there would start a cell with the formula: defused on both sides
    (_, row) = _csv_rows(board_csv(_board(f"{lead}=1+1")))
    assert row[2] == f"'{shown}'=1+1"


@pytest.mark.parametrize("separator", [";", ",", "\t", "\n"])
def test_csv_defuses_a_formula_after_a_separator(separator: str) -> None:
    """Where the list separator is `;` (a comma is the decimal mark there), Excel splits a
    field at every `;`: what follows one must not start like a formula either."""
    (_, row) = _csv_rows(board_csv(_board(f"说明{separator}=1+1{separator} -2+3")))
    assert row[2] == f"说明{separator}'=1+1{separator}' -2+3"


def test_csv_read_with_any_separator_has_no_field_starting_like_a_formula() -> None:
    hostile = [f"{lead}{sign}1+1" for sign in SIGNS for lead in ("", ";", ",", "; ", ';"', "\t")]
    board = _board("事项" + "".join(hostile), section=";".join(hostile), responsible=hostile[0])
    text = board_csv(board).decode("utf-8-sig")
    starts = re.compile(r'^[\s"]*[=+\-@＝＋－＠]')
    for separator in (",", ";", "\t", "\n"):
        # the worst reading: split at every separator, whatever quotes say
        fields = [field for line in text.splitlines() for field in line.split(separator)]
        assert not [f for f in fields if starts.match(f)], separator


def test_csv_keeps_negative_numbers_as_numbers() -> None:
    board = _board("-5", targets=[{"value": -5.0, "unit": "%", "current": -2.5}])
    data = board_csv(board)
    (_, row) = _csv_rows(data)
    assert row[2] == "-5"  # a signed number is data, not a formula
    assert row[9] == "'-5%（当前-2.5）"  # text, which Excel would try to compute
    assert row[7] == "40"


@pytest.mark.parametrize(
    ("text", "defused"),
    [
        ("-5", "-5"),
        ("+3.5%", "+3.5%"),
        ("-1+1", "'-1+1"),
        ("-", "'-"),
        ("+86 10 1234", "'+86 10 1234"),
        ("5;-3", "5;-3"),
        ("5;-3+cmd", "5;'-3+cmd"),
        ("2025-2026 年", "2025-2026 年"),
        ("a=b", "a=b"),
        ("'=already", "'=already"),
    ],
)
def test_csv_defusing_keeps_numbers_and_plain_text(text: str, defused: str) -> None:
    assert defuse_csv_text(text) == defused


def test_csv_shows_control_characters_as_symbols() -> None:
    (_, row) = _csv_rows(board_csv(_board("任务\x1b[2J\x00")))
    assert row[2] == "任务␛[2J␀"


# --- ICS ------------------------------------------------------------------------------------


def test_ics_shows_control_characters_as_symbols() -> None:
    deadline = Deadline(
        item_id="x",
        plan_id="p1",
        org="工会\x1b[2J",
        plan_title="计划\x07",
        title="任务\x1b]8;;http://evil\x07",
        responsible="人\x00",
        opens=None,
        due=date(2025, 12, 31),
        status="open",
    )
    data = calendar_ics([deadline], name="日历\x1b", now=datetime(2025, 6, 28, tzinfo=UTC))
    assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f]", data.replace(b"\r\n", b"\n"))
    (event,) = Calendar.from_ical(data).walk("VEVENT")
    assert str(event["SUMMARY"]) == "【截止】任务␛]8;;http://evil␇"
    assert "组织：工会␛[2J" in str(event["DESCRIPTION"])
    assert "责任人：人␀" in str(event["DESCRIPTION"])
