"""Import a plan document: upload for a preview, then upload again to confirm.

Both steps are the same upload; the second creates the plan (all or nothing) and
importing the same document twice returns the first plan, so a confirm that
is retried after a network failure cannot create a copy.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status

from planlog.auth.caller import MANAGE, Caller
from planlog.http.api.schemas import PROBLEMS
from planlog.http.deps import ServicesDep, role_caller
from planlog.importer.limits import MAX_DOCUMENT_BYTES
from planlog.service.importing import import_upload

router = APIRouter(prefix="/api/v1/imports", tags=["import"])
Manager = Annotated[Caller, Depends(role_caller(MANAGE, "import plans"))]

#: The largest real plan documents are a few hundred KB; every door takes the same.
MAX_UPLOAD = MAX_DOCUMENT_BYTES


def _run(
    svc: Any,
    who: Caller,
    upload: UploadFile,
    org: str,
    year: int,
    title: str | None,
    dry_run: bool,
) -> dict[str, Any]:
    who.require_own_org(org)
    data = upload.file.read(MAX_UPLOAD + 1)
    return import_upload(
        svc.app,
        data,
        upload.filename,
        org=org,
        year=year,
        actor=who.actor,
        title=title,
        dry_run=dry_run,
    )


@router.post("/preview", responses=PROBLEMS)
def preview(
    svc: ServicesDep,
    who: Manager,
    file: Annotated[UploadFile, File(description=".txt .md .docx .xlsx .yaml plan document")],
    org: Annotated[str, Form(min_length=1, max_length=200)],
    year: Annotated[int, Form(ge=2000, le=2100)],
    title: Annotated[str | None, Form(max_length=200)] = None,
) -> dict[str, Any]:
    """What the document would create: sections, items, 时限 read as dates, targets."""
    return _run(svc, who, file, org, year, title, dry_run=True)


@router.post("", status_code=status.HTTP_201_CREATED, responses=PROBLEMS)
def confirm(
    svc: ServicesDep,
    who: Manager,
    response: Response,
    file: Annotated[UploadFile, File()],
    org: Annotated[str, Form(min_length=1, max_length=200)],
    year: Annotated[int, Form(ge=2000, le=2100)],
    title: Annotated[str | None, Form(max_length=200)] = None,
) -> dict[str, Any]:
    """Create the plan from the document (200 with the first plan if already imported)."""
    result = _run(svc, who, file, org, year, title, dry_run=False)
    if result["already_imported"]:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/api/v1/plans/{result['plan_id']}"
    return result
