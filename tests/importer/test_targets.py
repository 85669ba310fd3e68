from __future__ import annotations

import pytest

from planlog.importer.limits import MAX_TARGETS_PER_ITEM
from planlog.importer.targets import find_targets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("全年新增基层工会800家", [(800, "家", "800家", "=")]),
        ("建会率要达到80%以上", [(80, "%", "80%以上", ">=")]),
        ("发展会员50万名", [(500000, "名", "50万名", "=")]),
        ("女职工代表要达到职工代表总数的50%", [(50, "%", "50%", ">=")]),
        ("每年不少于2篇", [(2, "篇", "2篇", ">=")]),
        ("全院建立4个基层工会女工委员会", [(4, "个", "4个", "=")]),
        ("考核总分95分以上为合格", [(95, "分", "95分以上", ">=")]),
        ("每单位补助500元", [(500, "元", "500元", "=")]),
        ("慰問困難群眾3戶以上", [(3, "户", "3戶以上", ">=")]),
        (
            "創建市級“優秀工人先鋒號”1個，培育縣級2個",
            [(1, "个", "1個", "="), (2, "个", "2個", "=")],
        ),
        ("全年发展会员４００００名", [(40000, "名", "４００００名", "=")]),
        ("创建5-8个示范工会", [(5, "个", "5-8个", ">=")]),
        ("年內安排3—4次文體比賽", [(3, "次", "3—4次", ">=")]),
        ("离职率控制在5%以内", [(5, "%", "5%以内", "<=")]),
        ("经费支出不超过3万元", [(30000, "元", "3万元", "<=")]),
    ],
)
def test_targets_found(text: str, expected: list[tuple[float, str, str, str]]) -> None:
    found = [(t.value, t.unit, t.text, t.comparator) for t in find_targets(text)]
    assert found == [(float(v), u, s, c) for v, u, s, c in expected]


@pytest.mark.parametrize(
    "text",
    [
        "认真做好2012年全市第四届劳模评选",  # a year
        "2012年4月，组织职工参加运动会",  # a date
        "圍繞推進“兩化互動”，實現“三個率先”",  # numbers inside a slogan
        "建功十二五",
        "深入实施《省职工素质工程5年规划》",  # a document name
        "利用3.12植树节组织植树",  # a festival date
        "人工客服工作时间:9:00-18:30",
        "在10楼区远程办集中学习",
        "1、组织健全",  # a list number
        "开会不超过30分钟",  # a duration, not a score
    ],
)
def test_numbers_that_are_not_targets_are_ignored(text: str) -> None:
    assert find_targets(text) == ()


def test_an_item_of_thousands_of_numbers_yields_a_bounded_list_of_targets() -> None:
    text = "完成率达到8%，" * 5_000
    found = find_targets(text)
    assert len(found) == MAX_TARGETS_PER_ITEM
    assert found[0].value == 8 and found[0].unit == "%"
