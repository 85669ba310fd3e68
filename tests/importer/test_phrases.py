from __future__ import annotations

import pytest

from planlog.importer.phrases import deadline_phrases, inline_label, read_label, short_title


@pytest.mark.parametrize(
    ("line", "kind", "value"),
    [
        ("时限:3月25日前", "deadline", "3月25日前"),
        ("時限：6月;12月", "deadline", "6月;12月"),
        ("时限:3、11月,", "deadline", "3、11月"),
        ("完成时限：年底前", "deadline", "年底前"),
        ("责任人:工会女工", "responsible", "工会女工"),
        ("責任人：工會女工", "responsible", "工會女工"),
        ("责任部门：工会办公室", "responsible", "工会办公室"),
        ("牵头单位:办公室", "responsible", "办公室"),
        ("目标:完善女职工工作体系", "goal", "完善女职工工作体系"),
        ("目標：完善女職工工作體系。", "goal", "完善女職工工作體系"),
        ("措施", "measures", ""),
        ("措施：", "measures", ""),
    ],
)
def test_label_lines_are_recognised_in_both_scripts(line: str, kind: str, value: str) -> None:
    label = read_label(line)
    assert label is not None
    assert (label.kind, label.value) == (kind, value)


@pytest.mark.parametrize(
    "line",
    ["措施得力，成效明显。", "目标管理考核办法", "时间就是生命", "1、时限:3月"],
)
def test_text_that_merely_starts_like_a_label_is_not_one(line: str) -> None:
    assert read_label(line) is None


def test_inline_labels_inside_item_text_are_found() -> None:
    text = "组织职工体检。时限：6月底前；责任人：工会办公室"
    assert inline_label(text, "deadline") == "6月底前"
    assert inline_label(text, "responsible") == "工会办公室"
    assert inline_label("组织职工体检。", "deadline") is None


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("组长由小组全体会员推选。此项工作在3月底前完成。", "3月底前"),
        ("评比方案4月底前制定完成，年底前开展评比活动。", "4月底前"),
        ("组织一次全体分工会会员活动。此項活動擬在9月份完成。", "9月份"),
        ("力争在今年五月完成换届选举。", "五月"),
        ("每兩周組織一次理論學習活動。", "每兩周組織一次"),
        ("每周五下午下班后锻炼身体", "每周五下午"),
        ("利用3.12植树节，组织全体人员参加植树活动。", "3.12植树节"),
        ("每个季度开展一次业务交流学习活动。", "每个季度开展一次"),
        ("报告女职工组织工作情况，每半年报告一次。", "每半年报告一次"),
    ],
)
def test_deadline_phrases_in_running_text(text: str, phrase: str) -> None:
    assert deadline_phrases(text)[0] == phrase


@pytest.mark.parametrize(
    "text",
    [
        "认真做好2012年全市劳模评选",
        "关心干部职工生活",
        "组织会员春游、秋游各一次",
        "在三.八期间座谈",
    ],
)
def test_text_without_a_deadline_phrase_gives_none(text: str) -> None:
    assert deadline_phrases(text) == []


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("组织健全:各级工会建立健全女职工委员会。", "组织健全"),
        ("深入開展職工建功立業活動。圍繞推進“兩化互動”", "深入開展職工建功立業活動"),
        ("加大心理健康建設力度。以嚴管厚愛", "加大心理健康建設力度"),
        ("完成任务；加强管理", "完成任务"),
        ("每?jī)芍芙M織一次理論學習活動。", "每?jī)芍芙M織一次理論學習活動"),
    ],
)
def test_title_is_the_first_clause(text: str, title: str) -> None:
    assert short_title(text) == title


def test_long_title_is_its_lead_clause() -> None:
    text = (
        "积极参与市总工会及上级工会组织的各项文娱、体育活动，只要适合我局职工参与的项目，"
        "积极动员职工报名参与，机关工会保证做好后勤保障等服务工作"
    )
    assert short_title(text) == "积极参与市总工会及上级工会组织的各项文娱、体育活动"


def test_long_clause_without_an_early_comma_is_cut_at_the_limit() -> None:
    text = "关" * 70 + "，后文"
    assert short_title(text) == "关" * 60
