"""Helpers for the operations tests: run the real CLI against any store."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from typer.testing import CliRunner

from planlog.cli import app

Cli = Callable[..., Any]


@pytest.fixture
def cli() -> Cli:
    """`cli(*args, db=URL)`: a planlog command; --json output comes back parsed."""
    runner = CliRunner()

    def run(*args: str, db: str | None = None, expect_exit: int = 0) -> Any:
        prefix = ["--db", db] if db else []
        result = runner.invoke(app, [*prefix, *args])
        assert result.exit_code == expect_exit, result.output
        if "--json" in args and result.stdout.strip():
            return json.loads(result.stdout)
        return result.output

    return run


def boards(cli: Cli, db: str) -> dict[str, Any]:
    """Every plan's board on a store, as the CLI shows it (fixed evaluation day)."""
    plans = cli("plan", "list", "--json", db=db)
    today = date.today().isoformat()
    return {p["id"]: cli("board", p["id"], "--now", today, "--json", db=db) for p in plans}
