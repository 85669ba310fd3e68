"""`planlog digest`: this week's laggard digests, run now as the scheduler would hourly."""

from __future__ import annotations

from typing import Any

CITY, EAST = "市总工会", "东区总工会"


def _lagging_district(planlog: Any) -> None:
    """A district whose one union has a deadline past due and not done."""
    planlog("org", "create", CITY, "--json")
    planlog("org", "create", EAST, "--parent", CITY, "--json")
    plan = planlog(
        "plan", "create", "--org", "东一工会", "--parent", EAST, "--year", "2026",
        "--title", "东一计划", "--json",
    )  # fmt: skip
    planlog("item", "add", plan["id"], "--title", "安全生产月", "--due", "2026-06-30", "--json")


def test_digest_issues_a_lagging_district_s_digest_once_a_week(planlog: Any) -> None:
    _lagging_district(planlog)
    first = planlog("digest", "--now", "2026-07-01T09:00:00+08:00", "--json")
    assert (first["week"], first["issued"]) == ("2026-W27", [EAST])
    again = planlog("digest", "--now", "2026-07-02T09:00:00+08:00", "--json")
    assert again["issued"] == []  # the week's digest is issued once
