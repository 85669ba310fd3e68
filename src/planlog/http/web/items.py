"""The item page and its forms: progress, completion, and (chairs) reopen and cancel.

Writes go through the application with the signed-in token's actor and role rules,
exactly as `POST /api/v1/items/{id}/…` does; the form's hidden `version` plays the
part of the API's If-Match, so a decision taken on a page someone else has changed
since is refused instead of silently applied. A refusal re-renders the page with the
reason and what the user typed; success redirects (303) so a reload never repeats it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from planlog.auth.caller import MANAGE, READ, REPORT
from planlog.domain.clock import PLAN_TZ
from planlog.domain.errors import PlanlogError
from planlog.domain.evidence import IMAGE_TYPES
from planlog.domain.model import PlanItem
from planlog.domain.status import FINISHED, SUBMITTED
from planlog.domain.task import FederationTask
from planlog.domain.values import TYPED_EVIDENCE_MAX, TYPED_NOTE_MAX, TYPED_REASON_MAX
from planlog.http.deps import Services, ServicesDep
from planlog.http.downloads import evidence_download, evidence_thumbnail
from planlog.http.web.page_models import target_rows
from planlog.http.web.pages import WebRoute, explain, form_status, page
from planlog.http.web.session import SessionDep, WebSession, language
from planlog.http.web.text import tr
from planlog.http.web.uploads import FILE_FIELD, Uploads
from planlog.projections.rollup import has_below
from planlog.service import commands
from planlog.service.app import parse_moment
from planlog.service.summaries import summarise_history
from planlog.service.views import item_view

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FormText = Annotated[str, Form()]
# The domain's limits on typed input (planlog.domain.values), as the API's.
NOTE_MAX, EVIDENCE_MAX, REASON_MAX = TYPED_NOTE_MAX, TYPED_EVIDENCE_MAX, TYPED_REASON_MAX
FLASHES = {"progress": "saved_progress", "complete": "saved_complete"}
FLASHES |= {"reopen": "saved_reopen", "cancel": "saved_cancel", "move": "saved_move"}
FLASHES |= {"add": "saved_add", "edit": "saved_edit"}  # from planlog.http.web.chair
# from planlog.http.web.supervision: extension requests and sign-off
FLASHES |= {"request": "saved_request", "approve": "saved_approve", "reject": "saved_reject"}
FLASHES |= {"confirm": "saved_confirm", "return": "saved_return"}


class FormError(PlanlogError):
    """Input the page can say is wrong before any rule sees it."""

    code = "invalid_form"


def _is_link(value: Any) -> bool:
    # Only web links become <a href>: a `javascript:` "evidence" must stay text.
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def history_rows(
    entries: list[dict[str, Any]], until: datetime | None, language: str
) -> list[dict[str, Any]]:
    """The item's events, newest first, each with a readable summary."""
    rows = []
    for entry in entries:
        if until is not None and datetime.fromisoformat(entry["recorded_at"]) > until:
            continue
        # the task it was sent down as has its own events (`PlanlogApp.history`)
        kind = FederationTask if "sent_as" in entry else PlanItem
        rows.append({**entry, "summary": summarise_history(kind, entry, language)})
    return rows[::-1]


def evidence_rows(item: PlanItem) -> list[dict[str, Any]]:
    """The item's evidence files, newest first, each once (a file attached again, say
    with a later report, is listed where it was last attached)."""
    seen: dict[str, dict[str, Any]] = {}
    for attached in reversed(item.evidence_files):
        sha = attached.get("sha256")
        if isinstance(sha, str) and sha not in seen:
            seen[sha] = {**attached, "is_image": attached.get("content_type") in IMAGE_TYPES}
    return list(seen.values())


def render_item(
    request: Request,
    svc: Services,
    session: WebSession,
    item_id: UUID,
    *,
    as_of: str | None = None,
    flash: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    who = session.caller
    item, plan = who.item(svc.app, item_id)  # 404 outside the caller's organisations
    moment = parse_moment(as_of) if as_of else None
    today = svc.app.today()
    if moment is not None:
        item = svc.app.get_item(item_id, as_of=moment)
        today = moment.astimezone(PLAN_TZ).date()
    view = item_view(item, today, plan)
    live = moment is None
    # a submitted deadline waits for the chair: nothing more to report or complete on it
    open_occurrences = [o for o in view["occurrences"] if o["status"] not in FINISHED]
    asked = {r["occurrence"] for r in view["extension_requests"] if r["status"] == "open"}
    context = {
        "plan": {"id": str(plan.id), "title": plan.title, "org": plan.org, "year": plan.year},
        "tab": "item",
        "item": view,
        "source": item.source or {},
        "targets": target_rows(view["targets"]),
        "history": history_rows(svc.app.history(item_id), moment, language(request)),
        "as_of": moment,
        "today": today,
        "open_occurrences": open_occurrences,
        "done_occurrences": [o for o in view["occurrences"] if o["status"] == "done"],
        "can_report": live and who.role in REPORT and not item.cancelled and open_occurrences,
        "can_manage": live and who.role in MANAGE,
        # a union with none below has nobody to send a task to
        "can_send": live and who.role in MANAGE and _has_below(svc, plan.org),
        "sign_off": plan.sign_off,
        "submitted_occurrences": [o for o in view["occurrences"] if o["status"] == SUBMITTED],
        "extendable": [o for o in open_occurrences if o["due"] not in asked],
        "open_requests": [r for r in view["extension_requests"] if r["status"] == "open"],
        "flash": tr(FLASHES[flash], language(request)) if flash in FLASHES else None,
        "error": error,
        "form": form or {},
        "is_link": _is_link,
        "limits": {"note": NOTE_MAX, "evidence": EVIDENCE_MAX, "reason": REASON_MAX},
        "evidence_files": evidence_rows(item),
        **FILE_FIELD,
    }
    return page(request, "item.html", context, session=session, status_code=status_code)


@router.get("/items/{item_id}")
def item_page(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    as_of: str | None = None,
    done: str | None = None,
) -> Response:
    return render_item(request, svc, session, item_id, as_of=as_of, flash=done)


# ------------------------------------------------------------------ parsing form fields


def form_text(value: str, limit: int, lang: str) -> str | None:
    """A typed text field: stripped, None when empty, refused over `limit` (every form
    of the web door parses its fields with these helpers)."""
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise FormError(f"{tr('bad_input', lang)} ≤ {limit}")
    return cleaned or None


def form_version(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


def _percent(value: str, lang: str) -> int | None:
    if not value.strip():
        return None
    try:
        percent = int(value.strip())
    except ValueError:
        raise FormError(tr("percent_invalid", lang)) from None
    if not 0 <= percent <= 100:
        raise FormError(tr("percent_invalid", lang))
    return percent


def _number(value: str, lang: str) -> float | None:
    """Only whether it reads as a number: "nan" and "inf" do, and the domain refuses
    them with its own message (planlog.domain.values), as it does for every door."""
    if not value.strip():
        return None
    try:
        return float(value.strip())
    except ValueError:
        raise FormError(tr("value_invalid", lang)) from None


def _day(value: str, lang: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FormError(tr("date_invalid", lang)) from None


def _occurrence(value: str, lang: str) -> str | None:
    day = _day(value, lang)
    return day.isoformat() if day else None


def _reason(value: str, lang: str) -> str:
    reason = form_text(value, REASON_MAX, lang)
    if not reason:
        raise FormError(tr("reason_needed", lang))
    return reason


#: Who may send each of the item page's forms (the same roles as the API's routes).
_REPORTERS = (REPORT, "report progress or complete items")
_MANAGERS = (MANAGE, "change plan items")
WHO_MAY = {
    "progress": _REPORTERS,
    "complete": _REPORTERS,
    "reopen": _MANAGERS,
    "cancel": _MANAGERS,
    "move": _MANAGERS,
    "request": _REPORTERS,
    "approve": _MANAGERS,
    "reject": _MANAGERS,
    "confirm": _MANAGERS,
    "return": _MANAGERS,
}


def _submit(
    request: Request,
    svc: Services,
    session: WebSession,
    item_id: UUID,
    form: dict[str, str],
    flash: str,
    build: Callable[[str], commands.Command[Any]],
) -> Response:
    """Check the form token and the role, build the command from the form (in the page's
    language) and run it, then redirect or re-render with the refusal."""
    session.check_csrf(form.pop("csrf", ""))
    who = session.caller
    who.require(*WHO_MAY[flash])
    who.item(svc.app, item_id)
    try:
        svc.app.handle(build(language(request)))
    except PlanlogError as refused:
        return render_item(
            request,
            svc,
            session,
            item_id,
            error=explain(refused, language(request)),
            form={"which": flash, **form},
            status_code=form_status(refused),
        )
    return RedirectResponse(f"/items/{item_id}?done={flash}#top", status_code=303)


@router.post("/items/{item_id}/progress")
def report_progress(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    occurrence: FormText = "",
    percent: FormText = "",
    target: FormText = "",
    value: FormText = "",
    note: FormText = "",
    evidence: FormText = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    form = dict(csrf=csrf, occurrence=occurrence, percent=percent, target=target, value=value)
    form |= dict(note=note, evidence=evidence)
    actor = session.caller.actor

    def command(lang: str) -> commands.Command[Any]:
        share, amount = _percent(percent, lang), _number(value, lang)
        index = int(target) - 1 if target.strip().isdigit() and int(target) >= 1 else None
        written = form_text(note, NOTE_MAX, lang)
        # Refused by content before anything is kept; kept before it is recorded.
        files = uploads.keep(file)
        if share is None and amount is None and written is None and not files:
            raise FormError(tr("nothing_reported", lang))
        return commands.ReportProgress(
            item_id=item_id,
            actor=actor,
            occurrence=_occurrence(occurrence, lang),
            percent=share,
            target_index=index if amount is not None else None,
            target_value=amount,
            note=written,
            evidence=form_text(evidence, EVIDENCE_MAX, lang),
            files=files,
            expected_version=form_version(version),
        )

    uploads = Uploads(svc)
    answer = _submit(request, svc, session, item_id, form, "progress", command)
    if answer.status_code != 303:  # refused: the file it brought is no one's
        uploads.forget()
    return answer


@router.get("/evidence/{sha256}")
def evidence_file(sha256: str, svc: ServicesDep, session: SessionDep) -> Response:
    """An evidence file, to whoever can see an item holding it (pictures open in a tab)."""
    session.caller.require(READ, "download evidence")
    return evidence_download(svc, session.caller, sha256, inline=True)


@router.get("/evidence/{sha256}/thumbnail")
def evidence_thumb(sha256: str, svc: ServicesDep, session: SessionDep) -> Response:
    session.caller.require(READ, "download evidence")
    return evidence_thumbnail(svc, session.caller, sha256)


@router.post("/items/{item_id}/complete")
def complete(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    occurrence: FormText = "",
    done_on: FormText = "",
    note: FormText = "",
    evidence: FormText = "",
) -> Response:
    form = dict(csrf=csrf, occurrence=occurrence, done_on=done_on, note=note, evidence=evidence)
    actor = session.caller.actor

    def command(lang: str) -> commands.Command[Any]:
        return commands.Complete(
            item_id=item_id,
            actor=actor,
            occurrence=_occurrence(occurrence, lang),
            done_on=_day(done_on, lang),
            note=form_text(note, NOTE_MAX, lang),
            evidence=form_text(evidence, EVIDENCE_MAX, lang),
            expected_version=form_version(version),
        )

    return _submit(request, svc, session, item_id, form, "complete", command)


@router.post("/items/{item_id}/reopen")
def reopen(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    occurrence: FormText = "",
    reason: FormText = "",
) -> Response:
    form = dict(csrf=csrf, occurrence=occurrence, reason=reason)
    actor = session.caller.actor

    def command(lang: str) -> commands.Command[Any]:
        key = _occurrence(occurrence, lang)
        if key is None:
            raise FormError(tr("date_invalid", lang))
        return commands.Reopen(
            item_id=item_id,
            occurrence=key,
            actor=actor,
            reason=_reason(reason, lang),
            expected_version=form_version(version),
        )

    return _submit(request, svc, session, item_id, form, "reopen", command)


@router.post("/items/{item_id}/cancel")
def cancel(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    reason: FormText = "",
) -> Response:
    form = dict(csrf=csrf, reason=reason)
    actor = session.caller.actor

    def command(lang: str) -> commands.Command[Any]:
        return commands.Cancel(
            item_id=item_id,
            actor=actor,
            reason=_reason(reason, lang),
            expected_version=form_version(version),
        )

    return _submit(request, svc, session, item_id, form, "cancel", command)


@router.post("/items/{item_id}/move")
def move(
    request: Request,
    item_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    version: FormText = "",
    occurrence: FormText = "",
    to: FormText = "",
    reason: FormText = "",
) -> Response:
    form = dict(csrf=csrf, occurrence=occurrence, to=to, reason=reason)
    actor = session.caller.actor

    def command(lang: str) -> commands.Command[Any]:
        key, new_due = _occurrence(occurrence, lang), _day(to, lang)
        if key is None or new_due is None:
            raise FormError(tr("date_invalid", lang))
        return commands.MoveOccurrence(
            item_id=item_id,
            occurrence=key,
            to=new_due,
            actor=actor,
            reason=_reason(reason, lang),
            expected_version=form_version(version),
        )

    return _submit(request, svc, session, item_id, form, "move", command)


def _has_below(svc: Services, org: str) -> bool:
    with svc.engine.connect() as conn:
        return has_below(conn, org)
