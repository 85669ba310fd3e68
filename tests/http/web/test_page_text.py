"""The page words (`planlog.http.web.text`): pure, no server."""

from planlog.http.web.text import tr


def test_a_count_of_one_reads_singular_in_english() -> None:
    assert tr("plans_n", "en", n=1) == "1 plan"
    assert tr("plans_n", "en", n=2) == "2 plans"
    assert tr("plans_n", "en", n=0) == "0 plans"


def test_chinese_has_the_same_words_for_one_and_many() -> None:
    assert tr("plans_n", "zh", n=1) == "1 个计划"
    assert tr("plans_n", "zh", n=3) == "3 个计划"


def test_no_english_page_text_hedges_a_plural_with_s_in_brackets() -> None:
    from planlog.http.web.text import _TEXTS

    assert [key for key, (_, en) in _TEXTS.items() if "(s)" in en] == []
