from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from planlog.importer import DocumentError, read_plan

YEAR = 2026


def write_plan_sheet(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "计划"
    sheet["A1"] = "2026年工会工作计划"
    sheet.merge_cells("A1:F1")
    sheet.append(["序号", "板块", "工作任务", "目标", "完成时限", "责任人"])
    sheet.append([1, "一、组织建设", "新增基层工会", "全年新增基层工会800家", "年底前", "组织部"])
    sheet.append([2, None, "发展会员", "发展会员50万名", "6月;12月", "组织部"])
    sheet.append([3, None, "规范化建设", "考核总分95分以上为合格", "六月至八月", None])
    sheet.merge_cells("B3:B5")  # one section cell over three rows
    sheet.append([4, "女工工作", "三八节慰问", None, datetime(2026, 3, 8), "女工部"])
    sheet.append([None, None, None, None, None, None])
    sheet.append([5, None, "困难女职工帮扶", "每单位补助500元", "尽快", "女工部"])
    workbook.save(path)
    return path


def test_xlsx_rows_become_items_with_merged_sections_carried_down(tmp_path: Path) -> None:
    plan = read_plan(write_plan_sheet(tmp_path / "plan.xlsx"), YEAR)
    assert plan.title == "2026年工会工作计划"
    assert plan.sections == ("组织建设", "女工工作")
    assert [i.section for i in plan.items] == ["组织建设"] * 3 + ["女工工作"] * 2
    assert [i.number for i in plan.items] == ["1", "2", "3", "4", "5"]
    assert [i.source_line for i in plan.items] == [3, 4, 5, 6, 8]  # sheet rows
    assert [i.title for i in plan.items][:2] == ["新增基层工会", "发展会员"]


def test_xlsx_goal_column_targets_and_deadlines(tmp_path: Path) -> None:
    plan = read_plan(write_plan_sheet(tmp_path / "plan.xlsx"), YEAR)
    first, second, third, fourth, fifth = plan.items
    assert first.goal == "全年新增基层工会800家"
    assert [(t.value, t.unit) for t in first.targets] == [(800.0, "家")]
    assert [(t.value, t.unit) for t in second.targets] == [(500000.0, "名")]
    assert [(t.value, t.comparator) for t in third.targets] == [(95.0, ">=")]
    assert second.deadline is not None
    assert [o.due for o in second.deadline.occurrences] == [date(2026, 6, 30), date(2026, 12, 31)]
    assert third.deadline is not None
    assert third.deadline.occurrences[0].opens == date(2026, 6, 1)
    assert fourth.deadline_text == "2026年3月8日"  # an Excel date cell
    assert fourth.deadline is not None and fourth.deadline.occurrences[0].due == date(2026, 3, 8)
    assert fifth.deadline is None
    assert fifth.warnings[0].startswith("无法识别时限“尽快”（时限 '尽快' could not be read")
    assert third.responsible is None


def test_xlsx_without_a_task_column_names_the_columns_found(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["序号", "时限", "责任人", "备注"])
    sheet.append([1, "3月", "张三", ""])
    path = tmp_path / "notask.xlsx"
    workbook.save(path)
    with pytest.raises(DocumentError, match="no 工作任务 column") as caught:
        read_plan(path, YEAR)
    assert "序号, 时限, 责任人, 备注" in caught.value.message
    assert caught.value.details["columns"] == ["序号", "时限", "责任人", "备注"]


def test_xlsx_without_a_header_row_is_refused(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for n in range(12):
        sheet.append([f"随便写的第{n}行"])
    path = tmp_path / "noheader.xlsx"
    workbook.save(path)
    with pytest.raises(DocumentError, match="no header row found in the first 10 rows"):
        read_plan(path, YEAR)


def test_xlsx_header_below_a_few_title_rows_is_found(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["某某医院工会"])
    sheet.append([])
    sheet.append(["2026年工作任务分解"])
    sheet.append(["编号", "工作内容", "时间"])
    sheet.append(["1", "召开职代会", "3月底前"])
    path = tmp_path / "late.xlsx"
    workbook.save(path)
    plan = read_plan(path, YEAR)
    assert [(i.section, i.title, i.deadline_text) for i in plan.items] == [
        ("工作任务", "召开职代会", "3月底前")
    ]
    assert plan.items[0].source_line == 5


def test_xlsx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DocumentError, match=r"broken\.xlsx：无法读取.*（not a readable \.xlsx"):
        read_plan(path, YEAR)
