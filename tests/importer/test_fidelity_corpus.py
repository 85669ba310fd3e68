"""Every document of the import-fidelity corpus against its gold (read by hand).

The corpus and the scoring are those of `make bench` (bench/import_fidelity.py):
tests/fixtures/plans holds the documents, tests/fixtures/plans/gold the readings.
Structure must match the gold fully: every item found in its section, no item the
gold does not have, the plan's title, the responsible unit, helpers and targets.
Deadlines must match too, except the ones listed in AWAITING_SENTENCE_DEADLINES:
phrases in running text that the importer does not read yet (the deadline side
of issue 13); delete a line there as soon as it is read.
"""

from __future__ import annotations

import pytest
from bench.import_fidelity import Gold, deadlines_right, golds, match, read, score

GOLDS = {gold.document: gold for gold in golds()}

AWAITING_SENTENCE_DEADLINES = {
    ("agency-union-plans-compilation.txt", "每?jī)芍芙M織一次理論學習活動"),  # 每兩周 (garbled)
    ("agency-union-plans-compilation.txt", "每?jī)稍陆M織一次黨員義工活動"),  # 每兩月 (garbled)
    ("agency-union-plans-compilation.txt", "創辦機關工會工作簡報"),  # 二個月出刊一期
    ("agency-union-plans-compilation.txt", "建立學習制度"),  # 每月…每季
    ("health-bureau-union-2012.txt", "不斷鞏固職工文化陣地"),  # 2012年4月
}


@pytest.fixture(params=sorted(GOLDS), ids=lambda name: name)
def gold(request: pytest.FixtureRequest) -> Gold:
    return GOLDS[request.param]


def test_the_corpus_has_the_samples_and_each_layout() -> None:
    suffixes = {name.rsplit(".", 1)[1] for name in GOLDS}
    assert {"txt", "docx", "xlsx"} <= suffixes
    assert len(GOLDS) >= 7


def test_structure_matches_the_gold(gold: Gold) -> None:
    result = score(gold, read(gold))
    assert result.missing == []
    assert result.spurious == []
    assert result.found == result.gold_items == result.imported_items
    assert result.title_right


def test_responsible_helpers_and_targets_match_the_gold(gold: Gold) -> None:
    result = score(gold, read(gold))
    wrong = [w for w in result.wrong if ": deadlines " not in w]
    assert wrong == []
    assert result.helpers == result.helpers_expected


def test_deadlines_match_the_gold(gold: Gold) -> None:
    plan = read(gold)
    wrong = [
        want.title
        for want, item in match(gold, plan)
        if item is not None
        and (gold.document, want.title) not in AWAITING_SENTENCE_DEADLINES
        and not deadlines_right(want, item, gold.year)
    ]
    assert wrong == []
