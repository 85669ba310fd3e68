"""Organisations form a tree: a federation over district unions over grassroots unions.

An organisation is known by its name (plans name their organisation), so its
id is derived from the name and two people registering the same union at once
collide on the same aggregate instead of making two. Notification channels are
not kept here: robot tokens and passwords do not belong in an immutable log.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from planlog.domain.errors import RuleViolation
from planlog.domain.model import PlanlogCreated, PlanlogEvent, reason_text
from planlog.domain.values import NAME_MAX, check_text_chars, text


def organisation_id(name: str) -> UUID:
    # A lone surrogate (a command line passes undecodable bytes as one) cannot be
    # hashed as UTF-8: refuse it as a name instead of failing inside uuid5.
    check_text_chars(name, "org")
    return uuid5(NAMESPACE_URL, f"planlog:organisation:{name.strip()}")


def _org_name(value: object, field: str) -> str | None:
    """An organisation's name is its identity (its id, its plans, its URLs): one line."""
    return text(value, field, max_len=NAME_MAX, multiline=False)


def _chair(value: object) -> str | None:
    return text(value, "chair", max_len=NAME_MAX)


class Organisation(Aggregate):
    class Registered(PlanlogCreated):
        name: str
        parent: str | None
        chair: str | None

    def __init__(
        self, *, name: str, parent: str | None, chair: str | None, actor: str, reason: str | None
    ) -> None:
        self.name = name
        self.parent = parent
        self.chair = chair

    @classmethod
    def register(
        cls, name: str, *, parent: str | None, chair: str | None, actor: str
    ) -> Organisation:
        checked = _org_name(name, "org")
        if checked is None:
            raise RuleViolation(
                "new organisation", "name_required", "组织须有名称（an organisation needs a name）"
            )
        parent = _org_name(parent, "parent")
        if parent == checked:
            raise RuleViolation(
                checked,
                "no_cycle",
                f"“{checked}”不能是自己的上级（{checked} cannot be its own parent）",
            )
        return cls._create(
            cls.Registered,
            id=organisation_id(checked),
            name=checked,
            parent=parent,
            chair=_chair(chair),
            actor=actor,
            reason=None,
        )

    class Reparented(PlanlogEvent):
        parent: str | None

        def apply(self, org: Organisation) -> None:
            org.parent = self.parent

    def move_under(
        self,
        parent: str | None,
        ancestors_of_parent: list[str],
        *,
        actor: str,
        reason: str | None = None,
    ) -> None:
        """`ancestors_of_parent` is the chain above the new parent, to refuse a cycle."""
        parent = _org_name(parent, "parent")
        if parent == self.name or self.name in ancestors_of_parent:
            raise RuleViolation(
                self.name,
                "no_cycle",
                f"“{self.name}”不能挂到自己的下级组织之下"
                f"（{self.name} cannot be placed under its own descendant）",
            )
        self.trigger_event(self.Reparented, parent=parent, actor=actor, reason=reason_text(reason))

    def confirm_parent(self, parent: str | None) -> None:
        """A plan created "for X under Y" names an existing X: that confirms X's place and
        never moves it. Moving an organisation changes who sees its plans, so it is only
        `move_under`, the administrator's command (`planlog org move`)."""
        wanted = parent.strip() if parent else None
        if wanted is not None and wanted != self.parent:
            above = f"“{self.parent}”之下" if self.parent else "顶层"
            above_en = f"under {self.parent!r}" if self.parent else "at the top level"
            raise RuleViolation(
                self.name,
                "organisation_parent",
                f"组织“{self.name}”已登记在{above}，不会因此改挂到“{wanted}”之下；调整上级请用 "
                f"planlog org move（{self.name!r} is registered {above_en}; it is not moved "
                f"under {wanted!r} by naming it here: use planlog org move）",
            )

    class ChairAppointed(PlanlogEvent):
        chair: str | None

        def apply(self, org: Organisation) -> None:
            org.chair = self.chair

    def appoint_chair(self, chair: str | None, *, actor: str, reason: str | None = None) -> None:
        self.trigger_event(
            self.ChairAppointed, chair=_chair(chair), actor=actor, reason=reason_text(reason)
        )


def name_in_use(name: str) -> RuleViolation:
    """The refusal for registering a name that is already taken — registered, or named by
    plans recorded before organisations had to be registered. Registering such a name
    under some organisation would hand that organisation the plans of a union it does
    not lead, so only the administrator may place it (`planlog org move`). One message
    whatever the reason and wherever the organisation sits, so that the answer tells a
    caller nothing about organisations outside its scope."""
    return RuleViolation(
        name,
        "organisation_unique",
        f"组织“{name}”已存在或已有计划使用该名称，不能再登记；调整其上级须由管理员执行 "
        f"planlog org move（organisation {name!r} already exists or is named by plans: it "
        "cannot be registered again; only the administrator can move it, with planlog org move）",
    )
