"""How alike a new organisation's name must be to an existing one to be flagged as a
possible typo (`rollup._typo_cutoff`): one character changed counts at every length."""

from __future__ import annotations

import difflib

import pytest

from planlog.projections.rollup import _typo_cutoff


@pytest.mark.parametrize(
    ("existing", "typed"),
    [("总工会", "总公会"), ("甲厂工会", "甲厂公会"), ("第一中学工会", "第一中学公会")],
)
def test_one_character_changed_is_a_typo_at_every_length(existing: str, typed: str) -> None:
    assert difflib.SequenceMatcher(None, typed, existing).ratio() >= _typo_cutoff(typed)


@pytest.mark.parametrize(("existing", "typed"), [("甲厂工会", "乙校工会"), ("工会", "公司")])
def test_two_characters_changed_in_a_short_name_is_another_name(existing: str, typed: str) -> None:
    assert difflib.SequenceMatcher(None, typed, existing).ratio() < _typo_cutoff(typed)


def test_a_long_name_keeps_the_usual_cutoff() -> None:
    assert _typo_cutoff("东城区第一人民医院工会") == 0.8
