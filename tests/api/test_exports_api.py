"""Exports over HTTP: CSV, XLSX, JSON Lines, ICS, and revocable calendar feeds."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from icalendar import Calendar
from openpyxl import load_workbook


def test_plan_calendar_ics_has_one_event_per_open_occurrence(api: Any) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id, responsible="工会女工")
    api.post(
        f"/api/v1/items/{item_id}/complete", "hospital_editor", json={"occurrence": "2026-06-30"}
    )
    answer = api.get(f"/api/v1/plans/{plan_id}/calendar.ics", "hospital_auditor")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(answer.content).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{item_id}-2026-12-31@planlog"]


def test_board_csv_and_xlsx_downloads(api: Any) -> None:
    plan_id = api.new_plan()
    api.new_item(plan_id, responsible="工会女工")
    as_csv = api.get(f"/api/v1/plans/{plan_id}/board.csv", "hospital_editor")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][2] == "工作任务" and len(rows) == 3
    as_xlsx = api.get(f"/api/v1/plans/{plan_id}/board.xlsx", "hospital_editor")
    book = load_workbook(io.BytesIO(as_xlsx.content))
    assert "工作进度" in book.sheetnames
    assert "attachment" in as_xlsx.headers["content-disposition"]


def test_history_jsonl_ends_with_the_audit_chain_head(api: Any) -> None:
    plan_id = api.new_plan()
    item_id = api.new_item(plan_id)
    api.post(f"/api/v1/items/{item_id}/complete", "hospital_editor", json={})
    answer = api.get(f"/api/v1/plans/{plan_id}/history.jsonl", "hospital_auditor")
    lines = [json.loads(line) for line in answer.text.splitlines()]
    assert [e.get("type") for e in lines[:-1]][-1] == "OccurrenceCompleted"
    assert set(lines[-1]["chain_head"]) == {"position", "hash"}


def test_a_calendar_feed_works_without_a_bearer_token_until_revoked(api: Any) -> None:
    plan_id = api.new_plan()
    api.new_item(plan_id, responsible="工会女工")
    made = api.post(
        "/api/v1/feeds", "hospital_chair", json={"kind": "person", "target": "工会女工"}
    )
    assert made.status_code == 201
    path = made.json()["url"].split("testserver", 1)[1]
    feed = api.client.get(path)
    assert feed.status_code == 200
    assert len(Calendar.from_ical(feed.content).walk("VEVENT")) == 2
    deleted = api.client.delete(
        f"/api/v1/feeds/{made.json()['id']}", headers=api.headers("hospital_chair")
    )
    assert deleted.status_code == 204
    assert api.client.get(path).status_code == 404


def test_a_feed_never_shows_another_federations_deadlines(api: Any) -> None:
    mine = api.new_plan()
    api.new_item(mine, responsible="李四")
    theirs = api.new_plan("other_chair", org="外市总工会")
    api.new_item(theirs, who="other_chair", responsible="李四")
    made = api.post("/api/v1/feeds", "hospital_chair", json={"kind": "person", "target": "李四"})
    feed = api.client.get(made.json()["url"].split("testserver", 1)[1])
    assert len(Calendar.from_ical(feed.content).walk("VEVENT")) == 2  # only the hospital's


def test_audit_verify_endpoint_reports_an_intact_chain(api: Any) -> None:
    plan_id = api.new_plan()
    api.new_item(plan_id)
    # the whole log is for a top-level organisation's chair or auditor (test_audit_scope.py)
    report = api.get("/api/v1/audit/verify", "city_chair").json()
    assert report["ok"] is True and report["first_bad"] is None and report["checked"] > 0
    assert api.get("/api/v1/audit/verify", "hospital_editor").status_code == 403
    head = api.get("/api/v1/audit/head", "city_chair").json()["head"]
    proof = api.get(
        "/api/v1/audit/prove",
        "city_chair",
        params={"position": head["position"], "hash": head["hash"]},
    ).json()
    assert proof["unchanged"] is True
