"""Organisations exist before plans name them (issue 16), on both stores.

The administrator's doors (CLI, demo: `create_plan` with `register_org=True`) register a
missing organisation in the plan's own transaction; the API's door (`register_org=False`)
refuses it. Names that plans of an older store use without a registration count as
taken: a chair can never register them, and so never adopt those plans.
"""

from __future__ import annotations

from datetime import date
from threading import Barrier, Thread
from uuid import UUID

import pytest
from eventsourcing.application import AggregateNotFoundError

from planlog.domain.errors import NotFound, RuleViolation
from planlog.domain.model import Plan
from planlog.domain.organisation import organisation_id
from planlog.domain.registry import REGISTRY_ID, PlanRegistry
from planlog.service.app import NewItem, PlanlogApp, UnknownOrganisation


def head(app: PlanlogApp) -> int:
    """The position of the last recorded event: unchanged means nothing was recorded."""
    return app.recorder.max_notification_id() or 0


def legacy_plan(app: PlanlogApp, org: str) -> UUID:
    """A plan as planlog recorded it before organisations had to be registered: its
    organisation is named in the plan registry and nowhere else."""
    try:
        registry = app.repository.get(REGISTRY_ID)
    except AggregateNotFoundError:
        registry = PlanRegistry.start("planlog")
    assert isinstance(registry, PlanRegistry)
    plan = Plan.create(org=org, year=2026, title="旧计划", actor="chair", reason=None, source=None)
    registry.register(
        plan_id=plan.id, org=org, year=2026, title=plan.title, fingerprint=None, actor="chair"
    )
    app.save(registry, plan)
    return plan.id


def test_creating_a_plan_registers_its_missing_organisation_in_the_same_transaction(
    app: PlanlogApp,
) -> None:
    app.register_organisation("市总工会", actor="admin")
    top = app.create_plan(org="某工会", year=2026, title="计划", actor="admin")
    below = app.create_plan(
        org="某医院工会", year=2026, title="计划", actor="admin", parent="市总工会"
    )
    assert app.get_organisation("某工会").parent is None
    assert app.get_organisation("某医院工会").parent == "市总工会"
    # One transaction: the registration and the plan carry the same recorded moment.
    (registered,) = app.history(organisation_id("某医院工会"))
    assert registered["recorded_at"] == app.history(below.id)[0]["recorded_at"]
    assert {e.plan_id for e in app.list_plans()} == {top.id, below.id}


def test_a_refused_plan_registers_no_organisation(app: PlanlogApp) -> None:
    before = head(app)
    bad = NewItem(title="跨年事项", dues=[date(2027, 4, 15)])  # outside the plan year
    with pytest.raises(RuleViolation):
        app.create_plan(org="新工会", year=2026, title="计划", actor="admin", items=[bad])
    with pytest.raises(NotFound):
        app.create_plan(org="新工会", year=2026, title="计划", actor="admin", parent="无此上级")
    assert head(app) == before
    assert app.find_organisation("新工会") is None


def test_a_plan_naming_an_existing_organisation_under_another_parent_never_moves_it(
    app: PlanlogApp,
) -> None:
    app.register_organisation("市总工会", actor="admin")
    app.register_organisation("外市总工会", actor="admin")
    app.register_organisation("某医院工会", actor="admin", parent="市总工会")
    before = head(app)
    with pytest.raises(RuleViolation) as refused:
        app.create_plan(
            org="某医院工会", year=2026, title="计划", actor="admin", parent="外市总工会"
        )
    assert "planlog org move" in refused.value.message
    assert head(app) == before
    assert app.get_organisation("某医院工会").parent == "市总工会"
    same = app.create_plan(
        org="某医院工会", year=2026, title="计划", actor="admin", parent="市总工会"
    )
    assert same.org == "某医院工会"


def test_the_api_door_refuses_a_plan_for_an_unregistered_organisation(app: PlanlogApp) -> None:
    before = head(app)
    with pytest.raises(UnknownOrganisation) as refused:
        app.create_plan(
            org="未登记工会", year=2026, title="计划", actor="chair", register_org=False
        )
    assert "未登记工会" in refused.value.message and "planlog org create" in refused.value.message
    assert head(app) == before and app.list_plans() == []
    app.register_organisation("未登记工会", actor="admin")
    plan = app.create_plan(
        org="未登记工会", year=2026, title="计划", actor="chair", register_org=False
    )
    assert plan.org == "未登记工会"


def test_plans_of_an_older_store_keep_their_unregistered_organisation_usable(
    app: PlanlogApp,
) -> None:
    legacy_plan(app, "老工会")
    plan = app.create_plan(
        org="老工会", year=2026, title="又一计划", actor="chair", register_org=False
    )
    assert plan.org == "老工会" and app.find_organisation("老工会") is None
    with pytest.raises(UnknownOrganisation):
        app.create_plan(org="别的工会", year=2026, title="计划", actor="chair", register_org=False)


def test_a_chair_cannot_adopt_an_organisation_named_only_by_plans_of_an_older_store(
    app: PlanlogApp,
) -> None:
    app.register_organisation("市总工会", actor="admin")
    legacy_plan(app, "老工会")
    before = head(app)
    with pytest.raises(RuleViolation) as refused:
        app.register_new_organisation("老工会", parent="市总工会", actor="chair")
    assert refused.value.details["rule"] == "organisation_unique"
    assert head(app) == before and app.find_organisation("老工会") is None
    # The administrator may place it (CLI: planlog org create 老工会 --parent 市总工会).
    org = app.register_organisation("老工会", parent="市总工会", actor="admin")
    assert org.parent == "市总工会"


def test_registering_an_existing_organisation_again_is_refused_whoever_asks(
    app: PlanlogApp,
) -> None:
    app.register_organisation("市总工会", actor="admin")
    app.register_organisation("外市总工会", actor="admin")
    before = head(app)
    with pytest.raises(RuleViolation) as by_chair:
        app.register_new_organisation("外市总工会", parent="市总工会", actor="chair")
    with pytest.raises(RuleViolation) as by_admin:
        app.register_organisation("外市总工会", parent="市总工会", actor="admin")
    assert by_chair.value.message == by_admin.value.message
    assert head(app) == before and app.get_organisation("外市总工会").parent is None


def test_the_dry_run_check_answers_as_plan_creation_would(app: PlanlogApp) -> None:
    legacy_plan(app, "老工会")
    app.register_organisation("市总工会", actor="admin")
    before = head(app)
    assert app.check_plan_organisation("新工会", register_org=True) is True
    assert app.check_plan_organisation("市总工会", register_org=True) is False
    assert app.check_plan_organisation("老工会", register_org=False) is False
    with pytest.raises(UnknownOrganisation):
        app.check_plan_organisation("新工会", register_org=False)
    with pytest.raises(RuleViolation):
        app.check_plan_organisation("市总工会", register_org=True, parent="老工会")
    assert head(app) == before


def test_plans_created_at_once_for_one_new_organisation_register_it_once(
    store_url: str,
) -> None:
    apps = [PlanlogApp(store_url) for _ in range(3)]
    start, made, errors = Barrier(len(apps)), [], []

    def create(app: PlanlogApp, n: int) -> None:
        start.wait(timeout=30)
        try:
            made.append(app.create_plan(org="新工会", year=2026, title=f"计划{n}", actor="admin"))
        except Exception as error:  # collected and asserted below
            errors.append(error)

    threads = [Thread(target=create, args=(a, n)) for n, a in enumerate(apps)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == [] and len(made) == len(apps)
        assert len(apps[0].history(organisation_id("新工会"))) == 1
        assert len(apps[0].list_plans()) == len(apps)
    finally:
        for app in apps:
            app.close()
