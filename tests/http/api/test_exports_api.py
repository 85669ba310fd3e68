"""Exports over HTTP: CSV, XLSX, JSON Lines, ICS, and revocable calendar feeds."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from planlog.audit.anchor import ANCHORS, write_anchor


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


def _exported(api: Any, plan_id: str) -> tuple[dict[str, Any], list[str]]:
    """The last line of the history export and every cell of the board workbook."""
    history = api.get(f"/api/v1/plans/{plan_id}/history.jsonl", "hospital_auditor")
    assert history.status_code == 200, history.text
    board = api.get(f"/api/v1/plans/{plan_id}/board.xlsx", "hospital_editor")
    assert board.status_code == 200, board.text
    book = load_workbook(io.BytesIO(board.content))
    cells = [str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    return json.loads(history.text.splitlines()[-1]), cells


def test_an_unreadable_anchor_file_does_not_break_exports(
    api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every XLSX and JSON Lines export reads the anchors file: one that cannot be read, or
    whose last line is not an anchor, leaves the anchor out (logged), never the export."""
    monkeypatch.setenv("PLANLOG_ANCHOR_DIR", str(tmp_path))
    plan_id = api.new_plan()
    api.new_item(plan_id)
    written = write_anchor(api.services.app, None, engine=api.services.fresh())
    assert written is not None
    last, cells = _exported(api, plan_id)
    assert last["anchor"]["signature"] == written["signature"]
    assert any(written["signature"] in cell for cell in cells)

    file = tmp_path / ANCHORS
    with open(file, "a", encoding="utf-8") as out:
        out.write('{"position": 9, "hash": "cut off in the midd\n')
    broken: list[str] = []
    file_as_directory = (lambda: file.unlink(), lambda: file.mkdir())
    for damage in ((), file_as_directory):
        for step in damage:
            step()
        caplog.clear()
        with caplog.at_level("WARNING", logger="planlog.audit.anchor"):
            last, cells = _exported(api, plan_id)
        assert "anchor" not in last and last["chain_head"]["position"] >= written["position"]
        assert not any("审计锚点" in cell for cell in cells)
        warned = [r.getMessage() for r in caplog.records]
        assert len(warned) == 2 and all("exporting without the audit anchor" in w for w in warned)
        broken.append(warned[0])
    assert f"{ANCHORS}:2 is not an anchor" in broken[0]
    assert "cannot read the anchors file" in broken[1]
