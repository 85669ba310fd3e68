"""`planlog audit …`: verify the hash chain over the event log, show its head, prove a kept
head, anchor the head outside the database."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from planlog.audit.anchor import (
    ANCHORS,
    PUBLIC_KEY,
    PUBLIC_KEY_ENV,
    AnchorReport,
    BadAnchor,
    check_anchors,
    default_anchor_dir,
    pinned_public_key,
    write_anchor,
)
from planlog.audit.anchor import PROBLEMS_ZH as ANCHOR_PROBLEMS_ZH
from planlog.audit.evidence import EvidenceReport, verify_evidence
from planlog.cli.common import JsonOption, emit_json, err_console, guarded, out_console, state
from planlog.cli.render import literal
from planlog.domain.errors import PlanlogError
from planlog.projections.chain import (
    PROBLEMS_ZH,
    BadEvent,
    head,
    still_contains,
    verify,
)
from planlog.service.evidence import EvidenceStore

audit_cli = typer.Typer(
    help="审计链 Audit chain: show that the recorded history was not altered.",
    no_args_is_help=True,
)

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_AGGREGATES = {
    "PlanItem": "item",
    "Plan": "plan",
    "Organisation": "org",
    "PlanRegistry": "registry",
    "ImportedDocument": "document",
}

AnchorOption = typer.Option(
    "--anchor", help="An anchors file (anchors.jsonl): check the log against every anchor."
)
KeyOption = typer.Option(
    "--key",
    help="Pin the public key kept by the auditor: the ed25519:… text, or a file holding it "
    f"or a PEM. Default: ${PUBLIC_KEY_ENV}, else {PUBLIC_KEY} beside the anchors file "
    "(not pinned: whoever can replace that directory passes, and the report says so).",
    show_default=False,
)


def describe(bad: BadEvent) -> str:
    """One line naming the first event that breaks the chain."""
    what = ""
    if bad["type"] is not None:
        kind = bad["type"].partition(".")[0]
        noun = _AGGREGATES.get(kind, kind.lower())
        what = f" ({bad['type']}, {noun} {bad['aggregate_id']}, version {bad['version']})"
    detail = f": {bad['detail']}" if bad.get("detail") else ""
    return (
        f"事件 #{bad['position']}{what} 与审计链不符：{PROBLEMS_ZH.get(bad['code'], bad['code'])}"
        f" / does not match the audit chain: {bad['problem']}{detail}"
    )


def describe_anchor(bad: BadAnchor, file: str) -> str:
    """One line naming the first anchor the log no longer holds."""
    where = f" #{bad['position']} {str(bad['hash'])[:12]}…" if bad["position"] else ""
    detail = f": {bad['detail']}" if bad["detail"] else ""
    zh = ANCHOR_PROBLEMS_ZH.get(bad["code"], bad["code"])
    return (
        f"锚点 {file}:{bad['line']}{where} 不成立：{zh} / anchor does not hold: "
        f"{bad['problem']}{detail}"
    )


def _anchors(ctx: typer.Context, file: Path, key: str | None) -> AnchorReport:
    st = state(ctx)
    trusted = pinned_public_key(key)
    return check_anchors(st.app(), st.read_models(), file, public_key=trusted)


def _print_anchors(report: AnchorReport) -> None:
    if not report.key_pinned:
        err_console.print(
            literal(
                f"警告：未固定公钥，锚点仅按锚点文件旁的 {PUBLIC_KEY} 校验，能替换该目录的人即可"
                f"通过；请用 --key 或 {PUBLIC_KEY_ENV} 指定审计人员保存的公钥 / warning: the "
                f"public key was not pinned: the anchors were checked against {PUBLIC_KEY} "
                "beside the file, which whoever can replace that directory replaces too; pin "
                f"the key you kept with --key FILE_OR_ed25519:… or {PUBLIC_KEY_ENV}",
                "yellow",
            ),
            soft_wrap=True,
        )
    if report.first_bad is not None:
        err_console.print(
            literal(describe_anchor(report.first_bad, report.file), "bold red"), soft_wrap=True
        )
    else:
        out_console.print(
            literal(
                f"锚点全部成立：{report.file} 中 {report.checked} 个锚点 / every anchor holds: "
                f"{report.checked} anchors in {report.file}"
            ),
            soft_wrap=True,
        )


@audit_cli.command("verify")
@guarded
def verify_command(
    ctx: typer.Context,
    anchor: Annotated[Path | None, AnchorOption] = None,
    key: Annotated[str | None, KeyOption] = None,
    json_out: bool = JsonOption,
) -> None:
    """Recompute the chain from the log; exit 1 naming the first event that does not match
    (and, with --anchor, the first anchor the log no longer holds)."""
    st = state(ctx)
    engine = st.read_models()  # chain every event recorded so far before checking
    report = verify(st.app(), engine)
    anchors = _anchors(ctx, anchor, key) if anchor is not None else None
    files = verify_evidence(st.app(), EvidenceStore.of(st.app().store))
    ok = report.ok and (anchors is None or anchors.ok) and files.ok
    if json_out:
        result: dict[str, Any] = report.to_dict()
        if anchors is not None:
            result["anchors"] = anchors.to_dict()
        result["ok"] = ok
        result["evidence"] = files.to_dict()
        emit_json(result)
    else:
        if report.first_bad is not None:
            # An altered log may hold anything, in the event type as much as in a title.
            err_console.print(literal(describe(report.first_bad), "bold red"), soft_wrap=True)
        else:
            top, later, after = report.head, report.unchained, report.times_checked_after
            zh = f"审计链完整：{report.checked} 个事件"
            en = f"audit chain intact: {report.checked} events"
            if top:
                zh += f"，链头 #{top['position']} {top['hash'][:12]}…"
                en += f", head #{top['position']} {top['hash'][:12]}…"
            if later:
                zh += f"，另有 {later} 个尚未入链"
                en += f", {later} not yet chained"
            if after:  # an upgraded store: its older history predates the time check
                zh += f"；记录时间自 #{after} 之后检查（此前的历史早于该检查）"
                en += f"; recorded times checked after #{after} (the history before predates it)"
            out_console.print(f"{zh} / {en}", soft_wrap=True)
        if anchors is not None:
            _print_anchors(anchors)
        _print_evidence(files)
    if not ok:
        raise typer.Exit(1)


def _print_evidence(files: EvidenceReport) -> None:
    for problem in files.problems:  # names come from uploads: print them as text
        err_console.print(literal(problem.describe(), "bold red"), soft_wrap=True)
    if files.ok and files.checked:  # a log without evidence files says nothing of them
        out_console.print(
            f"佐证文件完好：{files.checked} 个 / evidence files intact: {files.checked}",
            soft_wrap=True,
        )


@audit_cli.command("head")
@guarded
def head_command(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """The last chained event and its hash: keep both to prove this history later."""
    top = head(state(ctx).read_models())
    if json_out:
        emit_json(dict(top) if top else None)
    elif top is None:
        out_console.print("审计链为空 / the audit chain is empty")
    else:
        out_console.print(
            f"审计链头 / audit chain head: #{top['position']} {top['hash']}", soft_wrap=True
        )


@audit_cli.command("prove")
@guarded
def prove_command(
    ctx: typer.Context,
    position: Annotated[
        int | None, typer.Argument(help="Position of a head kept earlier.", show_default=False)
    ] = None,
    hash: Annotated[
        str | None, typer.Argument(help="Its hash (64 hex digits).", show_default=False)
    ] = None,
    anchor: Annotated[Path | None, AnchorOption] = None,
    key: Annotated[str | None, KeyOption] = None,
    json_out: bool = JsonOption,
) -> None:
    """Exit 0 if the log still holds, unchanged, the history up to a head kept earlier
    (POSITION HASH), or up to every anchor of an anchors file (--anchor FILE)."""
    if anchor is not None:
        if position is not None or hash is not None:
            raise PlanlogError(
                "请只给出保存的链头（POSITION HASH）或锚点文件（--anchor FILE）之一 / give "
                "either POSITION HASH or --anchor FILE, not both"
            )
        report = _anchors(ctx, anchor, key)
        if json_out:
            emit_json(report.to_dict())
        else:
            _print_anchors(report)
        if not report.ok:
            raise typer.Exit(1)
        return
    if position is None or hash is None:
        raise PlanlogError(
            "请给出保存的链头（POSITION HASH）或锚点文件（--anchor FILE） / give a kept head "
            "(POSITION HASH) or an anchors file (--anchor FILE)"
        )
    digest = hash.strip().lower()
    if not _HEX64.match(digest):
        raise PlanlogError(
            f"{hash!r} 不是链哈希（应为 64 位十六进制数字） / {hash!r} is not a chain hash "
            "(64 hex digits)"
        )
    st = state(ctx)
    contained = still_contains(st.app(), st.read_models(), position, digest)
    if json_out:
        emit_json({"position": position, "hash": digest, "contained": contained})
    elif contained:
        out_console.print(
            f"日志仍包含该历史 / the log still contains the history up to #{position}",
            soft_wrap=True,
        )
    else:
        err_console.print(
            f"[bold red]日志不再包含该历史 / the log no longer contains the history up to "
            f"#{position} {digest[:12]}…: it was altered (or that head never existed)[/]",
            soft_wrap=True,
        )
    if not contained:
        raise typer.Exit(1)


@audit_cli.command("anchor")
@guarded
def anchor_command(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Anchor directory (default: $PLANLOG_ANCHOR_DIR, else planlog-anchors/ "
            "beside a SQLite file, else in the current directory).",
        ),
    ] = None,
    json_out: bool = JsonOption,
) -> None:
    """Verify the chain, then append its head, signed (Ed25519), to the anchors file kept
    outside the database. Run it daily; keep the public key and copies of the file."""
    st = state(ctx)
    where = directory if directory is not None else default_anchor_dir(st.app().store)
    record = write_anchor(st.app(), where, engine=st.read_models())
    key_text = record["key"] if record is not None else None
    if json_out:
        emit_json(
            {
                "anchor": dict(record) if record is not None else None,
                "file": str(where / ANCHORS),
                "public_key": key_text,
                "public_key_file": str(where / PUBLIC_KEY) if record is not None else None,
            }
        )
    elif record is None:
        out_console.print("审计链为空，未锚定 / the audit chain is empty: nothing anchored")
    else:
        out_console.print(
            literal(
                f"已锚定 / anchored: #{record['position']} {record['hash']} "
                f"({record['events']} events) → {where / ANCHORS}"
            ),
            soft_wrap=True,
        )
        out_console.print(
            literal(
                f"公钥 / public key: {key_text} ({where / PUBLIC_KEY}); 请审计人员另行保存，并用"
                "它校验 / an auditor keeps a copy, and checks with it pinned: "
                f"`planlog audit prove --anchor {where / ANCHORS} --key {key_text}` "
                f"(or ${PUBLIC_KEY_ENV})"
            ),
            soft_wrap=True,
        )
