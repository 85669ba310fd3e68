"""Word work plans (.docx): paragraphs read as text, task tables read as tables.

When a table has a recognisable header row (工作任务, 时限, 责任人 …) the plan is
in its tables, and paragraphs only give the title. Otherwise the paragraphs are
the plan and are read like pasted text; source_line is the paragraph's index + 1.
Word's automatic list numbering is not part of the paragraph text and is not
reconstructed: plans numbered by hand (一、 1、) read as expected.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import docx
from docx.table import Table, _Cell

from planlog.importer.build import Draft, finish_plan
from planlog.importer.limits import (
    MAX_SHEET_COLUMNS,
    ItemBudget,
    check_chars,
    check_lines,
    refuse,
    unreadable_package,
)
from planlog.importer.model import DocumentError, ImportedPlan, bilingual, document_error
from planlog.importer.normalize import strip_punct
from planlog.importer.tabular import find_header, rows_to_drafts
from planlog.importer.text import choose_title, is_clutter, parse_lines

#: WordprocessingML, whose `p` elements are the paragraphs counted by `limits`.
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


class _Counter:
    """Lines and characters read so far, checked as they grow."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = 0
        self.chars = 0

    def add(self, text: str, *, line: bool = True) -> None:
        self.chars += len(text)
        check_chars(self.source, self.chars)
        if line and text.strip():
            self.lines += 1
            check_lines(self.source, self.lines)


def _table_rows(table: Table, counter: _Counter) -> list[list[str]]:
    """The table's rows as text by grid column, merged cells filled.

    Read from the table's XML rather than through `_Row.cells`, which repeats a cell
    once per spanned column (a gridSpan of 10**9 would be 10**9 cells) and follows a
    vertical merge up one row per recursive call (a long merge is a RecursionError).
    """
    rows: list[list[str]] = []
    above: list[str] = []  # the previous row by grid column: a vertical merge continues it
    for tr in table._tbl.tr_lst:
        cells: list[str] = []
        for tc in tr.tc_lst:
            span = max(tc.grid_span, 1)
            if len(cells) + span > MAX_SHEET_COLUMNS:
                raise refuse(
                    counter.source,
                    "table_too_wide",
                    f"表格超过 {MAX_SHEET_COLUMNS} 列",
                    f"a table is wider than {MAX_SHEET_COLUMNS} columns",
                    too_large=True,
                    limit=MAX_SHEET_COLUMNS,
                )
            if tc.vMerge == "continue":
                column = len(cells)
                text = above[column] if column < len(above) else ""
            else:
                text = _Cell(tc, table).text.strip()
                counter.add(text, line=False)
            cells.extend([text] * span)
        counter.add(" ".join(cells))  # a row is a line
        rows.append(cells)
        above = cells
    return rows


def _blocks(
    document: Any, counter: _Counter
) -> tuple[list[tuple[int, str]], list[tuple[int, list[list[str]]]], int]:
    """The body's paragraphs (index + 1, text), its task tables and how many other
    tables it has."""
    paragraphs: list[tuple[int, str]] = []
    task_tables: list[tuple[int, list[list[str]]]] = []
    other_tables = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = _table_rows(block, counter)
            header = find_header(rows)
            if header is not None and "task" in header.columns:
                task_tables.append((len(task_tables) + 1, rows))
            else:
                other_tables += 1
        else:
            text = block.text
            counter.add(text)
            paragraphs.append((len(paragraphs) + 1, text))
    return paragraphs, task_tables, other_tables


def _table_title(rows: list[list[str]]) -> str | None:
    """A title written as the table's first row (merged across it), above the header."""
    header = find_header(rows)
    for row in rows[: header.row if header else 0]:
        distinct = list(dict.fromkeys(c for c in row if c.strip()))
        if len(distinct) == 1:
            return strip_punct(distinct[0]) or None
    return None


def read_docx(path: Path, year: int, *, source: str | None = None) -> ImportedPlan:
    """Read a .docx that `limits.check_package` has let through."""
    source = source or path.name
    try:
        document = docx.Document(str(path))
        paragraphs, task_tables, other_tables = _blocks(document, _Counter(source))
    except DocumentError:
        raise
    except RecursionError as exc:
        raise refuse(
            source,
            "nested_too_deep",
            "文档的部件关系嵌套过深",
            "the document's parts refer to each other too deeply",
        ) from exc
    except Exception as exc:
        # python-docx and lxml raise many kinds of error on a damaged package (a
        # gridSpan of "abc" is a ValueError); any of them means the same to the user.
        raise unreadable_package(source, ".docx document", exc) from exc

    if not task_tables:
        if not any(text.strip() for _, text in paragraphs):
            raise document_error(source, "empty", "文档是空的", "the document is empty")
        plan = parse_lines(paragraphs, year, source=source)
        if other_tables:
            note = bilingual(
                f"{other_tables} 个没有“工作任务”表头行的表格未读取",
                f"{other_tables} table(s) without a 工作任务 header row were not read",
            )
            return replace(plan, warnings=(*plan.warnings, note))
        return plan

    drafts: list[Draft] = []
    warnings: list[str] = []
    budget = ItemBudget(source)
    for number, rows in task_tables:
        found, notes, _ = rows_to_drafts(rows, source=f"{source} table {number}")
        budget.add(len(found))
        for draft in found:
            draft.order = (number, draft.order[0])
        drafts.extend(found)
        warnings.extend(notes)
    text_lines = [t.strip() for _, t in paragraphs if t.strip() and not is_clutter(t)]
    at = choose_title(text_lines)
    title = strip_punct(text_lines[at]) if at is not None else _table_title(task_tables[0][1])
    if len(text_lines) > 1:
        outside = len(text_lines) - 1
        warnings.append(
            bilingual(
                f"任务表格之外的 {outside} 个段落未作为任务读取",
                f"{outside} paragraph(s) outside the task table(s) were not read as items",
            )
        )
    return finish_plan(drafts, year, title=title or None, warnings=warnings, source=source)
