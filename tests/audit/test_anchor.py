"""Anchors on real stores: the chain's head signed and kept outside the database catches what
the chain alone cannot (a truncated log, a history altered and chained again from the
start), and an anchor itself altered or signed by another key fails."""

from __future__ import annotations

import io
import json
import stat
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
from openpyxl import load_workbook
from typer.testing import CliRunner

from planlog.audit.anchor import (
    ANCHORS,
    PRIVATE_KEY,
    PUBLIC_KEY,
    PUBLIC_KEY_ENV,
    default_anchor_dir,
    export_head,
    write_anchor,
)
from planlog.cli import app as cli
from planlog.exports import board_xlsx, history_jsonl
from planlog.projections.chain import SCHEME, head
from planlog.projections.queries import board_document
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp


def run(store_url: str, *args: str, expect_exit: int = 0) -> Any:
    result = CliRunner().invoke(cli, ["--db", store_url, "audit", *args])
    assert result.exit_code == expect_exit, result.output
    return json.loads(result.stdout) if "--json" in args else result.output


def record(app: PlanlogApp, clock: Any) -> list[UUID]:
    """A plan (its id first) with three items, the last completed."""
    plan = app.create_plan(org="市总工会", year=2026, title="2026年工作计划", actor="chair")
    ids = [plan.id]
    for n in range(3):
        item = app.add_item(
            plan.id, NewItem(title=f"事项{n}", dues=[date(2026, 6, 30)]), actor="chair"
        )
        ids.append(item.id)
    clock.advance(days=10)
    app.complete(item.id, actor="工会女工", note="已报送")
    return ids


def more(app: PlanlogApp, clock: Any, ids: list[UUID]) -> None:
    clock.advance(days=1)
    app.complete(ids[1], actor="工会女工", note="已报送")


def reworded(state: bytes, **changes: Any) -> bytes:
    return orjson.dumps({**orjson.loads(state), **changes})


def anchor(store_url: str, directory: Path, expect_exit: int = 0) -> Any:
    return run(store_url, "anchor", "--dir", str(directory), "--json", expect_exit=expect_exit)


def prove(store_url: str, file: Path, *extra: str, expect_exit: int = 0) -> Any:
    return run(store_url, "prove", "--anchor", str(file), *extra, "--json", expect_exit=expect_exit)


def test_an_intact_store_is_anchored_and_proves_against_every_anchor(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path
) -> None:
    ids = record(app, clock)
    last = int(app.recorder.max_notification_id() or 0)
    made = anchor(store_url, tmp_path / "anchors")
    written = made["anchor"]
    assert (written["position"], written["events"], written["scheme"]) == (last, last, SCHEME)
    assert written["hash"] == run(store_url, "head", "--json")["hash"]
    assert made["file"] == str(tmp_path / "anchors" / ANCHORS)
    private = tmp_path / "anchors" / PRIVATE_KEY
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert made["public_key"].startswith("ed25519:") and made["public_key"] == written["key"]
    assert "BEGIN PRIVATE KEY" not in (tmp_path / "anchors" / PUBLIC_KEY).read_text()

    more(app, clock, ids)
    again = anchor(store_url, tmp_path / "anchors")["anchor"]
    assert again["position"] > last and again["key"] == written["key"]  # the same key pair
    file = tmp_path / "anchors" / ANCHORS
    assert len(file.read_text().splitlines()) == 2

    kept = tmp_path / "auditor.key"  # the printed key, as an auditor keeps it
    kept.write_text(made["public_key"] + "\n")
    for extra in ((), ("--key", str(kept)), ("--key", str(tmp_path / "anchors" / PUBLIC_KEY))):
        report = prove(store_url, file, *extra)
        assert report["ok"] is True and report["checked"] == 2 and report["first_bad"] is None
        assert report["key_pinned"] is bool(extra)
    assert "every anchor holds: 2 anchors" in run(store_url, "prove", "--anchor", str(file))
    verified = run(store_url, "verify", "--anchor", str(file), "--json")
    assert verified["ok"] is True and verified["anchors"]["checked"] == 2
    line = run(store_url, "anchor", "--dir", str(tmp_path / "anchors"))
    assert "anchored: #" in line and made["public_key"] in line


def test_a_log_truncated_after_an_anchor_fails_prove_against_it(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path, raw: Any, runner: Any
) -> None:
    record(app, clock)
    last = int(app.recorder.max_notification_id() or 0)
    anchor(store_url, tmp_path)
    for position in range(last, last - 3, -1):  # the last three events go …
        raw.delete(position)
    raw.cut_chain(runner, 0, tracked=0)  # … and the chain is made again without them
    assert run(store_url, "verify", "--json")["ok"] is True  # the chain alone cannot tell
    report = prove(store_url, tmp_path / ANCHORS, expect_exit=1)
    assert report["ok"] is False and report["failed"] == 1
    bad = report["first_bad"]
    assert (bad["line"], bad["position"], bad["code"]) == (1, last, "truncated")
    assert bad["detail"] == f"the log ends at #{last - 3}"
    assert (
        run(store_url, "verify", "--anchor", str(tmp_path / ANCHORS), "--json", expect_exit=1)["ok"]
        is False
    )
    line = run(store_url, "prove", "--anchor", str(tmp_path / ANCHORS), expect_exit=1)
    assert f"{ANCHORS}:1 #{last}" in line and "history truncated" in line


def test_a_chain_cut_below_an_anchor_fails_prove_against_it(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path, runner: Any, raw: Any
) -> None:
    record(app, clock)
    runner.catch_up()  # blocks of four links
    last = runner.head()
    anchor(store_url, tmp_path)
    raw.cut_chain(runner, 4)
    bad = prove(store_url, tmp_path / ANCHORS, expect_exit=1)["first_bad"]
    assert (bad["code"], bad["detail"]) == ("truncated", "the audit chain ends at #4")
    assert bad["position"] == last


def test_a_history_altered_and_chained_again_after_an_anchor_fails_prove_against_it(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path, raw: Any, runner: Any
) -> None:
    ids = record(app, clock)
    anchor(store_url, tmp_path)
    more(app, clock, ids)
    anchor(store_url, tmp_path)
    raw.set_state(2, reworded(raw.row(2)[3], actor="冒名者"))
    raw.cut_chain(runner, 0, tracked=0)  # the whole chain made again over the altered log
    assert run(store_url, "verify", "--json")["ok"] is True  # the chain alone cannot tell
    report = prove(store_url, tmp_path / ANCHORS, expect_exit=1)
    assert report["failed"] == 2 and report["checked"] == 0
    bad = report["first_bad"]
    assert (bad["line"], bad["code"]) == (1, "rechained")
    assert bad["detail"].startswith("the log now gives ") and bad["detail"].endswith(
        f" at #{bad['position']}"
    )


def test_an_anchor_altered_in_the_file_fails_its_signature(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path
) -> None:
    ids = record(app, clock)
    anchor(store_url, tmp_path)
    more(app, clock, ids)
    anchor(store_url, tmp_path)
    file = tmp_path / ANCHORS
    first, second = (json.loads(line) for line in file.read_text().splitlines())
    forged = {**second, "hash": "ab" * 32}  # made to agree with a log chained again
    resigned = {**first, "signature": second["signature"]}
    file.write_text(json.dumps(resigned) + "\n" + json.dumps(forged) + "\n")
    report = prove(store_url, file, expect_exit=1)
    assert report["failed"] == 2
    assert (report["first_bad"]["line"], report["first_bad"]["code"]) == (1, "bad_signature")


def test_anchors_signed_with_a_replaced_key_fail_against_the_kept_key(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path, raw: Any, runner: Any
) -> None:
    record(app, clock)
    made = anchor(store_url, tmp_path / "anchors")
    kept = tmp_path / "kept.pub"
    kept.write_text(made["public_key"])
    # the forger alters the log, chains it again, replaces the key pair and the anchors
    raw.set_state(2, reworded(raw.row(2)[3], actor="冒名者"))
    raw.cut_chain(runner, 0, tracked=0)
    for name in (ANCHORS, PRIVATE_KEY, PUBLIC_KEY):
        (tmp_path / "anchors" / name).unlink()
    forged = anchor(store_url, tmp_path / "anchors")
    assert forged["public_key"] != made["public_key"]
    file = tmp_path / "anchors" / ANCHORS
    assert prove(store_url, file)["ok"] is True  # the directory's own key vouches for it …
    bad = prove(store_url, file, "--key", str(kept), expect_exit=1)["first_bad"]
    assert bad["code"] == "other_key"  # … the auditor's kept key does not


def test_a_line_that_is_not_an_anchor_fails(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path
) -> None:
    record(app, clock)
    anchor(store_url, tmp_path)
    with open(tmp_path / ANCHORS, "a") as out:
        out.write('{"position": "7"}\n')
    report = prove(store_url, tmp_path / ANCHORS, expect_exit=1)
    assert report["checked"] == 1
    assert (report["first_bad"]["line"], report["first_bad"]["code"]) == (2, "malformed")


def test_a_chain_that_does_not_verify_is_not_anchored(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path, raw: Any
) -> None:
    record(app, clock)
    run(store_url, "verify")
    raw.set_state(3, reworded(raw.row(3)[3], actor="冒名者"))
    error = anchor(store_url, tmp_path, expect_exit=1)["error"]
    assert "does not verify" in error["message"] and error["position"] == 3
    assert not (tmp_path / ANCHORS).exists()


def test_an_empty_chain_is_not_anchored(store_url: str, app: PlanlogApp, tmp_path: Path) -> None:
    assert anchor(store_url, tmp_path)["anchor"] is None
    assert not (tmp_path / ANCHORS).exists()


def test_a_private_key_readable_by_others_is_refused(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path
) -> None:
    record(app, clock)
    anchor(store_url, tmp_path)
    (tmp_path / PRIVATE_KEY).chmod(0o644)
    error = anchor(store_url, tmp_path, expect_exit=1)["error"]
    assert "can be read by others" in error["message"] and "chmod 600" in error["message"]


def test_a_private_key_that_is_not_ed25519_is_refused_in_chinese_and_english(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path
) -> None:
    record(app, clock)
    private = tmp_path / PRIVATE_KEY
    private.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    private.chmod(0o600)
    message = anchor(store_url, tmp_path, expect_exit=1)["error"]["message"]
    assert message.startswith("锚定私钥无效") and "is not an Ed25519 private key" in message
    assert not (tmp_path / ANCHORS).exists()


def test_prove_wants_a_kept_head_or_an_anchors_file(
    store_url: str, app: PlanlogApp, tmp_path: Path
) -> None:
    wanted = run(store_url, "prove", "--json", expect_exit=1)["error"]["message"]
    assert wanted.startswith("请给出保存的链头") and "POSITION HASH" in wanted
    both = run(store_url, "prove", "1", "ab" * 32, "--anchor", "x", "--json", expect_exit=1)
    assert (
        both["error"]["message"].startswith("请只给出") and "not both" in both["error"]["message"]
    )
    not_hash = run(store_url, "prove", "1", "3f2a", "--json", expect_exit=1)["error"]["message"]
    assert not_hash.startswith("'3f2a' 不是链哈希") and "64 hex digits" in not_hash
    missing = prove(store_url, tmp_path / ANCHORS, expect_exit=1)["error"]["message"]
    assert "cannot read" in missing


def test_write_anchor_without_an_engine_catches_the_chain_up(
    app: PlanlogApp, clock: Any, tmp_path: Path
) -> None:
    record(app, clock)
    written = write_anchor(app, tmp_path)
    assert written is not None
    assert written["position"] == app.recorder.max_notification_id()


def test_the_anchor_directory_is_configured_else_beside_the_sqlite_file(
    app: PlanlogApp, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv("PLANLOG_ANCHOR_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    if app.store.kind == "sqlite":
        assert app.store.sqlite_path is not None
        beside = app.store.sqlite_path.resolve().parent / "planlog-anchors"
        assert default_anchor_dir(app.store) == beside
    else:
        assert default_anchor_dir(app.store) == tmp_path / "planlog-anchors"
    monkeypatch.setenv("PLANLOG_ANCHOR_DIR", str(tmp_path / "elsewhere"))
    assert default_anchor_dir(app.store) == tmp_path / "elsewhere"


def test_exports_carry_the_latest_anchor(
    app: PlanlogApp, clock: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PLANLOG_ANCHOR_DIR", str(tmp_path))
    plan_id = record(app, clock)[0]
    runner = ReadModelRunner(app)
    try:
        runner.catch_up()
        assert export_head(app, runner.engine) == head(runner.engine)  # no anchor yet
        written = write_anchor(app, None, engine=runner.engine)
        assert written is not None and (tmp_path / ANCHORS).exists()
        exported = export_head(app, runner.engine)
        assert exported is not None
        fields = ("position", "hash", "anchored_at", "key", "signature")
        expected = {k: dict(written)[k] for k in fields}
        assert exported["anchor"] == expected
        last = json.loads(list(history_jsonl([], chain_head=exported))[-1])
        assert last["chain_head"] == head(runner.engine) and last["anchor"] == expected
        board = board_document(app, runner.engine, plan_id)
        book = load_workbook(io.BytesIO(board_xlsx(board, chain_head=exported)))
        cells = [
            str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row
        ]
        assert any(written["signature"] in cell and "审计锚点" in cell for cell in cells)
    finally:
        runner.close()


def test_a_replaced_key_pair_fails_against_a_key_pinned_as_text_or_by_the_environment(
    store_url: str,
    app: PlanlogApp,
    clock: Any,
    tmp_path: Path,
    raw: Any,
    runner: Any,
    monkeypatch: Any,
) -> None:
    """D6: without a pinned key the check trusts the key file beside the anchors, which the
    forger replaced with the rest: it passes, and says plainly that the key was not pinned.
    Pinned (--key ed25519:…, --key FILE, or PLANLOG_ANCHOR_PUBLIC_KEY), it fails."""
    monkeypatch.delenv(PUBLIC_KEY_ENV, raising=False)
    record(app, clock)
    kept_text = anchor(store_url, tmp_path / "anchors")["public_key"]
    file = tmp_path / "anchors" / ANCHORS
    pinned = run(store_url, "prove", "--anchor", str(file), "--key", kept_text)
    assert "every anchor holds" in pinned and "not pinned" not in pinned
    raw.set_state(2, reworded(raw.row(2)[3], actor="冒名者"))
    raw.cut_chain(runner, 0, tracked=0)
    for name in (ANCHORS, PRIVATE_KEY, PUBLIC_KEY):
        (tmp_path / "anchors" / name).unlink()
    assert anchor(store_url, tmp_path / "anchors")["public_key"] != kept_text

    unpinned = prove(store_url, file)
    assert unpinned["ok"] is True and unpinned["key_pinned"] is False
    said = run(store_url, "prove", "--anchor", str(file))
    assert said.index("未固定公钥") < said.index("the public key was not pinned")
    assert "every anchor holds" in said

    bad = prove(store_url, file, "--key", kept_text, expect_exit=1)
    assert bad["key_pinned"] is True and bad["first_bad"]["code"] == "other_key"
    kept_file = tmp_path / "kept.pem"
    kept_file.write_text(kept_text + "\n")
    for pin in (kept_text, str(kept_file)):
        monkeypatch.setenv(PUBLIC_KEY_ENV, pin)
        report = prove(store_url, file, expect_exit=1)
        assert report["key_pinned"] is True and report["first_bad"]["code"] == "other_key"
        verified = run(store_url, "verify", "--anchor", str(file), "--json", expect_exit=1)
        assert verified["ok"] is False and verified["anchors"]["key_pinned"] is True


def test_a_pinned_key_that_is_not_a_key_is_refused_naming_it(
    store_url: str, app: PlanlogApp, clock: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.delenv(PUBLIC_KEY_ENV, raising=False)
    record(app, clock)
    anchor(store_url, tmp_path)
    for pin in ("ed25519:bm90IGEga2V5", "ed25519:!!", str(tmp_path / "missing.pem")):
        error = prove(store_url, tmp_path / ANCHORS, "--key", pin, expect_exit=1)["error"]
        assert error["message"].startswith(("公钥无效", "无法读取公钥")), error
    monkeypatch.setenv(PUBLIC_KEY_ENV, "ed25519:bm90IGEga2V5")
    error = prove(store_url, tmp_path / ANCHORS, expect_exit=1)["error"]
    assert error["message"].startswith("公钥无效")
