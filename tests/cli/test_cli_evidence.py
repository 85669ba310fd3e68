"""`planlog evidence add|get`: the API's JSON, the file back byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from tests import evidence_files as files


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PLANLOG_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return tmp_path / "evidence"


def new_item(planlog: Any) -> str:
    plan = planlog(
        "plan", "create", "--org", "市总工会", "--year", "2026", "--title", "计划", "--json"
    )
    item = planlog(
        "item", "add", plan["id"], "--title", "女工活动", "--due", "2026-06-30", "--json"
    )
    return str(item["id"])


def test_evidence_add_answers_what_the_api_answers(planlog: Any, tmp_path: Path) -> None:
    item_id = new_item(planlog)
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(files.jpeg())
    result = planlog(
        "evidence",
        "add",
        item_id,
        str(photo),
        "--occurrence",
        "2026-06-30",
        "--note",
        "现场",
        "--json",
    )
    assert result == {
        "sha256": hashlib.sha256(photo.read_bytes()).hexdigest(),
        "size": photo.stat().st_size,
        "content_type": "image/jpeg",
    }
    history = planlog("history", item_id, "--json")
    assert history[-1]["file"]["name"] == "现场.jpg"


def test_evidence_get_writes_the_file_back(planlog: Any, tmp_path: Path) -> None:
    item_id = new_item(planlog)
    doc = tmp_path / "总结.docx"
    doc.write_bytes(files.docx())
    sha = planlog("evidence", "add", item_id, str(doc), "--json")["sha256"]
    out = tmp_path / "copy.docx"
    planlog("evidence", "get", sha, "--out", str(out))
    assert out.read_bytes() == doc.read_bytes()
    planlog("evidence", "get", "0" * 64, "--out", str(out), expect_exit=1)


def test_evidence_add_refuses_a_program_named_like_a_photo(
    planlog: Any, tmp_path: Path, evidence_dir: Path
) -> None:
    item_id = new_item(planlog)
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(files.exe())
    refused = planlog("evidence", "add", item_id, str(fake), "--json", expect_exit=1)
    assert refused["error"]["problem"] == "unsupported_type"
    assert not evidence_dir.exists()
    assert [h["type"] for h in planlog("history", item_id, "--json")] == ["Planned"]


def test_a_note_alone_and_files_added_before_make_a_progress_report(
    planlog: Any, tmp_path: Path
) -> None:
    item_id = new_item(planlog)
    sheet = tmp_path / "签到表.xlsx"
    sheet.write_bytes(files.xlsx())
    sha = planlog("evidence", "add", item_id, str(sheet), "--json")["sha256"]
    planlog("item", "progress", item_id, "--note", "已筹备", "--json")
    shown = planlog(
        "item", "progress", item_id, "--note", "附签到表", "--evidence-sha256", sha, "--json"
    )
    assert shown["occurrences"][0]["note"] == "附签到表"
    assert [f["occurrence"] for f in shown["evidence_files"]] == [None, "2026-06-30"]
