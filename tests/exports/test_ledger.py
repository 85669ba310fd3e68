"""The ledger (台账) presenter shared by the print page, the PDF and the XLSX."""

from datetime import date

from planlog.domain.board import BoardItem, build_board
from planlog.domain.schedule import Occurrence
from planlog.exports import LEDGER_COLUMNS, ledger_rows
from planlog.service.views import target_display


def test_ledger_rows_one_per_occurrence_with_days_overdue_note_and_targets() -> None:
    item = BoardItem(
        id="i1",
        title="新建基层工会",
        section_id="s1",
        number="1",
        responsible="李四",
        cancelled=False,
        occurrences=[
            Occurrence(due=date(2026, 6, 30), status="done", done_on=date(2026, 7, 2), note="已建"),
            Occurrence(due=date(2026, 9, 30), evidence="文件"),
        ],
        targets=[{"text": "新建基层工会50家", "value": 50.0, "unit": "家", "current": 50.0}],
    )
    board = build_board(
        {"id": "p", "org": "某工会", "year": 2026, "title": "计划"},
        [{"id": "s1", "title": "组织建设"}],
        [item],
        date(2026, 10, 5),
    )
    rows = ledger_rows(board)
    assert [(r["due"], r["status"], r["days_overdue"]) for r in rows] == [
        ("2026-06-30", "done", 2),
        ("2026-09-30", "overdue", 5),
    ]
    assert rows[0]["first"] and not rows[1]["first"] and rows[0]["span"] == 2
    assert rows[0]["section"] == "组织建设" and rows[0]["status_label"] == "已完成"
    assert rows[0]["note"] == "已建" and rows[1]["evidence"] == "文件"
    assert rows[0]["targets"] == "新建基层工会 50/50家"
    assert {key for key, _ in LEDGER_COLUMNS} <= set(rows[0])


def test_target_display_says_what_is_counted() -> None:
    shown = target_display({"text": "新建基层工会50家", "value": 50, "unit": "家", "current": 12})
    assert shown == {
        "label": "新建基层工会",
        "current": 12,
        "value": 50,
        "unit": "家",
        "text": "新建基层工会 12/50家",
    }
