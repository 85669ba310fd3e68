"""Files to take away over HTTP: the board as CSV, XLSX and PDF (now or `?as_of=DATE`),
the history as JSON Lines, the plan's deadlines as ICS.

One function per file, called by both HTTP doors: the API's export endpoints (bearer
token) and the web's export links (session cookie; a link cannot send a bearer token).
Each checks the caller's scope (404 outside it) and answers the same bytes, headers and
file name whichever door asked. Role checks stay with the doors: the API declares them as
dependencies, the web page before it calls. The files themselves are made by
`planlog.exports` (pure functions, also used by the CLI and the tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote
from uuid import UUID

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from planlog.audit.anchor import export_head
from planlog.auth.caller import Caller
from planlog.domain.errors import NotFound
from planlog.domain.evidence import CONTENT_TYPES, IMAGE_TYPES, checked_sha256
from planlog.domain.values import InvalidValue
from planlog.exports import board_csv, board_pdf, board_xlsx, calendar_ics, history_jsonl
from planlog.http.deps import Services
from planlog.projections.calendar import open_deadlines
from planlog.projections.evidence import items_holding
from planlog.projections.queries import ledger_document
from planlog.service.app import PlanlogApp, as_of_moment

ICS = "text/calendar; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"
JSONL = "application/x-ndjson; charset=utf-8"


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def link_base(svc: Services, request: Request) -> str:
    """Where links in a file point: the configured address, else the one asked."""
    return svc.settings.base_url or str(request.base_url).rstrip("/")


def _board(svc: Services, who: Caller, plan_id: UUID, request: Request) -> dict[str, Any]:
    """The plan's ledger board, as of `?as_of=` (a date: as recorded at its end, China
    time, the one meaning of every door) or now."""
    who.plan(svc.app, plan_id)
    as_of = request.query_params.get("as_of")
    return ledger_document(svc.app, plan_id, as_of=as_of_moment(as_of) if as_of else None)


def _name(board: dict[str, Any], suffix: str) -> str:
    # A ledger of a past date says which in its name, so two downloads never clash.
    day = f" 截至{board['today']}" if board.get("as_of") else ""
    return f"{board['plan']['title']}{day}.{suffix}"


def board_as_csv(svc: Services, who: Caller, plan_id: UUID, request: Request) -> Response:
    board = _board(svc, who, plan_id, request)
    return attachment(board_csv(board), CSV, _name(board, "csv"))


def board_as_xlsx(svc: Services, who: Caller, plan_id: UUID, request: Request) -> Response:
    board = _board(svc, who, plan_id, request)
    content = board_xlsx(board, chain_head=export_head(svc.app, svc.engine))
    return attachment(content, XLSX, _name(board, "xlsx"))


def board_as_pdf(svc: Services, who: Caller, plan_id: UUID, request: Request) -> Response:
    """The ledger (台账) as an A4 landscape PDF."""
    board = _board(svc, who, plan_id, request)
    return attachment(board_pdf(board), PDF, _name(board, "pdf"))


def plan_history(app: PlanlogApp, plan_id: UUID) -> list[dict[str, Any]]:
    """Every event of a plan, its items and the tasks they were sent down as, in
    recorded order, each with the id of the record it belongs to (`aggregate_id`)."""
    plan = app.get_plan(plan_id)
    entries = [{"aggregate_id": str(plan_id), **e} for e in app.history(plan_id)]
    for item_id in plan.item_ids:
        entries += [
            {"aggregate_id": e.get("sent_as", str(item_id)), **e} for e in app.history(item_id)
        ]
    return sorted(entries, key=lambda e: (e["recorded_at"], e["aggregate_id"], e["version"]))


def history_as_jsonl(
    svc: Services, who: Caller, plan_id: UUID, request: Request
) -> StreamingResponse:
    """The plan's event history, one JSON object per line, ending with the chain head."""
    who.plan(svc.app, plan_id)
    entries = plan_history(svc.app, plan_id)
    chain = export_head(svc.app, svc.fresh())

    def lines() -> Iterator[bytes]:
        for line in history_jsonl(entries, chain_head=chain):
            yield line.encode()

    return StreamingResponse(
        lines(),
        media_type=JSONL,
        headers={"Content-Disposition": "attachment; filename=history.jsonl"},
    )


def plan_calendar(svc: Services, who: Caller, plan_id: UUID, request: Request) -> Response:
    """Every open deadline of the plan as an iCalendar feed (one VEVENT per occurrence)."""
    plan = who.plan(svc.app, plan_id)
    with svc.fresh().connect() as conn:
        deadlines = open_deadlines(conn, plan_id=str(plan_id))
    content = calendar_ics(deadlines, name=plan.title, link_base=link_base(svc, request))
    return Response(content, media_type=ICS)


Download = Callable[[Services, Caller, UUID, Request], Response]

#: every plan download by the file name the API serves it under
#: (`/api/v1/plans/{id}/<name>`); the web offers the same names under `/plans/{id}/export/`
PLAN_DOWNLOADS: dict[str, Download] = {
    "board.csv": board_as_csv,
    "board.xlsx": board_as_xlsx,
    "board.pdf": board_as_pdf,
    "history.jsonl": history_as_jsonl,
    "calendar.ics": plan_calendar,
}


# ------------------------------------------------------------------ evidence files

#: A kept evidence file is never a page: the browser must not sniff it into HTML, run
#: anything in it, or let it frame or fetch anything.
EVIDENCE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
    "Cache-Control": "private, max-age=3600",
}


def _visible_evidence(svc: Services, who: Caller, sha256: str) -> dict[str, Any]:
    """The first attachment of the file on an item the caller can see; the same 404 as
    for a file nobody attached, so a hash never tells whether another union holds it."""
    try:
        sha = checked_sha256(sha256)
    except InvalidValue:
        raise _no_evidence(sha256) from None
    with svc.fresh().connect() as conn:
        attachments = items_holding(conn, sha)
    for attached in attachments:
        try:
            who.item(svc.app, UUID(attached["item_id"]))
        except NotFound:
            continue
        return attached
    raise _no_evidence(sha)


def _no_evidence(sha: str) -> NotFound:
    return NotFound(f"没有哈希为 {sha[:64]} 的佐证文件（no evidence file {sha[:64]}）")


def evidence_download(svc: Services, who: Caller, sha256: str, *, inline: bool = False) -> Response:
    """An evidence file with the name it was uploaded under, to a caller who can see an
    item holding it. `inline` (pictures only) lets the web show a photo in a tab."""
    attached = _visible_evidence(svc, who, sha256)
    data = svc.evidence.read(attached["sha256"])
    # Only the kinds planlog accepts, whatever a (tampered) read model row says.
    content_type = attached["content_type"]
    if content_type not in CONTENT_TYPES:
        content_type = "application/octet-stream"
    show = "inline" if inline and content_type in IMAGE_TYPES else "attachment"
    name = attached["name"]
    ascii_name = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    disposition = f"{show}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        data,
        media_type=content_type,
        headers={"Content-Disposition": disposition, **EVIDENCE_HEADERS},
    )


def evidence_thumbnail(svc: Services, who: Caller, sha256: str) -> Response:
    """A small JPEG of a picture the caller may download."""
    attached = _visible_evidence(svc, who, sha256)
    if attached["content_type"] not in IMAGE_TYPES:
        raise _no_evidence(attached["sha256"])
    thumb = svc.evidence.thumbnail(attached["sha256"])
    return Response(thumb, media_type="image/jpeg", headers=EVIDENCE_HEADERS)
