"""The person aggregate: every value checked, changes recorded as they are, retirement final."""

from __future__ import annotations

import pytest

from planlog.domain.errors import RuleViolation
from planlog.domain.person import (
    Person,
    answers_for,
    display_name,
    responsible_names,
)
from planlog.domain.values import InvalidValue


def person(**extra: object) -> Person:
    fields: dict[str, object] = {"org": "市总工会", "name": "张三", "actor": "admin", **extra}
    return Person.register(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("typed", ["+86 138-0013-8000", "0086 13800138000", "8613800138000"])
def test_a_mobile_typed_with_a_country_code_or_separators_is_kept_as_its_11_digits(
    typed: str,
) -> None:
    assert person(mobile=typed).mobile == "13800138000"


def test_a_registered_person_keeps_their_details_trimmed() -> None:
    p = person(department=" 组织部 ", role="chair", mobile="138 0013 8000", email="zs@example.cn")
    assert (p.org, p.name, p.department, p.role) == ("市总工会", "张三", "组织部", "chair")
    assert (p.mobile, p.email, p.im_id, p.retired) == (
        "13800138000",  # kept as the 11 digits a mention needs
        "zs@example.cn",
        None,
        False,
    )


def test_a_person_is_an_editor_unless_told_otherwise() -> None:
    assert person().role == "editor"


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("name", "", "required"),
        ("name", "张\x00三", "control_character"),
        ("name", "张" * 201, "too_long"),
        ("name", "张\n三", "single_line"),
        ("role", "admin", "unknown"),
        ("mobile", "call me", "not_mobile"),
        ("mobile", "123", "not_mobile"),
        ("mobile", "12345", "not_mobile"),
        ("mobile", "+86-138", "not_mobile"),
        ("mobile", "12800138000", "not_mobile"),
        ("email", "not-an-address", "not_email"),
        ("im_id", "张三", "not_im_id"),
        ("department", "组\x07织部", "control_character"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(field: str, value: str, problem: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        person(**{field: value})
    assert (refused.value.field, refused.value.problem) == (field, problem)


def test_a_refusal_is_in_chinese_first_then_english() -> None:
    with pytest.raises(InvalidValue) as refused:
        person(mobile="call me")
    assert refused.value.message.startswith("手机号码")
    assert "(mobile number:" in refused.value.message.replace("（", "(")


def test_a_change_records_only_what_changed() -> None:
    p = person(department="组织部")
    p.change({"department": "组织部", "mobile": "13800138000"}, actor="chair")
    changed = p.collect_events()[-1]
    assert isinstance(changed, Person.Changed)
    assert changed.changes == {"mobile": "13800138000"}
    assert p.mobile == "13800138000"


def test_a_change_that_changes_nothing_is_refused() -> None:
    p = person()
    with pytest.raises(RuleViolation) as refused:
        p.change({"name": "张三"}, actor="chair")
    assert refused.value.details["rule"] == "change_changes"


def test_the_organisation_cannot_be_changed() -> None:
    with pytest.raises(InvalidValue) as refused:
        person().change({"org": "区总工会"}, actor="chair")
    assert refused.value.field == "org"


def test_a_changed_value_is_checked_like_a_new_one() -> None:
    with pytest.raises(InvalidValue):
        person().change({"email": "nope"}, actor="chair")


def test_a_retired_person_can_be_neither_changed_nor_retired_again() -> None:
    p = person()
    p.retire(actor="chair", reason="调离")
    assert p.retired
    for attempt in (lambda: p.change({"name": "李四"}, actor="c"), lambda: p.retire(actor="c")):
        with pytest.raises(RuleViolation) as refused:
            attempt()
        assert refused.value.details["rule"] == "person_active"


def test_the_log_names_a_person_with_their_department() -> None:
    assert display_name("张三", "组织部") == "张三（组织部）"
    assert display_name("张三", None) == "张三"
    assert person(department="宣传部").display_name == "张三（宣传部）"


def test_a_responsible_text_splits_into_names() -> None:
    assert responsible_names("组织部、宣传部，张三; 李四 / 王五") == [
        "组织部",
        "宣传部",
        "张三",
        "李四",
        "王五",
    ]
    assert responsible_names(None) == []
    assert responsible_names("社会和谐促进部") == ["社会和谐促进部"]


def test_a_person_answers_for_their_name_or_department() -> None:
    assert answers_for("张三", "组织部", ["宣传部", "组织部"])
    assert answers_for("张三", None, ["张三"])
    assert not answers_for("张三", "组织部", ["李四", "宣传部"])
