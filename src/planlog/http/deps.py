"""What every request needs: the application, fresh read models, and who is asking.

Scope: a token belongs to an organisation and sees it and its descendants. Data of
any other organisation answers 404, as if it did not exist, so that a token never
learns which other unions use planlog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request
from sqlalchemy import Engine

from planlog.auth.tokens import Principal, authenticate
from planlog.config import Settings
from planlog.domain.errors import NotFound
from planlog.domain.model import Plan, PlanItem
from planlog.http.problems import Forbidden, Unauthorized
from planlog.projections.rollup import descendants, org_tree
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import PlanlogApp

log = logging.getLogger("planlog.api")

READ = ("chair", "editor", "auditor")
REPORT = ("chair", "editor")  # report progress and complete items
MANAGE = ("chair",)
AUDIT = ("chair", "auditor")


@dataclass
class Services:
    settings: Settings
    app: PlanlogApp
    runner: ReadModelRunner

    @property
    def engine(self) -> Engine:
        return self.runner.engine

    def fresh(self) -> Engine:
        """Read models that include every write recorded so far — the caller's own too,
        whichever worker process took them.

        A catch-up that fails (the database busy or unreachable, a broken projection) is
        logged and the read models are served as they are: no request depends on every
        organisation's events being projected. An event a projection cannot apply does
        not fail it; the runner quarantines that event and goes on.
        """
        try:
            self.runner.catch_up()
        except Exception:
            log.exception("catching the read models up failed; serving them as they are")
        return self.runner.engine


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


ServicesDep = Annotated[Services, Depends(services)]


@dataclass(frozen=True)
class Caller:
    principal: Principal
    scope: frozenset[str]

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def actor(self) -> str:
        """Who the log records: the token's name, else its role and organisation."""
        return self.principal.name or f"{self.role}@{self.principal.org}"

    def require(self, roles: tuple[str, ...], action: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"role {self.role} may not {action}")

    def sees_org(self, org: str) -> bool:
        return org in self.scope

    def require_own_org(self, org: str) -> None:
        """Writes name only the caller's organisation or one below it. The refusal is
        the same whether `org` exists elsewhere or nowhere, so that it reveals nothing
        about organisations outside the scope."""
        if not self.sees_org(org.strip()):
            mine = self.principal.org
            raise Forbidden(
                f"“{org}”不是“{mine}”或其下属工会（{org!r} is not {mine!r} or one of its "
                "member unions）"
            )

    def visible_org(self, org: str) -> str:
        """An organisation the caller may read, else the same 404 as for a name that
        exists nowhere: a token never learns which other unions use planlog."""
        if not self.sees_org(org.strip()):
            raise org_not_found(org)
        return org.strip()

    def plan(self, svc: Services, plan_id: UUID) -> Plan:
        plan = svc.app.get_plan(plan_id)
        if not self.sees_org(plan.org):
            raise NotFound(f"no plan with id {plan_id}", id=str(plan_id))
        return plan

    def item(self, svc: Services, item_id: UUID) -> tuple[PlanItem, Plan]:
        item = svc.app.get_item(item_id)
        plan = svc.app.get_plan(item.plan_id)
        if not self.sees_org(plan.org):
            raise NotFound(f"no item with id {item_id}", id=str(item_id))
        return item, plan


def org_not_found(org: str) -> NotFound:
    return NotFound(f"没有名为“{org}”的组织（no organisation named {org!r}）")


def org_scope(engine: Engine, org: str) -> frozenset[str]:
    with engine.connect() as conn:
        tree = org_tree(conn)
    if org not in tree:
        return frozenset({org})
    return frozenset(descendants(tree, org))


def caller(
    svc: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Caller:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("a bearer token is required (Authorization: Bearer …)")
    principal = authenticate(svc.engine, authorization[7:].strip())
    if principal is None:
        raise Unauthorized("the token is unknown or revoked")
    return Caller(principal, org_scope(svc.fresh(), principal.org))


CallerDep = Annotated[Caller, Depends(caller)]


def role_caller(roles: tuple[str, ...], action: str) -> Callable[[Caller], Caller]:
    def check(who: CallerDep) -> Caller:
        who.require(roles, action)
        return who

    return check
