from __future__ import annotations

from pathlib import Path

import pytest

PLANS = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
YEAR = 2026


@pytest.fixture(scope="session")
def plans_dir() -> Path:
    return PLANS
