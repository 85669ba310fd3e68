"""Importing plan documents into the log: all or nothing, and never twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from planlog.demo import demo_plan_text
from planlog.importer import DocumentError, parse_text, read_plan
from planlog.service.app import PlanlogApp
from planlog.service.importing import IMPLICIT_DEADLINE_WARNING, import_document

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def demo_import(app: PlanlogApp, **options: Any) -> dict[str, Any]:
    imported = parse_text(demo_plan_text(), 2026)
    return import_document(
        app, imported, org="某医院工会", year=2026, actor="王主席", document="plan.txt", **options
    )


def test_import_creates_the_plan_with_sections_items_and_sources(app: PlanlogApp) -> None:
    result = demo_import(app)
    plan = app.get_plan(UUID(result["plan_id"]))
    assert [s.title for s in plan.sections][:2] == [
        "健全工会组织，规范工作制度",
        "深化民主管理，依法维护职工权益",
    ]
    items = app.plan_items(plan.id)
    assert len(items) == len(result["items"]) == 24
    report = next(i for i in items if i.title.startswith("向同级工会委员会"))
    assert sorted(report.occurrences) == ["2026-06-30", "2026-12-31"]
    assert report.responsible == "工会办公室" and report.deadline_text == "6月;12月"
    assert report.source is not None and report.source["line"] == 14
    assert "每半年报告一次" in report.source["text"]


def test_dry_run_records_nothing(app: PlanlogApp) -> None:
    result = demo_import(app, dry_run=True)
    assert result["plan_id"] is None and all(i["id"] is None for i in result["items"])
    assert len(result["items"]) == 24
    assert app.list_plans() == []
    assert not app.recorder.max_notification_id()


def test_importing_the_same_document_twice_returns_the_first_plan(app: PlanlogApp) -> None:
    first = demo_import(app)
    head = app.recorder.max_notification_id()
    second = demo_import(app)
    assert second["plan_id"] == first["plan_id"] and second["already_imported"]
    assert [i["id"] for i in second["items"]] == [i["id"] for i in first["items"]]
    assert app.recorder.max_notification_id() == head
    assert len(app.list_plans()) == 1


def test_a_broken_document_leaves_nothing_behind(app: PlanlogApp, tmp_path: Path) -> None:
    broken = tmp_path / "计划.docx"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(DocumentError, match=r"计划\.docx"):
        read_plan(broken, 2026)
    assert app.list_plans() == []
    assert not app.recorder.max_notification_id()


def test_items_without_a_deadline_are_due_at_year_end(app: PlanlogApp) -> None:
    imported = read_plan(SAMPLES / "workers-home-implementation.txt", 2026)
    result = import_document(app, imported, org="神火国贸公司工会", year=2026, actor="chair")
    undated = [i for i in result["items"] if i["deadline_text"] is None]
    assert undated and all(
        i["occurrences"] == [{"opens": None, "due": "2026-12-31"}] for i in undated
    )
    assert all(IMPLICIT_DEADLINE_WARNING in i["warnings"] for i in undated)


@pytest.mark.parametrize(
    ("sample", "items", "with_deadline"),
    [
        ("workers-home-implementation.txt", 20, 0),
        # 0 before issue 13: 力爭全年創建… is now read (year end, flagged soft and ongoing).
        ("health-bureau-union-2012.txt", 23, 1),
        # 109 items and 27 deadlines before issue 13: headings give way to the tasks under
        # them, and dates in running text now count too.
        ("agency-union-plans-compilation.txt", 111, 34),
    ],
)
def test_the_shared_sample_plans_import(
    app: PlanlogApp, sample: str, items: int, with_deadline: int
) -> None:
    imported = read_plan(SAMPLES / sample, 2026)
    result = import_document(app, imported, org="某工会", year=2026, actor="chair")
    assert len(result["items"]) == items
    assert sum(1 for i in result["items"] if i["deadline_text"]) == with_deadline
    assert len(app.plan_items(UUID(result["plan_id"]))) == items


def test_a_helping_unit_is_kept_with_the_source_not_as_responsible(app: PlanlogApp) -> None:
    imported = read_plan(SAMPLES / "district-task-breakdown.docx", 2026)
    result = import_document(app, imported, org="某区总工会", year=2026, actor="chair")
    first = result["items"][0]
    assert (first["responsible"], first["helpers"]) == ("组织部", "各街道工会")
    items = app.plan_items(UUID(result["plan_id"]))
    assert any(i.source.get("helpers") == "各街道工会" for i in items)
    assert "helpers" not in result["items"][4]  # 举办职工读书月活动 names none
