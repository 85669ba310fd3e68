"""The weekly laggard digest as the organisation records it: to its chairs, by person id,
or to the organisation itself when none is registered."""

from __future__ import annotations

from typing import Any

import pytest

from planlog.domain.organisation import CHAIRS_MAX, Organisation
from planlog.domain.values import InvalidValue

LIU = "4f9c1a52-0000-4000-8000-000000000001"
ZHANG = "4f9c1a52-0000-4000-8000-000000000002"
BEHIND = [{"org": "东一工会", "overdue": 2, "percent_done": 0}]


def _district() -> Organisation:
    return Organisation.register("东区总工会", parent="市总工会", chair="刘主席", actor="admin")


def _issued(org: Organisation) -> Any:
    return org.collect_events()[-1]


def test_a_digest_to_registered_chairs_records_each_once_by_id_and_name() -> None:
    org = _district()
    chairs = [
        {"person_id": ZHANG, "name": "张副主席"},
        {"person_id": LIU.upper(), "name": "刘主席"},
        {"person_id": LIU, "name": "刘主席"},
    ]
    org.issue_digest("2026-W29", BEHIND, chairs=chairs, actor="planlog")
    event = _issued(org)
    assert event.chairs == [
        {"person_id": LIU, "name": "刘主席"},
        {"person_id": ZHANG, "name": "张副主席"},
    ]
    assert (event.addressed_to, event.recipients) == ("chairs", ["刘主席", "张副主席"])


def test_a_digest_without_registered_chairs_is_addressed_to_the_organisation() -> None:
    org = _district()
    org.issue_digest("2026-W29", BEHIND, actor="planlog")
    event = _issued(org)
    assert (event.addressed_to, event.chairs, event.recipients) == ("unit", [], ["刘主席"])


@pytest.mark.parametrize(
    ("chairs", "field"),
    [
        ([{"person_id": "not-an-id", "name": "刘主席"}], "person_id"),
        ([{"person_id": LIU, "name": ""}], "name"),
        ([{"person_id": LIU, "name": "刘\x00主席"}], "name"),
        (["刘主席"], "chairs"),
        ([{"person_id": LIU, "name": "刘主席"}] * (CHAIRS_MAX + 1), "chairs"),
    ],
)
def test_a_digest_refuses_chairs_that_are_not_people(chairs: Any, field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        _district().issue_digest("2026-W29", BEHIND, chairs=chairs, actor="planlog")
    assert refused.value.details["field"] == field


def test_a_version_1_digest_is_read_as_addressed_to_the_organisation() -> None:
    state: dict[str, Any] = {"week": "2026-W29", "recipients": ["刘主席"], "lagging": BEHIND}
    Organisation.DigestIssued.upcast_v1_v2(state)
    assert (state["chairs"], state["addressed_to"]) == ([], "unit")
