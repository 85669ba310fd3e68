"""The ledger (台账) presenter shared by the print page, the PDF and the XLSX."""

import io
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from planlog.domain.board import BoardItem, build_board
from planlog.domain.schedule import Occurrence
from planlog.exports import (
    LEDGER_COLUMNS,
    board_pdf,
    board_xlsx,
    in_section_order,
    ledger_html,
    ledger_rows,
)
from planlog.service.views import target_display


def test_ledger_rows_one_per_occurrence_with_days_overdue_note_and_targets() -> None:
    item = BoardItem(
        id="i1",
        title="新建基层工会",
        section_id="s1",
        number="1",
        responsible="李四",
        cancelled=False,
        occurrences=[
            Occurrence(due=date(2026, 6, 30), status="done", done_on=date(2026, 7, 2), note="已建"),
            Occurrence(due=date(2026, 9, 30)),
        ],
        targets=[{"text": "新建基层工会50家", "value": 50.0, "unit": "家", "current": 50.0}],
    )
    board = build_board(
        {"id": "p", "org": "某工会", "year": 2026, "title": "计划"},
        [{"id": "s1", "title": "组织建设"}],
        [item],
        date(2026, 10, 5),
    )
    # evidence comes from the replayed items (queries.ledger_document), not the board
    board["items"][0]["occurrences"][1]["evidence"] = "文件"
    rows = ledger_rows(board)
    assert [(r["due"], r["status"], r["days_overdue"]) for r in rows] == [
        ("2026-06-30", "done", 2),
        ("2026-09-30", "overdue", 5),
    ]
    assert rows[0]["first"] and not rows[1]["first"] and rows[0]["span"] == 2
    assert rows[0]["section"] == "组织建设" and rows[0]["status_label"] == "已完成"
    assert rows[0]["note"] == "已建" and rows[1]["evidence"] == "文件"
    assert rows[0]["targets"] == "新建基层工会 50/50家"
    assert {key for key, _ in LEDGER_COLUMNS} <= set(rows[0])


def test_target_display_says_what_is_counted() -> None:
    shown = target_display({"text": "新建基层工会50家", "value": 50, "unit": "家", "current": 12})
    assert shown == {
        "label": "新建基层工会",
        "current": 12,
        "value": 50,
        "unit": "家",
        "text": "新建基层工会 12/50家",
    }


def _board() -> dict[str, Any]:
    item = BoardItem(
        id="i1",
        title="=新建基层工会<b>",
        section_id="s1",
        number="1",
        responsible="李四",
        cancelled=False,
        occurrences=[
            Occurrence(due=date(2026, 6, 30), status="done", done_on=date(2026, 7, 2), note="已建"),
            Occurrence(due=date(2026, 9, 30)),
        ],
    )
    board = build_board(
        {"id": "p", "org": "某工会", "year": 2026, "title": "计划"},
        [{"id": "s1", "title": "组织建设"}],
        [item],
        date(2026, 10, 5),
    )
    board["items"][0]["occurrences"][1]["evidence"] = "文件"  # as queries.ledger_document
    return board


def test_xlsx_prints_a4_landscape_one_page_wide_with_the_header_repeated() -> None:
    sheet = load_workbook(io.BytesIO(board_xlsx(_board())))["工作进度"]
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$2:$2"
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    # completion date, days overdue, progress note and evidence
    assert [(r[8], r[11], r[12], r[13]) for r in rows] == [
        (datetime(2026, 7, 2), 2, "已建", None),
        (None, 5, None, "文件"),
    ]


def test_ledger_html_escapes_and_the_pdf_embeds_a_cjk_font() -> None:
    page = ledger_html(_board())
    assert "&lt;b&gt;" in page and "<b>" not in page
    assert "A4 landscape" in page and "逾期天数" in page
    pdf = board_pdf(_board())
    assert pdf.startswith(b"%PDF-")


def test_a_target_that_is_only_its_number_is_shown_once() -> None:
    assert target_display({"text": "4个", "value": 4, "unit": "个"})["text"] == "4个"


def test_an_item_added_later_prints_within_its_section() -> None:
    board = {
        "sections": [{"id": "s1", "title": "组织建设"}, {"id": "s2", "title": "文体活动"}],
        "items": [
            {"id": "a", "section_id": "s1"},
            {"id": "b", "section_id": "s2"},
            {"id": "c", "section_id": None},
            {"id": "d", "section_id": "s1"},  # added after the plan was imported
        ],
    }
    assert [item["id"] for item in in_section_order(board)] == ["a", "d", "b", "c"]
