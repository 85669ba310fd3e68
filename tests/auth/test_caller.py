"""The role and scope rules without HTTP: any door holding a principal asks them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from planlog.auth.caller import MANAGE, Caller, actor_of
from planlog.auth.errors import Forbidden
from planlog.auth.tokens import Principal
from planlog.domain.errors import NotFound
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp


@pytest.fixture
def read_models(app: PlanlogApp) -> Iterator[Engine]:
    app.register_organisation("市总工会", actor="test")
    app.register_organisation("区工会", actor="test", parent="市总工会")
    app.register_organisation("别市总工会", actor="test")
    runner = ReadModelRunner(app)
    runner.catch_up()
    yield runner.engine
    runner.close()


def test_a_caller_sees_its_organisation_and_those_below(
    app: PlanlogApp, read_models: Engine
) -> None:
    city = Caller.of(Principal(1, "市总工会", "chair", None), read_models)
    assert city.scope == {"市总工会", "区工会"}
    mine = app.create_plan(org="区工会", year=2026, title="区计划", actor="test")
    other = app.create_plan(org="别市总工会", year=2026, title="别处", actor="test")
    assert city.plan(app, mine.id).title == "区计划"
    # Another union's plan answers as if it did not exist.
    with pytest.raises(NotFound):
        city.plan(app, other.id)
    with pytest.raises(NotFound):
        city.visible_org("别市总工会")
    with pytest.raises(Forbidden):
        city.require_own_org("别市总工会")


def test_roles_and_the_recorded_actor(read_models: Engine) -> None:
    editor = Caller.of(Principal(2, "区工会", "editor", None), read_models)
    assert editor.scope == {"区工会"}
    with pytest.raises(Forbidden):
        editor.require(MANAGE, "change plan items")
    assert editor.actor == actor_of(editor.principal) == "editor@区工会"
    named = Principal(3, "区工会", "chair", "王主席")
    assert actor_of(named) == "王主席"


def test_a_role_refusal_speaks_chinese_first_then_english(read_models: Engine) -> None:
    editor = Caller.of(Principal(2, "区工会", "editor", None), read_models)
    with pytest.raises(Forbidden) as refused:
        editor.require(MANAGE, "decide extension requests")
    assert refused.value.message.startswith("“责任人”角色无权")
    assert "（role editor may not decide extension requests）" in refused.value.message


def test_whether_an_organisation_is_in_scope_is_read_up_its_parents(
    app: PlanlogApp, read_models: Engine
) -> None:
    app.register_organisation("区第一工会", actor="test", parent="区工会")
    runner = ReadModelRunner(app)
    runner.catch_up()
    runner.close()
    city = Caller.of(Principal(1, "市总工会", "chair", None), read_models)
    district = Caller.of(Principal(2, "区工会", "chair", None), read_models)
    assert city.sees_org("区第一工会") and city.sees_org("区工会") and city.sees_org("市总工会")
    assert district.sees_org("区第一工会") and not district.sees_org("市总工会")
    assert not city.sees_org("别市总工会") and not city.sees_org("无此工会")
    # Answered without reading the whole subtree; the same answers as the subtree gives.
    assert "scope" not in vars(city)
    assert city.scope == {"市总工会", "区工会", "区第一工会"}
