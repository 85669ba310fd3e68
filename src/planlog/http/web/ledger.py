"""The printable ledger (台账): the board as one A4 landscape table, now or as of a date.

The rows are the PDF's and the XLSX's (`planlog.exports.ledger_rows` over
`planlog.projections.queries.ledger_document`, replayed from the log now or as of a date,
with each occurrence's note and evidence): one row per deadline, the item's cells spanning
its rows.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Request, Response

from planlog.auth.caller import READ
from planlog.domain.clock import PLAN_TZ
from planlog.domain.errors import NotFound
from planlog.exports import ledger_rows
from planlog.http.deps import ServicesDep
from planlog.http.web.chair import plan_head
from planlog.http.web.pages import WebRoute, error_page, page
from planlog.http.web.session import SessionDep, language
from planlog.http.web.text import tr
from planlog.projections.queries import ledger_document
from planlog.service.app import parse_moment

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/plans/{plan_id}/print")
def print_ledger(
    request: Request,
    plan_id: UUID,
    svc: ServicesDep,
    session: SessionDep,
    as_of: str | None = None,
) -> Response:
    """`as_of` (a date: the end of that day in China, or a moment) replays the ledger."""
    who = session.caller
    who.require(READ, "read the plan")
    plan = who.plan(svc.app, plan_id)
    moment: datetime | None = parse_moment(as_of) if as_of else None
    try:
        document = ledger_document(svc.app, plan_id, as_of=moment)
    except NotFound as missing:
        if moment is None:
            raise
        lang = language(request)
        return error_page(request, 404, tr("not_recorded_yet", lang), missing.message)
    context = {
        "plan": plan_head(plan),
        "tab": "board",
        "doc": document,
        # The PDF's and the XLSX's rows (planlog.exports): every printed ledger reads alike.
        "rows": ledger_rows(document),
        "as_of": moment,
        "as_of_text": as_of or "",
        "printed_at": svc.app.now().astimezone(PLAN_TZ),
    }
    return page(request, "print.html", context, session=session)
