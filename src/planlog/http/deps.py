"""What every request needs: the application, fresh read models, and who is asking.

Only the FastAPI side lives here: reading the services off the app and the bearer
token off the `Authorization` header. The rules themselves — roles, the organisation
scope, 404 outside it — are `planlog.auth.caller`'s, shared with every door.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

import orjson
from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from planlog.auth.caller import Caller
from planlog.auth.errors import Unauthorized
from planlog.auth.tokens import authenticate
from planlog.config import Settings
from planlog.heap import no_cyclic_gc
from planlog.projections.answers import AnswerCache
from planlog.projections.ranking import ranking
from planlog.projections.rollup import FigureCache, rollup
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp
from planlog.service.evidence import EvidenceStore

log = logging.getLogger("planlog.api")


@dataclass
class Services:
    settings: Settings
    app: PlanlogApp
    runner: ReadModelRunner
    #: rollups and rankings, until a read model moves (one per worker process)
    answers: AnswerCache = field(default_factory=AnswerCache)
    #: every organisation's figures, brought up to date by what moved (per process)
    figures: FigureCache = field(default_factory=FigureCache)

    @property
    def engine(self) -> Engine:
        return self.runner.engine

    @property
    def evidence(self) -> EvidenceStore:
        """Where evidence files are kept (Settings.evidence_dir, else beside the store)."""
        return EvidenceStore.of(self.app.store, self.settings.evidence_dir)

    def rollup_answer(
        self,
        conn: Connection,
        org: str,
        today: date,
        *,
        rank: bool = False,
        depth: int | None = None,
    ) -> bytes:
        """`org`'s rollup (its node; with `rank`, its ranking) as JSON, kept in `answers`
        under one question whichever door asks: the API sends the bytes, a page reads
        them back, in milliseconds where computing a city's costs a hundred. Serialised
        here, as is: a city's answer is megabytes of plain dicts, which FastAPI's encoder
        walked value by value for longer than the rollup took to compute. LookupError
        for an organisation the read models do not know."""

        def compute() -> bytes:
            with no_cyclic_gc():  # a city's answer is 100,000 objects until serialised
                cache = self.figures
                found = (
                    ranking(conn, org, today, cache)
                    if rank
                    else rollup(conn, org, today, depth, cache)[0]
                )
                return orjson.dumps(found)

        depth = None if rank else depth  # a ranking lists every union whatever the depth
        return self.answers.answer(conn, ("rollup", org, today, rank, depth), compute)

    def fresh(self) -> Engine:
        """Read models that include every write recorded so far — the caller's own too,
        whichever worker process took them.

        A catch-up that fails (the database busy or unreachable, a broken projection) is
        logged and the read models are served as they are: no request depends on every
        organisation's events being projected. An event a projection cannot apply does
        not fail it; the runner quarantines that event and goes on.
        """
        try:
            # not waiting for a catch-up another caller folds in windows (minutes after
            # a restore): the read models are served as they are meanwhile
            self.runner.catch_up(wait=False)
        except Exception:
            log.exception("catching the read models up failed; serving them as they are")
        return self.runner.engine


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


def caller(
    svc: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Caller:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized(
            "需要登录令牌：请在 Authorization 头中提供 Bearer 令牌"
            "（a bearer token is required: Authorization: Bearer …）"
        )
    principal = authenticate(svc.engine, authorization[7:].strip())
    if principal is None:
        raise Unauthorized("令牌无效或已撤销（the token is unknown or revoked）")
    return Caller.of(principal, svc.fresh())


CallerDep = Annotated[Caller, Depends(caller)]


def role_caller(roles: tuple[str, ...], action: str) -> Callable[[Caller], Caller]:
    def check(who: CallerDep) -> Caller:
        who.require(roles, action)
        return who

    return check
