"""bench/results.json: a list of {"name", "value", "unit", "baseline", "ratio"}, one per figure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results.json")


def record(name: str, value: float, unit: str, baseline: float, **extra: Any) -> dict[str, Any]:
    """Replace the entry called `name`, keeping the others."""
    entry = {
        "name": name,
        "value": round(value, 1),
        "unit": unit,
        "baseline": round(baseline, 1),
        "ratio": round(value / baseline, 3),
        **extra,
    }
    entries = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    entries = [e for e in entries if e["name"] != name] + [entry]
    RESULTS.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    return entry
