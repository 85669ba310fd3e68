from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from planlog.cli import app

Run = Callable[..., Any]


@pytest.fixture
def planlog(store_url: str) -> Run:
    """Run a planlog command against the test store; --json output comes back parsed."""
    runner = CliRunner()

    def run(*args: str, expect_exit: int = 0) -> Any:
        result = runner.invoke(app, ["--db", store_url, "--actor", "张主席", *args])
        assert result.exit_code == expect_exit, result.output
        if "--json" in args:
            return json.loads(result.stdout)
        return result.output

    return run
