"""Excel work plans (.xlsx): the first sheet, read as a table (see `tabular`)."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from planlog.importer.build import finish_plan
from planlog.importer.model import DocumentError, ImportedPlan
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


def sheet_rows(path: Path) -> tuple[str, list[list[str]]]:
    """The first sheet's name and cells, with merged cells filled from their top-left cell."""
    try:
        workbook = load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise DocumentError(
            f"{path.name}: not a readable .xlsx workbook ({exc.__class__.__name__}: {exc})",
            source=path.name,
            problem="corrupt",
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        grid: list[list[Any]] = [
            list(row)
            for row in sheet.iter_rows(
                min_row=1,
                max_row=max(sheet.max_row, 1),
                min_col=1,
                max_col=max(sheet.max_column, 1),
                values_only=True,
            )
        ]
        # openpyxl gives a merged range's value only in its top-left cell.
        for merged in sheet.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, merged.max_row):
                for c in range(merged.min_col - 1, merged.max_col):
                    grid[r][c] = value
        return sheet.title, [[cell_text(v) for v in row] for row in grid]
    finally:
        workbook.close()


def read_xlsx(path: Path, year: int) -> ImportedPlan:
    name, rows = sheet_rows(path)
    if not any(cell for row in rows for cell in row):
        raise DocumentError(
            f"{path.name}: the first sheet '{name}' is empty", source=path.name, problem="empty"
        )
    drafts, warnings, header_row = rows_to_drafts(rows, source=path.name)
    # A single cell above the header (often merged across it) is the plan's title.
    title = next(
        (
            cells[0]
            for cells in ([c for c in row if c] for row in rows[:header_row])
            if len(set(cells)) == 1
        ),
        None,
    )
    return finish_plan(drafts, year, title=title, warnings=warnings, source=path.name)
