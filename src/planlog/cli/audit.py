"""`planlog audit …`: verify the hash chain over the event log, show its head, prove a kept head."""

from __future__ import annotations

import re
from typing import Annotated

import typer

from planlog.audit.chain import ALTERED, INSERTED, MISSING, BadEvent, head, still_contains, verify
from planlog.cli.common import JsonOption, emit_json, err_console, guarded, out_console, state
from planlog.domain.errors import PlanlogError
from planlog.render import literal

audit_cli = typer.Typer(
    help="审计链 Audit chain: show that the recorded history was not altered.",
    no_args_is_help=True,
)

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ZH = {ALTERED: "内容被改动", MISSING: "事件已从日志中删除", INSERTED: "事件被插入已入链的范围"}
_AGGREGATES = {
    "PlanItem": "item",
    "Plan": "plan",
    "Organisation": "org",
    "PlanRegistry": "registry",
}


def describe(bad: BadEvent) -> str:
    """One line naming the first event that breaks the chain."""
    what = ""
    if bad["type"] is not None:
        kind = bad["type"].partition(".")[0]
        noun = _AGGREGATES.get(kind, kind.lower())
        what = f" ({bad['type']}, {noun} {bad['aggregate_id']}, version {bad['version']})"
    return (
        f"事件 #{bad['position']}{what} 与审计链不符 / does not match the audit chain: "
        f"{bad['problem']} ({_ZH.get(bad['code'], bad['code'])})"
    )


@audit_cli.command("verify")
@guarded
def verify_command(ctx: typer.Context, json_out: bool = JsonOption) -> None:
    """Recompute the chain from the log; exit 1 naming the first event that does not match."""
    st = state(ctx)
    engine = st.read_models()  # chain every event recorded so far before checking
    report = verify(st.app(), engine)
    if json_out:
        emit_json(report.to_dict())
    elif report.first_bad is not None:
        # An altered log may hold anything, in the event type as much as in a title.
        err_console.print(literal(describe(report.first_bad), "bold red"), soft_wrap=True)
    else:
        top = report.head
        where = f", head #{top['position']} {top['hash'][:12]}…" if top else ""
        later = f", {report.unchained} not yet chained" if report.unchained else ""
        out_console.print(
            f"审计链完整 / audit chain intact: {report.checked} events{where}{later}",
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(1)


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
    position: Annotated[int, typer.Argument(help="Position of a head kept earlier.")],
    hash: Annotated[str, typer.Argument(help="Its hash (64 hex digits).")],
    json_out: bool = JsonOption,
) -> None:
    """Exit 0 if the log still holds, unchanged, the history up to a head kept earlier."""
    digest = hash.strip().lower()
    if not _HEX64.match(digest):
        raise PlanlogError(f"{hash!r} is not a chain hash (64 hex digits)")
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
