from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from planlog.scheduler.messages import (
    DIGEST_MAX_ITEMS,
    Digest,
    DigestItem,
    ReminderNotice,
    render,
    render_digest,
)

LINK = "https://planlog.example.org/items/42"

BASE = ReminderNotice(
    plan_title="2026年工会工作计划",
    org="某某公司工会",
    item_title="组织健全",
    responsible="工会女工",
    chair="张三",
    occurrence_due=date(2026, 3, 25),
    opens=None,
    kind="7d",
    escalate=False,
    today=date(2026, 3, 18),
    link=LINK,
)

LEAD = BASE
DUE = replace(BASE, kind="due", today=date(2026, 3, 25))
OVERDUE = replace(BASE, kind="overdue", today=date(2026, 3, 28))
ESCALATION = replace(BASE, kind="escalation", escalate=True, today=date(2026, 4, 2))
OPENS = replace(
    BASE,
    kind="opens",
    opens=date(2026, 6, 1),
    occurrence_due=date(2026, 8, 31),
    today=date(2026, 6, 1),
)


@pytest.mark.parametrize(
    ("notice", "title", "phrases", "absent"),
    [
        (
            LEAD,
            "【工作提醒】组织健全 · 3月25日到期",
            [
                "还有7天",
                "所属计划：2026年工会工作计划（某某公司工会）",
                "截止日期：2026年3月25日（周三）",
                "责任人：工会女工",
                f"查看详情：{LINK}",
            ],
            ["抄送", "逾期", "办理时间"],
        ),
        (
            DUE,
            "【工作提醒】组织健全 · 今天到期",
            ["今天到期", "请于今日内完成", "责任人：工会女工"],
            ["抄送", "还有", "逾期"],
        ),
        (
            OVERDUE,
            "【逾期提醒】组织健全 · 已逾期3天",
            ["已逾期3天", "责任人：工会女工", "截止日期：2026年3月25日（周三）"],
            ["抄送", "督办"],
        ),
        (
            ESCALATION,
            "【督办】组织健全 · 已逾期8天",
            ["已逾期8天", "责任人：工会女工", "抄送：工会主席 张三", LINK],
            ["还有"],
        ),
        (
            OPENS,
            "【工作提醒】组织健全 · 开始办理，8月31日到期",
            [
                "今天开始办理",
                "办理时间：2026年6月1日（周一）至2026年8月31日（周一）",
                "还有91天",
                "截止日期：2026年8月31日（周一）",
            ],
            ["抄送", "逾期"],
        ),
    ],
    ids=["lead", "due", "overdue", "escalation", "opens"],
)
def test_chinese(notice: ReminderNotice, title: str, phrases: list[str], absent: list[str]) -> None:
    rendered_title, body = render(notice)
    assert rendered_title == title
    for phrase in phrases:
        assert phrase in body, phrase
    for phrase in absent:
        assert phrase not in body, phrase
    assert render(notice, "zh") == (rendered_title, body)


@pytest.mark.parametrize(
    ("notice", "title", "phrases", "absent"),
    [
        (
            LEAD,
            "[Reminder] 组织健全 · due Mar 25",
            [
                "7 days left",
                "Plan: 2026年工会工作计划 (某某公司工会)",
                "Due: Wed Mar 25, 2026",
                "Responsible: 工会女工",
                f"Details: {LINK}",
            ],
            ["Cc:", "overdue", "Window"],
        ),
        (DUE, "[Reminder] 组织健全 · due today", ["due today"], ["Cc:", "left", "overdue"]),
        (OVERDUE, "[Overdue] 组织健全 · 3 days overdue", ["3 days overdue"], ["Cc:"]),
        (
            ESCALATION,
            "[Escalation] 组织健全 · 8 days overdue",
            ["8 days overdue", "Cc: union chair 张三", "Responsible: 工会女工"],
            ["left"],
        ),
        (
            OPENS,
            "[Reminder] 组织健全 · open now, due Aug 31",
            ["opens today", "Window: Mon Jun 1, 2026 to Mon Aug 31, 2026", "91 days left"],
            ["Cc:", "overdue"],
        ),
    ],
    ids=["lead", "due", "overdue", "escalation", "opens"],
)
def test_english(notice: ReminderNotice, title: str, phrases: list[str], absent: list[str]) -> None:
    rendered_title, body = render(notice, "en")
    assert rendered_title == title
    for phrase in phrases:
        assert phrase in body, phrase
    for phrase in absent:
        assert phrase not in body, phrase


def test_wording_follows_the_day_sent_not_the_slot_kind() -> None:
    # After downtime the 'due' slot may go out a day late: it must not say 今天到期.
    late = replace(DUE, today=date(2026, 3, 26))
    title, body = render(late)
    assert title == "【逾期提醒】组织健全 · 已逾期1天"
    assert "今天到期" not in body
    assert render(late, "en")[0] == "[Overdue] 组织健全 · 1 day overdue"


def test_one_day_left_is_singular_in_english() -> None:
    title, body = render(replace(BASE, kind="1d", today=date(2026, 3, 24)), "en")
    assert "1 day left" in body
    assert title == "[Reminder] 组织健全 · due Mar 25"


def test_opens_notice_sent_after_the_opening_day() -> None:
    late = replace(OPENS, today=date(2026, 6, 3))
    assert "已于6月1日开始办理" in render(late)[1]
    assert "has been open since Jun 1" in render(late, "en")[1]


def test_due_date_in_another_year_names_the_year() -> None:
    notice = replace(BASE, occurrence_due=date(2027, 1, 5), today=date(2026, 12, 29))
    assert render(notice)[0] == "【工作提醒】组织健全 · 2027年1月5日到期"
    assert render(notice, "en")[0] == "[Reminder] 组织健全 · due Jan 5, 2027"


def test_missing_people_and_link() -> None:
    notice = replace(ESCALATION, responsible=None, chair=None, link=None)
    _, body = render(notice)
    assert "责任人：未指定" in body
    assert body.splitlines()[-1] == "抄送：工会主席"
    assert "查看详情" not in body
    _, english = render(notice, "en")
    assert "Responsible: not assigned" in english
    assert english.splitlines()[-1] == "Cc: union chair"


def test_plan_without_organisation() -> None:
    _, body = render(replace(BASE, org=""))
    assert "所属计划：2026年工会工作计划\n" in body


def test_unknown_language() -> None:
    with pytest.raises(ValueError, match="lang"):
        render(BASE, "fr")


# -- digests -------------------------------------------------------------------------------

TODAY = date(2026, 6, 25)


def task(title: str, due: date, **extra: Any) -> DigestItem:
    values: dict[str, Any] = {
        "item_title": title,
        "plan_title": "2026年工作计划",
        "responsible": "工会女工",
        "occurrence_due": due,
        "opens": None,
        "escalate": False,
        "percent": None,
        "note": None,
        "closed": False,
        "link": None,
        **extra,
    }
    return DigestItem(**values)


def test_a_digest_groups_overdue_first_then_escalated_today_and_coming_up() -> None:
    digest = Digest(
        "工会女工",
        "某医院工会",
        TODAY,
        (
            task("下周的事", date(2026, 7, 2)),
            task("今天的事", TODAY),
            task("别人的事", date(2026, 6, 10), escalate=True, responsible="工会办公室"),
            task("早逾期的事", date(2026, 6, 1)),
            task("刚逾期的事", date(2026, 6, 20)),
        ),
    )
    title, body = render_digest(digest)
    assert (
        title
        == "【督办】工会女工：已逾期2项，督办（抄送主席）1项，今天到期1项，即将到期1项（6月25日）"
    )
    order = [
        "■ 已逾期（2）",
        "早逾期的事",
        "刚逾期的事",
        "■ 督办",
        "别人的事",
        "今天的事",
        "下周的事",
    ]
    assert [body.index(words) for words in order] == sorted(body.index(w) for w in order)


def test_a_digest_of_one_task_names_it_in_the_title() -> None:
    title, _ = render_digest(Digest("工会女工", "某医院工会", TODAY, (task("组织健全", TODAY),)))
    assert title == "【工作提醒】组织健全 · 今天到期"


def test_a_digest_item_says_progress_days_and_link() -> None:
    item = task("组织健全", date(2026, 6, 22), percent=40, note="已完成初稿", link=LINK)
    _, body = render_digest(Digest("工会女工", "某医院工会", TODAY, (item,), mention="@138"))
    assert "截止6月22日 · 已逾期3天 · 进度：40%「已完成初稿」" in body
    assert f"办理：{LINK}" in body and body.endswith("@138")
    _, english = render_digest(Digest("工会女工", "某医院工会", TODAY, (item,)), "en")
    assert "3 days overdue · progress: 40% “已完成初稿”" in english and f"Open: {LINK}" in english


def test_a_long_digest_shows_the_first_items_and_counts_the_rest() -> None:
    items = tuple(task(f"事项{n}", date(2026, 7, 1) + timedelta(days=n)) for n in range(45))
    _, body = render_digest(Digest("工会女工", "某医院工会", TODAY, items))
    assert f"{DIGEST_MAX_ITEMS}. 事项{DIGEST_MAX_ITEMS - 1}" in body
    assert f"事项{DIGEST_MAX_ITEMS}（" not in body
    assert f"……另有{45 - DIGEST_MAX_ITEMS}项" in body
