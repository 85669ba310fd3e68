"""The export routes answer 200 for any text a log may hold: control characters from
before the domain refused them, an organisation named like a formula."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

import planlog.domain.values
from planlog.service.app import NewItem

HOSPITAL = "某医院工会"
FORMULA_ORG = '=HYPERLINK("http://evil","点我")'
#: No NUL: PostgreSQL read models cannot hold one at all, whatever the exports do.
TITLE = "任务\x1b[2J\x0b=1+1"


@pytest.fixture
def plan_id(api: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """A plan of an organisation named like a formula, whose item title holds control
    characters, recorded as a log from before the domain's check would hold it."""
    app = api.services.app
    app.register_organisation(FORMULA_ORG, actor="admin", parent=HOSPITAL)
    with monkeypatch.context() as patch:
        patch.setattr(planlog.domain.values, "bad_character", lambda text: None)
        plan = app.create_plan(org=FORMULA_ORG, year=2026, title="计划\x07", actor="admin")
        spec = NewItem(title=TITLE, responsible="人\x1b", dues=[date(2026, 12, 31)])
        app.add_item(plan.id, spec, actor="admin")
    return str(plan.id)


def test_board_xlsx_with_control_characters_and_a_formula_org_answers_200(
    api: Any, plan_id: str
) -> None:
    answer = api.get(f"/api/v1/plans/{plan_id}/board.xlsx", "hospital_editor")
    assert answer.status_code == 200, answer.text
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book["工作进度"]
    assert sheet["A1"].data_type == "s" and sheet["A1"].value.startswith(FORMULA_ORG)
    assert sheet["C3"].value == "任务␛[2J␋=1+1" and sheet["D3"].value == "人␛"
    formulas = [c for s in book.worksheets for row in s.iter_rows() for c in row]
    assert not [c.coordinate for c in formulas if c.data_type == "f"]


def test_board_csv_with_control_characters_answers_200(api: Any, plan_id: str) -> None:
    answer = api.get(f"/api/v1/plans/{plan_id}/board.csv", "hospital_editor")
    assert answer.status_code == 200, answer.text
    (_, row) = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert row[2] == "任务␛[2J␋=1+1" and row[3] == "人␛"


def test_calendar_and_history_with_control_characters_answer_200(api: Any, plan_id: str) -> None:
    ics = api.get(f"/api/v1/plans/{plan_id}/calendar.ics", "hospital_editor")
    assert ics.status_code == 200, ics.text
    (event,) = Calendar.from_ical(ics.content).walk("VEVENT")
    assert str(event["SUMMARY"]) == "【截止】任务␛[2J␋=1+1"
    history = api.get(f"/api/v1/plans/{plan_id}/history.jsonl", "hospital_auditor")
    assert history.status_code == 200
    # JSON escapes control characters: the audit file keeps the exact text.
    titles = [json.loads(line).get("title") for line in history.text.splitlines()]
    assert TITLE in titles and "\x1b" not in history.text
