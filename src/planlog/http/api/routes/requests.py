"""Extension requests (延期申请): the chair approves or rejects one by its id.

A request's id names its item (planlog.domain.model.item_of_request), so the decision
is an item write like any other: scoped to the caller's organisations (404 outside
them) and honouring If-Match on the item's version.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from planlog.auth.caller import MANAGE, Caller
from planlog.domain.model import item_of_request
from planlog.http.api.routes.items import IfMatch, item_response, write_item
from planlog.http.api.schemas import WRITE_PROBLEMS, Decision, ItemOut
from planlog.http.deps import ServicesDep, role_caller
from planlog.service.commands import DecideExtension

router = APIRouter(prefix="/api/v1/extension-requests", tags=["items"])

Manager = Annotated[Caller, Depends(role_caller(MANAGE, "decide extension requests"))]


def _decide(
    request_id: str,
    body: Decision,
    svc: Any,
    who: Caller,
    response: Response,
    if_match: str | None,
    *,
    approve: bool,
) -> dict[str, Any]:
    item = write_item(
        svc,
        who,
        item_of_request(request_id),
        if_match,
        response,
        lambda v: DecideExtension.of(
            request_id, approve=approve, actor=who.actor, reason=body.reason, expected_version=v
        ),
    )
    view = item_response(svc, item, response)
    return view | {"request": item.extension_requests[request_id.strip()].to_dict()}


@router.post("/{request_id}/approve", response_model=ItemOut, responses=WRITE_PROBLEMS)
def approve(
    request_id: str,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    body: Decision | None = None,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Approve the request: the deadline moves to the date asked for (the item's history
    keeps both dates). Answers the item, with the decided `request`."""
    return _decide(request_id, body or Decision(), svc, who, response, if_match, approve=True)


@router.post("/{request_id}/reject", response_model=ItemOut, responses=WRITE_PROBLEMS)
def reject(
    request_id: str,
    body: Decision,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Reject the request, with a reason: the deadline stays."""
    return _decide(request_id, body, svc, who, response, if_match, approve=False)
