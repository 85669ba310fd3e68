"""`planlog evidence add|get`: keep an evidence file with an item, take one out by hash."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from planlog.cli.common import (
    JsonOption,
    emit_json,
    guarded,
    out_console,
    parse_date,
    parse_id,
    state,
)
from planlog.cli.render import literal
from planlog.domain.errors import NotFound, PlanlogError
from planlog.domain.evidence import EVIDENCE_MAX_BYTES, checked_sha256, too_large
from planlog.projections.evidence import items_holding
from planlog.service.commands import AttachEvidence
from planlog.service.evidence import EvidenceStore, inspect_file

evidence_cli = typer.Typer(
    help="佐证材料 Evidence files: photos, PDF, Word and Excel files kept by their SHA-256.",
    no_args_is_help=True,
)


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as file:
            data = file.read(EVIDENCE_MAX_BYTES + 1)
    except OSError as error:
        raise PlanlogError(
            f"无法读取文件 {path}：{error.strerror}（cannot read {path}: {error.strerror}）"
        ) from None
    if len(data) > EVIDENCE_MAX_BYTES:
        raise too_large(path.stat().st_size)
    return data


@evidence_cli.command("add")
@guarded
def add(
    ctx: typer.Context,
    item_id: str,
    file: Annotated[Path, typer.Argument(help="The file: JPEG/PNG/WebP, PDF, .docx or .xlsx.")],
    occurrence: Annotated[
        str | None, typer.Option("--occurrence", help="Due date (YYYY-MM-DD) it proves.")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="What the file shows.")] = None,
    json_out: bool = JsonOption,
) -> None:
    """Keep FILE with the item; its type is read from its content, its hash recorded."""
    st = state(ctx)
    app = st.app()
    item = parse_id(item_id, "item id")
    day = parse_date(occurrence, "--occurrence").isoformat() if occurrence else None
    data = _read(file)
    ref = inspect_file(data, file.name)  # refused here: nothing stored, nothing recorded
    app.get_item(item)  # an unknown item is refused before the file is kept
    EvidenceStore.of(app.store).put(data)
    app.handle(AttachEvidence(item_id=item, actor=st.actor, file=ref, occurrence=day, note=note))
    result = {"sha256": ref.sha256, "size": ref.size, "content_type": ref.content_type}
    if json_out:
        emit_json(result)
    else:
        out_console.print(
            literal(f"已保存佐证材料 / evidence kept: {ref.name} {ref.sha256} ({ref.size} bytes)"),
            soft_wrap=True,
        )


@evidence_cli.command("get")
@guarded
def get(
    ctx: typer.Context,
    sha256: str,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the file here (default: standard output).")
    ] = None,
) -> None:
    """Write the file with this SHA-256 (one an item references) to --out or stdout."""
    st = state(ctx)
    sha = checked_sha256(sha256)
    with st.read_models().connect() as conn:
        if not items_holding(conn, sha):
            raise NotFound(f"没有哈希为 {sha} 的佐证文件（no evidence file {sha}）", id=sha)
    data = EvidenceStore.of(st.app().store).read(sha)
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
