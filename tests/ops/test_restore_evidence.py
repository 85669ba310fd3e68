"""Restore checks the evidence files: each one against the hash it is named by while it
is extracted, the archive's members against the layout planlog writes, and every file
the restored log references against its hash once the store is settled."""

from __future__ import annotations

import io
import tarfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests import evidence_files as files
from tests.ops.conftest import Cli

from planlog.ops.copy import read_digest
from planlog.service.app import NewItem, PlanlogApp
from planlog.service.commands import AttachEvidence
from planlog.service.evidence import EvidenceStore, inspect_file
from planlog.service.store import parse_database_url


@pytest.fixture
def source(tmp_path: Path, cli: Cli) -> dict[str, Any]:
    """A SQLite store with one attached PDF (kept beside it), backed up."""
    url = f"sqlite:///{tmp_path / 'source.db'}"
    kept = EvidenceStore(tmp_path / "source-evidence")
    data = files.pdf()
    app = PlanlogApp(url)
    try:
        plan = app.create_plan(org="市总工会", year=2026, title="2026年工作计划", actor="chair")
        item = app.add_item(plan.id, NewItem(title="女工活动", dues=[date(2026, 6, 30)]), actor="c")
        ref = inspect_file(data, "总结.pdf")
        kept.put(data)
        app.handle(AttachEvidence(item_id=item.id, actor="王五", file=ref))
    finally:
        app.close()
    file = tmp_path / "b.tar.gz"
    cli("backup", str(file), db=url)
    return {"url": url, "file": file, "sha": ref.sha256, "data": data, "kept": kept}


@pytest.fixture
def target(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EvidenceStore:
    """The restored store's evidence directory (set once the backup is taken)."""
    monkeypatch.setenv("PLANLOG_EVIDENCE_DIR", str(tmp_path / "restored-evidence"))
    return EvidenceStore(tmp_path / "restored-evidence")


def _rewrite(file: Path, out: Path, change: Any) -> Path:
    """A copy of the backup with `change(name, bytes)` applied to each member's data
    (None drops it), and `extra` members added by `change.extra(tar)`."""
    with tarfile.open(file, "r:gz") as original, tarfile.open(out, "w:gz") as copy:
        for member in original.getmembers():
            handle = original.extractfile(member)
            data = change(member.name, handle.read() if handle else b"")
            if data is not None:
                info = tarfile.TarInfo(member.name)
                info.size = len(data)
                copy.addfile(info, io.BytesIO(data))
        getattr(change, "extra", lambda tar: None)(copy)
    return out


def _events(url: str) -> int:
    PlanlogApp(url).close()  # a store the restore never opened has no log table yet
    return read_digest(parse_database_url(url)).events


def test_restore_puts_the_evidence_back_and_verifies_it(
    cli: Cli, source: dict[str, Any], target: EvidenceStore, store_url: str
) -> None:
    restored = cli("restore", str(source["file"]), "--db", store_url, "--json")
    assert restored["evidence"] == {"files": 1, "verified": True}
    assert target.read(source["sha"]) == source["data"]


def test_restore_replaces_an_altered_file_already_in_the_target_directory(
    cli: Cli, source: dict[str, Any], target: EvidenceStore, store_url: str
) -> None:
    planted = target.path_of(source["sha"])
    planted.parent.mkdir(parents=True)
    planted.write_bytes(b"%PDF-1.4 something else")
    restored = cli("restore", str(source["file"]), "--db", store_url, "--json")
    assert restored["evidence"] == {"files": 1, "verified": True}
    assert planted.read_bytes() == source["data"]


def test_an_evidence_file_that_does_not_match_its_name_refuses_the_backup(
    cli: Cli, source: dict[str, Any], target: EvidenceStore, store_url: str, tmp_path: Path
) -> None:
    def tamper(name: str, data: bytes) -> bytes:
        return data + b"tampered" if name.startswith("evidence/") else data

    bad = _rewrite(source["file"], tmp_path / "bad.tar.gz", tamper)
    output = cli("restore", str(bad), "--db", store_url, expect_exit=1)
    assert "does not have that hash" in output
    assert _events(store_url) == 0 and not target.has(source["sha"])


@pytest.mark.parametrize(
    "name, kind",
    [
        ("../escaped", tarfile.REGTYPE),
        ("/tmp/planlog-absolute", tarfile.REGTYPE),
        ("evidence/../../escaped", tarfile.REGTYPE),
        ("evidence/ab/" + "ab" * 32, tarfile.SYMTYPE),
        ("evidence/ab", tarfile.DIRTYPE),
    ],
    ids=["climbs", "absolute", "climbs-from-evidence", "symlink", "directory"],
)
def test_a_member_outside_the_backup_layout_refuses_the_backup(
    cli: Cli,
    source: dict[str, Any],
    target: EvidenceStore,
    store_url: str,
    tmp_path: Path,
    name: str,
    kind: bytes,
) -> None:
    def extra(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo(name)
        info.type = kind
        if kind == tarfile.SYMTYPE:
            info.linkname = "/etc/passwd"
        payload = b"x" if kind == tarfile.REGTYPE else b""
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))

    def keep(_: str, data: bytes) -> bytes:
        return data

    keep.extra = extra  # type: ignore[attr-defined]
    bad = _rewrite(source["file"], tmp_path / "bad.tar.gz", keep)
    output = cli("restore", str(bad), "--db", store_url, expect_exit=1)
    assert "never writes" in output
    assert _events(store_url) == 0 and not target.root.exists()
    assert not (tmp_path / "escaped").exists()


def test_restore_reports_a_referenced_file_the_backup_lacks(
    cli: Cli, source: dict[str, Any], target: EvidenceStore, store_url: str, tmp_path: Path
) -> None:
    def drop(name: str, data: bytes) -> bytes | None:
        return None if name.startswith("evidence/") else data

    lacking = _rewrite(source["file"], tmp_path / "lacking.tar.gz", drop)
    restored = cli("restore", str(lacking), "--db", store_url, "--json", expect_exit=1)
    assert restored["evidence"] == {"files": 0, "verified": False}
