"""Organisations form a tree: a federation over district unions over grassroots unions.

An organisation is known by its name (plans name their organisation), so its
id is derived from the name and two people registering the same union at once
collide on the same aggregate instead of making two. Notification channels are
not kept here: robot tokens and passwords do not belong in an immutable log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from planlog.domain.errors import RuleViolation
from planlog.domain.model import PlanlogCreated, PlanlogEvent, reason_text, required_reason
from planlog.domain.values import (
    NAME_MAX,
    InvalidValue,
    check_text_chars,
    required_text,
    text,
    whole,
)

_WEEK = re.compile(r"\d{4}-W\d{2}")


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
        #: ISO weeks ("2026-W48") whose laggard digest was issued to this organisation
        self.digest_weeks: set[str] = set()
        #: retired (注销): gone from the tree; its name stays taken (its history keeps it)
        self.retired = False

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
        self.refuse_if_retired("调整上级", "be moved")
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
        self.refuse_if_retired("再建计划", "have plans")
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
        self.refuse_if_retired("任命主席", "have a chair appointed")
        self.trigger_event(
            self.ChairAppointed, chair=_chair(chair), actor=actor, reason=reason_text(reason)
        )

    class Retired(PlanlogEvent):
        def apply(self, org: Organisation) -> None:
            org.retired = True

    def retire(self, below: RetireBlockers, *, actor: str, reason: str) -> None:
        """Retire (注销) an organisation registered by mistake or dissolved: it leaves the
        tree, and nothing can be placed under it, planned for it or registered as it again
        (retiring is final: its history keeps the name). Only one nothing depends on
        (`below`, what the read models show): organisations under it, its plans, people
        and tokens would be left without a place."""
        self.refuse_if_retired("再次注销", "be retired again")
        reason = required_reason(self.name, reason, "注销组织须说明原因（retiring needs a reason）")
        blockers = below.named()
        if blockers:
            zh, en = "、".join(z for z, _ in blockers), "; ".join(e for _, e in blockers)
            raise RuleViolation(
                self.name,
                "organisation_in_use",
                f"“{self.name}”还有{zh}，不能注销（{self.name!r} cannot be retired: it still "
                f"has {en}）",
            )
        self.trigger_event(self.Retired, actor=actor, reason=reason)

    def refuse_if_retired(self, what: str, what_en: str) -> None:
        if self.retired:
            raise RuleViolation(
                self.name,
                "organisation_retired",
                f"组织“{self.name}”已注销，不能{what}（organisation {self.name!r} is retired: "
                f"it cannot {what_en}）",
            )

    class DigestIssued(PlanlogEvent):
        """The weekly digest of this organisation's lagging unions (督办周报) was issued to
        its chair. Sending it is a side effect done once by the scheduler
        (planlog.scheduler.laggards); replaying this event sends nothing.

        Version 2 addresses it to people: `chairs` are the organisation's registered
        chairs, by person id (one digest each, to their own channels), and `addressed_to`
        says whether it went to them ("chairs") or, with no chair registered, to the
        organisation's own channels as before ("unit")."""

        class_version: ClassVar[int] = 2

        org: str  # the organisation's name, for the outbox that sends it
        week: str
        recipients: list[str]  # the names it is addressed to, as people read them
        lagging: list[dict[str, Any]]
        more: int
        chairs: list[dict[str, str]]  # [{"person_id", "name"}], by name
        addressed_to: str  # "chairs" or "unit"

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Version 1 named the chair in free text only: it went to the unit, or to
            # that name's own channels; no person id was ever recorded.
            state["chairs"] = []
            state["addressed_to"] = UNIT

        def apply(self, org: Organisation) -> None:
            org.digest_weeks.add(self.week)

    def issue_digest(
        self,
        week: str,
        lagging: list[dict[str, Any]],
        *,
        actor: str,
        chairs: list[dict[str, str]] | None = None,
    ) -> None:
        """Issue the digest of `week` (ISO, "2026-W48"): once per organisation and week.

        `chairs` are the organisation's registered chairs ({"person_id", "name"}): each
        gets the digest. Without any, it goes to the organisation itself (its channels),
        addressed to the chair named in free text, as digests always did."""
        if not isinstance(week, str) or not _WEEK.fullmatch(week):
            raise InvalidValue(
                "week", "not_week", "应为 ISO 周，如 2026-W48", "must be an ISO week"
            )
        if week in self.digest_weeks:
            raise RuleViolation(
                self.name,
                "digest_once",
                f"“{self.name}” {week} 的督办周报已发出（the digest of {week} was already issued）",
            )
        if not isinstance(lagging, list):
            raise InvalidValue("lagging", "not_list", "应为列表", "must be a list")
        rows = [_lagging_row(row) for row in lagging[:DIGEST_MAX]]
        people = _chairs(chairs or [])
        self.trigger_event(
            self.DigestIssued,
            org=self.name,
            week=week,
            recipients=[p["name"] for p in people] or ([self.chair] if self.chair else []),
            lagging=rows,
            more=max(0, len(lagging) - DIGEST_MAX),
            chairs=people,
            addressed_to=CHAIRS if people else UNIT,
            actor=actor,
            reason=None,
        )


#: whom a digest is addressed to: the registered chair people, or the organisation itself
CHAIRS, UNIT = "chairs", "unit"
#: chairs one digest goes to (a union has a handful; more is a mistake, not a federation)
CHAIRS_MAX = 20


def _chairs(value: object) -> list[dict[str, str]]:
    """The chairs of a digest, checked: each a person id and a name, once each, by name."""
    if not isinstance(value, list):
        raise InvalidValue("chairs", "not_list", "应为列表", "must be a list")
    if len(value) > CHAIRS_MAX:
        raise InvalidValue(
            "chairs", "too_many", f"最多 {CHAIRS_MAX} 人", f"at most {CHAIRS_MAX} people"
        )
    found: dict[str, dict[str, str]] = {}
    for entry in value:
        if not isinstance(entry, dict):
            raise InvalidValue("chairs", "not_mapping", "应为键值表", "must be a mapping")
        try:
            person_id = str(UUID(str(entry.get("person_id"))))
        except ValueError:
            raise InvalidValue(
                "person_id", "not_id", "不是人员编号", "is not a person id"
            ) from None
        name = required_text(entry.get("name"), "name", max_len=NAME_MAX, multiline=False)
        found[person_id] = {"person_id": person_id, "name": name}
    return sorted(found.values(), key=lambda p: (p["name"], p["person_id"]))


#: Lagging unions one digest names (a district has hundreds at most; the rest are counted).
DIGEST_MAX = 500


def _lagging_row(row: object) -> dict[str, Any]:
    """One lagging union of a digest, checked: its name and its figures."""
    if not isinstance(row, dict):
        raise InvalidValue("lagging", "not_mapping", "应为键值表", "must be a mapping")
    org = _org_name(row.get("org"), "org")
    if org is None:
        raise InvalidValue("org", "empty", "不能为空", "must not be empty")
    return {
        "org": org,
        "overdue": whole(row.get("overdue"), "overdue"),
        "percent_done": whole(row.get("percent_done"), "percent_done"),
    }


@dataclass(frozen=True)
class RetireBlockers:
    """What depends on an organisation, as the read models show it: an organisation
    with any of these cannot be retired (`Organisation.retire`)."""

    members: tuple[str, ...] = ()  # organisations directly under it
    plans: int = 0
    people: int = 0  # not retired
    tokens: int = 0  # API tokens of the organisation, not revoked

    SHOWN: ClassVar[int] = 5  # member names named in the refusal

    def named(self) -> list[tuple[str, str]]:
        """Each blocker in words, with what to do about it, Chinese and English."""
        found = []
        if self.members:
            shown = self.members[: self.SHOWN]
            more = len(self.members) > self.SHOWN
            found.append(
                (
                    f"下属组织{'、'.join(shown)}{'等' if more else ''}（{len(self.members)}个，"
                    "请先用 planlog org move 移到其他组织下）",
                    f"{_count(len(self.members), 'organisation')} under it "
                    f"({', '.join(shown)}{', …' if more else ''}: move them elsewhere first, "
                    "with planlog org move)",
                )
            )
        if self.plans:
            found.append(
                (
                    f"{self.plans}份计划（有计划的组织不能注销）",
                    f"{_count(self.plans, 'plan')} (an organisation with plans stays)",
                )
            )
        if self.people:
            found.append(
                (
                    f"{self.people}名人员（请先用 planlog person retire 停用）",
                    f"{_count(self.people, 'person', 'people')} (retire them first, with "
                    "planlog person retire)",
                )
            )
        if self.tokens:
            found.append(
                (
                    f"{self.tokens}个令牌（请先用 planlog token revoke 撤销）",
                    f"{_count(self.tokens, 'API token')} (revoke them first, with "
                    "planlog token revoke)",
                )
            )
        return found


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


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
