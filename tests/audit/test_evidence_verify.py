"""`planlog audit verify` checks the evidence files against the hashes in the log."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete
from tests import evidence_files as files
from typer.testing import CliRunner

from planlog.audit.evidence import verify_evidence
from planlog.cli import app as cli
from planlog.projections.evidence import evidence_refs
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import AttachEvidence
from planlog.service.evidence import EvidenceStore, inspect_file


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EvidenceStore:
    monkeypatch.setenv("PLANLOG_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return EvidenceStore(tmp_path / "evidence")


def attach(app: PlanlogApp, store: EvidenceStore, data: bytes, name: str) -> tuple[str, str]:
    plan = app.create_plan(org="市总工会", year=2026, title="2026年工作计划", actor="chair")
    item = app.add_item(plan.id, NewItem(title="女工活动", dues=[date(2026, 6, 30)]), actor="chair")
    ref = inspect_file(data, name)
    store.put(data)
    app.handle(AttachEvidence(item_id=item.id, actor="王五", file=ref))
    return ref.sha256, str(item.id)


def verify(store_url: str, expect_exit: int) -> dict:
    result = CliRunner().invoke(cli, ["--db", store_url, "audit", "verify", "--json"])
    assert result.exit_code == expect_exit, result.output
    return json.loads(result.stdout)


def test_intact_evidence_files_pass(app: PlanlogApp, store: EvidenceStore, store_url: str) -> None:
    attach(app, store, files.jpeg(), "照片.jpg")
    report = verify(store_url, 0)
    assert report["ok"] and report["evidence"] == {"ok": True, "checked": 1, "problems": []}


def test_an_altered_evidence_file_fails_verify_naming_it_and_its_item(
    app: PlanlogApp, store: EvidenceStore, store_url: str
) -> None:
    sha, item_id = attach(app, store, files.jpeg(), "照片.jpg")
    path = store.path_of(sha)
    os.chmod(path, 0o644)
    path.write_bytes(files.jpeg(color="blue"))  # someone replaced the photo on disk
    report = verify(store_url, 1)
    (problem,) = report["evidence"]["problems"]
    assert problem["code"] == "altered" and problem["sha256"] == sha
    assert problem["names"] == ["照片.jpg"] and problem["items"] == [item_id]
    text = CliRunner().invoke(cli, ["--db", store_url, "audit", "verify"])
    assert text.exit_code == 1
    assert (
        "照片.jpg" in text.output and item_id in text.output and "文件内容与哈希不符" in text.output
    )


def test_a_missing_evidence_file_fails_verify(
    app: PlanlogApp, store: EvidenceStore, store_url: str
) -> None:
    sha, item_id = attach(app, store, files.pdf(), "总结.pdf")
    store.path_of(sha).unlink()
    (problem,) = verify(store_url, 1)["evidence"]["problems"]
    assert (problem["code"], problem["names"], problem["items"]) == (
        "missing",
        ["总结.pdf"],
        [item_id],
    )


def test_verify_evidence_is_a_function_of_the_log_and_the_store(
    app: PlanlogApp, store: EvidenceStore
) -> None:
    sha, _ = attach(app, store, files.png(), "a.png")
    assert verify_evidence(app, store).ok  # no read model projected at all
    store.path_of(sha).unlink()
    assert [p.code for p in verify_evidence(app, store).problems] == ["missing"]


def test_deleting_the_read_models_references_does_not_hide_an_altered_file(
    app: PlanlogApp, store: EvidenceStore, store_url: str
) -> None:
    sha, item_id = attach(app, store, files.jpeg(), "照片.jpg")
    runner = ReadModelRunner(app)
    try:
        runner.catch_up()
        with runner.engine.begin() as conn:
            conn.execute(delete(evidence_refs))  # someone with database access hides it
    finally:
        runner.close()
    path = store.path_of(sha)
    os.chmod(path, 0o644)
    path.write_bytes(files.jpeg(color="blue"))
    (problem,) = verify(store_url, 1)["evidence"]["problems"]
    assert (problem["code"], problem["sha256"], problem["items"]) == ("altered", sha, [item_id])
