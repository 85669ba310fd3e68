"""Onboarding mid-year, in bulk: the chair ticks the deadlines that were already met and
says when each was done, and each ticked row is recorded as its own Backfill command.

A plan imported in November has most of its deadlines behind it; recording them one
item page at a time is what makes chairs go back to Excel. The page lists the plan's
open occurrences whose due date has passed (or, on request, every open one), each with a
checkbox, a "done on" date (the due date by default, never after today) and a note. The
answer reports every ticked row: recorded, or refused with the reason; a refused row
does not stop the others (each is its own event, as the API's backfill is), so nothing
is half-silent. Chairs only (MANAGE); others get a 403 page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Query, Request, Response

from planlog.auth.caller import MANAGE
from planlog.domain.errors import PlanlogError
from planlog.domain.model import Plan
from planlog.domain.status import DONE
from planlog.domain.values import TYPED_NOTE_MAX
from planlog.http.deps import Services, ServicesDep
from planlog.http.web.chair import plan_head
from planlog.http.web.items import FormError, form_text
from planlog.http.web.pages import WebRoute, explain, form_status, page
from planlog.http.web.session import SessionDep, WebSession, language
from planlog.http.web.text import tr
from planlog.service import commands

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FormText = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]
NOTE_MAX = TYPED_NOTE_MAX  # a progress note's limit, as on the item page
#: A row's key in the form: the item and the occurrence's due date (its stored key).
SEPARATOR = "|"


@dataclass
class Row:
    """One open occurrence the chair may record as done."""

    key: str
    item_id: str
    title: str
    number: str | None
    responsible: str | None
    opens: str | None
    due: str
    late: bool
    done_on: str  # the default the form offers: the due date, or today if that is later


@dataclass
class Outcome:
    """What became of one ticked row."""

    title: str
    due: str
    ok: bool
    error: str | None = None


def _chair_plan(svc: Services, session: WebSession, plan_id: UUID, csrf: str | None) -> Plan:
    if csrf is not None:
        session.check_csrf(csrf)
    who = session.caller
    who.require(MANAGE, "record work already done")
    return who.plan(svc.app, plan_id)


def open_rows(svc: Services, plan: Plan, today: date, *, everything: bool) -> list[Row]:
    """The plan's open occurrences, past-due ones only unless `everything`, in plan order."""
    rows = []
    for item in svc.app.plan_items(plan.id):
        if item.cancelled:
            continue
        for occ in item.ordered_occurrences():
            if occ.status == DONE or (occ.due >= today and not everything):
                continue
            rows.append(
                Row(
                    key=f"{item.id}{SEPARATOR}{occ.key}",
                    item_id=str(item.id),
                    title=item.title,
                    number=item.details.number,
                    responsible=item.details.responsible,
                    opens=occ.opens.isoformat() if occ.opens else None,
                    due=occ.due.isoformat(),
                    late=occ.due < today,
                    done_on=min(occ.due, today).isoformat(),
                )
            )
    return rows


def _render(
    request: Request,
    svc: Services,
    session: WebSession,
    plan: Plan,
    *,
    everything: bool,
    outcomes: list[Outcome] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    today = svc.app.today()
    context: dict[str, Any] = {
        "plan": plan_head(plan),
        "tab": "board",
        "rows": open_rows(svc, plan, today, everything=everything),
        "everything": everything,
        "today": today.isoformat(),
        "outcomes": outcomes,
        "recorded": sum(1 for o in outcomes or [] if o.ok),
        "refused": sum(1 for o in outcomes or [] if not o.ok),
        "error": error,
        "limits": {"note": NOTE_MAX},
    }
    return page(request, "backfill.html", context, session=session, status_code=status_code)


@router.get("/plans/{plan_id}/backfill")
def backfill_page(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    everything: Annotated[str, Query(alias="all")] = "",
) -> Response:
    plan = _chair_plan(svc, session, plan_id, None)
    return _render(request, svc, session, plan, everything=bool(everything))


def _done_on(value: str, lang: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise FormError(tr("done_on_invalid", lang)) from None


@router.post("/plans/{plan_id}/backfill")
def record_backfill(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    csrf: FormText = "",
    everything: Annotated[str, Form(alias="all")] = "",
    pick: FormList = [],  # noqa: B006 - FastAPI copies the default per request
    row: FormList = [],  # noqa: B006
    done_on: FormList = [],  # noqa: B006
    note: FormList = [],  # noqa: B006
) -> Response:
    """One Backfill per ticked row, each recorded or refused on its own. `row`, `done_on`
    and `note` are parallel lists (every row of the form sends all three); `pick` names
    the ticked rows. The answer is the report itself, not a redirect."""
    plan = _chair_plan(svc, session, plan_id, csrf)
    who = session.caller
    lang = language(request)
    wide = bool(everything)
    if not pick:
        refused = FormError(tr("backfill_none", lang))
        return _render(
            request,
            svc,
            session,
            plan,
            everything=wide,
            error=explain(refused, lang),
            status_code=form_status(refused),
        )
    typed = {
        key: (done_on[n] if n < len(done_on) else "", note[n] if n < len(note) else "")
        for n, key in enumerate(row)
    }
    outcomes = []
    for key in dict.fromkeys(pick):  # a row ticked twice is still one backfill
        item_text, _, due = key.partition(SEPARATOR)
        day, remark = typed.get(key, ("", ""))
        title = item_text
        try:
            try:
                item_id = UUID(item_text)
            except ValueError:
                raise FormError(tr("bad_input", lang)) from None
            item, item_plan = who.item(svc.app, item_id)
            title = item.title
            if item_plan.id != plan.id:  # a forged row of another plan: not this page's
                raise FormError(tr("backfill_other_plan", lang))
            command = commands.Backfill(
                item_id=item_id,
                actor=who.actor,
                occurrence=due,
                done_on=_done_on(day or due, lang),
                note=form_text(remark, NOTE_MAX, lang),
            )
            svc.app.handle(command)
        except PlanlogError as refused:
            outcomes.append(Outcome(title, due, ok=False, error=explain(refused, lang)))
        else:
            outcomes.append(Outcome(title, due, ok=True))
    return _render(request, svc, session, plan, everything=wide, outcomes=outcomes)
