"""Excel work plans (.xlsx): the first sheet, read as a table (see `tabular`)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import WorkSheetParser

from planlog.importer.build import finish_plan
from planlog.importer.limits import (
    MAX_SHEET_COLUMNS,
    MAX_SHEET_ROWS,
    check_chars,
    check_lines,
    refuse,
    unreadable_package,
)
from planlog.importer.model import DocumentError, ImportedPlan, document_error
from planlog.importer.tabular import rows_to_drafts


def cell_text(value: Any) -> str:
    """A cell as the user sees it: 1 not 1.0, an Excel date as 2026年3月25日."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cell_name(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}" if column <= 18_278 else f"R{row}C{column}"


def _beyond(source: str, row: int, column: int) -> DocumentError:
    return refuse(
        source,
        "sheet_too_large",
        f"第一个工作表的单元格 {_cell_name(row, column)} 有数据，超出了计划表可用的前 "
        f"{MAX_SHEET_ROWS:,} 行、前 {MAX_SHEET_COLUMNS} 列",
        f"cell {_cell_name(row, column)} of the first sheet holds data outside the first "
        f"{MAX_SHEET_ROWS:,} rows and {MAX_SHEET_COLUMNS} columns a plan sheet may use",
        too_large=True,
        limit=[MAX_SHEET_ROWS, MAX_SHEET_COLUMNS],
    )


def _read_cells(
    workbook: Any, sheet: ReadOnlyWorksheet, source: str
) -> tuple[list[list[Any]], list[str]]:
    """The sheet's values and merged ranges, its size taken from the cells that hold
    data, never from the <dimension> the file declares (which may say XFD1048576).

    openpyxl's own streaming sheet parser, the one its read-only worksheets use,
    driven directly: read-only iteration would add every row missing between the
    data and a far cell and pad each row out to its last cell, so one cell at
    XFD1048576 would mean a million rows of 16,384 columns. Here a far cell is seen
    as it is and refused, and memory stays within the limit's grid.
    """
    parser = WorkSheetParser(
        sheet._get_source(),
        sheet._shared_strings,
        data_only=True,
        epoch=workbook.epoch,
        date_formats=workbook._date_formats,
        timedelta_formats=workbook._timedelta_formats,
    )
    rows: dict[int, list[Any]] = {}
    chars = 0
    for _, cells in parser.parse():
        for cell in cells:
            value = cell["value"]
            if value is None or value == "":
                continue
            row, column = cell["row"], cell["column"]
            if not (1 <= row <= MAX_SHEET_ROWS and 1 <= column <= MAX_SHEET_COLUMNS):
                raise _beyond(source, row, column)
            chars += len(str(value))
            check_chars(source, chars)
            if row not in rows:
                rows[row] = []
                check_lines(source, len(rows))
            line = rows[row]
            if len(line) < column:
                line.extend([None] * (column - len(line)))
            line[column - 1] = value
    height = max(rows, default=0)
    width = max((len(line) for line in rows.values()), default=0)
    grid = [[None] * width for _ in range(height)]
    for row, line in rows.items():
        grid[row - 1][: len(line)] = line
    merged = [cell.ref for cell in parser.merged_cells.mergeCell] if parser.merged_cells else []
    return grid, merged


def _fill_merged(grid: list[list[Any]], merged: list[str], source: str) -> None:
    """openpyxl gives a merged range's value only in its top-left cell: copy it over
    the range, within the data. Ranges that do not overlap cover each cell once, so
    more filling than the grid has cells means overlapping ranges, built to make
    this loop long."""
    height = len(grid)
    width = len(grid[0]) if grid else 0
    budget = height * width
    for ref in merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_col is None or min_row is None or min_row > height or min_col > width:
            continue
        value = grid[min_row - 1][min_col - 1]
        last_row = min(max_row or min_row, height)
        last_col = min(max_col or min_col, width)
        budget -= max(last_row - min_row + 1, 0) * max(last_col - min_col + 1, 0)
        if budget < 0:
            raise refuse(
                source,
                "merged_cells_overlap",
                "第一个工作表的合并单元格相互重叠",
                "merged cells of the first sheet overlap",
            )
        for r in range(min_row - 1, last_row):
            for c in range(min_col - 1, last_col):
                grid[r][c] = value


def sheet_rows(path: Path, source: str | None = None) -> tuple[str, list[list[str]]]:
    """The first sheet's name and cells, with merged cells filled from their top-left cell."""
    source = source or path.name
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        # openpyxl raises many kinds of error on a damaged package (KeyError for a
        # missing part, TypeError from a malformed style...); all mean the same here.
        raise unreadable_package(source, ".xlsx workbook", exc) from exc
    try:
        sheets = [s for s in workbook.worksheets if isinstance(s, ReadOnlyWorksheet)]
        if not sheets:
            raise document_error(
                source, "empty", "工作簿中没有工作表", "the workbook has no worksheet"
            )
        sheet = sheets[0]
        try:
            grid, merged = _read_cells(workbook, sheet, source)
            _fill_merged(grid, merged, source)
        except DocumentError:
            raise
        except Exception as exc:
            raise unreadable_package(source, ".xlsx workbook", exc) from exc
        return sheet.title, [[cell_text(v) for v in row] for row in grid]
    finally:
        workbook.close()


def read_xlsx(path: Path, year: int, *, source: str | None = None) -> ImportedPlan:
    """Read an .xlsx that `limits.check_package` has let through."""
    source = source or path.name
    name, rows = sheet_rows(path, source)
    if not any(cell for row in rows for cell in row):
        raise document_error(
            source,
            "empty",
            f"第一个工作表“{name}”是空的",
            f"the first sheet '{name}' is empty",
        )
    drafts, warnings, header_row = rows_to_drafts(rows, source=source)
    # A single cell above the header (often merged across it) is the plan's title.
    title = next(
        (
            cells[0]
            for cells in ([c for c in row if c] for row in rows[:header_row])
            if len(set(cells)) == 1
        ),
        None,
    )
    return finish_plan(drafts, year, title=title, warnings=warnings, source=source)
