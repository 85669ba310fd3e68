"""Stage timings of long jobs (planlog.stages): pure, on a clock the test moves."""

from __future__ import annotations

import pytest

from planlog import stages as stages_module
from planlog.stages import Stages


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    moments = [0.0]
    monkeypatch.setattr(stages_module, "perf_counter", lambda: moments[0])
    return moments


def test_a_stage_timed_twice_adds_up(clock: list[float]) -> None:
    stages = Stages()
    with stages.timed("catch_up"):
        clock[0] += 1.5
    with stages.timed("issue"):
        clock[0] += 2.0
    with stages.timed("catch_up"):
        clock[0] += 0.25
    assert stages == {"catch_up": 1.75, "issue": 2.0}


def test_a_stage_that_fails_is_still_timed(clock: list[float]) -> None:
    stages = Stages()
    with pytest.raises(RuntimeError), stages.timed("deliver"):
        clock[0] += 3.0
        raise RuntimeError("the channel is down")
    assert stages == {"deliver": 3.0}


def test_stages_are_reported_to_the_millisecond(clock: list[float]) -> None:
    stages = Stages()
    with stages.timed("copy"):
        clock[0] += 1.23456
    assert stages.rounded() == {"copy": 1.235}
