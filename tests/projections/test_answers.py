"""Answers kept until a read model moves (planlog.projections.answers)."""

from __future__ import annotations

from typing import Any

import pytest

from planlog.projections.answers import AnswerCache
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp


@pytest.fixture
def projected(
    runner: ReadModelRunner, app: PlanlogApp, clock: Any, busy_year: Any
) -> ReadModelRunner:
    """A year's read models, caught up."""
    busy_year(app, clock)
    runner.catch_up()
    return runner


def _asking(
    cache: AnswerCache, runner: ReadModelRunner, question: str, computed: list[str]
) -> bytes:
    def compute() -> bytes:
        computed.append(question)
        return f"{question}#{len(computed)}".encode()

    with runner.engine.connect() as conn:
        return cache.answer(conn, question, compute)


def test_an_answer_is_computed_once_while_the_read_models_stay_where_they_are(
    projected: ReadModelRunner,
) -> None:
    runner = projected
    cache, computed = AnswerCache(), []
    first = _asking(cache, runner, "city", computed)
    assert _asking(cache, runner, "city", computed) == first
    assert computed == ["city"]


def test_an_answer_is_computed_again_once_a_read_model_moved(
    projected: ReadModelRunner, app: PlanlogApp
) -> None:
    runner = projected
    cache, computed = AnswerCache(), []
    first = _asking(cache, runner, "city", computed)
    app.register_organisation("新区工会", actor="admin", parent="市总工会")
    assert _asking(cache, runner, "city", computed) == first  # not yet projected
    runner.catch_up()
    assert _asking(cache, runner, "city", computed) != first
    assert computed == ["city", "city"]


def test_answers_past_the_budget_drop_the_least_recently_asked(projected: ReadModelRunner) -> None:
    runner = projected
    cache, computed = AnswerCache(budget=len(b"city#1") * 2), []
    for question in ("city", "east", "city", "west", "city", "east"):
        _asking(cache, runner, question, computed)
    # "east" was dropped for "west" (city was asked since), then computed again
    assert computed == ["city", "east", "west", "east"]


def test_an_answer_is_computed_again_after_a_rebuild(projected: ReadModelRunner) -> None:
    runner = projected
    cache, computed = AnswerCache(), []
    _asking(cache, runner, "city", computed)
    runner.rebuild(lanes=1)  # back at the same position, rows made anew
    _asking(cache, runner, "city", computed)
    assert computed == ["city", "city"]
