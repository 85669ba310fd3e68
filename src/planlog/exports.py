"""Files people take away: the board as CSV and XLSX, the audit history as JSONL, deadlines as ICS.

Pure functions, data in and bytes (or lines) out, so the CLI, the web API and
the tests all produce the same files from the same documents. Everything a
person reads is Chinese whatever PLANLOG_LANG says: these files are handed to
the union's office, not to whoever ran the export.

The text in them was typed by people, possibly long ago, before the domain refused
control characters: every file shows control characters as visible symbols
(`planlog.display.printable`), and no text becomes a spreadsheet formula.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from icalendar import Alarm, Calendar, Event
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from planlog.display import printable
from planlog.domain.board import completion_shown, counted_deadlines
from planlog.i18n import t
from planlog.projections.calendar import Deadline
from planlog.service.views import target_display

LANG = "zh"

BOARD_COLUMNS = (
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
)
#: The workbook's columns after the CSV's (appended, so every earlier column keeps its
#: place): what a printed ledger (台账) needs beside the board.
LEDGER_EXTRA_COLUMNS = (
    ("days_overdue", "逾期天数"),
    ("note", "进展情况"),
    ("evidence", "佐证材料"),
)
XLSX_COLUMNS = BOARD_COLUMNS + tuple(label for _, label in LEDGER_EXTRA_COLUMNS)
_WRAPPED_COLUMNS = (2, 12, 13)  # title, note and evidence wrap instead of widening
#: column indexes (0-based) holding dates and the status, for the XLSX formatting
_DATE_COLUMNS = (4, 5, 8)
_STATUS_COLUMN = 6
_TITLE_COLUMN = 2

# Excel's own "good / neutral / bad" fills, so the sheet looks like what office staff expect.
STATUS_FILLS = {
    "done": "C6EFCE",
    "submitted": "DDEBF7",
    "due_soon": "FFEB9C",
    "overdue": "FFC7CE",
    "cancelled": "D9D9D9",
}

PRODID = "-//planlog//工会工作计划//ZH"
PLAN_TZ_NAME = "Asia/Shanghai"


# --- the ledger (台账): the printed board, one row per occurrence ----------------------------

#: the ledger's columns in order, by key of `ledger_rows` and with their printed heading;
#: the print page, the PDF and the XLSX's extra columns all read these
LEDGER_COLUMNS = (
    ("section", "部分"),
    ("number", "序号"),
    ("title", "工作任务"),
    ("responsible", "责任人"),
    ("due", "截止"),
    ("status_label", "状态"),
    ("percent", "进度(%)"),
    ("done_on", "完成日期"),
    ("days_overdue", "逾期天数"),
    ("targets", "目标"),
    ("note", "进展情况"),
    ("evidence", "佐证材料"),
)


def in_section_order(board: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The board's items as the board page shows them: section by section in the plan's
    order (items without a section last), each section's items in the order they were
    planned. The document lists items in planning order, so an item added later to an
    early section would otherwise print at the end."""
    position = {s["id"]: i for i, s in enumerate(board["sections"]) if s["id"] is not None}
    last = len(position)
    indexed = list(enumerate(board["items"]))
    indexed.sort(key=lambda pair: (position.get(pair[1]["section_id"], last), pair[0]))
    return [item for _, item in indexed]


def ledger_rows(board: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The board document (`planlog.projections.queries.board_document`, live or as of
    a past date) as the ledger's rows: one per occurrence, in board order.

    One presenter for every printed form (the web's print page, the PDF, the XLSX), so
    a ledger reads the same whichever way it was made. Values are plain: dates as ISO
    text (None when absent), `status` the light key and `status_label` its Chinese
    name, `days_overdue` an int (0 when on time), `targets` the line of
    `planlog.service.views.target_display` texts. `first` marks an item's first row and
    `span` counts its rows, so a page can merge the item's cells. Text is as typed:
    the page escapes it, files make it printable.
    """
    section_titles = {s["id"]: s["title"] for s in board["sections"]}
    rows: list[dict[str, Any]] = []
    for item in in_section_order(board):
        head = {
            "item_id": item["id"],
            "section_id": item["section_id"],
            "section": section_titles.get(item["section_id"]) or t("no_section", LANG),
            "number": item.get("number") or "",
            "title": item["title"],
            "responsible": item.get("responsible") or "",
            "item_status": item["status"],
            "targets": "；".join(target_display(x)["text"] for x in item.get("targets") or []),
        }
        occurrences = item.get("occurrences") or [
            {"opens": None, "due": None, "status": item["status"], "percent": item["percent"]}
        ]
        for index, occ in enumerate(occurrences):
            status = occ["status"]
            # A hand-built board may keep the stored status of a cancelled item's open
            # occurrences; the ledger must not show them as still to do.
            if item["status"] == "cancelled" and status != "done":
                status = "cancelled"
            rows.append(
                {
                    **head,
                    "first": index == 0,
                    "span": len(occurrences),
                    "opens": occ.get("opens"),
                    "due": occ.get("due"),
                    "status": status,
                    "status_label": t(status, LANG),
                    "percent": occ.get("percent", 0),
                    "done_on": occ.get("done_on"),
                    "days_overdue": occ.get("days_overdue") or 0,
                    "note": occ.get("note") or "",
                    "evidence": occ.get("evidence") or "",
                }
            )
    return rows


def ledger_title(board: Mapping[str, Any]) -> str:
    """`某工会 · 2026 · 工作计划 · 截至 2026-11-25`: the ledger's heading line."""
    return _title_line(board)


# --- the board, one row per occurrence ------------------------------------------------------


def board_rows(board: dict[str, Any]) -> list[list[Any]]:
    """The board flattened for a spreadsheet: one row per occurrence, dates as `date`.

    The ledger's rows (`ledger_rows`: section order, an item without occurrences still
    on a row, a cancelled item's open deadlines shown cancelled) in the export's columns.
    """
    targets = {item["id"]: format_targets(item.get("targets") or []) for item in board["items"]}
    return [
        [
            row["section"],
            row["number"],
            row["title"],
            row["responsible"],
            _date(row["opens"]),
            _date(row["due"]),
            row["status"],
            row["percent"],
            _date(row["done_on"]),
            targets[row["item_id"]],
            row["item_id"],
        ]
        for row in ledger_rows(board)
    ]


def format_targets(targets: list[dict[str, Any]]) -> str:
    """`800家（当前312）；80%` — the value and unit, with how far it got when reported."""
    parts = []
    for target in targets:
        text = f"{_number(target['value'])}{target.get('unit') or ''}"
        if target.get("current") is not None:
            text += f"（当前{_number(target['current'])}）"
        parts.append(text)
    return "；".join(parts)


def board_csv(board: dict[str, Any]) -> bytes:
    """The board as CSV, UTF-8 with a BOM: Excel on Chinese Windows reads GBK without it.

    Numbers stay numbers; every text is defused (`defuse_csv_text`).
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(BOARD_COLUMNS)
    for row in board_rows(board):
        cells = []
        for index, value in enumerate(row):
            if index == _STATUS_COLUMN:
                value = t(value, LANG)
            elif isinstance(value, date):
                value = value.isoformat()
            if isinstance(value, str):
                value = defuse_csv_text(printable(value))
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return out.getvalue().encode("utf-8-sig")


def board_xlsx(board: dict[str, Any], *, chain_head: Mapping[str, Any] | None = None) -> bytes:
    """The board as a workbook: sheet 工作进度 (the rows) and sheet 合计 (the counts)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new Workbook always has one sheet
    sheet.title = t("board", LANG)
    _write_board_sheet(sheet, board)
    totals = workbook.create_sheet(t("totals", LANG))
    _write_totals_sheet(totals, board, chain_head)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _title_line(board: Mapping[str, Any]) -> str:
    plan = board["plan"]
    return f"{plan['org']} · {plan['year']} · {plan['title']} · {t('as_of', LANG)} {board['today']}"


def _write_board_sheet(sheet: Worksheet, board: dict[str, Any]) -> None:
    _write_title(sheet, board)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(XLSX_COLUMNS))
    sheet.append(list(XLSX_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center")
    # ledger_rows has the same rows in the same order (one per occurrence, one for an
    # item without any): it adds what the CSV leaves out.
    extra = [[r[key] for key, _ in LEDGER_EXTRA_COLUMNS] for r in ledger_rows(board)]
    rows = [
        [_xlsx_value(v) for v in [*row, *more]]
        for row, more in zip(board_rows(board), extra, strict=True)
    ]
    for row in rows:
        sheet.append([t(v, LANG) if i == _STATUS_COLUMN else v for i, v in enumerate(row)])
        cells = sheet[sheet.max_row]
        for index, cell in enumerate(cells):
            _keep_text(cell)
            if index in _DATE_COLUMNS:
                cell.number_format = "yyyy-mm-dd"
            elif index in _WRAPPED_COLUMNS:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        fill = STATUS_FILLS.get(row[_STATUS_COLUMN])
        if fill:
            cells[_STATUS_COLUMN].fill = PatternFill("solid", start_color=fill, end_color=fill)
    # Freeze below the header so the column names stay visible while scrolling.
    sheet.freeze_panes = "A3"
    last = get_column_letter(len(XLSX_COLUMNS))
    sheet.auto_filter.ref = f"A2:{last}{max(sheet.max_row, 2)}"
    _fit_columns(sheet, [list(XLSX_COLUMNS), *rows])
    _print_setup(sheet)


def _print_setup(sheet: Worksheet) -> None:
    """The sheet prints as the office files it: A4 landscape, one page wide (as many
    pages long as it takes), the header row on every page, the title line as header."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # 0: as many pages down as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "2:2"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


TOTALS_COLUMNS = (
    ("items", "事项"),
    ("occurrences", "时限"),
    ("done", "已完成"),
    ("overdue", "已逾期"),
    ("due_soon", "即将到期"),
    # board totals count "open" as every open occurrence neither red nor yellow,
    # started or not; 未开始 would undercount what the number means.
    ("open", "正常推进"),
    ("in_progress", "进行中"),
    ("cancelled", "已取消事项"),
    ("percent_done", "完成率(%)"),
)


def _total_cell(totals: Mapping[str, Any], key: str) -> Any:
    """A totals figure for the sheet; a completion of no counted deadline is —, not 0."""
    if key == "percent_done" and not counted_deadlines(totals):
        return completion_shown(totals)
    return totals.get(key, 0)


def _write_totals_sheet(
    sheet: Worksheet, board: dict[str, Any], chain_head: Mapping[str, Any] | None
) -> None:
    _write_title(sheet, board)
    header = ["部分", *(label for _, label in TOTALS_COLUMNS)]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    table: list[list[Any]] = [header]
    for section in board["sections"]:
        row = [_xlsx_value(section["title"] or t("no_section", LANG))]
        row += [_total_cell(section, key) for key, _ in TOTALS_COLUMNS]
        table.append(row)
        sheet.append(row)
        _keep_text(sheet.cell(sheet.max_row, 1))
    total = [t("totals", LANG), *(_total_cell(board["totals"], key) for key, _ in TOTALS_COLUMNS)]
    table.append(total)
    sheet.append(total)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    if chain_head is not None:
        sheet.append([])
        # The chain head pins the workbook to one point of the audit log, so a printed
        # copy can later be checked against the log it was made from.
        sheet.append([chain_head_line(chain_head)])
        if chain_head.get("anchor"):
            sheet.append([anchor_line(chain_head["anchor"])])
    sheet.freeze_panes = "A3"
    _fit_columns(sheet, table)


def _write_title(sheet: Worksheet, board: dict[str, Any]) -> None:
    # The title line starts with the organisation's name, which is people's text too.
    sheet.append([_xlsx_value(_title_line(board))])
    _keep_text(sheet["A1"])
    sheet["A1"].font = Font(bold=True, size=14)


def chain_head_line(chain_head: Mapping[str, Any]) -> str:
    return f"审计链头 #{chain_head['position']} {chain_head['hash']}"


def anchor_line(anchor: Mapping[str, Any]) -> str:
    """The latest anchor, for a printed copy: enough to check its signature by hand."""
    return (
        f"审计锚点 #{anchor['position']} {anchor['hash']} {anchor['anchored_at']} "
        f"签名 {anchor['signature']} 公钥 {anchor['key']}"
    )


def _fit_columns(sheet: Worksheet, table: list[list[Any]]) -> None:
    """Widths from the longest value, counting CJK characters double as Excel draws them.

    The title row is left out of `table`: it is long and must not widen column A.
    """
    widths: dict[int, int] = {}
    for row in table:
        for index, value in enumerate(row):
            if isinstance(value, date):
                width = 10
            elif value is None:
                width = 0
            else:
                width = _display_width(str(value))
            widths[index] = max(widths.get(index, 0), width)
    for index, width in widths.items():
        # Capped so one long task title does not push every other column off screen;
        # that column wraps instead.
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(max(width + 2, 8), 50)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _xlsx_value(value: Any) -> Any:
    # A workbook is XML, which cannot hold C0 controls: openpyxl refuses them.
    return printable(value) if isinstance(value, str) else value


def _keep_text(cell: Cell) -> None:
    """A text cell stays text, whatever it says.

    openpyxl makes any string starting with "=" a formula and "#N/A" an error value;
    a task title is never either, and a planted formula must not run in the office's
    Excel. Text that would turn into a formula when someone edits the cell gets
    Excel's quote prefix (the hidden apostrophe), so it stays text then too.
    """
    if isinstance(cell.value, str):
        cell.data_type = "s"
        if _LOOKS_LIKE_FORMULA.match(cell.value):
            cell.quotePrefix = True


#: What makes Excel or LibreOffice read a cell as a formula (OWASP, "CSV Injection"),
#: with the full-width forms a Chinese input method types, which spreadsheets accept too.
_FORMULA_SIGNS = "=+\\-@＝＋－＠"
_LOOKS_LIKE_FORMULA = re.compile(rf'[\s"]*[{_FORMULA_SIGNS}]')
#: Where a spreadsheet may start a cell inside one CSV field: at its start, and after a
#: separator when the reader splits on another one than we wrote: `;` where the decimal
#: mark is a comma, a tab, or a line break when quotes are read differently.
_CELL_STARTS = re.compile(
    rf'(?:^|(?<=[,;\t\n]))(?=[\s"]*[{_FORMULA_SIGNS}])'
    # a plain signed number is data, not a formula: "-5" or "+3.5%" stays as written
    rf'(?![\s"]*[+-][0-9]+(?:\.[0-9]+)?%?\s*(?:$|[,;\t\n]))'
)


def defuse_csv_text(value: str) -> str:
    """Text that no spreadsheet will run, for a file without cell types (CSV injection).

    An apostrophe goes before every place a cell may start with a formula sign (even
    after spaces or a quote): Excel's own mark for plain text. A leading tab or line
    break is a trigger of its own (OWASP names tab and CR; `printable` makes CR an LF).
    """
    if value[:1] in ("\t", "\r", "\n"):
        value = "'" + value
    return _CELL_STARTS.sub("'", value)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _number(value: float | int) -> str:
    # Targets are stored as floats; 800.0 reads as 800 in a plan.
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


# --- the audit history ----------------------------------------------------------------------


def history_jsonl(
    entries: Iterable[Mapping[str, Any]], *, chain_head: Mapping[str, Any] | None = None
) -> Iterator[str]:
    """One JSON object per line, then the chain head the lines were read up to.

    An auditor who keeps the file can later check that the log still leads to
    the recorded head: the log was only appended to since.
    """
    for entry in entries:
        yield _json_line(dict(entry))  # json.dumps takes dicts, not every Mapping
    if chain_head is not None:
        last: dict[str, Any] = {
            "chain_head": {"position": chain_head["position"], "hash": chain_head["hash"]}
        }
        if chain_head.get("anchor"):  # the latest head signed outside the database
            last["anchor"] = dict(chain_head["anchor"])
        yield _json_line(last)


def _json_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# --- the deadline calendar ------------------------------------------------------------------


def calendar_ics(
    deadlines: Iterable[Deadline],
    *,
    name: str,
    link_base: str | None = None,
    now: datetime | None = None,
) -> bytes:
    """Deadlines as an iCalendar feed: one all-day event per occurrence, with a reminder.

    UIDs depend only on the item and the due date, so a subscribed calendar
    updates its events on refresh instead of duplicating them. A naive `now` is
    taken as local time.
    """
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", printable(name))
    cal.add("x-wr-timezone", PLAN_TZ_NAME)
    for deadline in deadlines:
        cal.add_component(_event(deadline, link_base, stamp))
    return bytes(cal.to_ical())


def deadline_uid(deadline: Deadline) -> str:
    return f"{deadline.item_id}-{deadline.due.isoformat()}@planlog"


def _event(deadline: Deadline, link_base: str | None, stamp: datetime) -> Event:
    window = deadline.opens is not None and deadline.opens < deadline.due
    # RFC 5545 text may hold no control character but tab; calendar apps drop such feeds.
    title, org = printable(deadline.title), printable(deadline.org)
    link = f"{link_base.rstrip('/')}/items/{deadline.item_id}" if link_base else None
    event = Event()
    event.add("uid", deadline_uid(deadline))
    event.add("dtstamp", stamp)
    event.add("summary", f"{'【办理期】' if window else '【截止】'}{title}")
    # DTEND of an all-day event is exclusive, hence the day after the due date.
    event.add("dtstart", deadline.opens if window and deadline.opens else deadline.due)
    event.add("dtend", deadline.due + timedelta(days=1))
    lines = [
        f"计划：{printable(deadline.plan_title)}",
        f"组织：{org}",
        f"责任人：{printable(deadline.responsible or '未指定')}",
        f"状态：{t(deadline.status, LANG)}",
    ]
    if window:
        lines.append(f"截止：{deadline.due.isoformat()}")
    if link:
        lines.append(link)
        event.add("url", link)
    event.add("description", "\n".join(lines))
    event.add("categories", [org])
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy all day
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", timedelta(days=-1))
    alarm.add("description", title)
    event.add_component(alarm)
    return event


# --- the ledger as PDF ----------------------------------------------------------------------

#: Debian's CJK fonts (fonts-noto-cjk); the simplified-Chinese face is named first, or
#: fontconfig picks the Japanese one for "sans-serif" and some glyphs take JP forms.
LEDGER_FONTS = '"Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", sans-serif'

_LEDGER_CSS = """
@page { size: A4 landscape; margin: 12mm 10mm 14mm;
        @bottom-center { content: "第 " counter(page) " 页，共 " counter(pages) " 页";
                         font-size: 8pt; color: #555; } }
body { font-family: %(fonts)s; font-size: 9pt; color: #000; }
h1 { font-size: 13pt; margin: 0 0 2mm; }
p.meta { margin: 0 0 3mm; font-size: 8.5pt; }
table { width: 100%%; border-collapse: collapse; table-layout: fixed; }
thead { display: table-header-group; }  /* the header repeats on every page */
tr { page-break-inside: avoid; }
th, td { border: 0.5pt solid #444; padding: 1mm 1.2mm; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #eee; font-weight: bold; }
td.num { text-align: right; }
tr.overdue td.status { background: #FFC7CE; }
tr.due_soon td.status { background: #FFEB9C; }
tr.done td.status { background: #C6EFCE; }
tr.cancelled td { color: #666; }
"""

#: relative column widths of LEDGER_COLUMNS (the title, targets and notes get room)
_LEDGER_WIDTHS = (8, 4, 18, 6, 7, 6, 5, 7, 5, 11, 14, 9)


def ledger_html(board: Mapping[str, Any]) -> str:
    """The ledger as one self-contained HTML page (A4 landscape), for the PDF.

    Every cell is escaped; control characters are made visible as in every file.
    """
    total = sum(_LEDGER_WIDTHS)
    cols = "".join(f'<col style="width:{100 * w / total:.1f}%">' for w in _LEDGER_WIDTHS)
    head = "".join(f"<th>{label}</th>" for _, label in LEDGER_COLUMNS)
    body = []
    for row in ledger_rows(board):
        cells = []
        for key, _ in LEDGER_COLUMNS:
            value = row[key]
            if key == "days_overdue":
                value = value or ""
            css = ' class="num"' if key in ("percent", "days_overdue") else ""
            css = ' class="status"' if key == "status_label" else css
            cells.append(f"<td{css}>{_html(value)}</td>")
        body.append(f'<tr class="{row["status"]}">{"".join(cells)}</tr>')
    totals = board["totals"]
    meta = (
        f"事项 {totals['items']} 项 · 时限 {totals['occurrences']} 个 · 已完成 {totals['done']}"
        f" · 已逾期 {totals['overdue']} · 即将到期 {totals['due_soon']}"
        f" · 完成率 {completion_shown(totals)}"
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_html(ledger_title(board))}</title>"
        f"<style>{_LEDGER_CSS % {'fonts': LEDGER_FONTS}}</style></head><body>"
        f'<h1>{_html(ledger_title(board))}</h1><p class="meta">{meta}</p>'
        f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></body></html>"
    )


def board_pdf(board: Mapping[str, Any]) -> bytes:
    """The ledger as PDF, laid out by WeasyPrint with Debian's CJK fonts embedded.

    WeasyPrint runs offline in-process on the system's Pango (no browser to start, no
    network: the page has no external resource), so the same bytes come from the API,
    the web and tests. Imported here, not at the top: the CLI and every other export
    must not pay for loading it.
    """
    from weasyprint import HTML

    document: bytes = HTML(string=ledger_html(board)).write_pdf()
    return document


def _html(value: Any) -> str:
    return "" if value is None else html.escape(printable(str(value)))
