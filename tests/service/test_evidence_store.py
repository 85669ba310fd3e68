"""The evidence store: content addressing, atomic writes, one file per content; and the
kind of a file read from its bytes, never from its name."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from tests import evidence_files as files

from planlog.domain.evidence import DOCX, EVIDENCE_MAX_BYTES, XLSX
from planlog.domain.values import InvalidValue
from planlog.service.evidence import EvidenceStore, evidence_dir, inspect_file
from planlog.service.store import parse_database_url


def test_a_file_is_kept_under_its_sha256(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    data = files.jpeg()
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.path_of(sha) == tmp_path / sha[:2] / sha
    assert store.read(sha) == data
    assert list(store.iter_files()) == [(sha, tmp_path / sha[:2] / sha)]


def test_the_same_bytes_stored_twice_are_one_file(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    first, second = store.put(files.pdf()), store.put(files.pdf())
    assert first == second
    assert len(list(tmp_path.rglob("*"))) == 2  # its folder and the one file


def test_a_write_that_fails_leaves_neither_the_file_nor_a_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EvidenceStore(tmp_path)

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.put(files.jpeg())
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_thumbnails_and_unfinished_uploads_are_not_kept_files(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    sha = store.put(files.jpeg(size=(1600, 1200)))
    thumb = store.thumbnail(sha)
    (tmp_path / sha[:2] / ".upload-x").write_bytes(b"half")
    assert [s for s, _ in store.iter_files()] == [sha]
    assert thumb[:3] == b"\xff\xd8\xff" and len(thumb) < len(store.read(sha))
    assert (tmp_path / sha[:2] / f"{sha}.thumb.jpg").read_bytes() == thumb


def test_the_evidence_directory_sits_beside_a_sqlite_store_unless_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLANLOG_EVIDENCE_DIR", raising=False)
    sqlite = parse_database_url(f"sqlite:///{tmp_path / 'union.db'}")
    assert evidence_dir(sqlite) == tmp_path / "union-evidence"
    postgres = parse_database_url("postgresql://u@127.0.0.1:5432/test")
    assert evidence_dir(postgres) == Path("planlog-evidence")
    monkeypatch.setenv("PLANLOG_EVIDENCE_DIR", str(tmp_path / "kept"))
    assert evidence_dir(sqlite) == tmp_path / "kept"


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (files.jpeg, "image/jpeg"),
        (files.png, "image/png"),
        (files.webp, "image/webp"),
        (files.pdf, "application/pdf"),
        (files.docx, DOCX),
        (files.xlsx, XLSX),
    ],
)
def test_each_accepted_kind_is_known_by_its_content(make: object, kind: str) -> None:
    assert inspect_file(make(), "renamed.bin").content_type == kind  # type: ignore[operator]


@pytest.mark.parametrize(
    ("data", "name", "problem"),
    [
        (files.exe(), "photo.jpg", "unsupported_type"),
        (files.html(), "report.pdf", "unsupported_type"),
        (files.plain_zip(), "report.docx", "unsupported_type"),
        (files.png_bomb(), "bomb.png", "picture_too_large"),
        (b"\xff\xd8\xff" + b"\0" * 100, "broken.jpg", "broken_picture"),
        (b"", "empty.jpg", "empty"),
        (files.jpeg() + b"\0" * EVIDENCE_MAX_BYTES, "big.jpg", "too_large"),
    ],
    ids=["exe_named_jpg", "html", "zip_not_docx", "png_bomb", "broken_jpeg", "empty", "too_big"],
)
def test_a_file_that_is_not_what_planlog_keeps_is_refused_by_its_content(
    data: bytes, name: str, problem: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        inspect_file(data, name)
    assert refused.value.problem == problem
    message = str(refused.value)
    assert message.index("佐证文件") < message.index("（evidence file")  # Chinese first


def test_thumbnails_are_made_a_bounded_number_at_a_time(tmp_path: Path) -> None:
    import threading

    from planlog.service import evidence

    store = EvidenceStore(tmp_path)
    sha = store.put(files.jpeg(color="green", size=(1600, 1200)))
    held = [
        evidence._thumbnailing.acquire(blocking=False) for _ in range(evidence.THUMBNAILS_AT_ONCE)
    ]
    assert all(held) and not evidence._thumbnailing.acquire(blocking=False)
    made: list[bytes] = []
    worker = threading.Thread(target=lambda: made.append(store.thumbnail(sha)))
    try:
        worker.start()
        worker.join(0.5)
        assert not made  # every turn is taken: it waits instead of decoding alongside
    finally:
        for _ in held:
            evidence._thumbnailing.release()
    worker.join(30)
    assert made and made[0][:2] == b"\xff\xd8"  # then it is made (a JPEG)


def test_a_picture_over_the_pixel_bound_gets_no_thumbnail(tmp_path: Path) -> None:
    from planlog.domain.evidence import EVIDENCE_MAX_PIXELS

    store = EvidenceStore(tmp_path)
    side = int(EVIDENCE_MAX_PIXELS**0.5) + 100
    sha = store.put(files.png_bomb(side))
    with pytest.raises(InvalidValue):
        store.thumbnail(sha)


def test_a_refused_uploads_file_is_discarded_with_its_thumbnail(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    sha = store.put(files.jpeg())
    store.thumbnail(sha)
    store.discard(sha)
    assert not store.has(sha) and list(store.iter_files()) == []
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
