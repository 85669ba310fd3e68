"""The FastAPI application: the REST API under /api/v1 and the web board, side by side.

This is the one module that knows both doors: it mounts the API's router
(`planlog.http.api.router`) and the web's (`planlog.http.web.routes.router`), the
static files and /healthz, and installs what every request shares (problem details,
the body limit).

`create_app` builds the app; its lifespan opens the store and — when asked — starts
the background service (projections and the reminder scheduler). Nothing starts at
import, and with several web workers only one holds the scheduler lock.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from planlog.config import Settings
from planlog.domain.evidence import EVIDENCE_MAX_BYTES
from planlog.http import problems
from planlog.http.api import router as api_router
from planlog.http.deps import Services
from planlog.http.docs import offline_app
from planlog.http.limits import BodyLimit
from planlog.http.web import STATIC_DIR
from planlog.http.web.routes import router as web_router
from planlog.projections.runner import ReadModelRunner
from planlog.scheduler.service import Service
from planlog.service.app import PlanlogApp

MAX_BODY = 6 * 1024 * 1024  # uploads are limited to 5 MB; JSON bodies are far smaller
#: An evidence upload (the API's, and the web's progress forms: the item page and
#: 我的任务) carries one file of up to EVIDENCE_MAX_BYTES, plus the form around it.
EVIDENCE_PATHS = re.compile(r"/api/v1/items/[^/]+/evidence|/items/[^/]+/progress|/me/progress")
MAX_EVIDENCE_BODY = EVIDENCE_MAX_BYTES + 256 * 1024

DESCRIPTION = """
planlog — 工会年度工作计划台账. Every change is an event with who, when and why.

Authenticate with `Authorization: Bearer <token>` (create tokens with
`planlog token create --org ORG --role chair|editor|auditor`). A token sees its
organisation and the organisations below it; anything else answers 404.
Errors are RFC 9457 `application/problem+json`. Items carry an `ETag` (their
version); send it back in `If-Match` and a stale write is refused with 412.
"""


def create_app(settings: Settings | None = None, *, background: bool = True) -> FastAPI:
    """`background=False` for tests and for extra web workers behind `planlog worker`."""
    config = settings or Settings()

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        if background:
            service = Service(config)
            service.start()
            api.state.services = Services(config, service.app, service.runner)
            try:
                yield
            finally:
                service.stop()
        else:
            app = PlanlogApp(config.database_url)
            runner = ReadModelRunner(app)
            api.state.services = Services(config, app, runner)
            try:
                yield
            finally:
                runner.close()
                app.close()

    # /docs and /redoc with their assets served from the package: nothing from a CDN.
    api = offline_app(title="planlog", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    problems.install(api)
    # Counted on the stream, before any route, dependency or authentication reads it.
    api.add_middleware(BodyLimit, limit=MAX_BODY, wider=(EVIDENCE_PATHS, MAX_EVIDENCE_BODY))

    api.include_router(api_router)
    api.include_router(web_router)
    api.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @api.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        # Browsers ask for it on every site; the icon lives with the other static files.
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @api.get("/healthz", tags=["service"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return api
