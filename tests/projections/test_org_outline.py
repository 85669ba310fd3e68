"""`rollup.outline`: the organisation tree as a listing prints it (pure)."""

from __future__ import annotations

from typing import Any

from planlog.projections.rollup import outline


def _tree(parents: dict[str, str | None]) -> dict[str, dict[str, Any]]:
    return {
        name: {"org": name, "parent": parent, "chair": None} for name, parent in parents.items()
    }


def test_each_organisation_is_listed_under_its_parent_siblings_by_name() -> None:
    tree = _tree(
        {"市总": None, "西区": "市总", "东区": "市总", "东二": "东区", "东一": "东区", "外市": None}
    )
    assert outline(tree) == [
        (0, "外市"),
        (0, "市总"),
        (1, "东区"),
        (2, "东一"),
        (2, "东二"),
        (1, "西区"),
    ]


def test_organisations_in_a_parent_cycle_are_still_listed_once() -> None:
    tree = _tree({"甲": "乙", "乙": "甲", "丙": None})
    listed = outline(tree)
    assert sorted(name for _, name in listed) == ["丙", "乙", "甲"]
