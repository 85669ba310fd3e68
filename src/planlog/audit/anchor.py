"""Anchors: the chain's head, signed, kept outside the database.

Someone who can rewrite the database can alter the log and chain it again from the start
(or cut its tail off) so that `verify` passes. An anchor pins the chain's head outside the
database: `write_anchor` (`planlog audit anchor`, daily from the scheduler) verifies the
chain, then appends its head (position, hash, event count, time) signed with Ed25519 to
``anchors.jsonl`` in an anchor directory. `check_anchors` (`planlog audit prove --anchor`)
recomputes the chain from the log alone at every anchored position: a truncated log, a
history altered and re-chained, or an anchor whose signature does not hold is a failure.

The key pair is made on first use in the anchor directory (the private key readable by
its owner only). The public key is printed and written beside it: an auditor keeps a copy,
and copies of the anchors file, where the database's administrators cannot reach them.
The check trusts the key the auditor pins (`--key`, or `PLANLOG_ANCHOR_PUBLIC_KEY`): the
key file beside the anchors proves nothing against whoever can replace that directory, so
a check without a pinned key still runs but says that the key was not pinned.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict, cast

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from filelock import FileLock
from sqlalchemy import Engine

from planlog.domain.errors import PlanlogError
from planlog.projections.chain import PROBLEMS_ZH as CHAIN_PROBLEMS_ZH
from planlog.projections.chain import (
    SCHEMES,
    ChainHead,
    ChainProjection,
    head,
    layout,
    log_links,
    verify,
)
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp
from planlog.service.store import StoreSettings

log = logging.getLogger(__name__)

ANCHOR_DIR_ENV = "PLANLOG_ANCHOR_DIR"
#: the auditor's pinned public key: the "ed25519:…" text, or a file holding it or a PEM
PUBLIC_KEY_ENV = "PLANLOG_ANCHOR_PUBLIC_KEY"
ANCHORS = "anchors.jsonl"
PRIVATE_KEY = "anchor-key.pem"
PUBLIC_KEY = "anchor-key.pub.pem"
FORMAT = 1
#: signed before the record, so that an anchor's signature means nothing anywhere else
_CONTEXT = b"planlog-anchor/1\n"
_KEY_PREFIX = "ed25519:"


class Anchor(TypedDict):
    anchor: int  # format version
    position: int
    hash: str
    scheme: int  # the hash scheme of the chain's head link (earlier links may differ)
    events: int  # events chained up to `position`
    anchored_at: str
    store: str  # which database, for the reader (not checked: a file may move)
    key: str  # the public key that signed it, "ed25519:" + base64
    signature: str  # base64


# ------------------------------------------------------------------ where and with what


def default_anchor_dir(store: StoreSettings) -> Path:
    """`PLANLOG_ANCHOR_DIR`, else `planlog-anchors/` beside a SQLite file, else in the
    current directory."""
    configured = os.environ.get(ANCHOR_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    if store.kind == "sqlite" and store.sqlite_path is not None:
        return store.sqlite_path.resolve().parent / "planlog-anchors"
    return Path.cwd() / "planlog-anchors"


def anchor_dir_warning(store: StoreSettings) -> str | None:
    """What a worker says at start when its anchors would land in the current directory
    (no `PLANLOG_ANCHOR_DIR`, and no SQLite file to keep them beside), else None."""
    if os.environ.get(ANCHOR_DIR_ENV, "").strip():
        return None
    if store.kind == "sqlite" and store.sqlite_path is not None:
        return None
    where = default_anchor_dir(store)
    return (
        f"未设置 {ANCHOR_DIR_ENV}：每日审计锚点将写入当前目录下的 {where}；请将其设为数据库"
        f"管理员无法写入的存储 / {ANCHOR_DIR_ENV} is not set: the daily audit anchors go to "
        f"{where}, under the current directory; set it to storage the database "
        "administrators cannot write"
    )


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _KEY_PREFIX + base64.b64encode(raw).decode()


def _lock(directory: Path) -> FileLock:
    return FileLock(str(directory / ".anchors.lock"), timeout=30)


def signing_key(directory: Path) -> Ed25519PrivateKey:
    """The anchor directory's private key; the key pair is made on first use."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    private = directory / PRIVATE_KEY
    with _lock(directory):
        if not private.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # created with its mode, never world-readable for an instant
            fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
            public = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            (directory / PUBLIC_KEY).write_bytes(public)
            return key
    if os.name == "posix" and private.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PlanlogError(
            f"锚定私钥权限过宽 / the anchor private key {private} can be read by others "
            f"(mode {stat.S_IMODE(private.stat().st_mode):o}): chmod 600 it"
        )
    try:
        loaded = serialization.load_pem_private_key(private.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # not PEM, or a password on it
        loaded = None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise PlanlogError(
            f"锚定私钥无效 / {private} is not an Ed25519 private key (or it is protected by a "
            "password)"
        )
    return loaded


def _key_from_text(text: str) -> Ed25519PublicKey | None:
    try:
        raw = base64.b64decode(text[len(_KEY_PREFIX) :], validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, binascii.Error):
        return None


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A public key kept by an auditor: the PEM file, or the "ed25519:…" text printed."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PlanlogError(
            f"无法读取公钥 / cannot read the public key {path}: {error.strerror}"
        ) from None
    text = data.decode("utf-8", "replace").strip()
    key: object
    if text.startswith(_KEY_PREFIX):
        key = _key_from_text(text)
    else:
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm):
            key = None
    if not isinstance(key, Ed25519PublicKey):
        raise PlanlogError(f"公钥无效 / {path} is not an Ed25519 public key")
    return key


def parse_public_key(value: str) -> Ed25519PublicKey:
    """A pinned key as given: the "ed25519:…" text itself, or a file holding it or a PEM."""
    text = value.strip()
    if not text.startswith(_KEY_PREFIX):
        return load_public_key(Path(text).expanduser())
    key = _key_from_text(text)
    if key is None:
        raise PlanlogError(
            f"公钥无效 / {text[:60]!r} is not an Ed25519 public key (ed25519: and the 32-byte "
            "key in base64)"
        )
    return key


def pinned_public_key(value: str | None = None) -> Ed25519PublicKey | None:
    """The key the auditor pinned: `value` (--key), else `PLANLOG_ANCHOR_PUBLIC_KEY`, else
    None (not pinned)."""
    chosen = value if value is not None else os.environ.get(PUBLIC_KEY_ENV, "")
    if not chosen.strip():
        if value is not None:
            raise PlanlogError("公钥为空 / the public key given is empty")
        return None
    return parse_public_key(chosen)


def _message(record: Mapping[str, Any]) -> bytes:
    fields = {k: v for k, v in record.items() if k != "signature"}
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _CONTEXT + canonical.encode()


# ------------------------------------------------------------------ writing


def write_anchor(
    app: PlanlogApp, directory: Path | str | None = None, *, engine: Engine | None = None
) -> Anchor | None:
    """Verify the chain and append its head, signed, to the anchor directory's file.

    For a daily job: `write_anchor(app, None, engine=runner.engine)` (the directory from
    `default_anchor_dir`). Without an engine the chain is caught up by a runner of its own.
    None when the chain is empty. A chain that does not verify is refused: anchoring it
    would vouch for the tampering.
    """
    where = Path(directory) if directory is not None else default_anchor_dir(app.store)
    if engine is None:
        runner = ReadModelRunner(app, [ChainProjection()])
        try:
            runner.catch_up()
            report = verify(app, runner.engine)
            schemes = layout(runner.engine)
        finally:
            runner.close()
    else:
        report = verify(app, engine)
        schemes = layout(engine)
    if report.first_bad is not None:
        bad = report.first_bad
        raise PlanlogError(
            f"审计链不完整，拒绝锚定：事件 #{bad['position']} {CHAIN_PROBLEMS_ZH[bad['code']]} / "
            "the audit chain does not verify, so it is not anchored: "
            f"event #{bad['position']}: {bad['problem']}",
            position=bad["position"],
            problem=bad["code"],
        )
    if report.head is None:
        return None
    key = signing_key(where)
    record: dict[str, Any] = {
        "anchor": FORMAT,
        "position": report.head["position"],
        "hash": report.head["hash"],
        "scheme": schemes.schemes()(report.head["position"]),
        "events": report.checked,
        "anchored_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "store": app.store.display,
        "key": public_key_text(key.public_key()),
    }
    record["signature"] = base64.b64encode(key.sign(_message(record))).decode()
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _lock(where), open(where / ANCHORS, "a", encoding="utf-8") as out:
        out.write(line)
        out.flush()
        os.fsync(out.fileno())
    return cast(Anchor, record)


# ------------------------------------------------------------------ reading


def read_anchors(path: Path) -> list[tuple[int, dict[str, Any] | None]]:
    """Each non-empty line of an anchors file as (line number, record or None if it is not
    an anchor)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise PlanlogError(
            f"无法读取锚点文件 / cannot read the anchors file {path}: {error.strerror}"
        ) from None
    found: list[tuple[int, dict[str, Any] | None]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            found.append((number, _parse(line)))
    return found


_FIELDS = {"anchor": int, "position": int, "hash": str, "scheme": int, "events": int}
_TEXT = ("anchored_at", "store", "key", "signature")


def _parse(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    for name, kind in _FIELDS.items():
        if type(record.get(name)) is not kind:
            return None
    if any(not isinstance(record.get(name), str) for name in _TEXT):
        return None
    return record


def latest_anchor(directory: Path) -> dict[str, Any] | None:
    """The last anchor written in this directory, if any (its signature is not checked
    here: whoever reads it checks it against the key they kept). A directory or file that
    cannot be read is a `PlanlogError`."""
    path = directory / ANCHORS
    try:
        if not path.exists():
            return None
    except OSError as error:  # e.g. a directory its reader may not enter
        raise PlanlogError(
            f"无法读取锚点文件 / cannot read the anchors file {path}: {error.strerror}"
        ) from None
    records = [record for _, record in read_anchors(path) if record is not None]
    return records[-1] if records else None


def _export_anchor(store: StoreSettings) -> dict[str, Any] | None:
    """The latest anchor for an export, or None (with a warning in the log) when the file
    cannot be read or its last line is not an anchor: an export must not fail over it,
    and must not pass off an older anchor as the latest."""
    try:
        path = default_anchor_dir(store) / ANCHORS  # the current directory may be gone
        if not path.exists():
            return None
        lines = read_anchors(path)
    except (OSError, PlanlogError) as error:
        log.warning("exporting without the audit anchor: %s", error)
        return None
    if not lines:
        return None
    number, record = lines[-1]
    if record is None:
        log.warning("exporting without the audit anchor: %s:%d is not an anchor", path, number)
    return record


def export_head(app: PlanlogApp, engine: Engine) -> dict[str, Any] | None:
    """The chain head that exports carry, with the latest anchor when there is one (an
    anchor file that cannot be read is left out, and logged; the export goes on)."""
    top: ChainHead | None = head(engine)
    if top is None:
        return None
    found: dict[str, Any] = dict(top)
    anchor = _export_anchor(app.store)
    if anchor is not None:
        found["anchor"] = {
            k: anchor[k] for k in ("position", "hash", "anchored_at", "key", "signature")
        }
    return found


# ------------------------------------------------------------------ checking

TRUNCATED, RECHAINED = "truncated", "rechained"
BAD_SIGNATURE, OTHER_KEY, MALFORMED = "bad_signature", "other_key", "malformed"
PROBLEMS = {
    TRUNCATED: "history truncated below the anchored position",
    RECHAINED: "history up to the anchored position changed since it was anchored",
    BAD_SIGNATURE: "signature does not match the anchor (the anchor was altered)",
    OTHER_KEY: "signed by another key than the one trusted",
    MALFORMED: "not an anchor",
}
#: the same in Chinese, for the doors that show a problem to people
PROBLEMS_ZH = {
    TRUNCATED: "历史在锚点之前被截断",
    RECHAINED: "锚点之前的历史已被改动并重新入链",
    BAD_SIGNATURE: "锚点签名不符（锚点被改动）",
    OTHER_KEY: "锚点由另一把密钥签名",
    MALFORMED: "不是锚点记录",
}


class BadAnchor(TypedDict):
    line: int
    position: int | None
    hash: str | None
    code: str
    problem: str
    detail: str | None


@dataclass(frozen=True)
class AnchorReport:
    ok: bool
    file: str
    key: str  # the public key the anchors were checked against
    checked: int  # anchors that hold
    failed: int
    first_bad: BadAnchor | None  # the first failing anchor in the file
    #: False: checked against the key file beside the anchors, which whoever can replace
    #: that directory replaces too; the auditor pins the key kept (--key, or the env)
    key_pinned: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "file": self.file,
            "key": self.key,
            "key_pinned": self.key_pinned,
            "checked": self.checked,
            "failed": self.failed,
            "first_bad": dict(self.first_bad) if self.first_bad else None,
        }


def _bad(line: int, record: dict[str, Any] | None, code: str, detail: str | None) -> BadAnchor:
    return {
        "line": line,
        "position": record["position"] if record else None,
        "hash": record["hash"] if record else None,
        "code": code,
        "problem": PROBLEMS[code],
        "detail": detail,
    }


def _signed(record: dict[str, Any], key: Ed25519PublicKey) -> bool:
    try:
        key.verify(base64.b64decode(record["signature"], validate=True), _message(record))
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True


def check_anchors(
    app: PlanlogApp, engine: Engine, path: Path, *, public_key: Ed25519PublicKey | None = None
) -> AnchorReport:
    """Does the log still hold, unchanged, the history at every anchor of `path`?

    Checked against `public_key` (the auditor's pinned copy, see `pinned_public_key`),
    else the public key beside the file, and then the report says the key was not pinned.
    Recomputed from the log alone: the `audit_chain` table only has to reach each anchor
    (a chain cut below an anchor is a truncation too), and says which scheme each
    position was chained with (`Layout`: a store that changed schemes mid-way keeps its
    older anchors).
    """
    trusted = public_key or load_public_key(path.parent / PUBLIC_KEY)
    trusted_text = public_key_text(trusted)
    lines = read_anchors(path)
    if not lines:
        raise PlanlogError(f"锚点文件为空 / the anchors file {path} holds no anchor")
    failures: dict[int, BadAnchor] = {}
    wanted: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for number, record in lines:
        if record is None or record["scheme"] not in SCHEMES or record["position"] < 1:
            failures[number] = _bad(number, record, MALFORMED, None)
        elif record["key"] != trusted_text:
            failures[number] = _bad(number, record, OTHER_KEY, f"signed by {record['key']}")
        elif not _signed(record, trusted):
            failures[number] = _bad(number, record, BAD_SIGNATURE, None)
        else:
            wanted.setdefault(record["position"], []).append((number, record))
    if wanted:
        _against_log(app, engine, wanted, failures)
    first = failures[min(failures)] if failures else None
    return AnchorReport(
        ok=not failures,
        file=str(path),
        key=trusted_text,
        checked=len(lines) - len(failures),
        failed=len(failures),
        first_bad=first,
        key_pinned=public_key is not None,
    )


def _against_log(
    app: PlanlogApp,
    engine: Engine,
    wanted: dict[int, list[tuple[int, dict[str, Any]]]],
    failures: dict[int, BadAnchor],
) -> None:
    top = head(engine)
    chain_end = top["position"] if top else 0
    log_end = int(app.recorder.max_notification_id() or 0)
    found: dict[int, str] = {}
    for position, digest in log_links(app, max(wanted), schemes=layout(engine)):
        if position in wanted:
            found[position] = digest.hex()
    for position, anchored in wanted.items():
        for number, record in anchored:
            if log_end < position:
                detail = f"the log ends at #{log_end}"
                failures[number] = _bad(number, record, TRUNCATED, detail)
            elif chain_end < position:
                detail = f"the audit chain ends at #{chain_end}"
                failures[number] = _bad(number, record, TRUNCATED, detail)
            elif found.get(position) != record["hash"]:
                detail = (
                    f"the log now gives {found[position]} at #{position}"
                    if position in found
                    else f"event #{position} is no longer in the log"
                )
                failures[number] = _bad(number, record, RECHAINED, detail)
