"""Evidence over the API, on both stores: upload to an item (recorded in its history),
download only where an item holding the file is visible, refusals that keep nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from tests import evidence_files as files


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "evidence"
    monkeypatch.setenv("PLANLOG_EVIDENCE_DIR", str(folder))
    return folder


def head(api: Any) -> int:
    return int(api.services.app.recorder.max_notification_id() or 0)


def upload(
    api: Any, item_id: str, data: bytes, name: str, who: str = "hospital_editor", **form: str
) -> Any:
    return api.post(
        f"/api/v1/items/{item_id}/evidence",
        who,
        files={"file": (name, data, "image/jpeg")},
        data=form,
    )


def test_an_upload_answers_hash_size_and_type_and_is_in_the_history(api: Any) -> None:
    item_id = api.new_item(api.new_plan())
    data = files.jpeg()
    answer = upload(api, item_id, data, "活动照片.jpg", occurrence="2026-06-30", note="现场")
    assert answer.status_code == 201, answer.text
    sha = hashlib.sha256(data).hexdigest()
    assert answer.json() == {"sha256": sha, "size": len(data), "content_type": "image/jpeg"}
    listed = api.get(f"/api/v1/items/{item_id}", "hospital_auditor").json()["evidence_files"]
    assert [(f["sha256"], f["name"], f["occurrence"]) for f in listed] == [
        (sha, "活动照片.jpg", "2026-06-30")
    ]
    history = api.get(f"/api/v1/items/{item_id}/history", "hospital_auditor").json()
    last = history[-1]
    assert last["type"] == "EvidenceAttached" and last["occurrence"] == "2026-06-30"
    assert last["file"] == {
        "sha256": sha,
        "size": len(data),
        "content_type": "image/jpeg",
        "name": "活动照片.jpg",
    }


def test_a_download_gives_the_file_under_its_name_never_as_a_page(api: Any) -> None:
    item_id = api.new_item(api.new_plan())
    data = files.pdf()
    sha = upload(api, item_id, data, "总结 <报告>.pdf").json()["sha256"]
    got = api.get(f"/api/v1/evidence/{sha}", "hospital_auditor")
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "<" not in disposition
    assert "filename*=UTF-8''%E6%80%BB%E7%BB%93%20%3C%E6%8A%A5%E5%91%8A%3E.pdf" in disposition


def test_a_file_is_not_found_outside_the_items_organisation(api: Any) -> None:
    item_id = api.new_item(api.new_plan())
    sha = upload(api, item_id, files.png(), "a.png").json()["sha256"]
    unknown = "0" * 64
    assert api.get(f"/api/v1/evidence/{sha}", "city_chair").status_code == 200  # above it
    other = api.get(f"/api/v1/evidence/{sha}", "other_chair")
    nowhere = api.get(f"/api/v1/evidence/{unknown}", "other_chair")
    assert other.status_code == nowhere.status_code == 404
    assert other.json()["detail"].replace(sha, "H") == nowhere.json()["detail"].replace(
        unknown, "H"
    )
    assert api.get("/api/v1/evidence/not-a-hash", "hospital_chair").status_code == 404


def test_uploading_needs_the_report_role_and_the_items_scope(api: Any) -> None:
    item_id = api.new_item(api.new_plan())
    before = head(api)
    assert upload(api, item_id, files.jpeg(), "a.jpg", who="hospital_auditor").status_code == 403
    assert upload(api, item_id, files.jpeg(), "a.jpg", who="other_chair").status_code == 404
    assert head(api) == before


@pytest.mark.parametrize(
    ("data", "name", "problem"),
    [
        (files.exe(), "photo.jpg", "unsupported_type"),
        (files.html(), "page.jpg", "unsupported_type"),
        (files.plain_zip(), "report.docx", "unsupported_type"),
        (files.png_bomb(), "bomb.png", "picture_too_large"),
        (b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), "big.jpg", "too_large"),
    ],
    ids=["exe_named_jpg", "html", "zip_not_docx", "png_bomb", "too_big"],
)
def test_a_refused_file_is_neither_stored_nor_recorded(
    api: Any, evidence_dir: Path, data: bytes, name: str, problem: str
) -> None:
    item_id = api.new_item(api.new_plan())
    before = head(api)
    answer = upload(api, item_id, data, name)
    assert answer.status_code == 422, answer.text
    assert answer.json()["problem"] == problem
    assert "佐证文件" in answer.json()["detail"] and "evidence file" in answer.json()["detail"]
    assert head(api) == before
    assert not evidence_dir.exists() or not any(p.is_file() for p in evidence_dir.rglob("*"))


def test_a_note_alone_is_accepted_as_progress(api: Any) -> None:
    item_id = api.new_item(api.new_plan())
    answer = api.post(
        f"/api/v1/items/{item_id}/progress", "hospital_editor", json={"note": "已筹备"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["occurrences"][0]["note"] == "已筹备"


def test_a_progress_report_may_name_files_uploaded_before(api: Any) -> None:
    item_id = api.new_item(api.new_plan())
    sha = upload(api, item_id, files.xlsx(), "签到表.xlsx").json()["sha256"]
    answer = api.post(
        f"/api/v1/items/{item_id}/progress",
        "hospital_editor",
        json={"note": "附签到表", "evidence_sha256": [sha]},
    )
    assert answer.status_code == 200, answer.text
    history = api.get(f"/api/v1/items/{item_id}/history", "hospital_chair").json()
    assert [h["type"] for h in history[-2:]] == ["ProgressReported", "EvidenceAttached"]
    assert history[-1]["occurrence"] == "2026-06-30" and history[-1]["file"]["sha256"] == sha
    stranger = api.post(
        f"/api/v1/items/{item_id}/progress",
        "hospital_editor",
        json={"note": "x", "evidence_sha256": ["1" * 64]},
    )
    assert stranger.status_code == 422 and stranger.json()["rule"] == "evidence_attached"


def test_the_api_verify_reports_an_altered_evidence_file(api: Any, evidence_dir: Path) -> None:
    item_id = api.new_item(api.new_plan())
    sha = upload(api, item_id, files.jpeg(), "a.jpg").json()["sha256"]
    assert api.get("/api/v1/audit/verify", "city_chair").json()["ok"] is True
    kept = evidence_dir / sha[:2] / sha
    kept.chmod(0o644)
    kept.write_bytes(files.jpeg(color="blue"))
    report = api.get("/api/v1/audit/verify", "city_chair").json()
    assert report["ok"] is False
    assert report["evidence"]["problems"][0]["code"] == "altered"
    assert report["evidence"]["problems"][0]["items"] == [item_id]


def _kept(evidence_dir: Path) -> list[Path]:
    """The evidence files kept (thumbnails and unfinished uploads aside)."""
    if not evidence_dir.exists():
        return []
    return [p for p in evidence_dir.rglob("*") if p.is_file() and len(p.name) == 64]


def test_an_upload_the_item_refuses_leaves_no_file_behind(api: Any, evidence_dir: Path) -> None:
    item_id = api.new_item(api.new_plan())
    before = head(api)
    # a valid picture, for a due date the item does not have: the attach is refused
    answer = upload(api, item_id, files.jpeg(color="navy"), "现场.jpg", occurrence="2020-02-02")
    assert 400 <= answer.status_code < 500 and answer.status_code != 404, answer.text
    assert head(api) == before
    assert _kept(evidence_dir) == []


def test_a_refused_upload_keeps_the_same_file_another_item_holds(
    api: Any, evidence_dir: Path
) -> None:
    plan = api.new_plan()
    first, second = api.new_item(plan), api.new_item(plan)
    photo = files.jpeg(color="olive")
    assert upload(api, first, photo, "现场.jpg").status_code == 201
    refused = upload(api, second, photo, "现场.jpg", occurrence="2020-02-02")
    assert refused.status_code != 201
    assert [p.name for p in _kept(evidence_dir)] == [hashlib.sha256(photo).hexdigest()]
    download = api.get(f"/api/v1/evidence/{hashlib.sha256(photo).hexdigest()}", "hospital_editor")
    assert download.status_code == 200 and download.content == photo
