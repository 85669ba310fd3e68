"""Import a plan from the browser: paste or upload, review (edit) the preview, confirm.

The preview and the confirmation go the API's way (planlog.service.importing.import_upload:
same scope check, same file types and size limit, same all-or-nothing creation), so
the web adds no rule of its own. The previewed document travels back in the confirmation
form (base64), so what is confirmed is exactly what was previewed, and the same
document confirmed twice gives the same plan.

The preview is editable (issue 14): each row's title, section, 时限 and responsible
person, and a "drop" box, travel with the document as `row_*` fields; "update the
preview" reads them again and "confirm" imports them through the same path
(planlog.service.importing.review_import, then the same ImportPlan command), so the
plan is what the last preview showed and still carries the document's fingerprint.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from planlog.auth.caller import MANAGE, Caller
from planlog.domain.errors import PlanlogError
from planlog.domain.values import NAME_MAX, TYPED_DEADLINE_MAX, TYPED_ITEM_TITLE_MAX
from planlog.http.deps import Services, ServicesDep
from planlog.http.web.items import form_text
from planlog.http.web.pages import WebRoute, explain, form_status, page
from planlog.http.web.session import SessionDep, WebSession, language
from planlog.http.web.text import tr
from planlog.importer import ImportedPlan
from planlog.service.importing import (
    ReviewedRow,
    import_document,
    import_upload,
    read_upload,
    review_import,
)

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
#: The previewed document returns in the confirmation form as base64 (4/3 larger), and a
#: form field may hold at most 1 MB (FastAPI's form parsing limit). Real plans are a few
#: hundred KB; larger files go through the API or the CLI, which take 5 MB.
MAX_WEB_UPLOAD = 700 * 1024
PASTED_NAME = "粘贴的计划.txt"


class ImportFormError(PlanlogError):
    code = "invalid_form"


def _orgs(who: Caller) -> list[str]:
    return sorted(who.scope)


def _form_page(
    request: Request,
    session: WebSession,
    svc: Services,
    values: dict[str, Any],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "orgs": _orgs(session.caller),
        "values": {"org": session.principal.org, "year": svc.app.today().year, **values},
        "error": error,
        "tab": "import",
    }
    return page(request, "import.html", context, session=session, status_code=status_code)


@router.get("/import")
def import_form(request: Request, svc: ServicesDep, session: SessionDep) -> Response:
    session.caller.require(MANAGE, "import plans")
    return _form_page(request, session, svc, {})


def _year(value: str, lang: str) -> int:
    if not value.strip().isdigit() or not 2000 <= int(value) <= 2100:
        raise ImportFormError(tr("bad_input", lang) + f" {tr('year', lang)} 2000–2100")
    return int(value)


def _import(
    svc: Services,
    who: Caller,
    data: bytes,
    name: str,
    org: str,
    year: int,
    title: str,
    *,
    dry_run: bool,
    rows: list[ReviewedRow] | None = None,
) -> tuple[dict[str, Any], tuple[list[int], ImportedPlan] | None]:
    """The upload's one path; with reviewed `rows`, the document as the chair corrected
    it (read as the upload is, then `review_import`). Returns the result and, for a
    review, the document indices of the rows it kept (in the result's order) and the
    document as read (a dropped row still shows its number and line)."""
    who.require_own_org(org.strip())
    if rows is not None:
        imported, document = read_upload(data, name, year)
        reviewed, kept = review_import(imported, rows, year)
        result = import_document(
            svc.app,
            reviewed,
            org=org.strip(),
            year=year,
            actor=who.actor,
            title=title.strip() or None,
            document=document,
            dry_run=dry_run,
            register_org=False,  # as import_upload: an upload never registers one
        )
        return result, (kept, imported)
    return import_upload(
        svc.app,
        data,
        name,
        org=org,
        year=year,
        actor=who.actor,
        title=title.strip() or None,
        dry_run=dry_run,
    ), None


@dataclass(frozen=True)
class PostedRows:
    """The review table's columns as the form posts them, one list per field."""

    index: list[str]
    titles: list[str]
    sections: list[str]
    deadlines: list[str]
    responsible: list[str]
    drop: list[str]


def _posted_rows(
    row: FormList = [],  # noqa: B006 - FastAPI copies form defaults
    row_title: FormList = [],  # noqa: B006
    row_section: FormList = [],  # noqa: B006
    row_deadline: FormList = [],  # noqa: B006
    row_responsible: FormList = [],  # noqa: B006
    row_drop: FormList = [],  # noqa: B006
) -> PostedRows:
    return PostedRows(row, row_title, row_section, row_deadline, row_responsible, row_drop)


#: The review table of a preview or a confirmation (checked in `_rows`, in the page's
#: language, so a refusal re-renders the form).
PostedRowsDep = Annotated[PostedRows, Depends(_posted_rows)]


def _rows(posted: PostedRows, lang: str) -> list[ReviewedRow] | None:
    """The preview's rows as posted (None when the form carries none: the plain flow)."""
    index = posted.index
    if not index:
        return None
    columns = (posted.titles, posted.sections, posted.deadlines, posted.responsible)
    if any(len(c) != len(index) for c in columns) or not all(i.isdigit() for i in index):
        raise ImportFormError(tr("bad_input", lang))
    dropped = set(posted.drop)

    def typed(value: str, limit: int) -> str:
        # The same limits as the item forms: a forged row is refused, not stored.
        return form_text(value, limit, lang) or ""

    return [
        ReviewedRow(
            index=int(i),
            title=typed(t, TYPED_ITEM_TITLE_MAX),
            section=typed(s, NAME_MAX),
            deadline_text=typed(d, TYPED_DEADLINE_MAX),
            responsible=typed(r, NAME_MAX),
            drop=i in dropped,
        )
        for i, t, s, d, r in zip(index, *columns, strict=True)
    ]


def _payload(payload: str, lang: str) -> bytes:
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ImportFormError(tr("need_document", lang)) from None
    if not data:
        raise ImportFormError(tr("need_document", lang))
    return data


def _review_rows(
    result: dict[str, Any],
    review: tuple[list[int], ImportedPlan] | None,
    rows: list[ReviewedRow] | None,
) -> list[dict[str, Any]]:
    """The preview's table: every row of the document in order, each kept one with its
    reading (what will be imported) and each dropped one as the chair left it."""
    items = result["items"]
    if review is None:
        return [{**item, "index": i, "dropped": False} for i, item in enumerate(items)]
    kept, document = review
    shown = {
        index: {**item, "index": index, "dropped": False}
        for index, item in zip(kept, items, strict=True)
    }
    for row in rows or []:
        # review_import ignores an index the document has not (a forged form): so does this
        if row.drop and row.index < len(document.items):
            shown[row.index] = {
                "index": row.index,
                "dropped": True,
                "number": document.items[row.index].number,
                "source_line": document.items[row.index].source_line,
                "title": row.title,
                "section": row.section,
                "deadline_text": row.deadline_text,
                "responsible": row.responsible,
                "flags": [],
                "warnings": [],
                "occurrences": [],
                "targets": [],
            }
    return [shown[i] for i in sorted(shown)]


def _document(text: str, file: UploadFile | None, lang: str) -> tuple[bytes, str]:
    """The uploaded file if one was chosen, else the pasted text."""
    if file is not None and file.filename:
        data = file.file.read(MAX_WEB_UPLOAD + 1)
        if data:
            if len(data) > MAX_WEB_UPLOAD:
                raise ImportFormError(tr("file_too_large", lang, kb=MAX_WEB_UPLOAD // 1024))
            return data, file.filename
    if text.strip():
        return text.encode("utf-8"), PASTED_NAME
    raise ImportFormError(tr("need_document", lang))


@router.post("/import/preview")
def preview(
    request: Request,
    svc: ServicesDep,
    session: SessionDep,
    posted: PostedRowsDep,
    csrf: FormText = "",
    org: FormText = "",
    year: FormText = "",
    title: FormText = "",
    text: FormText = "",
    file: Annotated[UploadFile | None, File()] = None,
    filename: FormText = "",
    payload: FormText = "",
) -> Response:
    session.check_csrf(csrf)
    who = session.caller
    who.require(MANAGE, "import plans")
    lang = language(request)
    values = {"org": org, "year": year, "title": title, "text": text}
    try:
        if payload:
            # "Update the preview": the document already read, with the rows as edited.
            data, name = _payload(payload, lang), filename or PASTED_NAME
        else:
            data, name = _document(text, file, lang)
        rows = _rows(posted, lang)
        result, review = _import(
            svc, who, data, name, org, _year(year, lang), title, dry_run=True, rows=rows
        )
    except PlanlogError as refused:
        return _form_page(
            request,
            session,
            svc,
            values,
            error=explain(refused, lang),
            status_code=form_status(refused),
        )
    context = {
        "result": result,
        "rows": _review_rows(result, review, rows),
        "values": values,
        "filename": name,
        "payload": base64.b64encode(data).decode("ascii"),
        "tab": "import",
    }
    return page(request, "import_preview.html", context, session=session)


@router.post("/import")
def confirm(
    request: Request,
    svc: ServicesDep,
    session: SessionDep,
    posted: PostedRowsDep,
    csrf: FormText = "",
    org: FormText = "",
    year: FormText = "",
    title: FormText = "",
    filename: FormText = "",
    payload: FormText = "",
) -> Response:
    session.check_csrf(csrf)
    who = session.caller
    who.require(MANAGE, "import plans")
    lang = language(request)
    values = {"org": org, "year": year, "title": title}
    try:
        data = _payload(payload, lang)
        name = filename or PASTED_NAME
        rows = _rows(posted, lang)
        result, _review = _import(
            svc, who, data, name, org, _year(year, lang), title, dry_run=False, rows=rows
        )
    except PlanlogError as refused:
        return _form_page(
            request,
            session,
            svc,
            values,
            error=explain(refused, lang),
            status_code=form_status(refused),
        )
    flag = "again" if result["already_imported"] else "new"
    return RedirectResponse(f"/plans/{result['plan_id']}?imported={flag}", status_code=303)
