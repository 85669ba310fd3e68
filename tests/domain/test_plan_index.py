"""An organisation's plans of a year (PlanIndex): every plan, in the order made."""

from __future__ import annotations

from uuid import uuid4

from planlog.domain.registry import PlanIndex, plan_index_id


def test_the_index_of_an_organisation_and_year_has_one_id_whoever_starts_it() -> None:
    plan_id = uuid4()
    index = PlanIndex.start(org=" 甲工会 ", year=2026, plan_id=plan_id, actor="a")
    assert index.id == plan_index_id("甲工会", 2026) != plan_index_id("甲工会", 2027)
    assert (index.org, index.year, index.plan_ids) == ("甲工会", 2026, [plan_id])


def test_the_index_holds_every_plan_of_the_year_in_the_order_made() -> None:
    first, second = uuid4(), uuid4()
    index = PlanIndex.start(org="甲工会", year=2026, plan_id=first, actor="a")
    index.add(second, actor="a")
    index.add(first, actor="a")  # recorded already: nothing new
    assert index.plan_ids == [first, second]
    assert len(index.pending_events) == 2
