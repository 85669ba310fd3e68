"""The tamper-evident record over HTTP: verify the chain, read its head, prove an old head."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from planlog.api.deps import AUDIT, Caller, ServicesDep, role_caller
from planlog.api.schemas import PROBLEMS
from planlog.audit.chain import head, still_contains, verify

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
Auditor = Annotated[Caller, Depends(role_caller(AUDIT, "verify the audit chain"))]


@router.get("/verify", responses=PROBLEMS)
def verify_chain(svc: ServicesDep, who: Auditor) -> dict[str, Any]:
    """Recompute the hash chain over the whole log; `first_bad` names the first event that
    does not match (altered, missing or inserted)."""
    return verify(svc.app, svc.fresh()).to_dict()


@router.get("/head", responses=PROBLEMS)
def chain_head(svc: ServicesDep, who: Auditor) -> dict[str, Any]:
    return {"head": head(svc.fresh())}


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
