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


def test_an_item_sent_down_gives_the_plan_no_next_deadline() -> None:
    """Its deadlines are its unions' to meet: the plan's next is its own item's."""
    sent, own = quarters(done=1), quarters(done=3)  # next: Sep 30 sent, Dec 31 own
    sent.title, own.title = "下达的事项", "本级事项"
    sent.sent = {"task_id": "t", "copies": 2, "done": 0, "submitted": 0, "overdue": 0, "open": 2}
    overview = plan_overview(build_board(PLAN, [], [sent, own], date(2026, 7, 10)))
    assert (overview["next_due"], overview["next_title"]) == ("2026-12-31", "本级事项")
    alone = plan_overview(build_board(PLAN, [], [sent], date(2026, 7, 10)))
    assert (alone["next_due"], alone["counted"], alone["sent"]) == (None, 0, 3)
