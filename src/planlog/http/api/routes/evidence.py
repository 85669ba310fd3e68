"""Evidence files: upload one to an item (recorded in its history), download one by hash."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile

from planlog.auth.caller import READ, REPORT, Caller
from planlog.domain.errors import PlanlogError
from planlog.domain.evidence import EVIDENCE_MAX_BYTES, too_large
from planlog.domain.values import TYPED_NOTE_MAX
from planlog.http.api.schemas import PROBLEMS, WRITE_PROBLEMS
from planlog.http.deps import ServicesDep, role_caller
from planlog.http.downloads import evidence_download
from planlog.projections.evidence import items_holding
from planlog.service import commands
from planlog.service.evidence import inspect_file

router = APIRouter(prefix="/api/v1", tags=["evidence"])

Reporter = Annotated[Caller, Depends(role_caller(REPORT, "attach evidence to items"))]
Reader = Annotated[Caller, Depends(role_caller(READ, "download evidence"))]


def read_upload(upload: UploadFile) -> bytes:
    """The uploaded bytes, refused (nothing kept) once past EVIDENCE_MAX_BYTES."""
    data = upload.file.read(EVIDENCE_MAX_BYTES + 1)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise too_large(len(data))
    return data


def forget_unrecorded(svc: Any, sha256: str) -> None:
    """Delete a just-stored file if no attachment (read model, caught up) holds it."""
    with svc.fresh().connect() as conn:
        held = bool(items_holding(conn, sha256))
    if not held:
        svc.evidence.discard(sha256)


@router.post("/items/{item_id}/evidence", status_code=201, responses=WRITE_PROBLEMS)
def upload_evidence(
    item_id: UUID,
    svc: ServicesDep,
    who: Reporter,
    file: Annotated[UploadFile, File(description="A photo (JPEG/PNG/WebP), PDF, .docx or .xlsx")],
    occurrence: Annotated[date | None, Form(description="Due date it proves")] = None,
    note: Annotated[str | None, Form(max_length=TYPED_NOTE_MAX)] = None,
) -> dict[str, Any]:
    """Keep an evidence file with the item: its type is read from its content, its
    SHA-256 is recorded in the item's history (and so in the audit chain)."""
    who.item(svc.app, item_id)  # 404 outside the caller's organisations
    data = read_upload(file)  # a sync route: the hashing and writing run off the event loop
    ref = inspect_file(data, file.filename)  # refused here: nothing stored, nothing recorded
    new = not svc.evidence.has(ref.sha256)
    svc.evidence.put(data)
    try:
        svc.app.handle(
            commands.AttachEvidence(
                item_id=item_id,
                actor=who.actor,
                file=ref,
                occurrence=occurrence.isoformat() if occurrence else None,
                note=note,
            )
        )
    except PlanlogError:
        # The item refused it: a file this upload brought and no event records goes.
        if new:
            forget_unrecorded(svc, ref.sha256)
        raise
    return {"sha256": ref.sha256, "size": ref.size, "content_type": ref.content_type}


@router.get("/evidence/{sha256}", responses=PROBLEMS, response_class=Response)
def download_evidence(sha256: str, svc: ServicesDep, who: Reader) -> Response:
    """The file, under its original name, if an item the caller can see holds it."""
    return evidence_download(svc, who, sha256)
