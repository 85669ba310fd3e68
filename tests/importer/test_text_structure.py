from __future__ import annotations

from datetime import date

import pytest

from planlog.importer import DocumentError, ImportedItem, ImportedPlan, parse_text

YEAR = 2026


def parse(text: str) -> ImportedPlan:
    return parse_text(text, YEAR)


def item(plan: ImportedPlan, title_start: str) -> ImportedItem:
    matches = [i for i in plan.items if i.title.startswith(title_start)]
    assert len(matches) == 1, [i.title for i in plan.items]
    return matches[0]


def dues(it: ImportedItem) -> list[date]:
    assert it.deadline is not None
    return [o.due for o in it.deadline.occurrences]


def test_numbered_items_under_sections() -> None:
    plan = parse(
        "一、组织建设\n1、建立女工委员会。\n2、配备女工主任。\n二、宣传工作\n1、办好简报。\n"
    )
    assert plan.kind == "plan"
    assert plan.sections == ("组织建设", "宣传工作")
    assert [(i.section, i.number, i.title) for i in plan.items] == [
        ("组织建设", "1", "建立女工委员会"),
        ("组织建设", "2", "配备女工主任"),
        ("宣传工作", "1", "办好简报"),
    ]
    assert [i.source_line for i in plan.items] == [2, 3, 5]


@pytest.mark.parametrize("marker", ["1、", "1.", "1．", "（1）", "(1)", "1）", "①"])
def test_item_number_styles(marker: str) -> None:
    plan = parse(f"一、组织建设\n{marker}建立女工委员会。\n")
    assert len(plan.items) == 1
    assert plan.items[0].title == "建立女工委员会"


def test_clutter_is_skipped_and_counted_but_real_numbered_items_are_kept() -> None:
    text = (
        "工会工作计划\n  • 格式:doc\n  • 大小:21.50 KB\n  • 文档页数:7\n下载文档原格式\n  / 7\n"
        "  1. 1、下载文档前请自行甄别文档内容的完整性，平台不提供额外的编辑服务。\n"
        "2、“仅部分预览”的文档，可反馈申请退款。\n"
        "3、如文档侵犯您的权益，请联系客服反馈。\n"
        "一、组织建设\n1、建立女工委员会。\n2、下载并学习《工会法》读本。\n"
    )
    plan = parse(text)
    assert [i.title for i in plan.items] == ["建立女工委员会", "下载并学习《工会法》读本"]
    assert plan.title == "工会工作计划"
    assert any("skipped 8 page-clutter line(s)" in w for w in plan.warnings)


def test_site_preface_in_traditional_characters_is_clutter() -> None:
    plan = parse(
        "前言:本站為你精心整理了衛生局工會工作安排意見范文，我們的客服老師可以幫助你。\n"
        "今天小編整理了機關工會的工作安排計劃范文大全供大家參考，一起來看看吧!\n"
        "一、組織建設\n1、建立女工委員會。\n"
    )
    assert len(plan.items) == 1
    assert any("skipped 2 page-clutter" in w for w in plan.warnings)


def test_preamble_sections_hold_no_items_and_are_reported() -> None:
    plan = parse(
        "一、指导思想\n以科学理论为指导。\n二、基本原则\n1、服务大局的原则。\n2、突出维护的原则。\n"
        "三、总体要求\n要求如下。\n四、主要任务\n1、建立女工委员会。\n"
    )
    assert plan.sections == ("主要任务",)
    assert len(plan.items) == 1
    skipped = [w for w in plan.warnings if "preamble" in w]
    assert len(skipped) == 3
    assert "指导思想" in skipped[0] and "基本原则" in skipped[1]


def test_goal_statement_section_is_preamble() -> None:
    plan = parse("一、职工之家建设的目标\n建成学习型职工之家。\n二、建设内容\n1、按时完成指标。\n")
    assert plan.sections == ("建设内容",)


def test_introduction_before_first_section_is_skipped_and_title_kept() -> None:
    plan = parse(
        "2026年工会工作计划\n为做好今年工作，特制定本计划如下:\n一、组织建设\n1、建立女工委员会。\n"
    )
    assert plan.title == "2026年工会工作计划"
    assert len(plan.items) == 1
    assert any("introduction" in w and "line 2" in w for w in plan.warnings)


def test_inline_yishi_paragraph_is_split_into_items() -> None:
    plan = parse(
        "二、加大关爱帮扶力度\n一是加大心理健康建设力度。适时组织讲座。二是做实帮扶工作，更新档案。"
        "三是对照《细则》逐项检查。\n"
    )
    assert [(i.number, i.title) for i in plan.items] == [
        ("一是", "加大心理健康建设力度"),
        ("二是", "做实帮扶工作，更新档案"),
        ("三是", "对照《细则》逐项检查"),
    ]
    assert all(i.source_line == 2 for i in plan.items)
    assert plan.items[0].measures == "加大心理健康建设力度。适时组织讲座。"


def test_yishi_after_an_introduction_splits_and_the_introduction_is_reported() -> None:
    plan = parse("一、常规工作\n全年工作如下：一是完成上级交办的任务，二是完成局党组交办的任务。\n")
    assert [i.number for i in plan.items] == ["一是", "二是"]
    assert plan.items[0].title == "完成上级交办的任务"
    assert any("introduction, not an item" in w for w in plan.warnings)


def test_a_lone_yishi_in_running_text_is_not_split() -> None:
    plan = parse("一、常规工作\n关键一是要落实。\n")
    assert len(plan.items) == 1
    assert plan.items[0].number == "一"


def test_yishi_paragraphs_on_separate_lines_continue_the_sequence() -> None:
    plan = parse(
        "三、丰富活动内容\n一是积极参与上级组织的活动。\n二是组织会员春游、秋游各一次。\n"
        "五一期间组织一次登山活动。\n"
    )
    assert [i.number for i in plan.items] == ["一是", "二是"]
    assert "登山活动" in (plan.items[1].measures or "")


def test_yishi_under_a_numbered_item_are_its_tasks() -> None:
    plan = parse(
        "三、文体活动\n8、开展各项文体活动。\n一是参加运动会。\n二是组织考察。三是举办联欢会。\n"
    )
    # 8 heads the list, as a section heading heads its items: the list is the tasks.
    assert [i.number for i in plan.items] == ["8.一是", "8.二是", "8.三是"]


def test_yishi_inside_a_numbered_item_are_its_tasks_too() -> None:
    plan = parse("一、学习\n3、搭建学习平台。一是开辟学习场所；二是开通网页。\n")
    assert [(i.number, i.title) for i in plan.items] == [
        ("3.一是", "开辟学习场所"),
        ("3.二是", "开通网页"),
    ]
    assert plan.items[0].source_line == plan.items[1].source_line == 2


def test_paren_subheadings_followed_by_items_join_the_section_name() -> None:
    plan = parse(
        "五、建设内容\n（一）围绕中心工作，把握建家重点\n1、按时完成指标。\n2、开展竞赛。\n"
        "（二）突出维护职能\n继续贯彻全心全意依靠职工办企业的方针。\n"
    )
    assert plan.sections == (
        "建设内容 / 围绕中心工作，把握建家重点",
        "建设内容 / 突出维护职能",
    )
    assert [i.number for i in plan.items] == ["1", "2", "（二）"]
    assert plan.items[2].title == "突出维护职能"


def test_paren_lines_with_full_sentences_are_items() -> None:
    plan = parse(
        "一、完善组织建设。\n（一）划分工会小组。组长由会员推选。此项工作在3月底前完成。\n"
        "（二）组织机构改选。具体办法另行制定。\n（三）召开员工家属联谊会。\n"
    )
    assert plan.sections == ("完善组织建设",)
    assert [i.number for i in plan.items] == ["（一）", "（二）", "（三）"]
    assert plan.items[0].deadline_text == "3月底前"
    assert dues(plan.items[0]) == [date(2026, 3, 31)]


def test_paren_headings_are_sections_when_there_are_no_chinese_numeral_headings() -> None:
    plan = parse("（一）组织建设\n1、建立女工委员会。\n（二）宣传工作\n1、办好简报。\n")
    assert plan.sections == ("组织建设", "宣传工作")


def test_part_headings_are_sections_when_there_is_nothing_else() -> None:
    plan = parse("第一部分 组织建设\n1、建立女工委员会。\n第二部分 宣传工作\n1、办好简报。\n")
    assert plan.sections == ("组织建设", "宣传工作")


def test_part_headings_prefix_sections_when_sections_exist() -> None:
    plan = parse("第一部分 全年任务\n一、组织建设\n1、建立女工委员会。\n")
    assert plan.sections == ("全年任务 / 组织建设",)


def test_section_without_items_is_one_item() -> None:
    plan = parse(
        "四、加强工会经费收支管理。\n切实加强工会经费的收支管理。\n做到支出事先有预算。\n"
        "五、其他\n1、做好常规工作。\n"
    )
    first = plan.items[0]
    assert (first.section, first.number, first.title) == (
        "加强工会经费收支管理",
        "四",
        "加强工会经费收支管理",
    )
    assert first.measures == "切实加强工会经费的收支管理。\n做到支出事先有预算。"
    assert first.source_line == 1
    assert "四、加强工会经费收支管理。" in first.source_text


def test_section_with_only_a_goal_is_one_item() -> None:
    plan = parse("三、开展争创活动，选树先进典型。\n目标：宣传先模人物，调动女职工积极性。\n")
    assert len(plan.items) == 1
    assert plan.items[0].goal == "宣传先模人物，调动女职工积极性"


def test_empty_section_is_left_out_with_a_warning() -> None:
    plan = parse("一、组织建设\n1、建立女工委员会。\n二、空白\n")
    assert plan.sections == ("组织建设",)
    assert any("'空白'" in w and "no items" in w for w in plan.warnings)


def test_sub_items_get_nested_numbers() -> None:
    plan = parse(
        "二、维权\n6、发挥女职工参政议政作用。\n(1)、保证有女职工参与。\n(2)、女职工代表要达到50%。\n"
        "7、关心女工生活。\n"
    )
    assert [i.number for i in plan.items] == ["6.(1)", "6.(2)", "7"]  # 6 heads (1) (2)


def test_deadline_label_applies_to_items_since_the_previous_one() -> None:
    plan = parse(
        "一、组织建设\n1、组织健全。\n2、干部配备到位。\n时限:3月25日前\n"
        "3、定期召开会议，每半年一次。\n4、向上级报告，每半年报告一次。\n时限:6月;12月\n"
        "5、完善档案。\n"
    )
    got = [i.deadline_text for i in plan.items]
    assert got == ["3月25日前", "3月25日前", "6月;12月", "6月;12月", None]
    assert dues(plan.items[3]) == [date(2026, 6, 30), date(2026, 12, 31)]


def test_deadline_label_before_items_applies_to_the_items_after_it() -> None:
    plan = parse("一、组织建设\n时限：年底前\n1、组织健全。\n2、干部配备到位。\n")
    assert [i.deadline_text for i in plan.items] == ["年底前", "年底前"]


def test_responsible_label_applies_to_every_item_of_the_section_without_one() -> None:
    plan = parse(
        "一、组织建设\n1、组织健全。责任人：张三\n2、干部配备到位。\n3、完善档案。\n"
        "责任人:工会女工\n二、宣传\n1、办好简报。\n"
    )
    assert [i.responsible for i in plan.items] == ["张三", "工会女工", "工会女工", None]


@pytest.mark.parametrize("label", ["责任部门：办公室", "牵头单位：办公室", "責任人：办公室"])
def test_responsible_label_variants(label: str) -> None:
    plan = parse(f"一、组织建设\n1、组织健全。\n{label}\n")
    assert plan.items[0].responsible == "办公室"


def test_goal_label_is_inherited_by_the_items_of_the_section() -> None:
    plan = parse(
        "一、健全女工组织\n目标:完善女职工工作体系。\n措施\n1、组织健全。\n2、干部配备到位。\n"
        "二、宣传\n1、办好简报。\n"
    )
    assert [i.goal for i in plan.items] == ["完善女职工工作体系", "完善女职工工作体系", None]
    assert len(plan.items) == 3  # the 措施 line is a label, not text


def test_unreadable_deadline_label_is_a_warning_on_the_item() -> None:
    plan = parse("一、组织建设\n1、组织健全。\n时限：尽快\n")
    it = plan.items[0]
    assert it.deadline_text == "尽快"
    assert it.deadline is None
    assert len(it.warnings) == 1
    assert it.warnings[0].startswith("无法识别时限“尽快”（时限 '尽快' could not be read")


def test_deadline_phrase_in_the_item_text_is_used_without_a_label() -> None:
    plan = parse("一、活动\n1、组织一次全体会员活动。此项活动拟在9月份完成。\n")
    it = plan.items[0]
    assert it.deadline_text == "9月份"
    assert dues(it) == [date(2026, 9, 30)]
    assert it.warnings == ()


def test_unreadable_deadline_phrase_in_text_is_dropped_silently() -> None:
    plan = parse("一、活动\n1、每三年组织一次职工疗养。\n")
    it = plan.items[0]
    assert (it.deadline_text, it.deadline, it.warnings) == (None, None, ())


def test_deadline_label_wins_over_a_phrase_in_the_text() -> None:
    plan = parse("一、组织\n1、定期召开女工工作会议，每半年一次。\n时限:6月;12月\n")
    assert plan.items[0].deadline_text == "6月;12月"


def test_traditional_characters_and_full_width_forms() -> None:
    plan = parse(
        "一、組織建設\n１．全院建立４個基層工會女工委員會。\n時限：６月；１２月\n責任人：工會辦公室\n"
    )
    it = plan.items[0]
    assert it.number == "１"
    assert (it.deadline_text, it.responsible) == ("６月；１２月", "工會辦公室")
    assert dues(it) == [date(2026, 6, 30), date(2026, 12, 31)]
    assert [(t.value, t.unit) for t in it.targets] == [(4.0, "个")]


def test_markdown_headings_and_bullets_are_read_as_plain_lines() -> None:
    plan = parse(
        "# 2026年工会工作计划\n\n## 一、组织建设\n\n- 1、建立女工委员会。\n- 2、配备主任。\n"
    )
    assert plan.title == "2026年工会工作计划"
    assert plan.sections == ("组织建设",)
    assert len(plan.items) == 2


def test_plan_without_section_headings_uses_its_title_as_section() -> None:
    plan = parse("2026年女工工作要点\n1、建立女工委员会。\n2、配备主任。\n")
    assert plan.sections == ("2026年女工工作要点",)
    assert len(plan.items) == 2


def test_continuation_lines_join_the_item_before_them() -> None:
    plan = parse("一、方法\n1、以章治家。教育职工遵纪守法，使职\n\n工之家建成民主之家。\n")
    assert plan.items[0].measures == "以章治家。教育职工遵纪守法，使职\n工之家建成民主之家。"
    assert plan.items[0].source_text.count("\n") == 1


def test_numbering_restart_inside_a_section_is_reported() -> None:
    plan = parse("一、工作\n1、甲。\n2、乙。\n1、丙。\n")
    assert len(plan.items) == 3
    assert any("numbering restarts" in w and "line 4" in w for w in plan.warnings)


def test_restart_at_yi_after_a_finished_section_starts_a_new_part() -> None:
    plan = parse(
        "今年工作计划如下:\n一、组织建设\n1、建立女工委员会。\n二、宣传工作\n1、办好简报。\n"
        "2027年，我们将认真落实上级要求。现制定工作计划如下:\n"
        "一、思想建设\n1、开展学习。\n二、文体活动\n组织一次运动会。\n"
    )
    assert plan.kind == "compilation"
    assert plan.parts == ("第1部分 组织建设", "第2部分 思想建设")
    assert plan.sections == (
        "第1部分 · 组织建设",
        "第1部分 · 宣传工作",
        "第2部分 · 思想建设",
        "第2部分 · 文体活动",
    )
    # The line before the restart introduces the next plan: it is not item text.
    assert plan.items[1].measures == "办好简报。"
    assert any("line 6" in w and "introduction" in w for w in plan.warnings)


def test_body_only_section_keeps_its_first_paragraph_at_a_restart() -> None:
    plan = parse(
        "一、组织建设\n1、建立女工委员会。\n二、经费管理\n加强经费管理。\n"
        "20__年是关键之年，我局工会工作要以大局为重。\n一、抓学习\n1、学习工会法。\n"
    )
    assert plan.kind == "compilation"
    assert plan.items[1].measures == "加强经费管理。"


def test_repeated_first_heading_without_content_is_not_a_new_part() -> None:
    plan = parse("一、组织建设\n一、组织建设\n1、建立女工委员会。\n二、宣传\n1、办好简报。\n")
    assert plan.kind == "plan"
    assert plan.parts == ()


def test_document_without_any_task_is_refused() -> None:
    with pytest.raises(DocumentError, match="no task item found"):
        parse("工会工作计划\n今年我们将继续努力。\n")


def test_empty_text_is_refused() -> None:
    with pytest.raises(DocumentError, match="empty"):
        parse("  \n\n")


def test_clutter_only_text_is_refused() -> None:
    with pytest.raises(DocumentError, match="no task item found"):
        parse("格式:doc\n大小:21.50 KB\n下载文档原格式\n")


def test_to_dict_is_json_ready_with_the_documented_keys() -> None:
    import json

    plan = parse("一、组织建设\n1、全院建立4个委员会。\n时限:6月;12月\n责任人:工会女工\n")
    data = plan.to_dict()
    json.dumps(data, ensure_ascii=False)
    assert set(data["items"][0]) == {
        "section", "number", "title", "goal", "measures", "responsible", "deadline_text",
        "occurrences", "rrule", "soft", "ambiguous", "targets", "source_line", "warnings",
        "deadline_source", "flags",  # issue 13
    }  # fmt: skip
    assert data["items"][0]["occurrences"] == [
        {"opens": "2026-06-01", "due": "2026-06-30"},
        {"opens": "2026-12-01", "due": "2026-12-31"},
    ]
    assert data["items"][0]["targets"] == [
        {"value": 4.0, "unit": "个", "text": "4个", "comparator": "="}
    ]
    assert data["kind"] == "plan" and data["fingerprint"] == plan.fingerprint


def test_festival_names_opening_a_line_are_not_section_headings() -> None:
    plan = parse("一、女工工作\n1、做好慰问。\n三八、五一期间组织座谈。\n二、宣传\n1、办好简报。\n")
    assert plan.sections == ("女工工作", "宣传")
    assert "三八、五一期间组织座谈" in (plan.items[0].measures or "")


def test_text_between_a_part_heading_and_its_first_section_is_reported() -> None:
    plan = parse(
        "第一部分 上年总结\n一、组织建设\n1、建立了女工委员会。\n"
        "第二部分 今年计划\n今年任务如下。\n一、组织建设\n1、配备女工主任。\n"
    )
    assert plan.kind == "plan"  # 第二部分 restarts at 一 without making a compilation
    assert plan.sections == ("上年总结 / 组织建设", "今年计划 / 组织建设")
    assert any("outside any section (line 5)" in w for w in plan.warnings)


def test_items_numbered_past_99_are_their_own_items() -> None:
    """100、 used to be read as text, so items 100+ merged silently into item 99."""
    plan = parse("一、组织建设\n" + "".join(f"{n}、任务{n}。\n" for n in range(1, 106)))
    assert len(plan.items) == 105
    assert [i.number for i in plan.items[98:101]] == ["99", "100", "101"]
    assert item(plan, "任务99").source_text == "99、任务99。"
    sub = parse(
        "一、组织建设\n1、总任务。\n" + "".join(f"（{n}）子项{n}。\n" for n in range(1, 102))
    )
    assert [i.number for i in sub.items][-2:] == ["1.（100）", "1.（101）"]


def test_a_year_or_a_percentage_opening_a_line_is_not_an_item_number() -> None:
    plan = parse(
        "一、组织建设\n1、2026.3.5前完成。\n2026年要完成。\n100%完成。\n2025、2026年连续获评。\n"
        "（2026）12号文件。\n"
    )
    assert [i.number for i in plan.items] == ["1"]
