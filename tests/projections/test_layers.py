"""The read side's layering: read models sit on the service and the domain only, and
the presenters they share with the doors on the domain only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import planlog

SRC = Path(planlog.__file__).parent


def _imports(path: Path) -> set[str]:
    """Every planlog module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "planlog"}


def _outside(paths: list[Path], allowed: tuple[str, ...]) -> dict[str, list[str]]:
    wrong = {
        str(path.relative_to(SRC)): sorted(
            name
            for name in _imports(path)
            if not any(name == a or name.startswith(a + ".") for a in allowed)
        )
        for path in paths
    }
    return {path: names for path, names in wrong.items() if names}


def test_read_models_import_no_adapter_beside_them_and_no_door() -> None:
    allowed = ("planlog.domain", "planlog.service", "planlog.projections")
    assert _outside(sorted((SRC / "projections").rglob("*.py")), allowed) == {}


@pytest.mark.parametrize("module", ["views.py", "summaries.py"])
def test_presenters_import_only_the_domain(module: str) -> None:
    assert _outside([SRC / "service" / module], ("planlog.domain",)) == {}
