"""Issue 16: each aggregate command checks its own fields and names the one it refuses.

A value no event may hold (NaN, a NUL, `True` as a percent, a megabyte title) is refused
by the command with an InvalidValue naming the field, in Chinese and English, before any
event exists; empty titles and reasons stay the business rules they were.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from planlog.domain.errors import RuleViolation
from planlog.domain.model import ItemDetails, Plan, PlanItem, Target
from planlog.domain.organisation import Organisation, organisation_id
from planlog.domain.registry import PlanRegistry
from planlog.domain.schedule import Occurrence
from planlog.domain.values import (
    LONG_TEXT_MAX,
    NAME_MAX,
    REASON_MAX,
    TITLE_MAX,
    InvalidValue,
    number,
)

JUNE = date(2026, 6, 30)


def _plan() -> Plan:
    plan = Plan.create(org="某医院工会", year=2026, title="计划", actor="王主席")
    plan.add_section("健全组织", actor="王主席")
    return plan


def _item(*, targets: list[Target] | None = None, **details: Any) -> PlanItem:
    return PlanItem.plan(
        plan_id=uuid4(),
        details=ItemDetails(
            title=details.pop("title", "发展会员"),
            targets=targets if targets is not None else [Target("新增会员800名", 800, "名")],
            **details,
        ),
        occurrences=[Occurrence(JUNE)],
        actor="王主席",
    )


def _org() -> Organisation:
    return Organisation.register("某医院工会", parent=None, chair=None, actor="admin")


NUL, LONG = "a\x00b", "长"
NAN, INF = float("nan"), float("inf")

#: (what, the command, the field it must name, the problem)
REFUSALS: list[tuple[str, Callable[[], object], str, str]] = [
    (
        "plan title NUL",
        lambda: Plan.create(org="某工会", year=2026, title=NUL, actor="x"),
        "title",
        "control_character",
    ),
    (
        "plan org on two lines",
        lambda: Plan.create(org="某\n工会", year=2026, title="计划", actor="x"),
        "org",
        "single_line",
    ),
    (
        "plan year True",
        lambda: Plan.create(org="某工会", year=True, title="计划", actor="x"),
        "year",
        "not_integer",
    ),
    (
        "plan year 2026.0",
        lambda: Plan.create(org="某工会", year=2026.0, title="计划", actor="x"),  # type: ignore[arg-type]
        "year",
        "not_integer",
    ),
    (
        "plan reason too long",
        lambda: Plan.create(org="某工会", year=2026, title="t", actor="x", reason=LONG * 2001),
        "reason",
        "too_long",
    ),
    (
        "section title NUL",
        lambda: _plan().add_section(NUL, actor="x"),
        "section",
        "control_character",
    ),
    (
        "section title too long",
        lambda: _plan().rename_section("s1", LONG * (NAME_MAX + 1), actor="x"),
        "section",
        "too_long",
    ),
    ("item title NUL", lambda: _item(title=NUL), "title", "control_character"),
    ("item title too long", lambda: _item(title=LONG * (TITLE_MAX + 1)), "title", "too_long"),
    ("item goal ESC", lambda: _item(goal="\x1b[31m"), "goal", "control_character"),
    (
        "item measures too long",
        lambda: _item(measures=LONG * (LONG_TEXT_MAX + 1)),
        "measures",
        "too_long",
    ),
    ("item number C1", lambda: _item(number="1\x85x"), "number", "control_character"),
    (
        "responsible surrogate",
        lambda: _item(responsible="王\ud800五"),
        "responsible",
        "control_character",
    ),
    (
        "target value NaN",
        lambda: _item(targets=[Target("t", NAN, "名")]),
        "target_value",
        "not_finite",
    ),
    (
        "target value inf",
        lambda: _item(targets=[Target("t", INF, "名")]),
        "target_value",
        "not_finite",
    ),
    (
        "target value True",
        lambda: _item(targets=[Target("t", True, "名")]),
        "target_value",
        "not_number",
    ),
    (
        "target value 1e300",
        lambda: _item(targets=[Target("t", 1e300, "名")]),
        "target_value",
        "out_of_range",
    ),
    (
        "target unit two lines",
        lambda: _item(targets=[Target("t", 1, "名\n家")]),
        "unit",
        "single_line",
    ),
    (
        "target comparator",
        lambda: _item(targets=[Target("t", 1, "名", ">")]),
        "comparator",
        "unknown",
    ),
    (
        "target current -inf",
        lambda: _item(targets=[Target("t", 1, "名", current=-INF)]),
        "current",
        "not_finite",
    ),
    (
        "progress percent True",
        lambda: _item().report_progress(actor="x", percent=True),
        "percent",
        "not_integer",
    ),
    (
        "progress percent 40.0",
        lambda: _item().report_progress(actor="x", percent=40.0),  # type: ignore[arg-type]
        "percent",
        "not_integer",
    ),
    (
        "progress target value NaN",
        lambda: _item().report_progress(actor="x", target_index=0, target_value=NAN),
        "target_value",
        "not_finite",
    ),
    (
        "progress target value huge int",
        lambda: _item().report_progress(actor="x", target_index=0, target_value=10**400),
        "target_value",
        "out_of_range",
    ),
    (
        "progress target index True",
        lambda: _item().report_progress(actor="x", target_index=True, target_value=1),
        "target_index",
        "not_integer",
    ),
    (
        "progress note NUL",
        lambda: _item().report_progress(actor="x", percent=10, note=NUL),
        "note",
        "control_character",
    ),
    (
        "progress evidence too long",
        lambda: _item().report_progress(actor="x", percent=10, evidence=LONG * (TITLE_MAX + 1)),
        "evidence",
        "too_long",
    ),
    (
        "completion note DEL",
        lambda: _item().complete(actor="x", done_on=JUNE, note="a\x7f"),
        "note",
        "control_character",
    ),
    (
        "cancel reason too long",
        lambda: _item().cancel(actor="x", reason=LONG * (REASON_MAX + 1)),
        "reason",
        "too_long",
    ),
    ("reassign NUL", lambda: _item().reassign(NUL, actor="x"), "responsible", "control_character"),
    (
        "revise title NUL",
        lambda: _item().revise(actor="x", title=NUL),
        "title",
        "control_character",
    ),
    (
        "revise targets NaN",
        lambda: _item().revise(actor="x", targets=[Target("t", NAN, "名")]),
        "target_value",
        "not_finite",
    ),
    (
        "reschedule deadline text NUL",
        lambda: _item().reschedule(
            [Occurrence(JUNE)], plan_year=2026, actor="x", reason="r", deadline_text=NUL
        ),
        "deadline_text",
        "control_character",
    ),
    (
        "organisation name on two lines",
        lambda: Organisation.register("某\n工会", parent=None, chair=None, actor="x"),
        "org",
        "single_line",
    ),
    (
        "organisation chair NUL",
        lambda: Organisation.register("某工会", parent=None, chair=NUL, actor="x"),
        "chair",
        "control_character",
    ),
    (
        "organisation parent NUL",
        lambda: _org().move_under(NUL, [], actor="x"),
        "parent",
        "control_character",
    ),
    ("chair NUL", lambda: _org().appoint_chair(NUL, actor="x"), "chair", "control_character"),
    (
        "register year True",
        lambda: PlanRegistry.start("x").register(
            plan_id=uuid4(), org="某工会", year=True, title="t", fingerprint=None, actor="x"
        ),
        "year",
        "not_integer",
    ),
    (
        "reminder policy not a mapping",
        lambda: _plan().set_reminder_policy(None, actor="x"),  # type: ignore[arg-type]
        "policy",
        "not_mapping",
    ),
]


@pytest.mark.parametrize(
    ("command", "field", "problem"),
    [r[1:] for r in REFUSALS],
    ids=[r[0] for r in REFUSALS],
)
def test_each_command_names_the_field_it_refuses(
    command: Callable[[], object], field: str, problem: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        command()
    assert (refused.value.field, refused.value.problem) == (field, problem)
    assert refused.value.to_dict()["code"] == "invalid_value"
    # Chinese first, then English, both naming the field; never the bad text itself.
    message = refused.value.message
    assert "（" in message and "）" in message
    assert "\x00" not in message and "长长长" not in message


def test_a_refused_command_triggers_no_event() -> None:
    item = _item()
    item.collect_events()
    with pytest.raises(InvalidValue):
        item.report_progress(actor="x", target_index=0, target_value=NAN)
    assert item.collect_events() == [] and item.details.targets[0].current is None


def test_percent_true_is_not_one_percent() -> None:
    item = _item()
    with pytest.raises(InvalidValue, match="percent"):
        item.report_progress(actor="x", percent=True)
    assert item.percent == 0


def test_huge_int_is_refused_with_a_message_not_an_overflow() -> None:
    with pytest.raises(InvalidValue) as refused:
        number(-(10**5000), "value")
    assert refused.value.problem == "out_of_range" and "≈-10^5000" in refused.value.message


@pytest.mark.parametrize(
    ("command", "rule"),
    [
        (lambda: Plan.create(org="某工会", year=2026, title="  ", actor="x"), "title_required"),
        (lambda: Plan.create(org="", year=2026, title="计划", actor="x"), "org_required"),
        (lambda: Plan.create(org="某工会", year=1999, title="计划", actor="x"), "year_range"),
        (lambda: _plan().add_section("\r\n", actor="x"), "section_title_required"),
        (lambda: _item(title=" "), "title_required"),
        (lambda: _item().revise(actor="x", title=""), "title_required"),
        (lambda: _item().report_progress(actor="x", percent=101), "percent_range"),
        (
            lambda: _item().report_progress(actor="x", target_index=-1, target_value=1),
            "target_exists",
        ),
        (lambda: _item().cancel(actor="x", reason=" "), "reason_required"),
        (lambda: Organisation.register(" ", parent=None, chair=None, actor="x"), "name_required"),
    ],
)
def test_empty_titles_and_reasons_stay_business_rules(
    command: Callable[[], object], rule: str
) -> None:
    with pytest.raises(RuleViolation) as refused:
        command()
    assert refused.value.details["rule"] == rule


def test_accepted_text_is_stored_trimmed_with_unix_line_ends() -> None:
    item = _item(title="  发展会员 ", measures="一、发展\r\n二、登记\r", goal="")
    assert item.title == "发展会员"
    assert item.details.measures == "一、发展\n二、登记"
    assert item.details.goal is None
    item.report_progress(actor="x", percent=40, note="已发展\t16名\n待登记")
    assert item.occurrences["2026-06-30"].note == "已发展\t16名\n待登记"


def test_a_section_found_by_title_matches_how_it_was_stored() -> None:
    plan = _plan()
    assert plan.section_by_title(" 健全组织\r\n") is plan.sections[0]


def test_an_organisation_name_with_a_lone_surrogate_is_refused_not_a_unicode_error() -> None:
    with pytest.raises(InvalidValue) as refused:
        organisation_id("某\udcff工会")
    # How Python passes on a byte that is not UTF-8 (a GBK terminal): named as such.
    assert refused.value.problem == "not_utf8" and "0xFF" in refused.value.message


@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\U0010ffff"])
def test_a_noncharacter_that_no_export_can_carry_is_refused(char: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        Plan.create(org="某医院工会", year=2026, title=f"计划{char}", actor="王主席")
    assert refused.value.field == "title" and f"U+{ord(char):04X}" in refused.value.message
