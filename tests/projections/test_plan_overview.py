"""The plan list's numbers (home page): completion, overdue count, next deadline."""

from datetime import date

from tests.domain.test_board_semantics import PLAN, quarters

from planlog.domain.board import build_board
from planlog.projections.queries import plan_overview


def test_plan_overview_for_the_home_page() -> None:
    board = build_board(PLAN, [], [quarters(done=1)], date(2026, 7, 10))
    overview = plan_overview(board)
    assert (overview["percent_done"], overview["overdue"], overview["next_due"]) == (
        25,
        1,
        "2026-09-30",
    )
