"""The ledger as of a past date: board.csv, board.xlsx and board.pdf with ?as_of= (issue 14)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from openpyxl import load_workbook


def _plan_with_a_completion(api: Any) -> tuple[str, str]:
    plan = api.new_plan()
    item = api.new_item(plan, responsible="工会女工")
    api.post(
        f"/api/v1/items/{item}/complete",
        "hospital_chair",
        json={"occurrence": "2026-06-30", "done_on": "2026-06-28", "evidence": "报告.pdf"},
    )
    return plan, item


def test_board_pdf_now_and_as_of(api: Any) -> None:
    plan, _ = _plan_with_a_completion(api)
    now = api.get(f"/api/v1/plans/{plan}/board.pdf", "hospital_editor")
    assert now.status_code == 200, now.text
    assert now.headers["content-type"] == "application/pdf"
    assert now.content.startswith(b"%PDF-")
    earlier = api.get(f"/api/v1/plans/{plan}/board.pdf?as_of=2000-01-01", "hospital_editor")
    assert earlier.status_code == 404  # the plan did not exist then
    bad = api.get(f"/api/v1/plans/{plan}/board.pdf?as_of=yesterday", "hospital_editor")
    assert bad.status_code == 422
    assert api.get(f"/api/v1/plans/{plan}/board.pdf", "other_chair").status_code == 404


def test_xlsx_and_csv_as_of_show_what_was_recorded_then(api: Any) -> None:
    plan, _ = _plan_with_a_completion(api)
    day = api.services.app.today()  # China's date, which is what a bare date means
    yesterday, today = (day - timedelta(days=1)).isoformat(), day.isoformat()
    # the plan was made today: as of yesterday's end it did not exist
    assert (
        api.get(f"/api/v1/plans/{plan}/board.csv?as_of={yesterday}", "hospital_editor").status_code
        == 404
    )
    as_xlsx = api.get(f"/api/v1/plans/{plan}/board.xlsx?as_of={today}", "hospital_editor")
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert "%E6%88%AA%E8%87%B3" in as_xlsx.headers["content-disposition"]  # 截至 in the name
    sheet = load_workbook(io.BytesIO(as_xlsx.content))["工作进度"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][6] == "已完成" and rows[0][13] == "报告.pdf"
    as_csv = api.get(f"/api/v1/plans/{plan}/board.csv?as_of={today}", "hospital_editor")
    lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert lines[1][6] == "已完成"
