"""The page words (`planlog.http.web.text`): pure, no server."""

import re

from planlog.http.web.text import _TEXTS, tr

#: a number followed by a plural noun ("{n} rows", "sent to {n} unions")
_COUNTED = re.compile(r"\{(\w+)\} (?:[a-z]+ )?[a-z]+s\b")
#: numbers that name a line or a page, followed by a verb, not counted nouns
_ORDINALS = {"target_incomplete", "dates_invalid"}


def test_a_count_of_one_reads_singular_in_english() -> None:
    assert tr("plans_n", "en", n=1) == "1 plan"
    assert tr("plans_n", "en", n=2) == "2 plans"
    assert tr("plans_n", "en", n=0) == "0 plans"


def test_chinese_has_the_same_words_for_one_and_many() -> None:
    assert tr("plans_n", "zh", n=1) == "1 个计划"
    assert tr("plans_n", "zh", n=3) == "3 个计划"


def test_no_english_page_text_hedges_a_plural_with_s_in_brackets() -> None:
    assert [key for key, (_, en) in _TEXTS.items() if "(s)" in en] == []


def test_every_english_count_of_a_plural_noun_has_a_singular_form() -> None:
    """Named `n`, so that `tr` picks the `_one` form for a count of one."""
    wrong = [
        (key, found.group(0))
        for key, (_, en) in _TEXTS.items()
        if not key.endswith("_one") and key not in _ORDINALS
        for found in _COUNTED.finditer(en)
        if found.group(1) != "n" or f"{key}_one" not in _TEXTS
    ]
    assert wrong == []


def test_a_page_of_one_row_says_row() -> None:
    assert tr("page_of", "en", page=1, pages=1, n=1) == "page 1 of 1, 1 row"
    assert tr("days_left", "en", n=1) == "1 day left"
