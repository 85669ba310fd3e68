"""One test per kind of structure real plans use (issue 13): narrative paragraphs,
一是 lists at any nesting, office task tables, and download-site clutter."""

from __future__ import annotations

from pathlib import Path

import docx
from openpyxl import Workbook

from planlog.importer import ImportedPlan, parse_text, read_plan
from planlog.importer.tabular import rows_to_drafts
from planlog.importer.text import is_clutter, is_mojibake

YEAR = 2026


def parse(text: str) -> ImportedPlan:
    return parse_text(text, YEAR)


def numbers(plan: ImportedPlan) -> list[str]:
    return [i.number for i in plan.items]


# --- narrative plans ---------------------------------------------------------------


def test_ordinal_paragraphs_are_items() -> None:
    plan = parse(
        "二、重点任务\n首先，加强思想引领。组织主题教育。\n其次，做好服务工作。开展帮扶。\n"
        "第三，深化劳动竞赛。\n最后，加强自身建设。\n"
    )
    assert numbers(plan) == ["首先", "其次", "第三", "最后"]
    assert [i.title for i in plan.items] == [
        "加强思想引领",
        "做好服务工作",
        "深化劳动竞赛",
        "加强自身建设",
    ]
    assert plan.sections == ("重点任务",)


def test_ordinal_paragraph_listing_yishi_is_its_items_not_one() -> None:
    plan = parse(
        "一、任务\n首先，加强引领。\n"
        "其次，做好服务。一是开展招聘；二是帮扶困难职工；三是组织疗休养；四是金秋助学。\n"
        "最后，加强建设。\n"
    )
    assert numbers(plan) == [
        "首先", "其次.一是", "其次.二是", "其次.三是", "其次.四是", "最后",
    ]  # fmt: skip
    assert plan.items[1].title == "开展招聘"


def test_a_closing_zuihou_in_a_numbered_plan_is_text() -> None:
    plan = parse("一、组织\n1、建立委员会。\n2、选举主席。\n最后，希望各单位认真落实。\n")
    assert numbers(plan) == ["1", "2"]


def test_yishi_at_line_starts_and_yiyao_variant() -> None:
    plan = parse(
        "一、服务\n一是开展走访；\n二是建立档案。\n二、维权\n2、做好工作。一要面对面交流。二要心贴心服务。\n"
    )
    assert numbers(plan) == ["一是", "二是", "2.一要", "2.二要"]


def test_a_heading_item_passes_its_deadline_and_responsible_to_its_list() -> None:
    plan = parse("一、组织\n3、搭建平台，时限：6月底前。一是开辟场所；二是开通网页。\n")
    assert [(i.number, i.deadline_text) for i in plan.items] == [
        ("3.一是", "6月底前"),
        ("3.二是", "6月底前"),
    ]


def test_a_section_heading_is_an_item_only_without_tasks() -> None:
    plan = parse("一、宣传\n1、办好简报。\n二、经费管理\n严格管理工会经费。\n")
    assert [(i.section, i.title) for i in plan.items] == [
        ("宣传", "办好简报"),
        ("经费管理", "经费管理"),
    ]


# --- office tables -----------------------------------------------------------------

HEADER = ["序号", "主要任务", "牵头部门", "配合部门", "时间节点", "完成标准"]


def drafts(rows: list[list[str]]) -> list[tuple[str, str, str | None, str | None]]:
    found, _, _ = rows_to_drafts(rows, source="t")
    return [(d.section, d.title or "", d.responsible, d.helpers) for d in found]


def test_a_row_spanning_every_column_is_a_section() -> None:
    rows = [
        HEADER,
        ["一、组织建设"] * 6,
        ["1", "发展会员", "组织部", "", "6月", ""],
        ["二、维权服务"] * 6,
        ["2", "集体协商", "权益部", "", "9月", ""],
    ]
    assert [(s, t) for s, t, _, _ in drafts(rows)] == [
        ("组织建设", "发展会员"),
        ("维权服务", "集体协商"),
    ]


def test_a_lone_numbered_heading_in_one_cell_is_a_section() -> None:
    rows = [
        HEADER,
        ["", "一、组织建设", "", "", "", ""],
        ["1", "发展会员", "组织部", "", "6月", ""],
        ["二", "宣传教育", "", "", "", ""],
        ["2", "读书活动", "宣传部", "", "4月", ""],
    ]
    assert [(s, t) for s, t, _, _ in drafts(rows)] == [
        ("组织建设", "发展会员"),
        ("宣传教育", "读书活动"),
    ]


def test_title_and_notes_rows_are_not_items() -> None:
    rows = [
        ["2026年重点工作进度表"] * 6,
        HEADER,
        ["1", "发展会员", "组织部", "", "6月", ""],
        ["注：各部门每月5日前报送进展。"] * 6,
        ["备注：完成标准为最低要求", "", "", "", "", ""],
    ]
    assert [t for _, t, _, _ in drafts(rows)] == ["发展会员"]


def test_lead_and_helping_units_are_kept_apart() -> None:
    rows = [
        ["序号", "工作内容", "责任领导", "责任单位", "配合单位", "完成时限"],
        ["1", "发展会员\n全年新发展会员2000名", "张主席", "组织部", "各街道工会\n区妇联", "6月"],
    ]
    found, _, _ = rows_to_drafts(rows, source="t")
    (draft,) = found
    assert (draft.title, draft.responsible, draft.helpers) == (
        "发展会员\n全年新发展会员2000名",
        "组织部",
        "各街道工会\n区妇联",
    )
    assert draft.deadline_text == "6月"


def test_completion_standard_and_schedule_columns(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["工会重点工作安排"])
    sheet.merge_cells("A1:E1")
    sheet.append(["序号", "工作任务", "责任部门", "进度安排", "完成标准"])
    sheet.append(["1", "建设职工驿站\n（户外劳动者站点）", "保障部", "三季度", "新建驿站20个"])
    path = tmp_path / "plan.xlsx"
    workbook.save(path)
    plan = read_plan(path, YEAR)
    (item,) = plan.items
    assert plan.title == "工会重点工作安排"
    assert item.title == "建设职工驿站"
    assert item.deadline_text == "三季度"
    assert [t.text for t in item.targets] == ["20个"]
    assert item.to_dict()["responsible"] == "保障部" and "helpers" not in item.to_dict()


def test_a_word_table_with_its_title_in_the_first_row(tmp_path: Path) -> None:
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    title = table.rows[0].cells[0].merge(table.rows[0].cells[2])
    title.text = "2026年任务分解表"
    for cell, text in zip(table.rows[1].cells, ["工作任务", "牵头部门", "配合部门"], strict=True):
        cell.text = text
    for cell, text in zip(table.rows[2].cells, ["开展读书月活动", "宣传部", "图书馆"], strict=True):
        cell.text = text
    path = tmp_path / "plan.docx"
    document.save(str(path))
    plan = read_plan(path, YEAR)
    assert plan.title == "2026年任务分解表"
    assert plan.items[0].to_dict()["helpers"] == "图书馆"


# --- download-site clutter ---------------------------------------------------------


def test_page_navigation_and_trailer_are_clutter() -> None:
    plan = parse(
        "首页 > 范文 > 工作计划\n相关推荐\n社区工会2026年工作计划\n"
        "发布时间：2025-12-28 来源：网络\n"
        "一、组织建设\n1、发展会员120名。\n2、召开会员大会。\n社区工会\n2025年12月28日\n"
        "上一篇：工会总结\n下一篇：工作计划范文\n相关文章\n工会计划范文5篇  2025-11-03\n"
    )
    assert plan.title == "社区工会2026年工作计划"
    assert [i.title for i in plan.items] == ["发展会员120名", "召开会员大会"]
    assert plan.items[1].source_text == "2、召开会员大会。"
    assert [t.text for i in plan.items for t in i.targets] == ["120名"]


def test_a_list_of_dated_articles_ends_the_plan() -> None:
    plan = parse(
        "一、组织\n1、发展会员。\n工会2026年度工作计划  2025-10-21\n基层工会计划安排 2025-09-15\n"
    )
    assert plan.items[0].source_text == "1、发展会员。"


def test_garbled_lines_are_clutter_but_chinese_is_not() -> None:
    utf8_read_as_gbk = "在社区工会的领导下，积极开展各项工作。".encode().decode("gbk", "replace")
    utf8_read_as_latin1 = "工会工作计划安排".encode().decode("latin-1")
    assert is_mojibake(utf8_read_as_gbk) and is_clutter(utf8_read_as_gbk)
    assert is_mojibake(utf8_read_as_latin1)
    for text in (
        "深入開展職工建功立業活動,掀起勞動競賽新熱潮。",
        "1、发展会员120名。",
        "Plan 2026",
    ):
        assert not is_mojibake(text)
    plan = parse(f"一、组织\n1、发展会员。\n{utf8_read_as_gbk}\n2、召开大会。\n")
    assert [i.source_text for i in plan.items] == ["1、发展会员。", "2、召开大会。"]


def test_the_lead_unit_column_wins_over_a_leader_or_a_person() -> None:
    rows = [
        ["工作任务", "牵头领导", "责任人", "责任单位", "完成时限"],
        ["发展会员", "张主席", "李四", "组织部", "6月"],
    ]
    assert drafts(rows)[0][2] == "组织部"


def test_a_heading_alone_in_the_number_column_is_a_section() -> None:
    rows = [
        HEADER,
        ["组织建设", "", "", "", "", ""],
        ["1", "发展会员", "组织部", "", "6月", ""],
        ["", "只写了任务的一行", "", "", "", ""],
    ]
    assert [(s, t) for s, t, _, _ in drafts(rows)] == [
        ("组织建设", "发展会员"),
        ("组织建设", "只写了任务的一行"),
    ]


def test_numbered_tasks_ending_in_dates_are_not_a_related_articles_list() -> None:
    plan = parse("一、组织\n1、发展会员 2026-03-31\n2、召开大会 2026-06-30\n")
    assert [i.number for i in plan.items] == ["1", "2"]


def test_a_signature_in_chinese_numerals_and_site_footer_are_clutter() -> None:
    plan = parse(
        "一、组织\n1、发展会员。\n某某工会\n二〇二六年一月五日\n"
        "版权所有 © 范文网\n粤ICP备12345678号\n"
    )
    assert plan.items[0].source_text == "1、发展会员。"
    assert (plan.items[0].measures or "") == "发展会员。"


def test_a_header_in_two_rows_names_lead_and_helping_units() -> None:
    rows = [
        ["序号", "工作任务", "责任单位", "责任单位", "完成时限"],
        ["", "", "牵头", "配合", ""],
        ["1", "发展会员", "组织部", "各街道工会", "6月"],
    ]
    assert drafts(rows) == [("工作任务", "发展会员", "组织部", "各街道工会")]


def test_a_dated_sidebar_entry_is_not_the_title() -> None:
    plan = parse(
        "2025年工会工作计划范文  2025-11-03\n本文共3页，当前第1页\n街道工会2026年工作计划\n"
        "一、组织\n1、发展会员。\n"
    )
    assert plan.title == "街道工会2026年工作计划"


def test_a_closing_call_after_the_last_ordinal_is_not_a_task() -> None:
    plan = parse(
        "工会工作要点\n首先，强化思想引领。\n其次，维护职工权益。\n最后，加强自身建设。\n"
        "最后，让我们团结一心，为完成全年目标而努力奋斗！\n"
    )
    assert [i.number for i in plan.items] == ["首先", "其次", "最后"]
    assert [i.section for i in plan.items] == ["工会工作要点"] * 3


def test_a_short_unnumbered_row_above_numbered_tasks_is_a_section() -> None:
    rows = [
        HEADER,
        ["", "组织建设", "", "", "", ""],
        ["1", "发展会员", "组织部", "", "6月", ""],
        ["2", "规范化建设", "组织部", "", "9月", ""],
    ]
    assert [(s, t) for s, t, _, _ in drafts(rows)] == [
        ("组织建设", "发展会员"),
        ("组织建设", "规范化建设"),
    ]


def test_lead_and_helping_units_written_in_one_cell() -> None:
    rows = [
        ["工作任务", "责任单位", "完成时限"],
        ["发展会员", "牵头：组织部\n配合：财务部、各街道工会", "6月"],
        ["读书活动", "宣传部", "4月"],
    ]
    assert [(r, h) for _, _, r, h in drafts(rows)] == [
        ("组织部", "财务部、各街道工会"),
        ("宣传部", None),
    ]


def test_an_attachment_number_is_not_the_title(tmp_path: Path) -> None:
    plan = parse("附件2\n市总工会2026年工作要点\n一、组织\n1、发展会员。\n")
    assert plan.title == "市总工会2026年工作要点"
    document = docx.Document()
    document.add_paragraph("附件1")
    document.add_paragraph("区总工会重点任务分解表")
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table.rows[0].cells, ["工作任务", "牵头部门"], strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["发展会员", "组织部"], strict=True):
        cell.text = text
    path = tmp_path / "plan.docx"
    document.save(str(path))
    assert read_plan(path, YEAR).title == "区总工会重点任务分解表"


def test_a_category_column_beside_the_task_column_is_the_section() -> None:
    rows = [
        ["序号", "项目", "工作内容", "责任部门", "时间节点"],
        ["1", "组织建设", "发展会员", "组织部", "6月"],
        ["2", "组织建设", "规范化建设", "组织部", "9月"],
    ]
    assert [(s, t) for s, t, _, _ in drafts(rows)] == [
        ("组织建设", "发展会员"),
        ("组织建设", "规范化建设"),
    ]


def test_a_second_task_like_column_holds_the_measures() -> None:
    rows = [["重点任务", "具体内容", "牵头部门"], ["发展会员", "走访新就业群体", "组织部"]]
    found, _, _ = rows_to_drafts(rows, source="t")
    assert (found[0].title, found[0].measures) == ("发展会员", "走访新就业群体")
