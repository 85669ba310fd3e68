"""import_fidelity: how much of a real plan the importer reads right.

The corpus is tests/fixtures/plans: the sample plans from ../shared/plans and
documents written in the layouts unions use (Word and Excel task tables, narrative
plans, download-site pages). Each has a gold file in tests/fixtures/plans/gold/,
written by reading the document as a careful person would: per item its section,
title (its first characters), deadlines, responsible unit and targets.

A gold item is found when an imported item of the same section starts with its
title (or the title starts with the imported one: a reader may quote more). Each
figure is a percentage of all gold items of the corpus, except `spurious`, which
counts imported items that match no gold item (target: 0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from planlog.importer import ImportedItem, ImportedPlan, read_plan
from planlog.importer.normalize import canonical, strip_punct

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "plans"
GOLD = CORPUS / "gold"
FIGURES = ("items_found", "deadlines_right", "responsible_right", "targets_right")
_MIN_PREFIX = 4  # an imported title this short matches no gold title by prefix
_TARGET_SUFFIX = re.compile(r"(?:及以上|以上|及以下|以下|以内)$")


@dataclass(frozen=True)
class GoldItem:
    section: str
    title: str
    deadlines: tuple[date, ...] | str  # the dates, or "recurring" for a repeating duty
    responsible: str | None
    targets: tuple[str, ...]
    helpers: str | None = None
    has_helpers: bool = False


@dataclass(frozen=True)
class Gold:
    document: str
    year: int
    title: str | None
    items: tuple[GoldItem, ...]


def load_gold(path: Path) -> Gold:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    items = tuple(
        GoldItem(
            section=str(raw["section"]),
            title=str(raw["title"]),
            deadlines=_deadlines(raw.get("deadlines")),
            responsible=raw.get("responsible"),
            targets=tuple(str(t) for t in raw.get("targets") or ()),
            helpers=raw.get("helpers"),
            has_helpers="helpers" in raw,
        )
        for raw in data["items"]
    )
    return Gold(data["document"], int(data["year"]), data.get("title"), items)


RECURRING = "recurring"


def _deadlines(raw: Any) -> tuple[date, ...] | str:
    if raw == RECURRING:
        return RECURRING
    return tuple(raw or ())


def golds() -> list[Gold]:
    return [load_gold(path) for path in sorted(GOLD.glob("*.yaml"))]


def norm(text: str | None) -> str:
    """Text compared as a reader would: folded, without spaces and edge punctuation."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", strip_punct(canonical(text)))


def title_matches(gold: GoldItem, item: ImportedItem) -> bool:
    if norm(gold.section) not in norm(item.section):
        return False
    want = norm(gold.title)
    for have in (norm(item.title), norm(item.measures or item.source_text)):
        if have.startswith(want) or (len(have) >= _MIN_PREFIX and want.startswith(have)):
            return True
    return False


def dues(item: ImportedItem) -> tuple[date, ...]:
    """The dates the document states for the item; an implicit year end states none."""
    if item.deadline is None or getattr(item, "deadline_source", None) == "implicit":
        return ()
    return tuple(sorted(o.due for o in item.deadline.occurrences))


def deadlines_right(want: GoldItem, item: ImportedItem, year: int) -> bool:
    """Right when the dates agree; 31 December stated (年底前, 年内) and a deadline left
    to the year end are the same to the chair, so either reading of it counts."""
    if want.deadlines == RECURRING:
        return item.deadline is not None and item.deadline.rrule is not None
    year_end = (date(year, 12, 31),)

    def same(dates: tuple[date, ...]) -> tuple[date, ...]:
        return () if dates == year_end else dates

    return same(dues(item)) == same(tuple(sorted(want.deadlines)))


def target_key(text: str) -> str:
    return _TARGET_SUFFIX.sub("", norm(text))


@dataclass
class DocumentScore:
    document: str
    gold_items: int
    imported_items: int
    found: int = 0
    deadlines: int = 0
    responsible: int = 0
    targets: int = 0
    helpers: int = 0
    helpers_expected: int = 0
    title_right: bool = False
    missing: list[str] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)  # "title: field gold != imported"


def match(gold: Gold, plan: ImportedPlan) -> list[tuple[GoldItem, ImportedItem | None]]:
    """Each gold item with the first unclaimed imported item it matches, in order."""
    claimed: set[int] = set()
    pairs: list[tuple[GoldItem, ImportedItem | None]] = []
    for want in gold.items:
        found = None
        for index, item in enumerate(plan.items):
            if index not in claimed and title_matches(want, item):
                claimed.add(index)
                found = item
                break
        pairs.append((want, found))
    return pairs


def score(gold: Gold, plan: ImportedPlan) -> DocumentScore:
    result = DocumentScore(gold.document, len(gold.items), len(plan.items))
    result.title_right = norm(plan.title) == norm(gold.title)
    matched: list[ImportedItem] = []
    for want, item in match(gold, plan):
        if item is None:
            result.missing.append(f"{want.section} / {want.title}")
            continue
        matched.append(item)
        result.found += 1
        if deadlines_right(want, item, gold.year):
            result.deadlines += 1
        else:
            got = [d.isoformat() for d in dues(item)]
            if item.deadline is not None and item.deadline.rrule:
                got.append(item.deadline.rrule)
            wanted = want.deadlines
            shown = wanted if isinstance(wanted, str) else [d.isoformat() for d in wanted]
            result.wrong.append(f"{want.title}: deadlines {shown} != {got}")
        if norm(item.responsible) == norm(want.responsible):
            result.responsible += 1
        else:
            result.wrong.append(
                f"{want.title}: responsible {want.responsible} != {item.responsible}"
            )
        got_targets = sorted(target_key(t.text) for t in item.targets)
        if got_targets == sorted(target_key(t) for t in want.targets):
            result.targets += 1
        else:
            result.wrong.append(f"{want.title}: targets {list(want.targets)} != {got_targets}")
        if want.has_helpers:
            result.helpers_expected += 1
            if norm(getattr(item, "helpers", None)) == norm(want.helpers):
                result.helpers += 1
            else:
                got = getattr(item, "helpers", None)
                result.wrong.append(f"{want.title}: helpers {want.helpers} != {got}")
    ids = {id(i) for i in matched}
    result.spurious = [f"{i.section} / {i.title}" for i in plan.items if id(i) not in ids]
    return result


def read(gold: Gold) -> ImportedPlan:
    return read_plan(CORPUS / gold.document, gold.year)


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def run() -> dict[str, Any]:
    scores = [score(gold, read(gold)) for gold in golds()]
    total = sum(s.gold_items for s in scores)
    figures: dict[str, Any] = {
        "items_found": _pct(sum(s.found for s in scores), total),
        "deadlines_right": _pct(sum(s.deadlines for s in scores), total),
        "responsible_right": _pct(sum(s.responsible for s in scores), total),
        "targets_right": _pct(sum(s.targets for s in scores), total),
        "spurious_items": sum(len(s.spurious) for s in scores),
        "spurious_pct": _pct(
            sum(len(s.spurious) for s in scores), sum(s.imported_items for s in scores)
        ),
        "titles_right": sum(s.title_right for s in scores),
        "documents": len(scores),
        "gold_items": total,
        "per_document": {
            s.document: {
                "gold": s.gold_items,
                "imported": s.imported_items,
                "found": s.found,
                "deadlines": s.deadlines,
                "responsible": s.responsible,
                "targets": s.targets,
                "spurious": len(s.spurious),
            }
            for s in scores
        },
    }
    # The headline value: the lowest of the four rates, each of which must reach 97%.
    figures["value"] = min(figures[name] for name in FIGURES)
    figures["baseline"] = 97.0
    return figures


def explain() -> None:
    """`python -m bench.import_fidelity`: every miss, for whoever improves the importer."""
    for gold in golds():
        result = score(gold, read(gold))
        print(
            f"== {gold.document}: {result.found}/{result.gold_items} found, "
            f"{len(result.spurious)} spurious, title {'ok' if result.title_right else 'WRONG'}"
        )
        for line in result.missing:
            print("  missing:", line)
        for line in result.spurious:
            print("  spurious:", line)
        for line in result.wrong:
            print("  wrong:", line)


if __name__ == "__main__":
    explain()
