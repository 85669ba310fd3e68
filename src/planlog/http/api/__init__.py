"""The REST API under /api/v1 (and the calendar feeds under /feeds): one router.

`planlog.http.app` mounts `router` beside the web's; a new group of endpoints is a
module in `routes/` added here. The API never imports the web (`planlog.http.web`) nor
the web the API: what both need is in `planlog.http` (deps, problems, limits,
downloads) and `planlog.auth`.
"""

from __future__ import annotations

from fastapi import APIRouter

from planlog.http.api.routes import (
    audit,
    evidence,
    exports,
    imports,
    items,
    orgs,
    people,
    plans,
    requests,
    tasks,
)

router = APIRouter()
for _routes in (plans, items, requests, orgs, tasks, imports, exports, audit, people, evidence):
    router.include_router(_routes.router)

__all__ = ["router"]
