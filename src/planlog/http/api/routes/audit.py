"""The tamper-evident record over HTTP: verify the chain, read its head, prove an old head.

The chain covers the whole log, so these are for the chair or auditor of a top-level
organisation only (`planlog.audit.scope`); others get 403 saying so.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from planlog.audit.anchor import default_anchor_dir, latest_anchor
from planlog.audit.evidence import verify_evidence
from planlog.audit.scope import whole_log_refusal
from planlog.auth.caller import AUDIT, Caller
from planlog.auth.errors import Forbidden
from planlog.http.api.schemas import PROBLEMS
from planlog.http.deps import ServicesDep, role_caller
from planlog.projections.chain import head, still_contains, verify

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
RoleAuditor = Annotated[Caller, Depends(role_caller(AUDIT, "verify the audit chain"))]


def whole_log_auditor(svc: ServicesDep, who: RoleAuditor) -> Caller:
    refusal = whole_log_refusal(svc.app, who.principal.org)
    if refusal is not None:
        raise Forbidden(refusal)
    return who


Auditor = Annotated[Caller, Depends(whole_log_auditor)]


@router.get("/verify", responses=PROBLEMS)
def verify_chain(svc: ServicesDep, who: Auditor) -> dict[str, Any]:
    """Recompute the hash chain over the whole log; `first_bad` names the first event that
    does not match (altered, missing, inserted, never chained, or back-dated). `evidence`
    checks each referenced evidence file against its hash (altered or missing files)."""
    engine = svc.fresh()
    report = verify(svc.app, engine).to_dict()
    files = verify_evidence(svc.app, svc.evidence)
    return {**report, "ok": report["ok"] and files.ok, "evidence": files.to_dict()}


@router.get("/head", responses=PROBLEMS)
def chain_head(svc: ServicesDep, who: Auditor) -> dict[str, Any]:
    """The chain's head, and the latest anchor written outside the database (or null)."""
    return {"head": head(svc.fresh()), "anchor": latest_anchor(default_anchor_dir(svc.app.store))}


@router.get("/prove", responses=PROBLEMS)
def prove(
    svc: ServicesDep,
    who: Auditor,
    position: Annotated[int, Query(ge=1, le=2**62)],
    hash: Annotated[str, Query(pattern="^[0-9a-f]{64}$")],
) -> dict[str, Any]:
    """Does the log still hold the head an auditor kept from an earlier export?"""
    return {
        "position": position,
        "hash": hash,
        "unchanged": still_contains(svc.app, svc.engine, position, hash),
    }
