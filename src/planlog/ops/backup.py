"""`planlog backup` / `planlog restore`: the whole event log (and the stored evidence
files) in one compressed file, and back into an empty store.

The file is a tar archive compressed with gzip:

- `manifest.json`: format, when, from which kind of store, the number of events, the
  last position, the chain head recomputed from the log, the schemes the chain was
  written with (`chain`: `Layout` ranges, so that the restored chain keeps its links and
  head on either kind of store; a backup without it was chained under scheme 2), the
  digest of the rows (`copy.Digest`), the evidence files;
- `events.jsonl`: one event a line — position, originator id, version, topic and the
  stored bytes in base64 (byte for byte: the audit chain hashes them);
- `state.jsonl`: what the log cannot rebuild (`planlog.ops.carry`): settings,
  credentials and the outboxes' delivery state, one `{"table", "row"}` a line;
- `evidence/<sha256[:2]>/<sha256>`: the evidence files, when the store has a directory.

The events are read from one snapshot while the server keeps running (`copy.snapshot`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from uuid import UUID

from sqlalchemy import Column, Integer, MetaData, String, Table, select

from planlog.audit.evidence import EvidenceReport, verify_evidence
from planlog.config import Settings
from planlog.domain.errors import PlanlogError
from planlog.ops.carry import read_rows, write_rows
from planlog.ops.copy import BATCH, CopyMismatch, Digest, Row, read_digest, snapshot, write
from planlog.ops.settle import chain_layout, keep_links, log_head, prepare, settle
from planlog.projections.base import make_engine
from planlog.projections.chain import ChainHead, Layout
from planlog.service.app import PlanlogApp
from planlog.service.evidence import EvidenceStore, file_digest
from planlog.service.store import StoreSettings, parse_database_url

FORMAT = "planlog-backup"
VERSION = 1
MANIFEST, EVENTS, STATE, EVIDENCE = "manifest.json", "events.jsonl", "state.jsonl", "evidence"

#: The backups taken of this store, for `planlog doctor` (a read-model table: it says
#: nothing the log must prove, and a restored store starts without it).
ops_metadata = MetaData()
backups = Table(
    "ops_backups",
    ops_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("taken_at", String(40), nullable=False),
    Column("file", String(4096), nullable=False),
    Column("events", Integer, nullable=False),
    Column("head_position", Integer, nullable=True),
    Column("head_hash", String(64), nullable=True),
)


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BadBackup(PlanlogError):
    code = "bad_backup"


def evidence_store(store: StoreSettings, settings: Settings | None = None) -> EvidenceStore:
    """The store's evidence files, where planlog's evidence store keeps them."""
    return EvidenceStore.of(store, (settings or Settings()).evidence_dir)


def _line(row: Row) -> bytes:
    position, originator_id, version, topic, state = row
    return (
        json.dumps(
            {
                "position": position,
                "id": str(originator_id),
                "version": version,
                "topic": topic,
                "state": base64.b64encode(state).decode(),
            },
            separators=(",", ":"),
        ).encode()
        + b"\n"
    )


@dataclass(frozen=True)
class BackupResult:
    file: str
    events: int
    head: ChainHead | None
    evidence_files: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "events": self.events,
            "head": self.head,
            "evidence_files": self.evidence_files,
        }


def backup(url: str, file: Path, settings: Settings | None = None) -> BackupResult:
    store = parse_database_url(url)
    prepare(url).close()  # an empty new store still has its tables
    digest = Digest()
    schemes = chain_layout(url)  # before the snapshot: later links are under the current one
    with tempfile.TemporaryFile() as events, tempfile.TemporaryFile() as state:
        with snapshot(store) as batches:
            for rows in batches:
                events.writelines(_line(r) for r in rows)
                digest.add(rows)
        head = log_head(url, digest.last_position, schemes)
        carried = 0
        engine = make_engine(store)
        try:
            for name, row in read_rows(engine, digest.last_position):
                state.write(json.dumps({"table": name, "row": row}).encode() + b"\n")
                carried += 1
        finally:
            engine.dispose()
        kept = evidence_store(store, settings)
        files = [path for _, path in kept.iter_files()]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": {"kind": store.kind, "url": store.display},
            "events": digest.events,
            "last_position": digest.last_position,
            "digest": digest.hexdigest(),
            "head": head,
            "chain": schemes.to_list(),
            "evidence_files": len(files),
            "state_rows": carried,
        }
        partial = file.with_name(file.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            _add(tar, MANIFEST, io.BytesIO(json.dumps(manifest, indent=2).encode()))
            events.seek(0)
            _add(tar, EVENTS, events)
            _add(tar, STATE, state)
            for path in files:
                tar.add(path, arcname=f"{EVIDENCE}/{path.parent.name}/{path.name}")
        partial.replace(file)  # a half-written backup never carries the real name
    _record(store, file, digest.events, head)
    return BackupResult(str(file), digest.events, head, len(files))


def _add(tar: tarfile.TarFile, name: str, data: BinaryIO) -> None:
    data.seek(0, os.SEEK_END)
    info = tarfile.TarInfo(name)
    info.size = data.tell()
    info.mtime = int(datetime.now(UTC).timestamp())
    data.seek(0)
    tar.addfile(info, data)


def _record(store: StoreSettings, file: Path, events: int, head: ChainHead | None) -> None:
    engine = make_engine(store)
    try:
        ops_metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(
                backups.insert().values(
                    taken_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    file=str(file.resolve()),
                    events=events,
                    head_position=head["position"] if head else None,
                    head_hash=head["hash"] if head else None,
                )
            )
    finally:
        engine.dispose()


def last_backup(store: StoreSettings) -> dict[str, Any] | None:
    engine = make_engine(store)
    try:
        from sqlalchemy import inspect

        if not inspect(engine).has_table(backups.name):
            return None
        with engine.connect() as conn:
            row = conn.execute(select(backups).order_by(backups.c.id.desc()).limit(1)).first()
    finally:
        engine.dispose()
    return dict(row._mapping) if row else None


# ------------------------------------------------------------------ restore


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.extractfile(MANIFEST)
        manifest: dict[str, Any] = json.load(member) if member else {}
    except (KeyError, ValueError):
        manifest = {}
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BadBackup(
            "不是 planlog 备份文件，或版本不支持（not a planlog backup file of a version "
            f"this planlog reads: format {manifest.get('format')!r}, "
            f"version {manifest.get('version')!r}）"
        )
    return manifest


def _rows(stream: BinaryIO) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for number, line in enumerate(stream, 1):
        try:
            e = json.loads(line)
            row: Row = (
                int(e["position"]),
                UUID(e["id"]),
                int(e["version"]),
                str(e["topic"]),
                base64.b64decode(e["state"], validate=True),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise BadBackup(
                f"备份文件第 {number} 个事件无法读取（event line {number} of the backup "
                f"cannot be read: {error}）"
            ) from None
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class Restored:
    events: int
    head: ChainHead | None
    evidence_files: int
    evidence: EvidenceReport

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "head": self.head,
            "evidence_files": self.evidence_files,
            # files restored; whether every file the log references has its hash
            "evidence": {"files": self.evidence_files, "verified": self.evidence.ok},
        }


def restore(file: Path, url: str, settings: Settings | None = None) -> Restored:
    """Load a backup into an EMPTY store, project its read models, verify its chain."""
    target = parse_database_url(url)
    try:
        tar = tarfile.open(file, "r:gz")  # noqa: SIM115 (closed by the `with` below)
    except (OSError, tarfile.TarError) as error:
        raise BadBackup(
            f"无法打开备份文件 {file}（cannot open the backup {file}: {error}）"
        ) from None
    evidence = evidence_store(target, settings)
    with tar:
        manifest = _manifest(tar)
        members = _checked_members(tar)
        # the evidence first: each file is checked against its name before any event is
        # written, and a file kept by its hash is harmless should the restore stop later
        restored_files = _restore_evidence(tar, members, evidence)
        prepare(url).close()
        events = tar.extractfile(EVENTS)
        if events is None:
            raise BadBackup(f"备份文件缺少 {EVENTS}（the backup holds no {EVENTS}）")
        written = write(target, _rows(events))  # type: ignore[arg-type]
        if written.hexdigest() != manifest["digest"] or written.events != manifest["events"]:
            raise CopyMismatch(
                f"恢复的事件与备份清单不符（the restored events differ from the manifest: "
                f"{written.events} of {manifest['events']}）"
            )
        if manifest.get("state_rows") is not None:
            _restore_state(tar, target, manifest["state_rows"])
    if read_digest(target).hexdigest() != manifest["digest"]:
        raise CopyMismatch(
            "恢复后读回的日志与备份不符（the log read back differs from the backup）"
        )
    keep_links(
        url,
        _schemes(manifest).translate(manifest["source"]["kind"], target.kind),
        written.last_position,
    )
    carried = manifest.get("state_rows") is not None
    head = settle(url, delivery_carried=carried)
    kept = manifest.get("head")
    if kept and head != kept:
        raise CopyMismatch(
            f"恢复后的审计链头 {head} 与备份时的 {kept} 不同"
            f"（the restored chain head {head} differs from the backup's {kept}）"
        )
    app = PlanlogApp(url)
    try:
        report = verify_evidence(app, evidence)
    finally:
        app.close()
    return Restored(written.events, head, restored_files, report)


def _schemes(manifest: dict[str, Any]) -> Layout:
    """The schemes the backed-up chain was written with; a backup from before the manifest
    said so was chained, and its head computed, under scheme 2."""
    ranges = manifest.get("chain")
    if ranges is None:
        return Layout.uniform(2)
    try:
        return Layout((int(last), int(scheme)) for last, scheme in ranges)
    except (TypeError, ValueError):
        raise BadBackup(
            "备份清单中的审计链方案无法读取（the manifest's chain schemes cannot be read）"
        ) from None


def _state_rows(stream: BinaryIO) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, line in enumerate(stream, 1):
        try:
            entry = json.loads(line)
            yield str(entry["table"]), dict(entry["row"])
        except (ValueError, KeyError, TypeError) as error:
            raise BadBackup(
                f"备份文件第 {number} 行设置无法读取（line {number} of the backup's "
                f"{STATE} cannot be read: {error}）"
            ) from None


def _restore_state(tar: tarfile.TarFile, target: StoreSettings, expected: int) -> None:
    """Settings, credentials and delivery state, before the read models are projected
    (the outboxes then keep the carried rows)."""
    try:
        member = tar.extractfile(STATE)
    except KeyError:
        member = None
    if member is None:
        raise BadBackup(f"备份文件缺少 {STATE}（the backup holds no {STATE}）")
    engine = make_engine(target)
    try:
        written = write_rows(engine, _state_rows(member))  # type: ignore[arg-type]
    except ValueError as error:
        raise BadBackup(f"备份文件的设置无法恢复（the backup's {STATE}: {error}）") from None
    finally:
        engine.dispose()
    if written != expected:
        raise CopyMismatch(
            f"恢复的设置行数 {written} 与备份清单的 {expected} 不符"
            f"（{written} settings rows restored, the manifest lists {expected}）"
        )


def _checked_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The evidence members, once every member is known to be one planlog writes: a
    regular file named manifest.json, events.jsonl, state.jsonl or
    evidence/<sha256[:2]>/<sha256>. Anything else (a link, a device, a directory, a path
    that climbs out, an unexpected name) refuses the whole backup before anything is
    written."""
    evidence = []
    for member in tar.getmembers():
        parts = member.name.split("/")
        is_evidence = (
            len(parts) == 3
            and parts[0] == EVIDENCE
            and _SHA256.match(parts[2]) is not None
            and parts[1] == parts[2][:2]
        )
        if not member.isreg() or not (is_evidence or member.name in (MANIFEST, EVENTS, STATE)):
            raise BadBackup(
                f"备份文件含有不应有的成员 {member.name!r}（the backup holds a member planlog "
                f"never writes: {member.name!r}, type {member.type!r}）"
            )
        if is_evidence:
            evidence.append(member)
    return evidence


def _restore_evidence(
    tar: tarfile.TarFile, members: list[tarfile.TarInfo], store: EvidenceStore
) -> int:
    """Write each evidence file where the evidence store keeps it, hashing it on the way:
    a file whose bytes do not have the hash it is named by refuses the backup. A file
    already there is kept only if it has its hash too (else the backup's replaces it)."""
    for member in members:
        sha = member.name.rsplit("/", 1)[1]
        destination = store.path_of(sha)
        if destination.is_file() and file_digest(destination) == sha:
            continue
        source = tar.extractfile(member)
        if source is None:  # pragma: no cover (a regular member always has data)
            raise BadBackup(f"备份文件的 {member.name} 无法读取（cannot read {member.name}）")
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=".restore-")
        try:
            digest = hashlib.sha256()
            with os.fdopen(handle, "wb") as out:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != sha:
                raise BadBackup(
                    f"备份中的佐证文件 {sha} 内容与其哈希不符（the backup's evidence file "
                    f"{sha} does not have that hash: {digest.hexdigest()}）"
                )
            os.chmod(temporary, 0o444)  # kept evidence is never written again
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return len(members)
