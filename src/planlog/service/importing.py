"""Turn an imported plan document into one all-or-nothing plan creation.

Items whose document gives no 时限 are annual tasks: they get one occurrence due
on 31 December of the plan year, marked in their source as an implicit deadline,
so that they can be completed and show on the board like any other item.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from planlog.deadlines import DeadlineError
from planlog.domain.errors import PlanlogError
from planlog.domain.model import Target
from planlog.domain.registry import AlreadyImported
from planlog.domain.schedule import Occurrence
from planlog.importer import SUFFIXES, ImportedItem, ImportedPlan, read_plan
from planlog.importer.build import read_deadline
from planlog.importer.limits import MAX_DOCUMENT_BYTES, check_name
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import ImportPlan
from planlog.service.errors import TooLarge

IMPLICIT_DEADLINE_WARNING = "无时限，按年底（12月31日）计 / no 时限: due at year end"


@dataclass
class PlannedImport:
    imported: ImportedPlan
    items: list[NewItem]
    warnings: list[list[str]]


def plan_import(imported: ImportedPlan, year: int, document: str | None) -> PlannedImport:
    specs, warnings = [], []
    for item in imported.items:
        spec, notes = _new_item(item, year, imported.fingerprint, document)
        specs.append(spec)
        warnings.append(notes)
    return PlannedImport(imported, specs, warnings)


def _new_item(
    item: ImportedItem, year: int, fingerprint: str, document: str | None
) -> tuple[NewItem, list[str]]:
    notes = list(item.warnings)
    source: dict[str, Any] = {
        "document": document,
        "fingerprint": fingerprint,
        "line": item.source_line,
        "text": item.source_text,
        # Where the deadline came from and what to check (issue 13): kept with the item so
        # that every later view can say which dates planlog inferred.
        "deadline_source": item.deadline_source,
        "deadline_snippet": item.deadline_text,
        "flags": list(item.flags),
    }
    if item.helpers:
        # A helping unit (配合部门) is kept with the item's source, not as the one
        # responsible: no stored event field is added for it.
        source["helpers"] = item.helpers
    spec = NewItem(
        title=item.title,
        section=item.section,
        number=item.number,
        goal=item.goal,
        measures=item.measures,
        responsible=item.responsible,
        deadline_text=item.deadline_text,
        targets=[
            Target(text=t.text, value=t.value, unit=t.unit, comparator=t.comparator)
            for t in item.targets
        ],
        source=source,
    )
    parsed = item.deadline
    if parsed is not None and "next_year" in parsed.flags and item.deadline_text:
        # A year-end report falls due after the plan year (up to its following first
        # quarter, planlog.domain.schedule.last_due_day): recorded on its date, and said.
        spec.apply_deadline(item.deadline_text, parsed)
        dues = "、".join(o.key for o in parsed.occurrences)
        notes.append(
            f"时限“{item.deadline_text}”在次年（{dues}），请核对 / "
            f"due in the next year ({dues}): check it"
        )
    elif parsed is not None and parsed.occurrences and item.deadline_text:
        spec.apply_deadline(item.deadline_text, parsed)
        if parsed.ambiguous and parsed.note:
            notes.append(f"时限有歧义 / ambiguous: {parsed.note}")
    else:
        spec.occurrences = [Occurrence(due=date(year, 12, 31))]
        source["implicit_deadline"] = True
        notes.append(IMPLICIT_DEADLINE_WARNING)
    return spec, notes


def import_document(
    app: PlanlogApp,
    imported: ImportedPlan,
    *,
    org: str,
    year: int,
    actor: str,
    title: str | None = None,
    document: str | None = None,
    dry_run: bool = False,
    register_org: bool = True,
    parent: str | None = None,
) -> dict[str, Any]:
    """Create the plan (unless `dry_run`) and describe it in the CLI/API contract shape.

    `register_org` and `parent` are `CreatePlan`'s (`register_missing_org`; every door
    passes it explicitly, the default is the Python API's): the administrator's doors register
    a missing organisation with the plan, the API refuses one (a dry run too, so that a
    preview never promises what the confirmation refuses)."""
    planned = plan_import(imported, year, document)
    plan_title = title or imported.title or f"{year}年工作计划"
    plan_id: UUID | None = None
    item_ids: list[str | None] = [None] * len(planned.items)
    already = False
    if dry_run:
        new_org = app.check_plan_organisation(org, register_org=register_org, parent=parent)
    else:
        new_org = register_org and app.find_organisation(org) is None
        source = {
            "document": document,
            "fingerprint": imported.fingerprint,
            "kind": imported.kind,
            "parts": list(imported.parts),
        }
        try:
            plan = app.handle(
                ImportPlan(
                    org=org,
                    year=year,
                    title=plan_title,
                    actor=actor,
                    source=source,
                    sections=imported.sections,
                    items=planned.items,
                    register_missing_org=register_org,
                    parent=parent,
                )
            )
            plan_id = plan.id
        except AlreadyImported as earlier:
            plan_id, already, new_org = earlier.plan_id, True, False
        # The import made the plan's first items, in document order; later additions follow.
        made = app.get_plan(plan_id).item_ids[: len(planned.items)]
        item_ids = [str(i) for i in made]
    return {
        "plan_id": str(plan_id) if plan_id else None,
        "already_imported": already,
        "dry_run": dry_run,
        "org": org,
        # whether this import registered the organisation (a dry run: would register it)
        "org_registered": new_org,
        "year": year,
        "title": plan_title,
        "kind": imported.kind,
        "parts": list(imported.parts),
        "sections": list(imported.sections),
        "warnings": list(imported.warnings),
        "items": [
            _item_row(item_id, spec, item, notes, year)
            for item_id, spec, item, notes in zip(
                item_ids, planned.items, imported.items, planned.warnings, strict=True
            )
        ],
    }


def _item_row(
    item_id: str | None, spec: NewItem, item: ImportedItem, notes: list[str], year: int
) -> dict[str, Any]:
    return {
        "id": item_id,
        "section": spec.section,
        "number": spec.number,
        "title": spec.title,
        "deadline_text": spec.deadline_text,
        "occurrences": [o.to_dict() for o in spec.schedule(year)],
        "rrule": spec.rrule,
        "soft": spec.soft,
        "responsible": spec.responsible,
        "targets": [
            {"value": t.value, "unit": t.unit, "text": t.text, "comparator": t.comparator}
            for t in spec.targets
        ],
        "source_line": item.source_line,
        "warnings": notes,
        "deadline_source": item.deadline_source,
        "flags": list(item.flags),
        **({"helpers": item.helpers} if item.helpers else {}),
    }


def read_upload(data: bytes, filename: str | None, year: int) -> tuple[ImportedPlan, str]:
    """An uploaded document (API or web), read as the CLI reads a file: the same name
    check, file types and size limit at every door. `data` may be one byte over the
    limit (the door read that much) to tell "too large" from "exactly the limit"."""
    # Only the last part of the name: old browsers send C:\Users\…\plan.docx.
    name = (filename or "plan.txt").replace("\\", "/").rsplit("/", 1)[-1]
    check_name(name)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise PlanlogError(f"{name}: planlog reads {', '.join(SUFFIXES)} files")
    if len(data) > MAX_DOCUMENT_BYTES:
        megabytes = MAX_DOCUMENT_BYTES // (1024 * 1024)
        raise TooLarge(
            f"{name}：文件超过 {megabytes} MB 的上限（{name} is larger than {megabytes} MB）"
        )
    with tempfile.TemporaryDirectory() as folder:
        # Stored under a name of our own (the uploader's may be longer than the file
        # system allows); errors still name the file the uploader knows.
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        imported = read_plan(path, year, name=name)
    return imported, name


def import_upload(
    app: PlanlogApp,
    data: bytes,
    filename: str | None,
    *,
    org: str,
    year: int,
    actor: str,
    title: str | None,
    dry_run: bool,
) -> dict[str, Any]:
    """Preview (`dry_run`) or import an uploaded document: the API's and the web's one
    path. An upload never registers an organisation: the administrator does."""
    imported, name = read_upload(data, filename, year)
    return import_document(
        app,
        imported,
        org=org.strip(),
        year=year,
        actor=actor,
        title=title,
        document=name,
        dry_run=dry_run,
        register_org=False,
    )


@dataclass(frozen=True)
class ReviewedRow:
    """One row of an import preview as the chair left it (the web's editable preview).

    `index` is the item's place in the document as read, so that an edited row keeps its
    source line and the plan keeps the document's fingerprint: re-importing the same
    file is still recognised, whatever was corrected the first time."""

    index: int
    title: str
    section: str
    deadline_text: str
    responsible: str
    drop: bool = False


#: where a deadline typed in the review came from (beside label, column, sentence, implicit)
TYPED = "typed"


def review_import(
    imported: ImportedPlan, rows: Sequence[ReviewedRow], year: int
) -> tuple[ImportedPlan, list[int]]:
    """The document as reviewed: each row's corrections applied, dropped rows left out.

    Returns the plan to import (same fingerprint, so `ImportPlan` recognises the
    document) and the document indices of the items it keeps, in order. A deadline
    typed differently is read again by the importer's own reader, so the reviewed item
    carries the same reading, source and flags an imported one would."""
    by_index = {row.index: row for row in rows}
    kept: list[int] = []
    items: list[ImportedItem] = []
    sections = list(imported.sections)
    for index, item in enumerate(imported.items):
        row = by_index.get(index)
        if row is None:
            items.append(item)
            kept.append(index)
            continue
        if row.drop:
            continue
        item = _reviewed(item, row, year)
        if item.section and item.section not in sections:
            sections.append(item.section)
        items.append(item)
        kept.append(index)
    return replace(imported, items=tuple(items), sections=tuple(sections)), kept


def _reviewed(item: ImportedItem, row: ReviewedRow, year: int) -> ImportedItem:
    # An emptied title keeps the document's: an item needs one, and the row shows it back.
    title = row.title.strip() or item.title
    changed = replace(
        item,
        title=title,
        section=row.section.strip(),
        responsible=row.responsible.strip() or None,
    )
    typed = row.deadline_text.strip()
    if typed == (item.deadline_text or "").strip():
        return changed  # the document's reading stands, with its source and flags
    if not typed:
        return replace(
            changed,
            deadline_text=None,
            deadline=None,
            deadline_source="implicit",
            flags=("implicit",),
        )
    try:
        parsed = read_deadline(typed, year)
    except DeadlineError as refused:
        # As the importer does with a 时限 it cannot read: said, and due at year end.
        warning = f"无法识别时限“{typed}”（时限 '{typed}' could not be read）：{refused.message}"
        return replace(
            changed,
            deadline_text=typed,
            deadline=None,
            deadline_source=TYPED,
            flags=("implicit",),
            warnings=(*item.warnings, warning),
        )
    return replace(
        changed,
        deadline_text=typed,
        deadline=parsed,
        deadline_source=TYPED,
        flags=parsed.flags,
    )
