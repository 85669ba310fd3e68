"""Items: read (with an ETag), and record what happens to them (honouring If-Match)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Response

from planlog.auth.caller import AUDIT, MANAGE, REPORT, Caller
from planlog.domain.model import PlanItem, Target
from planlog.http.api.schemas import (
    PROBLEMS,
    WRITE_PROBLEMS,
    Backfill,
    Complete,
    ExtensionRequestIn,
    ExtensionRequestOut,
    ItemOut,
    Move,
    Progress,
    Reason,
    Reassign,
    Reopen,
    Reschedule,
    Revise,
    SignOffIn,
)
from planlog.http.deps import CallerDep, ServicesDep, role_caller
from planlog.http.problems import PreconditionFailed
from planlog.service import commands
from planlog.service.app import parse_moment
from planlog.service.commands import Command
from planlog.service.views import item_view

router = APIRouter(prefix="/api/v1/items", tags=["items"])

Reporter = Annotated[Caller, Depends(role_caller(REPORT, "report progress or complete items"))]
Manager = Annotated[Caller, Depends(role_caller(MANAGE, "change plan items"))]
Auditor = Annotated[Caller, Depends(role_caller((*AUDIT, "editor"), "read history"))]
IfMatch = Annotated[
    str | None,
    Header(description='The item version you decided on, as returned in ETag (e.g. "7")'),
]


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    try:
        return int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise PreconditionFailed(f"If-Match {if_match!r} is not an item version") from None


def item_response(svc: Any, item: PlanItem, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(item.version)
    plan = svc.app.get_plan(item.plan_id)
    return item_view(item, svc.app.today(), plan)


def write_item(
    svc: Any,
    who: Caller,
    item_id: UUID,
    if_match: str | None,
    response: Response,
    command: Callable[[int | None], Command[PlanItem]],
) -> PlanItem:
    """Run the item command built for the caller's If-Match (404 outside the caller's
    organisations, 412 on a stale If-Match); the ETag is the changed item's version."""
    item, _ = who.item(svc.app, item_id)
    expected = expected_version(if_match)
    current = item.version
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"item {item_id} is at version {current}, not {expected}; reload and decide again",
            current_version=current,
        )
    # The command still checks `expected` on save: a write in between is a 409.
    changed: PlanItem = svc.app.handle(command(expected))
    response.headers["ETag"] = etag(changed.version)
    return changed


def _write(
    svc: Any,
    who: Caller,
    item_id: UUID,
    if_match: str | None,
    response: Response,
    command: Callable[[int | None], Command[PlanItem]],
) -> dict[str, Any]:
    """Run the item command built for the caller's If-Match; answer the item and its ETag."""
    changed = write_item(svc, who, item_id, if_match, response, command)
    return item_response(svc, changed, response)


@router.get("/{item_id}", response_model=ItemOut, responses=PROBLEMS)
def get_item(
    item_id: UUID,
    svc: ServicesDep,
    who: CallerDep,
    response: Response,
    as_of: str | None = None,
) -> dict[str, Any]:
    """An item with its occurrences; the ETag is its version (use it in If-Match)."""
    if as_of:
        who.item(svc.app, item_id)
        item = svc.app.get_item(item_id, as_of=parse_moment(as_of))
        return item_response(svc, item, response)
    item, _ = who.item(svc.app, item_id)
    return item_response(svc, item, response)


@router.get("/{item_id}/history", responses=PROBLEMS)
def history(item_id: UUID, svc: ServicesDep, who: Auditor) -> list[dict[str, Any]]:
    """Every recorded change of the item: what, who, when, why. An item sent down as a
    task (任务下达) also lists the task's changes (the send, the copies made, the deadlines
    moved), each marked `sent_as` with the task's id: their `version` is the task's."""
    who.item(svc.app, item_id)
    return svc.app.history(item_id)


@router.post("/{item_id}/complete", response_model=ItemOut, responses=WRITE_PROBLEMS)
def complete(
    item_id: UUID,
    body: Complete,
    svc: ServicesDep,
    who: Reporter,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Mark an occurrence done (the earliest open one by default); on a plan with
    sign-off on, it is `submitted` until the chair confirms it."""
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.Complete(
            item_id=item_id,
            actor=who.actor,
            occurrence=_key(body.occurrence),
            done_on=body.done_on,
            note=body.note,
            evidence=body.evidence,
            expected_version=v,
        ),
    )


@router.post(
    "/{item_id}/extension-requests",
    status_code=201,
    response_model=ExtensionRequestOut,
    responses=WRITE_PROBLEMS,
)
def request_extension(
    item_id: UUID,
    body: ExtensionRequestIn,
    svc: ServicesDep,
    who: Reporter,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Ask the chair to move one deadline later (延期申请); answers the request's id. The
    chair approves or rejects it at /api/v1/extension-requests/{id}/approve|reject."""
    occurrence = body.occurrence.isoformat()
    item = write_item(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.RequestExtension(
            item_id=item_id,
            occurrence=occurrence,
            to=body.to,
            reason=body.reason,
            actor=who.actor,
            expected_version=v,
        ),
    )
    return item.open_request_on(occurrence).to_dict() | {"item_id": str(item_id)}


def _sign_off(
    item_id: UUID,
    body: SignOffIn,
    svc: Any,
    who: Caller,
    response: Response,
    if_match: str | None,
    *,
    confirm: bool,
) -> dict[str, Any]:
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.SignOff(
            item_id=item_id,
            occurrence=body.occurrence.isoformat(),
            confirm=confirm,
            reason=body.reason,
            actor=who.actor,
            expected_version=v,
        ),
    )


@router.post("/{item_id}/confirm", response_model=ItemOut, responses=WRITE_PROBLEMS)
def confirm(
    item_id: UUID,
    body: SignOffIn,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Sign off a submitted occurrence (确认办结): it is done."""
    return _sign_off(item_id, body, svc, who, response, if_match, confirm=True)


@router.post("/{item_id}/return", response_model=ItemOut, responses=WRITE_PROBLEMS)
def return_submission(
    item_id: UUID,
    body: SignOffIn,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Return a submitted occurrence with a reason (退回): it is open again."""
    return _sign_off(item_id, body, svc, who, response, if_match, confirm=False)


@router.post("/{item_id}/backfill", response_model=ItemOut, responses=WRITE_PROBLEMS)
def backfill(
    item_id: UUID,
    body: Backfill,
    svc: ServicesDep,
    who: Reporter,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Record an occurrence as already done on `done_on` (补录, onboarding mid-year); the
    history says it was a backfill."""
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.Backfill(
            item_id=item_id,
            actor=who.actor,
            occurrence=body.occurrence.isoformat(),
            done_on=body.done_on,
            note=body.note,
            evidence=body.evidence,
            expected_version=v,
        ),
    )


@router.post("/{item_id}/progress", response_model=ItemOut, responses=WRITE_PROBLEMS)
def progress(
    item_id: UUID,
    body: Progress,
    svc: ServicesDep,
    who: Reporter,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Report progress: a note, a percent, a target's current value, files uploaded
    before (`evidence_sha256`), or any of them together."""
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.ReportProgress(
            item_id=item_id,
            actor=who.actor,
            occurrence=_key(body.occurrence),
            percent=body.percent,
            target_index=body.target - 1 if body.target else None,
            target_value=body.value,
            note=body.note,
            evidence=body.evidence,
            evidence_sha256=body.evidence_sha256,
            expected_version=v,
        ),
    )


@router.post("/{item_id}/reopen", response_model=ItemOut, responses=WRITE_PROBLEMS)
def reopen(
    item_id: UUID,
    body: Reopen,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.Reopen(
            item_id=item_id,
            occurrence=body.occurrence.isoformat(),
            actor=who.actor,
            reason=body.reason,
            expected_version=v,
        ),
    )


@router.post("/{item_id}/cancel", response_model=ItemOut, responses=WRITE_PROBLEMS)
def cancel(
    item_id: UUID,
    body: Reason,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.Cancel(
            item_id=item_id, actor=who.actor, reason=body.reason, expected_version=v
        ),
    )


@router.post("/{item_id}/reassign", response_model=ItemOut, responses=WRITE_PROBLEMS)
def reassign(
    item_id: UUID,
    body: Reassign,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.Reassign(
            item_id=item_id,
            responsible=body.responsible,
            actor=who.actor,
            reason=body.reason,
            expected_version=v,
        ),
    )


@router.post("/{item_id}/reschedule", response_model=ItemOut, responses=WRITE_PROBLEMS)
def reschedule(
    item_id: UUID,
    body: Reschedule,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Move one occurrence (occurrence + to) or give the item a new open schedule."""
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.schedule_change(
            item_id=item_id,
            actor=who.actor,
            reason=body.reason,
            occurrence=body.occurrence,
            to=body.to,
            dues=body.dues,
            windows=[(w.opens, w.due) for w in body.windows],
            rrule=body.rrule,
            expected_version=v,
        ),
    )


@router.post("/{item_id}/move", response_model=ItemOut, responses=WRITE_PROBLEMS)
def move(
    item_id: UUID,
    body: Move,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Move one occurrence to a new due date (with a reason); the others stay."""
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.MoveOccurrence(
            item_id=item_id,
            occurrence=body.occurrence.isoformat(),
            to=body.to,
            actor=who.actor,
            reason=body.reason,
            expected_version=v,
        ),
    )


@router.patch("/{item_id}", response_model=ItemOut, responses=WRITE_PROBLEMS)
def revise(
    item_id: UUID,
    body: Revise,
    svc: ServicesDep,
    who: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Revise what an item says (title, goal, measures, number)."""
    return _write(
        svc,
        who,
        item_id,
        if_match,
        response,
        lambda v: commands.ReviseItem(
            item_id=item_id,
            actor=who.actor,
            reason=body.reason,
            expected_version=v,
            changes=_revision(body),
        ),
    )


def _revision(body: Revise) -> dict[str, Any]:
    changes = body.model_dump(exclude_none=True, exclude={"reason", "targets"})
    if body.targets is not None:
        changes["targets"] = [Target(**t.model_dump()) for t in body.targets]
    return changes


def _key(day: Any) -> str | None:
    return day.isoformat() if day is not None else None
