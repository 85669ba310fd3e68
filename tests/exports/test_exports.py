"""Exports read back the way their readers read them: csv, openpyxl, json and icalendar."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from planlog.domain.board import BoardItem, build_board
from planlog.domain.schedule import Occurrence
from planlog.exports import (
    BOARD_COLUMNS,
    board_csv,
    board_xlsx,
    calendar_ics,
    history_jsonl,
)
from planlog.projections.calendar import Deadline

TODAY = date(2025, 6, 28)
PLAN = {"id": "p1", "org": "某市总工会", "year": 2025, "title": "2025年工作要点"}
SECTIONS = [{"id": "s1", "title": "组织建设"}, {"id": "s2", "title": "劳动竞赛"}]
CHAIN_HEAD = {"position": 42, "hash": "ab12cd34"}


def _items() -> list[BoardItem]:
    return [
        BoardItem(
            id="a",
            title="新增基层工会",
            section_id="s1",
            number="1",
            responsible="组织部",
            cancelled=False,
            occurrences=[
                Occurrence(date(2025, 3, 31), None, "done", 100, date(2025, 3, 28)),
                Occurrence(date(2025, 6, 30), None, "in_progress", 40),
            ],
            targets=[
                {
                    "text": "新增基层工会800家",
                    "value": 800.0,
                    "unit": "家",
                    "comparator": ">=",
                    "current": 312.0,
                }
            ],
        ),
        BoardItem(
            id="b",
            title="开展劳动竞赛",
            section_id="s2",
            number="2",
            responsible="宣教部",
            cancelled=False,
            occurrences=[Occurrence(date(2025, 5, 31), None, "open")],
        ),
        BoardItem(
            id="c",
            title="建立工作台账",
            section_id=None,
            number=None,
            responsible=None,
            cancelled=False,
        ),
        BoardItem(
            id="d",
            title="举办职工运动会",
            section_id="s2",
            number="3",
            responsible="体协",
            cancelled=True,
            occurrences=[Occurrence(date(2025, 9, 30), None, "open")],
        ),
        BoardItem(
            id="e",
            title="夏送清凉",
            section_id="s2",
            number="4",
            responsible="权益部",
            cancelled=False,
            occurrences=[Occurrence(date(2025, 8, 31), date(2025, 6, 1), "in_progress", 20)],
        ),
    ]


@pytest.fixture
def board() -> dict[str, Any]:
    return build_board(PLAN, SECTIONS, _items(), TODAY)


def _formula_board() -> dict[str, Any]:
    item = BoardItem(
        id="x",
        title='=HYPERLINK("http://evil","点我")',
        section_id="s1",
        number="1",
        responsible="@someone",
        cancelled=False,
        occurrences=[Occurrence(date(2025, 12, 31), None, "open")],
    )
    return build_board(PLAN, SECTIONS, [item], TODAY)


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _rows_by_id(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    by_id: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_id.setdefault(row[-1], []).append(row)
    return by_id


def _workbook(board: dict[str, Any], **kwargs: Any) -> Workbook:
    return load_workbook(io.BytesIO(board_xlsx(board, **kwargs)))


def _deadlines() -> list[Deadline]:
    common = {"plan_id": "p1", "org": "某市总工会", "plan_title": "2025年工作要点"}
    return [
        Deadline(
            item_id="b",
            title="开展劳动竞赛",
            responsible="宣教部",
            opens=None,
            due=date(2025, 5, 31),
            status="open",
            **common,
        ),
        Deadline(
            item_id="e",
            title="夏送清凉",
            responsible="权益部",
            opens=date(2025, 6, 1),
            due=date(2025, 8, 31),
            status="in_progress",
            **common,
        ),
    ]


NOW = datetime(2025, 6, 28, 9, 30, tzinfo=UTC)


def _events(data: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(data)
    return {str(ev["UID"]).split("-")[0]: ev for ev in cal.walk("VEVENT")}


# --- CSV ------------------------------------------------------------------------------------


def test_csv_starts_with_utf8_bom(board: dict[str, Any]) -> None:
    assert board_csv(board).startswith(b"\xef\xbb\xbf")


def test_csv_header_is_chinese(board: dict[str, Any]) -> None:
    header = _csv_rows(board_csv(board))[0]
    assert header == [
        "部分",
        "序号",
        "工作任务",
        "责任人",
        "开始",
        "截止",
        "状态",
        "进度(%)",
        "完成日期",
        "目标",
        "事项ID",
    ]


def test_csv_has_one_row_per_occurrence(board: dict[str, Any]) -> None:
    by_id = _rows_by_id(_csv_rows(board_csv(board)))
    assert [row[5] for row in by_id["a"]] == ["2025-03-31", "2025-06-30"]
    assert [row[8] for row in by_id["a"]] == ["2025-03-28", ""]
    assert [row[7] for row in by_id["a"]] == ["100", "40"]


def test_csv_item_without_occurrences_gets_one_row(board: dict[str, Any]) -> None:
    by_id = _rows_by_id(_csv_rows(board_csv(board)))
    (row,) = by_id["c"]
    assert row[0] == "（未分部分）"
    assert row[4:6] == ["", ""]
    assert row[6] == "未开始"


def test_csv_status_uses_chinese_labels(board: dict[str, Any]) -> None:
    by_id = _rows_by_id(_csv_rows(board_csv(board)))
    assert [row[6] for row in by_id["a"]] == ["已完成", "即将到期"]
    assert by_id["b"][0][6] == "已逾期"
    assert by_id["e"][0][6] == "进行中"


def test_csv_status_labels_ignore_english_setting(
    board: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANLOG_LANG", "en")
    by_id = _rows_by_id(_csv_rows(board_csv(board)))
    assert by_id["b"][0][6] == "已逾期"


def test_csv_cancelled_item_rows_read_cancelled(board: dict[str, Any]) -> None:
    by_id = _rows_by_id(_csv_rows(board_csv(board)))
    assert by_id["d"][0][6] == "已取消"


def test_csv_targets_show_value_and_current(board: dict[str, Any]) -> None:
    by_id = _rows_by_id(_csv_rows(board_csv(board)))
    assert by_id["a"][0][9] == "800家（当前312）"
    assert by_id["b"][0][9] == ""


def test_csv_window_row_has_start_date(board: dict[str, Any]) -> None:
    by_id = _rows_by_id(_csv_rows(board_csv(board)))
    assert by_id["e"][0][4:6] == ["2025-06-01", "2025-08-31"]


def test_csv_defuses_formula_like_text() -> None:
    (_, row) = _csv_rows(board_csv(_formula_board()))
    assert row[2] == '\'=HYPERLINK("http://evil","点我")'
    assert row[3] == "'@someone"


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_has_board_and_totals_sheets(board: dict[str, Any]) -> None:
    assert _workbook(board).sheetnames == ["工作进度", "合计"]


def test_xlsx_title_row_names_plan_and_day(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["工作进度"]
    assert sheet["A1"].value == "某市总工会 · 2025 · 2025年工作要点 · 截至 2025-06-28"


def test_xlsx_header_is_bold_frozen_and_filtered(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["工作进度"]
    header = [cell.value for cell in sheet[2]]
    # issue 14 appends the ledger's columns; the CSV's keep their places
    assert header[: len(BOARD_COLUMNS)] == list(BOARD_COLUMNS)
    assert header[len(BOARD_COLUMNS) :] == ["逾期天数", "进展情况", "佐证材料"]
    assert all(cell.font.bold for cell in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:N8"


def test_xlsx_has_one_row_per_occurrence(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["工作进度"]
    ids = [row[10] for row in sheet.iter_rows(min_row=3, values_only=True)]
    # Section by section, as the board page shows them: "c" has no section and comes last.
    assert ids == ["a", "a", "b", "d", "e", "c"]


def test_xlsx_status_cells_are_filled_by_light(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["工作进度"]
    fills = {
        row[6].value: row[6].fill.fgColor.rgb
        for row in sheet.iter_rows(min_row=3)
        if row[6].fill.fill_type == "solid"
    }
    assert fills == {
        "已完成": "00C6EFCE",
        "即将到期": "00FFEB9C",
        "已逾期": "00FFC7CE",
        "已取消": "00D9D9D9",
    }


def test_xlsx_open_status_cells_are_not_filled(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["工作进度"]
    plain = [row[6] for row in sheet.iter_rows(min_row=3) if row[6].value in ("进行中", "未开始")]
    assert plain
    assert all(cell.fill.fill_type is None for cell in plain)


def test_xlsx_dates_are_real_dates(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["工作进度"]
    first = sheet[3]
    assert isinstance(first[5].value, datetime)
    assert first[5].value.date() == date(2025, 3, 31)
    assert first[8].value.date() == date(2025, 3, 28)
    assert first[5].number_format == "yyyy-mm-dd"
    window = sheet[7]
    assert window[4].value.date() == date(2025, 6, 1)


def test_xlsx_percent_is_a_number(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["工作进度"]
    assert [sheet.cell(row, 8).value for row in (3, 4)] == [100, 40]


def test_xlsx_title_column_is_wider_than_number_column(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["工作进度"]
    widths = sheet.column_dimensions
    assert widths["C"].width > widths["B"].width
    assert widths["C"].width <= 50


def test_xlsx_totals_sheet_has_sections_and_totals(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["合计"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]}
    header = [cell.value for cell in sheet[2]]
    assert header[:5] == ["部分", "事项", "时限", "已完成", "已逾期"]
    done, overdue = header.index("已完成"), header.index("已逾期")
    assert rows["组织建设"][1:3] == (1, 2)
    assert rows["劳动竞赛"][overdue] == 1
    assert rows["（未分部分）"][1] == 1
    assert rows["合计"][1] == board["totals"]["items"] == 5
    assert rows["合计"][done] == board["totals"]["done"] == 1


def test_xlsx_chain_head_line_on_totals_sheet(board: dict[str, Any]) -> None:
    sheet = _workbook(board, chain_head=CHAIN_HEAD)["合计"]
    values = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "审计链头 #42 ab12cd34" in values


def test_xlsx_without_chain_head_has_no_chain_line(board: dict[str, Any]) -> None:
    sheet = _workbook(board)["合计"]
    values = [str(row[0]) for row in sheet.iter_rows(values_only=True)]
    assert not any(v.startswith("审计链头") for v in values)


def test_xlsx_formula_like_title_stays_text() -> None:
    sheet = _workbook(_formula_board())["工作进度"]
    cell = sheet["C3"]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://evil","点我")'


# --- JSONL ----------------------------------------------------------------------------------

ENTRIES = [
    {"position": 1, "type": "Plan.Created", "actor": "王主席", "summary": "创建计划"},
    {"position": 2, "type": "PlanItem.Planned", "actor": "李干事", "summary": "新增事项"},
]


def test_jsonl_one_valid_json_object_per_line() -> None:
    lines = list(history_jsonl(ENTRIES))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert [json.loads(line) for line in lines] == ENTRIES


def test_jsonl_keeps_chinese_unescaped() -> None:
    (first, _) = history_jsonl(ENTRIES)
    assert "王主席" in first


def test_jsonl_chain_head_is_last_line() -> None:
    lines = list(history_jsonl(ENTRIES, chain_head={**CHAIN_HEAD, "extra": 1}))
    assert len(lines) == 3
    assert json.loads(lines[-1]) == {"chain_head": {"position": 42, "hash": "ab12cd34"}}


def test_jsonl_without_chain_head_ends_with_last_entry() -> None:
    lines = list(history_jsonl(iter(ENTRIES)))
    assert json.loads(lines[-1]) == ENTRIES[-1]


def test_jsonl_writes_dates_as_iso_text() -> None:
    (line,) = history_jsonl([{"due": date(2025, 6, 30)}])
    assert json.loads(line) == {"due": "2025-06-30"}


# --- ICS ------------------------------------------------------------------------------------


def test_ics_calendar_properties() -> None:
    cal = Calendar.from_ical(calendar_ics(_deadlines(), name="工作计划时限", now=NOW))
    assert str(cal["PRODID"]) == "-//planlog//工会工作计划//ZH"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(cal["X-WR-CALNAME"]) == "工作计划时限"
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"


def test_ics_one_event_per_deadline() -> None:
    cal = Calendar.from_ical(calendar_ics(_deadlines(), name="时限", now=NOW))
    assert len(cal.walk("VEVENT")) == 2


def test_ics_uid_stable_across_calls() -> None:
    first = _events(calendar_ics(_deadlines(), name="时限", now=NOW))
    later = _events(calendar_ics(_deadlines(), name="时限", now=NOW + timedelta(days=3)))
    uids = sorted(str(ev["UID"]) for ev in first.values())
    assert uids == sorted(str(ev["UID"]) for ev in later.values())
    assert uids == ["b-2025-05-31@planlog", "e-2025-08-31@planlog"]


def test_ics_single_deadline_is_all_day_on_due_date() -> None:
    event = _events(calendar_ics(_deadlines(), name="时限", now=NOW))["b"]
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event.decoded("DTSTART") == date(2025, 5, 31)
    assert event.decoded("DTEND") == date(2025, 6, 1)


def test_ics_window_spans_opens_to_day_after_due() -> None:
    event = _events(calendar_ics(_deadlines(), name="时限", now=NOW))["e"]
    assert event.decoded("DTSTART") == date(2025, 6, 1)
    assert event.decoded("DTEND") == date(2025, 9, 1)


def test_ics_summary_marks_deadline_or_window() -> None:
    events = _events(calendar_ics(_deadlines(), name="时限", now=NOW))
    assert str(events["b"]["SUMMARY"]) == "【截止】开展劳动竞赛"
    assert str(events["e"]["SUMMARY"]) == "【办理期】夏送清凉"


def test_ics_alarm_one_day_before() -> None:
    event = _events(calendar_ics(_deadlines(), name="时限", now=NOW))["b"]
    (alarm,) = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(days=-1)
    assert str(alarm["DESCRIPTION"]) == "开展劳动竞赛"


def test_ics_description_names_responsible_and_link() -> None:
    data = calendar_ics(_deadlines(), name="时限", link_base="https://gh.example/", now=NOW)
    description = str(_events(data)["b"]["DESCRIPTION"])
    assert "责任人：宣教部" in description
    assert "计划：2025年工作要点" in description
    assert "组织：某市总工会" in description
    assert "状态：未开始" in description
    assert "https://gh.example/items/b" in description


def test_ics_url_only_with_link_base() -> None:
    linked = _events(calendar_ics(_deadlines(), name="时限", link_base="https://gh.example"))
    plain = _events(calendar_ics(_deadlines(), name="时限"))
    assert str(linked["b"]["URL"]) == "https://gh.example/items/b"
    assert "URL" not in plain["b"]
    assert "https://" not in str(plain["b"]["DESCRIPTION"])


def test_ics_dtstamp_is_now_in_utc() -> None:
    shanghai_evening = datetime.fromisoformat("2025-06-28T17:30:00+08:00")
    event = _events(calendar_ics(_deadlines(), name="时限", now=shanghai_evening))["b"]
    assert event.decoded("DTSTAMP") == NOW
    assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)


def test_ics_categories_is_org() -> None:
    event = _events(calendar_ics(_deadlines(), name="时限", now=NOW))["b"]
    assert [str(c) for c in event["CATEGORIES"].cats] == ["某市总工会"]
