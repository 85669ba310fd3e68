"""Who is asking and what they may see: roles and the organisation scope.

Scope: a token belongs to an organisation and sees it and its descendants. Data of
any other organisation answers "not found", as if it did not exist, so that a token
never learns which other unions use planlog.

These rules belong to no door: the API and the web build a `Caller` from a bearer
token or a browser session (`planlog.http.deps`, `planlog.http.web.session`), and
anything else holding a `Principal` — the CLI included — can ask the same questions.
"""

from __future__ import annotations

from functools import cached_property
from uuid import UUID

from sqlalchemy import Connection, Engine, Text, literal, select

from planlog.auth.errors import Forbidden
from planlog.auth.tokens import LEGACY_SIGN_IN_NAME, SIGN_IN_MARK, Principal
from planlog.domain.errors import missing, missing_organisation
from planlog.domain.model import Plan, PlanItem
from planlog.projections.rollup import organisations, subtree
from planlog.service.app import PlanlogApp

READ = ("chair", "editor", "auditor")
REPORT = ("chair", "editor")  # report progress and complete items
MANAGE = ("chair",)
AUDIT = ("chair", "auditor")
#: The roles as a union officer says them, for refusals (Chinese first).
ROLE_NAMES_ZH = {"chair": "主席", "editor": "责任人", "auditor": "审计"}


class Caller:
    """A principal and what it may see. The scope (its organisation and every one below)
    is read only when a door needs the whole of it (a listing); whether one organisation
    is in it walks up from that organisation's parents instead, so a request about one
    plan costs what the chain above it holds, never the caller's whole subtree."""

    def __init__(self, principal: Principal, read_models: Engine) -> None:
        self.principal = principal
        self._read_models = read_models
        self._within: dict[str, bool] = {}

    @classmethod
    def of(cls, principal: Principal, read_models: Engine) -> Caller:
        """The principal with its scope: its organisation and those below it."""
        return cls(principal, read_models)

    @cached_property
    def scope(self) -> frozenset[str]:
        return org_scope(self._read_models, self.principal.org)

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def actor(self) -> str:
        """Who the log records: the person, else the token's name, else its role and
        organisation (`actor_of`)."""
        return actor_of(self.principal)

    def require(self, roles: tuple[str, ...], action: str) -> None:
        if self.role not in roles:
            role = ROLE_NAMES_ZH.get(self.role, self.role)
            raise Forbidden(f"“{role}”角色无权执行此操作（role {self.role} may not {action}）")

    def sees_org(self, org: str) -> bool:
        if org == self.principal.org:
            return True  # a union asking about itself: nothing to read
        if "scope" in self.__dict__:
            return org in self.scope
        if org not in self._within:
            with self._read_models.connect() as conn:
                self._within[org] = is_within(conn, org, self.principal.org)
        return self._within[org]

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
            raise missing_organisation(org)
        return org.strip()

    def plan(self, app: PlanlogApp, plan_id: UUID) -> Plan:
        plan = app.get_plan(plan_id)
        if not self.sees_org(plan.org):
            raise missing("plan", plan_id)
        return plan

    def item(self, app: PlanlogApp, item_id: UUID) -> tuple[PlanItem, Plan]:
        item = app.get_item(item_id)
        plan = app.get_plan(item.plan_id)
        if not self.sees_org(plan.org):
            raise missing("item", item_id)
        return item, plan


def actor_of(principal: Principal) -> str:
    """The name a principal's writes are recorded under (needs no scope): a person's
    name ("张三（组织部）") for a person's token or session, else the token's holder.
    A printed sign-in link's token records the person it names, never the link's mark."""
    name = (principal.name or "").removesuffix(SIGN_IN_MARK).strip()
    if not name or name == LEGACY_SIGN_IN_NAME:
        return f"{principal.role}@{principal.org}"
    return name


def org_scope(engine: Engine, org: str) -> frozenset[str]:
    """`org` and every organisation below it in the read models' organisation tree, read
    from `org` down only (`rollup.subtree`): a union's request costs what its own subtree
    holds, however large the federation."""
    with engine.connect() as conn:
        return frozenset(subtree(conn, org))


def is_within(conn: Connection, org: str, root: str) -> bool:
    """Whether `org` is `root` or below it: `root` among `org` and its ancestors, read
    up the parent chain (a few primary-key look-ups), the same tree `org_scope` reads
    down. UNION, not UNION ALL, so a cycle (which the domain refuses) could not loop."""
    o = organisations.c
    up = select(literal(org, Text).label("name")).cte("chain", recursive=True)
    up = up.union(select(o.parent).join(up, o.name == up.c.name).where(o.parent.is_not(None)))
    return conn.execute(select(up.c.name).where(up.c.name == root).limit(1)).first() is not None
