"""The three real plans in tests/fixtures/plans, copied from /work/shared/plans."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from planlog.importer import ImportedItem, ImportedPlan, read_plan

YEAR = 2026


@pytest.fixture(scope="module")
def workers_home(plans_dir: Path) -> ImportedPlan:
    return read_plan(plans_dir / "workers-home-implementation.txt", YEAR)


@pytest.fixture(scope="module")
def health_bureau(plans_dir: Path) -> ImportedPlan:
    return read_plan(plans_dir / "health-bureau-union-2012.txt", YEAR)


@pytest.fixture(scope="module")
def compilation(plans_dir: Path) -> ImportedPlan:
    return read_plan(plans_dir / "agency-union-plans-compilation.txt", YEAR)


def find(plan: ImportedPlan, title_start: str, section_part: str = "") -> ImportedItem:
    found = [i for i in plan.items if i.title.startswith(title_start) and section_part in i.section]
    assert len(found) == 1, [(i.section, i.title) for i in found]
    return found[0]


def dues(item: ImportedItem) -> list[date]:
    assert item.deadline is not None
    return [o.due for o in item.deadline.occurrences]


# --- workers-home implementation plan (page clutter, preamble, sub-headings) -------


def test_workers_home_counts(workers_home: ImportedPlan) -> None:
    assert workers_home.kind == "plan"
    assert workers_home.title == "工会职工之家建设实施方案"
    assert len(workers_home.sections) == 6
    assert len(workers_home.items) == 20


def test_workers_home_clutter_is_skipped(workers_home: ImportedPlan) -> None:
    assert any("skipped 8 page-clutter line(s)" in w for w in workers_home.warnings)
    for it in workers_home.items:
        assert "下载文档" not in it.source_text and "客服" not in it.source_text
        assert it.source_line > 13


def test_workers_home_preamble_holds_no_items(workers_home: ImportedPlan) -> None:
    for section in workers_home.sections:
        assert "指导思想" not in section and "基本原则" not in section
    assert not any("服务大局的原则" in (i.measures or "") for i in workers_home.items)
    skipped = " ".join(w for w in workers_home.warnings if "preamble" in w)
    assert "指导思想" in skipped and "基本原则" in skipped and "职工之家建设的目标" in skipped


def test_workers_home_subheadings_join_the_section(workers_home: ImportedPlan) -> None:
    section = "职工之家建设的内容 / 围绕公司中心工作,把握建家重点"
    assert [i.number for i in workers_home.items if i.section == section] == list("12345")
    upkeep = find(workers_home, "突出维护职能")
    assert (upkeep.section, upkeep.number) == (
        "职工之家建设的内容 / 突出维护职能,体现建家宗旨",
        "(二)",
    )
    assert (upkeep.measures or "").startswith("继续深入贯彻落实全心全意依靠职工办企业的方针")


def test_workers_home_broken_line_continues_its_item(workers_home: ImportedPlan) -> None:
    first = find(workers_home, "以章治家")
    assert (first.measures or "").endswith("使职\n工之家建成民主之家。")


# --- health bureau plan (traditional characters, targets) --------------------------


def test_health_bureau_counts(health_bureau: ImportedPlan) -> None:
    assert health_bureau.kind == "plan"
    assert health_bureau.title is None
    assert len(health_bureau.sections) == 6
    assert len(health_bureau.items) == 23
    assert sum(len(i.targets) for i in health_bureau.items) == 5
    assert any("skipped 1 page-clutter line(s)" in w for w in health_bureau.warnings)


def test_health_bureau_sections_in_traditional_characters(health_bureau: ImportedPlan) -> None:
    assert health_bureau.sections[0] == "圍繞中心服務大局,引導職工在建功立業中發揮積極作用"
    assert health_bureau.items[0].number == "1"
    assert health_bureau.items[0].title == "深入開展職工建功立業活動"


def test_health_bureau_targets(health_bureau: ImportedPlan) -> None:
    pioneer = find(health_bureau, "深入開展職工建功立業活動")
    assert [(t.value, t.unit, t.text) for t in pioneer.targets] == [
        (1.0, "个", "1個"),
        (2.0, "个", "2個"),
    ]  # and nothing from 三個率先 or 十二五
    coverage = find(health_bureau, "繼續加大對一般鄉鎮衛生院")
    assert [(t.value, t.unit, t.comparator) for t in coverage.targets] == [(80.0, "%", ">=")]
    selection = find(health_bureau, "深化創先爭優")
    assert selection.targets == ()  # 2012年 and 第四屆 are not targets


# --- the compilation (several plans, 女工 plan with explicit labels) -----------------


def test_compilation_is_recognised_with_its_parts(compilation: ImportedPlan) -> None:
    assert compilation.kind == "compilation"
    assert len(compilation.parts) == 9
    assert compilation.parts[0] == "第1部分 加強政治學習"
    assert compilation.parts[4] == "第5部分 健全女工組織"
    assert len(compilation.sections) == 39
    assert len(compilation.items) == 111
    for it in compilation.items:
        assert it.section.split(" · ")[0] in {p.split(" ")[0] for p in compilation.parts}
    assert compilation.sections[4] == "第2部分 · 加強思想作風建設,扎實開展黨的群眾路線教育實踐活動"


def test_compilation_intros_are_not_items(compilation: ImportedPlan) -> None:
    lines = {i.source_line for i in compilation.items}
    assert not lines & {1, 2, 19, 35, 50, 108, 159}
    assert not any("現制定工作計劃如下" in (i.measures or "") for i in compilation.items)
    assert not any(i.measures and "工作任务" in i.measures.splitlines() for i in compilation.items)


def test_compilation_women_plan_deadlines_apply_back_to_the_previous_label(
    compilation: ImportedPlan,
) -> None:
    women = [i for i in compilation.items if i.section.startswith("第5部分 · 健全女工組織")]
    assert [(i.number, i.deadline_text) for i in women] == [
        ("1", "3月25日前"),
        ("2", "3月25日前"),
        ("3", "6月;12月"),
        ("4", "6月;12月"),
        ("5", "3月;11月"),
        ("6", "4月;10月"),
    ]
    assert {i.responsible for i in women} == {"工會女工"}
    assert all((i.goal or "").startswith("完善女職工工作體系") for i in women)


def test_compilation_women_report_item(compilation: ImportedPlan) -> None:
    report = find(compilation, "向同級工會委員會")
    assert report.deadline_text == "6月;12月"
    assert dues(report) == [date(2026, 6, 30), date(2026, 12, 31)]
    assert report.responsible == "工會女工"
    assert report.source_line == 58


def test_compilation_women_rights_section(compilation: ImportedPlan) -> None:
    rights = [i for i in compilation.items if "履行女職工工作職能" in i.section]
    # 4 lists 一是…三是 in its line, 6 and 7 have (1) (2) under them: those are the tasks.
    assert [i.number for i in rights] == [
        "1", "2", "3", "4.一是", "4.二是", "4.三是", "5", "6.(1)", "6.(2)", "7.(1)", "7.(2)",
    ]  # fmt: skip
    by_number = {i.number: i for i in rights}
    assert by_number["3"].deadline_text == "1、4季度"
    assert dues(by_number["3"]) == [date(2026, 3, 31), date(2026, 12, 31)]
    assert {by_number[f"4.{n}是"].deadline_text for n in "一二三"} == {"3、11月"}
    assert {i.responsible for i in rights} == {"工會女工"}
    assert by_number["6.(2)"].deadline_text == "1月、12月"
    assert [(t.value, t.unit) for t in by_number["6.(2)"].targets] == [(50.0, "%")]
    assert by_number["7.(2)"].deadline_text == "1-12月"


def test_compilation_women_section_with_only_a_goal_is_one_item(compilation: ImportedPlan) -> None:
    award = [i for i in compilation.items if i.section.startswith("第5部分 · 開展")]
    assert len(award) == 1
    assert (award[0].goal or "").startswith("宣傳工作中涌現出的各類先模人物")


def test_compilation_yishi_paragraph_is_split(compilation: ImportedPlan) -> None:
    care = [i for i in compilation.items if i.section.startswith("第1部分 · 加大關愛幫扶力度")]
    assert [i.number for i in care] == ["一是", "二是", "三是", "四是"]
    assert care[0].title == "加大心理健康建設力度"
    sports = [i.number for i in compilation.items if "全面推動機關文化體育事業" in i.section]
    assert sports == ["7", "8.一是", "8.二是", "8.三是"]  # 8 only heads its 一是…三是


def test_compilation_body_only_section_is_one_item(compilation: ImportedPlan) -> None:
    funds = find(compilation, "加強工會經費收支管理")
    assert funds.number == "四"
    assert funds.source_line == 30
    assert (funds.measures or "").count("\n") == 1  # both paragraphs


def test_compilation_deadline_phrases_in_text(compilation: ImportedPlan) -> None:
    groups = find(compilation, "劃分工會小組")
    assert (groups.number, groups.deadline_text, dues(groups)) == (
        "(一)",
        "3月底前",
        [date(2026, 3, 31)],
    )
    assert find(compilation, "組織一次全體分工會會員活動").deadline_text == "9月份"
    assert find(compilation, "組織一次義務植樹活動").deadline_text == "3.12植樹節"
    quarterly = find(compilation, "每個季度開展一次業務交流")
    assert len(dues(quarterly)) == 4
    weekly = find(compilation, "每周開展一次文體活動")
    assert weekly.deadline is not None and weekly.deadline.rrule is not None
    # 27 before issue 13; dates in running text (年內, 上半年, 年底開展…) add the rest.
    assert sum(1 for i in compilation.items if i.deadline is not None) == 34


def test_compilation_targets(compilation: ImportedPlan) -> None:
    texts = [t.text for i in compilation.items for t in i.targets]
    assert texts == ["7個", "4個", "2篇", "50%", "3戶以上", "1戶以上", "3—4次"]
    assert find(compilation, "建立信息報送制度").targets[0].comparator == ">="


def test_every_sample_imports_twice_to_the_same_fingerprint(plans_dir: Path) -> None:
    for path in sorted(plans_dir.glob("*.txt")):
        assert read_plan(path, YEAR).fingerprint == read_plan(path, YEAR).fingerprint
