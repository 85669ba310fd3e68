from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from planlog.importer import DocumentError, parse_yaml, read_plan

YEAR = 2026

VALID = """\
title: 2026年工会工作计划
sections:
  - title: 健全女工组织
    goal: 完善女职工工作体系
    responsible: 工会女工
    items:
      - title: 组织健全
        measures: 全院建立4个基层工会女工委员会
        deadline: 3月25日前
        targets: ["4个"]
      - title: 向上级报告
        number: 2
        deadline: 6月;12月
        responsible: 女工主任
        targets:
          - {value: 80, unit: "%", comparator: ">="}
  - title: 宣传
    deadline: 年底前
    items:
      - title: 办好简报
        measures: 每年不少于2篇
"""


def test_valid_yaml_becomes_a_plan() -> None:
    plan = parse_yaml(VALID, YEAR)
    assert plan.title == "2026年工会工作计划"
    assert plan.sections == ("健全女工组织", "宣传")
    first, second, third = plan.items
    assert (first.number, first.title, first.measures) == (
        "1",
        "组织健全",
        "全院建立4个基层工会女工委员会",
    )
    assert first.goal == "完善女职工工作体系" and first.responsible == "工会女工"
    assert first.deadline is not None and first.deadline.occurrences[0].due == date(2026, 3, 25)
    assert [(t.value, t.unit, t.text) for t in first.targets] == [(4.0, "个", "4个")]
    assert (second.number, second.responsible) == ("2", "女工主任")
    assert [(t.value, t.unit, t.comparator, t.text) for t in second.targets] == [
        (80.0, "%", ">=", "80%")
    ]
    assert second.measures is None
    assert third.deadline_text == "年底前"  # the section default
    assert [(t.value, t.comparator) for t in third.targets] == [(2.0, ">=")]  # found in measures
    assert [i.source_line for i in plan.items] == [7, 11, 20]


def test_yaml_file_is_read_by_suffix(tmp_path: Path) -> None:
    for suffix in (".yaml", ".yml"):
        path = tmp_path / f"plan{suffix}"
        path.write_text(VALID, encoding="utf-8")
        assert len(read_plan(path, YEAR).items) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "must be a mapping"),
        ("title: x\n", "sections：应为非空列表，缺少此项（must be a non-empty list (missing)）"),
        ("sections: []\n", "sections：应为非空列表（must be a non-empty list）"),
        ("sections:\n  - items: [{title: a}]\n", "sections[0].title：必填（is required）"),
        (
            "sections:\n  - title: s\n",
            "sections[0].items：应为非空列表，缺少此项（must be a non-empty list (missing)",
        ),
        (
            "sections:\n  - title: s\n    items:\n      - {title: a}\n      - {title: b}\n"
            "      - {title: c, deadline: 尽快}\n",
            "sections[0].items[2].deadline：无法识别时限“尽快”（时限 '尽快' could not be read",
        ),
        (
            "sections:\n  - title: s\n    items:\n      - {title: a, deadlin: 3月}\n",
            "sections[0].items[0].deadlin：未知字段，可用的字段：",
        ),
        (
            "sections:\n  - title: s\n    items:\n      - {title: a, deadline: 2026-03-25}\n",
            "sections[0].items[0].deadline：应为文字，实际是 date",
        ),
        (
            "sections:\n  - title: s\n    items:\n      - {title: a, targets: [很多]}\n",
            "sections[0].items[0].targets[0]：“很多”应恰好写明一个带单位的数字",
        ),
        (
            "sections:\n  - title: s\n    items:\n"
            "      - {title: a, targets: [{value: x, unit: 家}]}\n",
            "sections[0].items[0].targets[0].value：应为数字，实际是 str 'x'（must be a number",
        ),
        (
            "sections:\n  - title: s\n    items:\n      - {measures: 只有措施}\n",
            "sections[0].items[0].title：必填（is required）",
        ),
        ("sections: [\n", "not valid YAML"),
    ],
)
def test_invalid_yaml_names_the_path_of_the_bad_field(text: str, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_yaml(text, YEAR)
    assert message in caught.value.message
    assert caught.value.code == "invalid_document"


def test_all_yaml_problems_are_reported_together() -> None:
    text = "sections:\n  - title: s\n    items:\n      - {title: a, deadline: 尽快, colour: red}\n"
    with pytest.raises(DocumentError) as caught:
        parse_yaml(text, YEAR)
    assert len(caught.value.details["errors"]) == 2


def test_empty_yaml_is_refused() -> None:
    with pytest.raises(DocumentError, match="empty"):
        parse_yaml("  \n", YEAR)
