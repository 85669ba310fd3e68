"""Deadlines found in a task's own text (issue 13), and dates that are not deadlines."""

from __future__ import annotations

from datetime import date

import pytest

from planlog.importer import ImportedItem, parse_text
from planlog.importer.phrases import inline_label
from planlog.importer.sentences import combine, sentence_deadlines

YEAR = 2026


def windows(text: str) -> list[tuple[date | None, date]]:
    best = combine(sentence_deadlines(text, YEAR))
    assert best is not None, text
    return [(o.opens, o.due) for o in best.deadline.occurrences]


def only_item(text: str) -> ImportedItem:
    plan = parse_text(f"一、工作任务\n1、{text}\n", YEAR)
    assert len(plan.items) == 1
    return plan.items[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a step that starts with its month or window
        ("四月份举办全市职工技能竞赛", [(date(2026, 4, 1), date(2026, 4, 30))]),
        ("七月至九月，各单位可通过网上报名参赛", [(date(2026, 7, 1), date(2026, 9, 30))]),
        ("二月各单位要报送年度计划", [(date(2026, 2, 1), date(2026, 2, 28))]),
        ("下半年开展优秀会员评选", [(date(2026, 7, 1), date(2026, 12, 31))]),
        # a date in a clause, with a completing verb or a deadline word
        ("加强督查指导，三季度全部完成", [(date(2026, 7, 1), date(2026, 9, 30))]),
        ("开展安全隐患排查，10月底前完成验收", [(None, date(2026, 10, 31))]),
        ("力争在今年五月完成换届选举", [(date(2026, 5, 1), date(2026, 5, 31))]),
        # a festival anchor
        ("“八一”前夕走访慰问军属", [(None, date(2026, 7, 31))]),
        ("元宵节前开展送温暖活动", [(None, date(2026, 3, 2))]),
        ("春节前后走访困难职工", [(date(2026, 2, 10), date(2026, 2, 24))]),
        # a whole-plan target period
        ("从1月至11月全部通过验收", [(date(2026, 1, 1), date(2026, 11, 30))]),
        # the next year, ongoing work, a recurrence
        ("年度总结于次年1月底前报送", [(None, date(2027, 1, 31))]),
        ("长期坚持开展读书活动", [(date(2026, 1, 1), date(2026, 12, 31))]),
    ],
)
def test_a_deadline_where_the_task_states_it(
    text: str, expected: list[tuple[date | None, date]]
) -> None:
    assert windows(text) == expected


def test_two_stages_in_one_task_are_two_occurrences() -> None:
    assert windows("一季度完成摸底调查，三季度完成整改") == [
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 7, 1), date(2026, 9, 30)),
    ]


def test_a_recurrence_the_task_repeats_on() -> None:
    best = combine(sentence_deadlines("坚持每季度召开一次联席会议，交流经验", YEAR))
    assert best is not None and best.deadline.rrule is not None
    assert len(best.deadline.occurrences) == 4


def test_a_date_beside_a_recurrence_is_said_not_dropped() -> None:
    best = combine(sentence_deadlines("每季度召开一次会议，10月底前完成验收", YEAR))
    assert best is not None and best.deadline.rrule is not None
    assert "ambiguous" in best.deadline.flags
    assert best.deadline.note is not None and "10月底前" in best.deadline.note


def test_a_recurrence_stated_again_more_fully_is_read_from_the_fuller_phrase() -> None:
    # A bare 每季度 falls due at the quarter's end only by default; the text says when.
    best = combine(sentence_deadlines("每个季度组织一次生日会。每季度中间月份为生日会员组织", YEAR))
    assert best is not None
    assert [o.due.month for o in best.deadline.occurrences] == [2, 5, 8, 11]


@pytest.mark.parametrize(
    "text",
    [
        "发布时间：2012-03-05 10:21",
        "发布时间：2026-03-05 10:21 来源：本站",
        "发布日期：2026-03-05",
        "“十一”黄金周期间值班",
        "元旦、春节期间走访困难职工",
        "推荐全国五一劳动奖章人选",
        "评选三八红旗手和五四青年奖章",
        "根据〔2026〕3号文件精神开展工作",
        "按照工发[2026]12号通知要求",
        "2025年完成职工培训500人次",
        "去年12月完成了换届",
        "6月份以来开展了多项活动",
        "国庆节期间组织职工活动",
        "自3月起实行新制度",
        "组织“五一”劳动竞赛",
        "做好12个重点项目，覆盖3个片区",
    ],
)
def test_a_date_that_is_not_a_deadline_is_not_read(text: str) -> None:
    assert combine(sentence_deadlines(text, YEAR)) is None


def test_an_item_says_its_deadline_came_from_its_sentence() -> None:
    item = only_item("开展安全隐患排查，10月底前完成验收。")
    assert item.deadline_source == "sentence"
    assert item.deadline_text == "10月底前"
    assert item.flags == ()


def test_an_item_without_a_deadline_is_implicit() -> None:
    item = only_item("推荐全国五一劳动奖章人选。")
    assert (item.deadline_source, item.flags, item.deadline) == ("implicit", ("implicit",), None)


def test_a_label_wins_over_the_sentence_and_says_so() -> None:
    item = only_item("四月份举办竞赛。时限：6月;12月")
    assert item.deadline_source == "label"
    assert [o.due for o in item.deadline.occurrences] == [date(2026, 6, 30), date(2026, 12, 31)]  # type: ignore[union-attr]


def test_an_unreadable_label_is_a_label_flagged_implicit() -> None:
    plan = parse_text("一、工作任务\n1、做好工作。\n时限：尽快\n", YEAR)
    item = plan.items[0]
    assert (item.deadline_source, item.flags) == ("label", ("implicit",))
    assert item.warnings and "尽快" in item.warnings[0]


def test_flags_of_a_soft_next_year_and_ongoing_deadline() -> None:
    assert only_item("春节前后走访困难职工。").flags == ("soft",)
    assert only_item("年度总结于次年1月底前报送。").flags == ("next_year",)
    assert only_item("长期坚持开展读书活动。").flags == ("ongoing",)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("完善女职工档案。时限：6月;12月", "6月;12月"),
        ("建立制度（时限：6月;12月）", "6月;12月"),
        ("做好工作,时限:3月底前;各单位配合", "3月底前"),
    ],
)
def test_a_labelled_list_inside_a_line_is_read_whole(text: str, value: str) -> None:
    assert inline_label(text, "deadline") == value


def test_a_deadline_label_inside_a_title_is_read_and_left_out_of_the_title() -> None:
    item = only_item("完善女职工档案（时限：6月;12月）")
    assert item.title == "完善女职工档案"
    assert item.deadline_source == "label"
    assert [o.due for o in item.deadline.occurrences] == [date(2026, 6, 30), date(2026, 12, 31)]  # type: ignore[union-attr]


def test_a_year_that_disagrees_with_the_plan_year_is_a_warning_naming_the_line() -> None:
    plan = parse_text("一、工作任务\n1、加强学习。\n2、落实2010年会议精神。\n", YEAR)
    assert any("2010" in w and "第 3 行" in w and "line(s) 3" in w for w in plan.warnings)


def test_last_year_figures_and_the_plan_year_are_no_warning() -> None:
    plan = parse_text("一、工作任务\n1、2025年完成培训500人次，2026年再提高。\n", YEAR)
    assert not any("请核对年份" in w for w in plan.warnings)


def test_a_title_naming_another_year_is_a_warning() -> None:
    plan = parse_text("2010年工会工作计划\n一、工作任务\n1、加强学习。\n", YEAR)
    assert plan.title == "2010年工会工作计划"
    assert any("2010" in w and "标题" in w for w in plan.warnings)


def test_a_target_word_before_the_date_makes_it_soft() -> None:
    item = only_item("力争在今年五月完成换届选举。")
    assert item.deadline_text == "今年五月"
    assert item.flags == ("soft",) and item.deadline is not None and item.deadline.soft
