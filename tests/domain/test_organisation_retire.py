"""Retiring an organisation (注销): pure domain rules."""

from __future__ import annotations

import pytest

from planlog.domain.errors import RuleViolation
from planlog.domain.organisation import Organisation, RetireBlockers


def org(name: str = "某医院工会", parent: str | None = "某区总工会") -> Organisation:
    return Organisation.register(name, parent=parent, chair=None, actor="admin")


def test_an_organisation_nothing_depends_on_is_retired_with_its_reason() -> None:
    found = org()
    found.retire(RetireBlockers(), actor="admin", reason="名称录入错误")
    assert found.retired
    event = found.collect_events()[-1]
    assert isinstance(event, Organisation.Retired) and event.reason == "名称录入错误"


def test_retiring_needs_a_reason() -> None:
    found = org()
    with pytest.raises(RuleViolation) as refused:
        found.retire(RetireBlockers(), actor="admin", reason="  ")
    assert refused.value.details["rule"] == "reason_required" and not found.retired


def test_retiring_is_refused_naming_what_still_depends_on_it() -> None:
    members = tuple(f"第{n}基层工会" for n in range(7))
    found = org("某区总工会", "某市总工会")
    with pytest.raises(RuleViolation) as refused:
        found.retire(RetireBlockers(members, plans=1, people=2), actor="admin", reason="撤并")
    message = str(refused.value)
    assert refused.value.details["rule"] == "organisation_in_use" and not found.retired
    assert "第0基层工会、第1基层工会" in message and "第5基层工会" not in message
    assert "（7个，" in message and "7 organisations under it" in message
    assert "1份计划" in message and "1 plan (" in message and "2 people (" in message
    assert "planlog org move" in message and "planlog person retire" in message


@pytest.mark.parametrize(
    "change",
    [
        lambda o: o.move_under("某市总工会", [], actor="admin"),
        lambda o: o.appoint_chair("王主席", actor="admin"),
        lambda o: o.confirm_parent(None),
        lambda o: o.retire(RetireBlockers(), actor="admin", reason="again"),
    ],
    ids=["move", "appoint_chair", "plan_for_it", "retire_again"],
)
def test_a_retired_organisation_refuses_every_change(change: object) -> None:
    found = org()
    found.retire(RetireBlockers(), actor="admin", reason="录错")
    with pytest.raises(RuleViolation) as refused:
        change(found)  # type: ignore[operator]
    assert refused.value.details["rule"] == "organisation_retired"
    assert "已注销" in str(refused.value) and "is retired" in str(refused.value)


def test_an_organisation_with_api_tokens_is_not_retired_until_they_are_revoked() -> None:
    found = org()
    with pytest.raises(RuleViolation) as refused:
        found.retire(RetireBlockers(tokens=1), actor="admin", reason="录错")
    assert "1个令牌" in str(refused.value) and "planlog token revoke" in str(refused.value)
    assert not found.retired
