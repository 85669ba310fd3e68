from __future__ import annotations

from datetime import date
from pathlib import Path

import docx
import pytest
from docx.table import Table

from planlog.importer import DocumentError, read_plan

YEAR = 2026


def write_docx(path: Path, paragraphs: list[str]) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_docx_paragraphs_are_read_like_text(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "plan.docx",
        [
            "2026年女工工作计划",
            "",
            "一、健全女工组织",
            "目标：完善女职工工作体系。",
            "1、组织健全：全院建立4个基层工会女工委员会。",
            "2、向上级报告工作情况，每半年报告一次。",
            "时限：6月;12月",
            "责任人：工会女工",
        ],
    )
    plan = read_plan(path, YEAR)
    assert plan.title == "2026年女工工作计划"
    assert plan.sections == ("健全女工组织",)
    first, second = plan.items
    assert (first.title, first.source_line) == ("组织健全", 5)  # paragraph index + 1
    assert second.source_line == 6
    assert second.deadline is not None
    assert [o.due for o in second.deadline.occurrences] == [date(2026, 6, 30), date(2026, 12, 31)]
    assert {first.responsible, second.responsible} == {"工会女工"}
    assert first.goal == "完善女职工工作体系"
    assert [(t.value, t.unit) for t in first.targets] == [(4.0, "个")]


def test_docx_task_table_is_read_like_a_sheet_with_merged_sections(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("2026年工会重点工作任务分解表")
    rows = [
        ["序号", "板块", "工作任务", "完成时限", "责任部门"],
        ["1", "组织建设", "新增基层工会800家", "年底前", "组织部"],
        ["2", "", "建会率达到80%以上", "6月底前", "组织部"],
        ["3", "女工工作", "三八节慰问", "三八", "女工部"],
    ]
    table: Table = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(1, 1).merge(table.cell(2, 1))  # the section cell spans two rows
    table.cell(1, 1).text = "组织建设"
    path = tmp_path / "table.docx"
    document.save(str(path))

    plan = read_plan(path, YEAR)
    assert plan.title == "2026年工会重点工作任务分解表"
    assert plan.sections == ("组织建设", "女工工作")
    assert [i.section for i in plan.items] == ["组织建设", "组织建设", "女工工作"]
    assert [i.responsible for i in plan.items] == ["组织部", "组织部", "女工部"]
    assert plan.items[0].targets[0].value == 800.0
    assert plan.items[2].deadline is not None
    assert plan.items[2].deadline.occurrences[0].due == date(2026, 3, 8)


def test_docx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"this is not a word document at all")
    with pytest.raises(DocumentError, match=r"broken\.docx：无法读取.*（not a readable \.docx"):
        read_plan(path, YEAR)


def test_docx_without_text_is_refused(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "blank.docx", ["", "  "])
    with pytest.raises(DocumentError, match="empty"):
        read_plan(path, YEAR)


def test_docx_without_tasks_is_refused(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "essay.docx", ["工会工作总结", "今年我们做了很多工作。"])
    with pytest.raises(DocumentError, match=r"essay\.docx：没有找到工作任务.*（no task item found"):
        read_plan(path, YEAR)
