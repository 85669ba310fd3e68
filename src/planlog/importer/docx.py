"""Word work plans (.docx): paragraphs read as text, task tables read as tables.

When a table has a recognisable header row (工作任务, 时限, 责任人 …) the plan is
in its tables, and paragraphs only give the title. Otherwise the paragraphs are
the plan and are read like pasted text; source_line is the paragraph's index + 1.
Word's automatic list numbering is not part of the paragraph text and is not
reconstructed: plans numbered by hand (一、 1、) read as expected.
"""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table

from planlog.importer.build import Draft, finish_plan
from planlog.importer.model import DocumentError, ImportedPlan
from planlog.importer.normalize import strip_punct
from planlog.importer.tabular import find_header, rows_to_drafts
from planlog.importer.text import is_clutter, parse_lines


def _table_rows(table: Table) -> list[list[str]]:
    return [[cell.text.strip() for cell in row.cells] for row in table.rows]


def read_docx(path: Path, year: int) -> ImportedPlan:
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DocumentError(
            f"{path.name}: not a readable .docx document ({exc.__class__.__name__}: {exc})",
            source=path.name,
            problem="corrupt",
        ) from exc

    paragraphs: list[tuple[int, str]] = []
    task_tables: list[tuple[int, list[list[str]]]] = []
    other_tables = 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            rows = _table_rows(block)
            header = find_header(rows)
            if header is not None and "task" in header.columns:
                task_tables.append((len(task_tables) + 1, rows))
            else:
                other_tables += 1
        else:
            paragraphs.append((len(paragraphs) + 1, block.text))

    if not task_tables:
        if not any(text.strip() for _, text in paragraphs):
            raise DocumentError(
                f"{path.name}: the document is empty", source=path.name, problem="empty"
            )
        plan = parse_lines(paragraphs, year, source=path.name)
        if other_tables:
            note = f"{other_tables} table(s) without a 工作任务 header row were not read"
            return replace(plan, warnings=(*plan.warnings, note))
        return plan

    drafts: list[Draft] = []
    warnings: list[str] = []
    for number, rows in task_tables:
        found, notes, _ = rows_to_drafts(rows, source=f"{path.name} table {number}")
        for draft in found:
            draft.order = (number, draft.order[0])
        drafts.extend(found)
        warnings.extend(notes)
    text_lines = [t for _, t in paragraphs if t.strip() and not is_clutter(t)]
    title = strip_punct(text_lines[0]) if text_lines else None
    if len(text_lines) > 1:
        warnings.append(
            f"{len(text_lines) - 1} paragraph(s) outside the task table(s) were not read as items"
        )
    return finish_plan(drafts, year, title=title or None, warnings=warnings, source=path.name)
