"""Import a plan from the browser: paste or upload, preview, confirm.

The preview and the confirmation go the API's way (planlog.service.importing.import_upload:
same scope check, same file types and size limit, same all-or-nothing creation), so
the web adds no rule of its own. The previewed document travels back in the confirmation
form (base64), so what is confirmed is exactly what was previewed, and the same
document confirmed twice gives the same plan.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from planlog.auth.caller import MANAGE, Caller
from planlog.domain.errors import PlanlogError
from planlog.http.deps import Services, ServicesDep
from planlog.http.web.pages import WebRoute, explain, form_status, page
from planlog.http.web.session import SessionDep, WebSession, language
from planlog.http.web.text import tr
from planlog.service.importing import import_upload

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FormText = Annotated[str, Form()]
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
) -> dict[str, Any]:
    who.require_own_org(org.strip())
    return import_upload(
        svc.app,
        data,
        name,
        org=org,
        year=year,
        actor=who.actor,
        title=title.strip() or None,
        dry_run=dry_run,
    )


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
    csrf: FormText = "",
    org: FormText = "",
    year: FormText = "",
    title: FormText = "",
    text: FormText = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    session.check_csrf(csrf)
    who = session.caller
    who.require(MANAGE, "import plans")
    lang = language(request)
    values = {"org": org, "year": year, "title": title, "text": text}
    try:
        data, name = _document(text, file, lang)
        result = _import(svc, who, data, name, org, _year(year, lang), title, dry_run=True)
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
        try:
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise ImportFormError(tr("need_document", lang)) from None
        if not data:
            raise ImportFormError(tr("need_document", lang))
        name = filename or PASTED_NAME
        result = _import(svc, who, data, name, org, _year(year, lang), title, dry_run=False)
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
