"""The plan and its items as event-sourced aggregates. Pure: no I/O.

Each public method checks the rules first and then triggers one event; the
event's `apply` is the only place state changes, so replaying the log gives
back exactly the state that was decided on. Event payloads hold plain JSON
values (ISO dates, strings, numbers) so the log stays readable to auditors and
cheap to decode for projections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from planlog.domain import clock
from planlog.domain.errors import RuleViolation
from planlog.domain.evidence import EvidenceFile, checked_files, checked_sha256
from planlog.domain.policy import validate_policy
from planlog.domain.schedule import Occurrence, check_in_plan_year, normalise, overall_percent
from planlog.domain.status import CANCELLED, DONE, FINISHED, IN_PROGRESS, OPEN, SUBMITTED
from planlog.domain.values import (
    LONG_TEXT_MAX,
    NAME_MAX,
    REASON_MAX,
    TITLE_MAX,
    InvalidValue,
    check_payload,
    flag,
    normalised,
    number,
    text,
    whole,
)

#: Fields eventsourcing sets on every event; the rest is the payload planlog decided.
_ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def _check_event(event: Any) -> None:
    payload = {k: v for k, v in vars(event).items() if k not in _ENVELOPE}
    check_payload(payload, event=type(event).__qualname__)


def reason_text(reason: object) -> str | None:
    """An optional reason, checked; empty is None."""
    return text(reason, "reason", max_len=REASON_MAX)


def required_reason(aggregate_id: object, reason: object, why: str) -> str:
    """A reason the rule requires: missing stays the `reason_required` rule."""
    cleaned = reason_text(reason)
    if cleaned is None:
        raise RuleViolation(aggregate_id, "reason_required", why)
    return cleaned


class PlanlogEvent(Aggregate.Event):
    """Base of every planlog event: who did it and, optionally, why.

    A new event checks its payload (`planlog.domain.values`); one read back from the
    log is rebuilt without `__init__`, so history is never refused on replay.
    """

    actor: str
    reason: str | None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_event(self)

    @staticmethod
    def create_timestamp() -> datetime:
        return clock.now()


class PlanlogCreated(Aggregate.Created):
    actor: str
    reason: str | None

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_event(self)

    @staticmethod
    def create_timestamp() -> datetime:
        return clock.now()


# --------------------------------------------------------------------- Plan


@dataclass
class Section:
    section_id: str
    title: str


class Plan(Aggregate):
    """A union's annual work plan: organisation, year, title and ordered sections."""

    class Created(PlanlogCreated):
        org: str
        year: int
        title: str
        source: dict[str, Any] | None

    def __init__(
        self,
        *,
        org: str,
        year: int,
        title: str,
        source: dict[str, Any] | None,
        actor: str,
        reason: str | None,
    ) -> None:
        self.org = org
        self.year = year
        self.title = title
        self.source = source
        self.created_by = actor
        self.sections: list[Section] = []
        self.item_ids: list[UUID] = []
        #: reminder policy overrides (planlog.domain.policy.ReminderPolicy fields)
        self.reminder_policy: dict[str, Any] = {}

    @classmethod
    def create(
        cls,
        *,
        org: str,
        year: int,
        title: str,
        actor: str,
        source: dict[str, Any] | None = None,
        reason: str | None = None,
        plan_id: UUID | None = None,
    ) -> Plan:
        where = plan_id or "new plan"
        org_name = text(org, "org", max_len=NAME_MAX, multiline=False)
        if org_name is None:
            raise RuleViolation(where, "org_required", "a plan needs an organisation")
        plan_title = text(title, "title", max_len=TITLE_MAX)
        if plan_title is None:
            raise RuleViolation(where, "title_required", "a plan needs a title")
        if not 2000 <= whole(year, "year") <= 2100:
            raise RuleViolation(where, "year_range", f"year {year} is not a plan year (2000–2100)")
        return cls._create(
            cls.Created,
            id=plan_id or uuid4(),
            org=org_name,
            year=year,
            title=plan_title,
            source=source,
            actor=actor,
            reason=reason_text(reason),
        )

    class SectionAdded(PlanlogEvent):
        section_id: str
        title: str

        def apply(self, plan: Plan) -> None:
            plan.sections.append(Section(self.section_id, self.title))

    class SectionRenamed(PlanlogEvent):
        section_id: str
        title: str

        def apply(self, plan: Plan) -> None:
            plan.section(self.section_id).title = self.title

    class ItemAttached(PlanlogEvent):
        item_id: str

        def apply(self, plan: Plan) -> None:
            plan.item_ids.append(UUID(self.item_id))

    class ReminderPolicySet(PlanlogEvent):
        policy: dict[str, Any]

        def apply(self, plan: Plan) -> None:
            plan.reminder_policy = dict(self.policy)

    def set_reminder_policy(
        self, policy: Mapping[str, Any], *, actor: str, reason: str | None = None
    ) -> None:
        """Record the policy's overrides: each field within its bounds (planlog.domain.policy),
        recorded normalised, or InvalidValue naming the field and nothing recorded. The
        one check for every door (API, CLI, web, code). Policies recorded before the
        bounds existed are read clamped (ReminderPolicy.from_stored)."""
        if not isinstance(policy, Mapping):
            raise InvalidValue("policy", "not_mapping", "应为键值表", "must be a mapping")
        self.trigger_event(
            self.ReminderPolicySet,
            policy=validate_policy(policy),
            actor=actor,
            reason=reason_text(reason),
        )

    @property
    def sign_off(self) -> bool:
        """Whether a completion waits for the chair's confirmation (办结审核): the policy's
        `sign_off` switch, off unless set."""
        return self.reminder_policy.get("sign_off") is True

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.section_id == section_id:
                return section
        raise RuleViolation(self.id, "section_exists", f"plan has no section {section_id!r}")

    def section_by_title(self, title: str) -> Section | None:
        wanted = normalised(title) if isinstance(title, str) else None
        return next((s for s in self.sections if s.title == wanted), None)

    def _section_title(self, title: object) -> str:
        cleaned = text(title, "section", max_len=NAME_MAX)
        if cleaned is None:
            raise RuleViolation(self.id, "section_title_required", "a section needs a title")
        return cleaned

    def add_section(self, title: str, *, actor: str, reason: str | None = None) -> Section:
        title = self._section_title(title)
        if self.section_by_title(title) is not None:
            raise RuleViolation(self.id, "section_unique", f"section {title!r} already exists")
        section_id = f"s{len(self.sections) + 1}"
        self.trigger_event(
            self.SectionAdded,
            section_id=section_id,
            title=title,
            actor=actor,
            reason=reason_text(reason),
        )
        return self.section(section_id)

    def rename_section(
        self, section_id: str, title: str, *, actor: str, reason: str | None = None
    ) -> None:
        current = self.section(section_id)
        title = self._section_title(title)
        if title == current.title:
            raise RuleViolation(self.id, "rename_changes", f"section {title!r} is already so named")
        other = self.section_by_title(title)
        if other is not None and other.section_id != section_id:
            raise RuleViolation(self.id, "section_unique", f"section {title!r} already exists")
        self.trigger_event(
            self.SectionRenamed,
            section_id=section_id,
            title=title,
            actor=actor,
            reason=reason_text(reason),
        )

    class Renamed(PlanlogEvent):
        title: str

        def apply(self, plan: Plan) -> None:
            plan.title = self.title

    def rename(self, title: str, *, actor: str, reason: str | None = None) -> None:
        """A new title for the plan (an imported title is often the document's file name)."""
        new_title = text(title, "title", max_len=TITLE_MAX)
        if new_title is None:
            raise RuleViolation(self.id, "title_required", "a plan needs a title")
        if new_title == self.title:
            raise RuleViolation(
                self.id, "rename_changes", f"计划已是此名（the plan is already {new_title!r}）"
            )
        self.trigger_event(self.Renamed, title=new_title, actor=actor, reason=reason_text(reason))

    class SectionsReordered(PlanlogEvent):
        order: list[str]  # every section id, in the new order

        def apply(self, plan: Plan) -> None:
            at = {s.section_id: s for s in plan.sections}
            plan.sections = [at[i] for i in self.order if i in at] + [
                s for s in plan.sections if s.section_id not in self.order
            ]

    def reorder_sections(self, order: list[str], *, actor: str, reason: str | None = None) -> None:
        """Put the sections in this order: every section named once, no other."""
        if not isinstance(order, list) or not all(isinstance(i, str) for i in order):
            raise InvalidValue(
                "order", "not_list", "应为部分编号列表", "must be a list of section ids"
            )
        known = [s.section_id for s in self.sections]
        if sorted(order) != sorted(known) or len(set(order)) != len(order):
            raise RuleViolation(
                self.id,
                "sections_complete",
                "每个部分须列出且仅列一次"
                f"（name every section once: {', '.join(known) or 'none'}）",
            )
        if order == known:
            raise RuleViolation(
                self.id,
                "reorder_changes",
                "部分已是此顺序（the sections are already in this order）",
            )
        self.trigger_event(
            self.SectionsReordered, order=list(order), actor=actor, reason=reason_text(reason)
        )

    def attach_item(self, item: PlanItem, *, actor: str) -> None:
        if item.plan_id != self.id:
            raise RuleViolation(item.id, "item_in_plan", f"item belongs to plan {item.plan_id}")
        if item.section_id is not None:
            self.section(item.section_id)
        self.trigger_event(self.ItemAttached, item_id=str(item.id), actor=actor, reason=None)


# ----------------------------------------------------------------- PlanItem


@dataclass
class Target:
    """A measurable target (建会率达到80%以上, 新增基层工会800家) and how far it got."""

    text: str
    value: float
    unit: str
    comparator: str = ">="
    current: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "value": self.value,
            "unit": self.unit,
            "comparator": self.comparator,
            "current": self.current,
        }


@dataclass
class ItemDetails:
    """What an item says, as planned or revised."""

    title: str
    section_id: str | None = None
    number: str | None = None
    goal: str | None = None
    measures: str | None = None
    responsible: str | None = None
    targets: list[Target] = field(default_factory=list)
    #: 协办单位, as written ("组织部、宣传部"). Only a revision sets it: Planned has no such
    #: field, so no stored event changes shape (an item planned before reads None).
    helpers: str | None = None


#: The states of an extension request (延期申请).
REQUEST_OPEN = "open"
REQUEST_APPROVED = "approved"
REQUEST_REJECTED = "rejected"
#: Closed without a decision: its deadline went away (a reschedule or the federation's
#: adjustment removed it), so there is nothing left to extend.
REQUEST_SUPERSEDED = "superseded"
#: An extension request's id is its item's id and its number on the item
#: ("<item uuid>-r1"): any door resolves it to the item, and so to the item's scope.
_REQUEST_SEP = "-r"


def extension_request_id(item_id: UUID, number: int) -> str:
    return f"{item_id}{_REQUEST_SEP}{number}"


def item_of_request(request_id: object) -> UUID:
    """The item an extension request id belongs to; InvalidValue for anything else."""
    if isinstance(request_id, str) and len(request_id) <= 48:
        head, sep, number = request_id.strip().rpartition(_REQUEST_SEP)
        if sep and number.isdigit() and number.isascii():
            try:
                return UUID(head)
            except ValueError:
                pass
    raise InvalidValue(
        "request_id",
        "malformed",
        "不是延期申请编号",
        "is not an extension request id (<item id>-r<number>)",
    )


@dataclass(frozen=True)
class ExtensionRequest:
    """A responsible person's request (延期申请) to move one deadline, and its outcome."""

    request_id: str
    occurrence: str
    to: date
    reason: str
    requested_by: str
    status: str = REQUEST_OPEN
    decided_by: str | None = None
    decision_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.request_id,
            "occurrence": self.occurrence,
            "to": self.to.isoformat(),
            "reason": self.reason,
            "requested_by": self.requested_by,
            "status": self.status,
            "decided_by": self.decided_by,
            "decision_reason": self.decision_reason,
        }


REVISABLE = ("title", "section_id", "number", "goal", "measures", "targets", "helpers")
#: How a target's current value is compared with its planned value.
COMPARATORS = (">=", "<=", "=")


def checked_target(target: object) -> Target:
    """A target as it may be stored: clean text, a finite value, a known comparator."""
    if not isinstance(target, Target):
        raise InvalidValue("target", "not_target", "格式不对", "must be a target")
    if target.comparator not in COMPARATORS:
        allowed = ", ".join(COMPARATORS)
        raise InvalidValue(
            "comparator", "unknown", f"须为 {allowed} 之一", f"must be one of {allowed}"
        )
    return Target(
        text=text(target.text, "target", max_len=TITLE_MAX) or "",
        value=number(target.value, "target_value"),
        unit=text(target.unit, "unit", max_len=NAME_MAX, multiline=False) or "",
        comparator=target.comparator,
        current=None if target.current is None else number(target.current, "current"),
    )


def checked_targets(targets: object) -> list[Target]:
    if not isinstance(targets, list | tuple):
        raise InvalidValue("target", "not_list", "应为列表", "must be a list of targets")
    return [checked_target(t) for t in targets]


def checked_detail(name: str, value: object) -> Any:
    """One revisable field of an item, checked; the title may not be empty."""
    if name == "title":
        return text(value, "title", max_len=TITLE_MAX)
    if name == "targets":
        return [t.to_dict() for t in checked_targets(value)]
    if name in ("goal", "measures"):
        return text(value, name, max_len=LONG_TEXT_MAX)
    if name == "helpers":
        return text(value, name, max_len=TITLE_MAX)
    label = "section" if name == "section_id" else name
    return text(value, label, max_len=NAME_MAX)


def _occurrence_dicts(occurrences: list[Occurrence]) -> list[dict[str, str | None]]:
    return [occ.to_dict() for occ in normalise(occurrences)]


class PlanItem(Aggregate):
    """One task of the plan, with its schedule of occurrences."""

    class Planned(PlanlogCreated):
        # Version 2 added `source` (the document text and line an item was imported from);
        # version 3 `task_id` and `source_item_id`: the federation task (任务下达) this item
        # is a union's copy of, and the federation's own item it was copied from.
        class_version: ClassVar[int] = 3

        plan_id: str
        section_id: str | None
        number: str | None
        title: str
        goal: str | None
        measures: str | None
        responsible: str | None
        targets: list[dict[str, Any]]
        deadline_text: str | None
        rrule: str | None
        occurrences: list[dict[str, str | None]]
        soft: bool
        source: dict[str, Any] | None
        task_id: str | None
        source_item_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["source"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["task_id"] = None
            state["source_item_id"] = None

    def __init__(
        self,
        *,
        plan_id: str,
        section_id: str | None,
        number: str | None,
        title: str,
        goal: str | None,
        measures: str | None,
        responsible: str | None,
        targets: list[dict[str, Any]],
        deadline_text: str | None,
        rrule: str | None,
        occurrences: list[dict[str, str | None]],
        soft: bool,
        source: dict[str, Any] | None,
        actor: str,
        reason: str | None,
        task_id: str | None = None,
        source_item_id: str | None = None,
    ) -> None:
        self.plan_id = UUID(plan_id)
        #: set on a union's copy of a federation task: its schedule is the federation's
        self.task_id = UUID(task_id) if task_id else None
        self.source_item_id = UUID(source_item_id) if source_item_id else None
        self.details = ItemDetails(
            title=title,
            section_id=section_id,
            number=number,
            goal=goal,
            measures=measures,
            responsible=responsible,
            targets=[Target(**t) for t in targets],
        )
        self.deadline_text = deadline_text
        self.rrule = rrule
        self.soft = soft
        self.source = source
        self.occurrences: dict[str, Occurrence] = {}
        self._set_schedule(occurrences)
        self.cancelled = False
        self.cancel_reason: str | None = None
        self.planned_by = actor
        #: reminder keys issued per occurrence ("7d", "due", "overdue+3", …)
        self.reminders: dict[str, set[str]] = {}
        #: evidence files attached, oldest first: the file (EvidenceFile.to_dict) with
        #: the occurrence, note, actor and time of each attachment
        self.evidence_files: list[dict[str, Any]] = []
        #: extension requests (延期申请) by request id, in the order they were made
        self.extension_requests: dict[str, ExtensionRequest] = {}
        #: who submitted each occurrence now waiting for sign-off: not the one to confirm it
        self.submitted_by: dict[str, str] = {}

    @classmethod
    def plan(
        cls,
        *,
        plan_id: UUID,
        details: ItemDetails,
        occurrences: list[Occurrence],
        actor: str,
        rrule: str | None = None,
        deadline_text: str | None = None,
        soft: bool = False,
        source: dict[str, Any] | None = None,
        reason: str | None = None,
        item_id: UUID | None = None,
        task_id: UUID | None = None,
        source_item_id: UUID | None = None,
    ) -> PlanItem:
        """A new item; `task_id`/`source_item_id` make it a union's copy of a federation
        task (planlog.domain.task), whose schedule only the federation changes."""
        new_id = item_id or uuid4()
        title = checked_detail("title", details.title)
        if title is None:
            raise RuleViolation(new_id, "title_required", "an item needs a title")
        return cls._create(
            cls.Planned,
            id=new_id,
            plan_id=str(plan_id),
            section_id=checked_detail("section_id", details.section_id),
            number=checked_detail("number", details.number),
            title=title,
            goal=checked_detail("goal", details.goal),
            measures=checked_detail("measures", details.measures),
            responsible=text(details.responsible, "responsible", max_len=NAME_MAX),
            targets=checked_detail("targets", details.targets),
            deadline_text=text(deadline_text, "deadline_text", max_len=TITLE_MAX),
            rrule=text(rrule, "rrule", max_len=TITLE_MAX),
            occurrences=_occurrence_dicts(occurrences),
            soft=flag(soft, "soft"),
            source=source,
            actor=actor,
            reason=reason_text(reason),
            task_id=str(task_id) if task_id else None,
            source_item_id=str(source_item_id) if source_item_id else None,
        )

    # ------------------------------------------------------------ queries

    @property
    def title(self) -> str:
        return self.details.title

    @property
    def section_id(self) -> str | None:
        return self.details.section_id

    @property
    def responsible(self) -> str | None:
        return self.details.responsible

    def ordered_occurrences(self) -> list[Occurrence]:
        return sorted(self.occurrences.values(), key=lambda o: o.due)

    def occurrence_status(self, occ: Occurrence) -> str:
        return CANCELLED if self.cancelled and occ.status != DONE else occ.status

    def earliest_open(self) -> Occurrence:
        for occ in self.ordered_occurrences():
            if occ.status not in FINISHED:
                return occ
        raise RuleViolation(
            self.id,
            "open_occurrence_exists",
            "每个时限都已完成或已提交办结（every occurrence is already done or submitted）",
        )

    def wants_chasing(self, occurrence: str) -> bool:
        """Whether a reminder about this occurrence may still be issued: the item is
        live, the occurrence neither done nor handed in, and no request to move its
        deadline awaits the chair (chasing pauses meanwhile). The reminder pass asks it
        of the item itself before it issues, since its read model may lag behind."""
        occ = self.occurrences.get(occurrence)
        if self.cancelled or occ is None or occ.status in FINISHED:
            return False
        return self.open_extension_request(occurrence) is None

    def open_extension_request(self, occurrence: str) -> str | None:
        """The id of the extension request still waiting for the chair on this occurrence
        (the reminder issuer pauses chasing it meanwhile), or None."""
        return next(
            (
                r.request_id
                for r in self.extension_requests.values()
                if r.occurrence == occurrence and r.status == REQUEST_OPEN
            ),
            None,
        )

    @property
    def percent(self) -> int:
        """Progress of the whole item: done occurrences count as 100%."""
        return overall_percent(self.occurrences.values())

    # ------------------------------------------------------------ rules

    def _refuse_if_cancelled(self, action: str) -> None:
        if self.cancelled:
            raise RuleViolation(
                self.id, "not_cancelled", f"cannot {action} '{self.title}': the item is cancelled"
            )

    def _occurrence(self, key: str) -> Occurrence:
        try:
            return self.occurrences[key]
        except KeyError:
            known = ", ".join(self.occurrences) or "none"
            raise RuleViolation(
                self.id,
                "occurrence_exists",
                f"'{self.title}' has no occurrence due {key} (occurrences: {known})",
            ) from None

    def _open_occurrence(self, key: str | None) -> Occurrence:
        """The occurrence due `key` (None: the earliest open one), refused when it is
        already done: completing, backfilling, reporting on, reminding about and moving
        an occurrence all need it open."""
        occ = self.earliest_open() if key is None else self._occurrence(key)
        if occ.status == DONE:
            raise RuleViolation(
                self.id, "occurrence_open", f"'{self.title}' is already done for {occ.key}"
            )
        if occ.status == SUBMITTED:
            raise RuleViolation(
                self.id,
                "occurrence_open",
                f"“{self.title}”{occ.key} 时限已提交办结，等待确认"
                f"（'{self.title}' is submitted for {occ.key}, awaiting the chair's sign-off）",
            )
        return occ

    def _set_schedule(self, occurrences: list[dict[str, str | None]]) -> None:
        for data in occurrences:
            occ = Occurrence.from_dict(data)
            self.occurrences[occ.key] = occ

    # ----------------------------------------------------------- commands

    class Revised(PlanlogEvent):
        changes: dict[str, Any]

        def apply(self, item: PlanItem) -> None:
            for name, value in self.changes.items():
                if name == "targets":
                    value = [Target(**t) for t in value]
                setattr(item.details, name, value)

    def revise(self, *, actor: str, reason: str | None = None, **changes: Any) -> None:
        self._refuse_if_cancelled("revise")
        unknown = set(changes) - set(REVISABLE)
        if unknown:
            raise RuleViolation(
                self.id, "revisable_fields", f"cannot revise {', '.join(sorted(unknown))}"
            )
        changes = {name: checked_detail(name, value) for name, value in changes.items()}
        if "title" in changes and changes["title"] is None:
            raise RuleViolation(self.id, "title_required", "an item needs a title")
        reason = reason_text(reason)
        current = {
            name: getattr(self.details, name)
            if name != "targets"
            else [t.to_dict() for t in self.details.targets]
            for name in changes
        }
        changed = {k: v for k, v in changes.items() if current[k] != v}
        if not changed:
            raise RuleViolation(self.id, "revision_changes", f"'{self.title}' already says that")
        self.trigger_event(self.Revised, changes=changed, actor=actor, reason=reason)

    class Rescheduled(PlanlogEvent):
        occurrences: list[dict[str, str | None]]
        rrule: str | None
        deadline_text: str | None

        def apply(self, item: PlanItem) -> None:
            kept = {k: o for k, o in item.occurrences.items() if o.status in FINISHED}
            item.occurrences = kept
            item._set_schedule(self.occurrences)
            item.rrule = self.rrule
            item.deadline_text = self.deadline_text

    def reschedule(
        self,
        occurrences: list[Occurrence],
        *,
        actor: str,
        reason: str,
        plan_year: int,
        rrule: str | None = None,
        deadline_text: str | None = None,
        from_task: bool = False,
        deciding: str | None = None,
    ) -> None:
        """Replace the open occurrences; done ones stay, with their history. A copy of a
        federation task keeps the federation's deadlines: only the task's adjustment
        (`from_task=True`, planlog.domain.task) moves them. An open extension request
        whose deadline the new schedule drops is closed as superseded (except the one
        being approved, `deciding`, which this reschedule carries out)."""
        self._refuse_if_cancelled("reschedule")
        if self.task_id is not None and not from_task:
            raise RuleViolation(
                self.id,
                "task_schedule_locked",
                f"“{self.title}”是上级下达的任务，时限由上级工会调整"
                f"（'{self.title}' was sent down by the federation: only the federation "
                "adjusts its deadlines）",
            )
        reason = required_reason(self.id, reason, "a reschedule needs a reason")
        rrule = text(rrule, "rrule", max_len=TITLE_MAX)
        deadline_text = text(deadline_text, "deadline_text", max_len=TITLE_MAX)
        done = {k for k, o in self.occurrences.items() if o.status in FINISHED}
        new = normalise(occurrences)
        check_in_plan_year(new, plan_year, where=self.id, title=self.title)
        clashes = [o.key for o in new if o.key in done]
        if clashes:
            raise RuleViolation(
                self.id,
                "keep_completed",
                f"'{self.title}' is already done for {', '.join(clashes)}; "
                "a reschedule only moves open occurrences",
            )
        if not new and not done:
            raise RuleViolation(self.id, "schedule_not_empty", "a reschedule needs a due date")
        self.trigger_event(
            self.Rescheduled,
            occurrences=_occurrence_dicts(new),
            rrule=rrule,
            deadline_text=deadline_text,
            actor=actor,
            reason=reason,
        )
        self._supersede_orphaned_requests(actor=actor, deciding=deciding)

    def _supersede_orphaned_requests(self, *, actor: str, deciding: str | None) -> None:
        for request in list(self.extension_requests.values()):
            if (
                request.status == REQUEST_OPEN
                and request.request_id != deciding
                and request.occurrence not in self.occurrences
            ):
                self.trigger_event(
                    self.ExtensionSuperseded,
                    request_id=request.request_id,
                    occurrence=request.occurrence,
                    actor=actor,
                    reason=None,
                )

    class ExtensionSuperseded(PlanlogEvent):
        """An open extension request closed without a decision: the reschedule just
        before it removed its deadline, so nobody could approve or reject it any more."""

        request_id: str
        occurrence: str

        def apply(self, item: PlanItem) -> None:
            request = item.extension_requests[self.request_id]
            item.extension_requests[self.request_id] = replace(request, status=REQUEST_SUPERSEDED)

    def follow_task_schedule(
        self, occurrences: list[Occurrence], *, actor: str, reason: str, plan_year: int
    ) -> bool:
        """The federation moved its task's deadlines: this copy takes them, keeping what the
        union already did (an occurrence done stays done, wherever the task's moved). False,
        and nothing recorded, when the copy's open schedule is already that one, when
        nothing of it is open any more, or when it is cancelled (a re-run of the
        adjustment changes nothing)."""
        if self.task_id is None:
            raise RuleViolation(
                self.id,
                "task_copy",
                f"“{self.title}”不是上级下达任务的副本（'{self.title}' is not a copy of a "
                "federation task）",
            )
        if self.cancelled:
            return False
        # Submitted work is finished too (it waits for the chair): it keeps its deadline
        # and is not given a second one.
        done = {k for k, o in self.occurrences.items() if o.status in FINISHED}
        wanted = [o for o in normalise(occurrences) if o.key not in done]
        current = [
            Occurrence(due=o.due, opens=o.opens)
            for o in self.ordered_occurrences()
            if o.status not in FINISHED
        ]
        # A copy with nothing open is finished: the union did the work, the new
        # deadlines are for those who have not.
        if not current or not wanted:
            return False
        if [(o.due, o.opens) for o in wanted] == [(o.due, o.opens) for o in current]:
            return False
        self.reschedule(
            wanted,
            actor=actor,
            reason=reason,
            plan_year=plan_year,
            rrule=None,
            deadline_text=self.deadline_text,
            from_task=True,
        )
        return True

    def move_occurrence(
        self,
        occurrence: str,
        to: date,
        *,
        actor: str,
        reason: str,
        plan_year: int,
        deciding: str | None = None,
    ) -> None:
        """Move one open occurrence to a new due date, keeping the others: a reschedule
        of the open schedule with only that one changed. A window keeps its opening day
        when it still comes before the new due date. A done occurrence stays where it was
        done (reopen it first)."""
        self._refuse_if_cancelled("reschedule")
        moved = self._open_occurrence(occurrence)
        opens = moved.opens if moved.opens and moved.opens <= to else None
        schedule = [
            Occurrence(due=o.due, opens=o.opens)
            for o in self.ordered_occurrences()
            if o.status not in FINISHED and o.key != occurrence
        ] + [Occurrence(due=to, opens=opens)]
        self.reschedule(
            schedule,
            actor=actor,
            reason=reason,
            plan_year=plan_year,
            rrule=None,
            deadline_text=self.deadline_text,
            deciding=deciding,
        )

    class Reassigned(PlanlogEvent):
        responsible: str | None

        def apply(self, item: PlanItem) -> None:
            item.details.responsible = self.responsible

    def reassign(self, responsible: str | None, *, actor: str, reason: str | None = None) -> None:
        self._refuse_if_cancelled("reassign")
        responsible = text(responsible, "responsible", max_len=NAME_MAX)
        if responsible == self.details.responsible:
            raise RuleViolation(
                self.id, "reassign_changes", f"'{self.title}' is already with {responsible}"
            )
        self.trigger_event(
            self.Reassigned, responsible=responsible, actor=actor, reason=reason_text(reason)
        )

    class ProgressReported(PlanlogEvent):
        occurrence: str | None
        percent: int | None
        target_index: int | None
        target_value: float | None
        note: str | None
        evidence: str | None

        def apply(self, item: PlanItem) -> None:
            if self.occurrence is not None:
                occ = item.occurrences[self.occurrence]
                if self.percent is not None:
                    started = occ.status == OPEN and self.percent > 0
                    occ = replace(
                        occ, percent=self.percent, status=IN_PROGRESS if started else occ.status
                    )
                item.occurrences[self.occurrence] = replace(
                    occ, note=self.note or occ.note, evidence=self.evidence or occ.evidence
                )
            if self.target_index is not None:
                item.details.targets[self.target_index].current = self.target_value

    def report_progress(
        self,
        *,
        actor: str,
        occurrence: str | None = None,
        percent: int | None = None,
        target_index: int | None = None,
        target_value: float | None = None,
        note: str | None = None,
        evidence: str | None = None,
        files: Sequence[EvidenceFile] = (),
        evidence_sha256: Sequence[str] = (),
    ) -> None:
        """Report progress; `files` (new uploads) and `evidence_sha256` (files already
        attached to this item) are attached to the reported occurrence with it."""
        self._refuse_if_cancelled("report progress on")
        # A note alone is a report ("已报送材料，等待反馈"): a responsible person often has
        # news but no honest percentage; so is a file alone. Only an empty report is refused.
        note = text(note, "note", max_len=LONG_TEXT_MAX)
        evidence = text(evidence, "evidence", max_len=TITLE_MAX)
        named = [self.evidence_file(sha) for sha in dict.fromkeys(evidence_sha256)]
        attached = checked_files([*files, *named])
        if (
            percent is None
            and target_index is None
            and note is None
            and evidence is None
            and not attached
        ):
            raise RuleViolation(
                self.id,
                "progress_value",
                "进度报告须有说明、进度百分比、指标当前值或文件"
                "（progress needs a note, a percent, a target's current value or a file）",
            )
        # Strict types first (True is not 1 %, NaN is not a value), then the rules.
        if percent is not None and not 0 <= whole(percent, "percent") <= 100:
            raise RuleViolation(
                self.id, "percent_range", f"percent must be within 0–100, got {percent}"
            )
        if target_value is not None:
            target_value = number(target_value, "target_value")
        if target_index is not None:
            whole(target_index, "target_index")
            if not 0 <= target_index < len(self.details.targets):
                raise RuleViolation(
                    self.id,
                    "target_exists",
                    f"'{self.title}' has {len(self.details.targets)} target(s), "
                    f"no target #{target_index + 1}",
                )
            if target_value is None:
                raise RuleViolation(self.id, "target_value", "a target needs its current value")
        key: str | None = None
        if percent is not None or self.occurrences:
            occ = self._open_occurrence(occurrence or None)
            key = occ.key
        self.trigger_event(
            self.ProgressReported,
            occurrence=key,
            percent=percent,
            target_index=target_index,
            target_value=target_value,
            note=note,
            evidence=evidence,
            actor=actor,
            reason=None,
        )
        for file in attached:
            self.trigger_event(
                self.EvidenceAttached,
                occurrence=key,
                file=file.to_dict(),
                note=None,
                actor=actor,
                reason=None,
            )

    class EvidenceAttached(PlanlogEvent):
        """An evidence file kept with the item: its reference (hash, size, type, name)
        is in the log, so the audit chain covers the file's content."""

        occurrence: str | None
        file: dict[str, Any]
        note: str | None

        def apply(self, item: PlanItem) -> None:
            item.evidence_files.append(
                {
                    **self.file,
                    "occurrence": self.occurrence,
                    "note": self.note,
                    "actor": self.actor,
                    "attached_at": self.timestamp.isoformat(),
                }
            )

    def attach_evidence(
        self,
        file: EvidenceFile,
        *,
        actor: str,
        occurrence: str | None = None,
        note: str | None = None,
    ) -> None:
        """Keep an evidence file with the item, for one occurrence (done or not: proof
        often arrives after the work) or for the item as a whole."""
        self._refuse_if_cancelled("attach evidence to")
        (file,) = checked_files([file])
        note = text(note, "note", max_len=LONG_TEXT_MAX)
        key = self._occurrence(occurrence).key if occurrence else None
        self.trigger_event(
            self.EvidenceAttached,
            occurrence=key,
            file=file.to_dict(),
            note=note,
            actor=actor,
            reason=None,
        )

    def evidence_file(self, sha256: str) -> EvidenceFile:
        """A file attached to this item, by its hash (refused if it is not attached)."""
        sha = checked_sha256(sha256)
        for attached in reversed(self.evidence_files):
            if attached.get("sha256") == sha:
                return EvidenceFile.from_dict(attached)
        raise RuleViolation(
            self.id,
            "evidence_attached",
            f"“{self.title}”没有哈希为 {sha} 的佐证文件（no evidence file {sha} is attached "
            "to this item: upload it first）",
        )

    def mark_done(self, key: str, done_on: str, note: str | None, evidence: str | None) -> None:
        """What a completion and a backfill both do to the occurrence (their `apply`)."""
        occ = self.occurrences[key]
        self.occurrences[key] = replace(
            occ,
            status=DONE,
            done_on=date.fromisoformat(done_on),
            note=note or occ.note,
            evidence=evidence or occ.evidence,
        )

    class OccurrenceCompleted(PlanlogEvent):
        occurrence: str
        done_on: str
        note: str | None
        evidence: str | None

        def apply(self, item: PlanItem) -> None:
            item.mark_done(self.occurrence, self.done_on, self.note, self.evidence)

    class OccurrenceSubmitted(PlanlogEvent):
        """Completed by the responsible person on a plan with sign-off on: it waits for
        the chair to confirm it (OccurrenceConfirmed) or return it (OccurrenceReturned)."""

        occurrence: str
        done_on: str
        note: str | None
        evidence: str | None

        def apply(self, item: PlanItem) -> None:
            item.mark_done(self.occurrence, self.done_on, self.note, self.evidence)
            occ = item.occurrences[self.occurrence]
            item.occurrences[self.occurrence] = replace(occ, status=SUBMITTED)
            item.submitted_by[self.occurrence] = self.actor

    def complete(
        self,
        *,
        actor: str,
        done_on: date,
        occurrence: str | None = None,
        note: str | None = None,
        evidence: str | None = None,
        sign_off: bool = False,
    ) -> str:
        """Mark one occurrence done, on the date the work was actually done; with the
        plan's sign-off on, submitted for the chair's confirmation instead."""
        self._refuse_if_cancelled("complete")
        note = text(note, "note", max_len=LONG_TEXT_MAX)
        evidence = text(evidence, "evidence", max_len=TITLE_MAX)
        occ = self._open_occurrence(occurrence or None)
        self.trigger_event(
            self.OccurrenceSubmitted if flag(sign_off, "sign_off") else self.OccurrenceCompleted,
            occurrence=occ.key,
            done_on=done_on.isoformat(),
            note=note,
            evidence=evidence,
            actor=actor,
            reason=None,
        )
        return occ.key

    class OccurrenceBackfilled(PlanlogEvent):
        """An occurrence recorded now as done earlier (onboarding mid-year): the same
        effect as OccurrenceCompleted, and the log says it was a backfill."""

        occurrence: str
        done_on: str
        note: str | None
        evidence: str | None

        def apply(self, item: PlanItem) -> None:
            item.mark_done(self.occurrence, self.done_on, self.note, self.evidence)

    def backfill(
        self,
        *,
        actor: str,
        occurrence: str,
        done_on: date,
        today: date,
        plan_year: int,
        note: str | None = None,
        evidence: str | None = None,
    ) -> None:
        """Record that one occurrence was already done on `done_on`: within the plan's
        year so far (not in the future, not before the year began)."""
        self._refuse_if_cancelled("backfill")
        note = text(note, "note", max_len=LONG_TEXT_MAX)
        evidence = text(evidence, "evidence", max_len=TITLE_MAX)
        occ = self._open_occurrence(occurrence)
        if done_on < date(plan_year, 1, 1):
            raise RuleViolation(
                self.id,
                "backfill_in_plan_year",
                f"完成日期 {done_on.isoformat()} 早于 {plan_year} 年度开始"
                f"（{done_on.isoformat()} is before the plan year {plan_year} began）",
            )
        if done_on > today:
            raise RuleViolation(
                self.id,
                "backfill_in_past",
                f"补录只记已完成的工作，完成日期 {done_on.isoformat()} 晚于今天 {today.isoformat()}"
                f"（a backfill records work already done: {done_on.isoformat()} is after today）",
            )
        self.trigger_event(
            self.OccurrenceBackfilled,
            occurrence=occ.key,
            done_on=done_on.isoformat(),
            note=note,
            evidence=evidence,
            actor=actor,
            reason=None,
        )

    class OccurrenceReopened(PlanlogEvent):
        occurrence: str

        def apply(self, item: PlanItem) -> None:
            occ = item.occurrences[self.occurrence]
            status = IN_PROGRESS if occ.percent > 0 else OPEN
            item.occurrences[self.occurrence] = replace(occ, status=status, done_on=None)

    def reopen(self, occurrence: str, *, actor: str, reason: str) -> None:
        self._refuse_if_cancelled("reopen")
        occ = self._occurrence(occurrence)
        if occ.status != DONE:
            raise RuleViolation(
                self.id, "occurrence_done", f"'{self.title}' is not done for {occ.key}"
            )
        reason = required_reason(self.id, reason, "reopening needs a reason")
        self.trigger_event(self.OccurrenceReopened, occurrence=occ.key, actor=actor, reason=reason)

    # -------------------------------------------------- sign-off (办结审核)

    def _submitted(self, occurrence: str) -> Occurrence:
        self._refuse_if_cancelled("sign off")
        occ = self._occurrence(occurrence)
        if occ.status != SUBMITTED:
            raise RuleViolation(
                self.id,
                "occurrence_submitted",
                f"“{self.title}”{occ.key} 时限未提交办结"
                f"（'{self.title}' is not submitted for {occ.key}）",
            )
        return occ

    class OccurrenceConfirmed(PlanlogEvent):
        """The chair signed off a submitted occurrence: done, on the day it was submitted."""

        occurrence: str

        def apply(self, item: PlanItem) -> None:
            occ = item.occurrences[self.occurrence]
            item.occurrences[self.occurrence] = replace(occ, status=DONE)

    def confirm(self, occurrence: str, *, actor: str, reason: str | None = None) -> None:
        """Sign off a submitted occurrence: by someone other than who submitted it (a
        chair who did the work themselves may not approve it too)."""
        occ = self._submitted(occurrence)
        if self.submitted_by.get(occ.key) == actor:
            raise RuleViolation(
                self.id,
                "sign_off_by_another",
                f"{actor} 提交的办结须由他人确认"
                f"（{actor} submitted {occ.key}: someone else must sign it off）",
            )
        self.trigger_event(
            self.OccurrenceConfirmed, occurrence=occ.key, actor=actor, reason=reason_text(reason)
        )

    class OccurrenceReturned(PlanlogEvent):
        """The chair sent a submitted occurrence back: open (or in progress) again."""

        occurrence: str

        def apply(self, item: PlanItem) -> None:
            occ = item.occurrences[self.occurrence]
            status = IN_PROGRESS if occ.percent > 0 else OPEN
            item.occurrences[self.occurrence] = replace(occ, status=status, done_on=None)

    def return_submission(self, occurrence: str, *, actor: str, reason: str) -> None:
        occ = self._submitted(occurrence)
        reason = required_reason(
            self.id, reason, "退回须说明理由（returning a submission needs a reason）"
        )
        self.trigger_event(self.OccurrenceReturned, occurrence=occ.key, actor=actor, reason=reason)

    # ------------------------------------------------ extension requests (延期申请)

    class ExtensionRequested(PlanlogEvent):
        """The responsible person asks to move one deadline to `to`; `reason` says why."""

        request_id: str
        occurrence: str
        to: str

        def apply(self, item: PlanItem) -> None:
            item.extension_requests[self.request_id] = ExtensionRequest(
                request_id=self.request_id,
                occurrence=self.occurrence,
                to=date.fromisoformat(self.to),
                reason=self.reason or "",
                requested_by=self.actor,
            )

    def request_extension(
        self, occurrence: str, to: date, *, actor: str, reason: str, plan_year: int
    ) -> str:
        """Ask the chair to move one open deadline later, within the plan year's limits;
        one open request per occurrence. Returns the request's id. A copy of a federation
        task keeps the federation's deadlines (only the task's adjustment moves them), so
        no chair of the union could approve a request on it: it is refused here, up front."""
        self._refuse_if_cancelled("request an extension for")
        if self.task_id is not None:
            raise RuleViolation(
                self.id,
                "task_extension_by_federation",
                f"“{self.title}”是上级下达的任务，时限由上级调整，请向上级工会申请"
                f"（'{self.title}' was sent down by the federation: ask the federation to "
                "adjust its deadlines）",
            )
        occ = self._open_occurrence(occurrence)
        reason = required_reason(
            self.id, reason, "延期申请须说明理由（an extension request needs a reason）"
        )
        if not isinstance(to, date) or isinstance(to, datetime):
            raise InvalidValue("to", "not_date", "应为日期", "must be a date")
        pending = self.open_extension_request(occ.key)
        if pending is not None:
            raise RuleViolation(
                self.id,
                "one_open_request",
                f"{occ.key} 时限已有待审批的延期申请 {pending}"
                f"（{occ.key} already has an open extension request {pending}）",
            )
        if to <= occ.due:
            raise RuleViolation(
                self.id,
                "extension_later",
                f"申请的日期 {to.isoformat()} 须晚于现在的截止日期 {occ.key}"
                f"（the proposed date {to.isoformat()} must be after the current due {occ.key}）",
            )
        check_in_plan_year([Occurrence(due=to)], plan_year, where=self.id, title=self.title)
        if to.isoformat() in self.occurrences:
            raise RuleViolation(
                self.id,
                "extension_free_day",
                f"{to.isoformat()} 已是本事项的另一个时限"
                f"（{to.isoformat()} is already another deadline of this item）",
            )
        request_id = extension_request_id(self.id, len(self.extension_requests) + 1)
        self.trigger_event(
            self.ExtensionRequested,
            request_id=request_id,
            occurrence=occ.key,
            to=to.isoformat(),
            actor=actor,
            reason=reason,
        )
        return request_id

    def open_request_on(self, occurrence: str) -> ExtensionRequest:
        """The extension request waiting for the chair on this occurrence (what a door
        answers after recording one)."""
        request_id = self.open_extension_request(occurrence)
        if request_id is None:
            raise RuleViolation(
                self.id,
                "request_exists",
                f"{occurrence} 时限没有待审批的延期申请"
                f"（no open extension request for {occurrence}）",
            )
        return self.extension_requests[request_id]

    def _open_request(self, request_id: str) -> ExtensionRequest:
        request = self.extension_requests.get(request_id)
        if request is None:
            raise RuleViolation(
                self.id,
                "request_exists",
                f"没有延期申请 {request_id}（no extension request {request_id}）",
            )
        if request.status != REQUEST_OPEN:
            raise RuleViolation(
                self.id,
                "request_open",
                f"延期申请 {request_id} 已处理（extension request {request_id} is already "
                f"{request.status}）",
            )
        return request

    class ExtensionApproved(PlanlogEvent):
        """The chair approved the request: the deadline moved (the Rescheduled event just
        before this one), from `occurrence` to `to`, for `request_reason`; `reason` is the
        chair's own (optional)."""

        request_id: str
        occurrence: str
        to: str
        request_reason: str

        def apply(self, item: PlanItem) -> None:
            request = item.extension_requests[self.request_id]
            item.extension_requests[self.request_id] = replace(
                request, status=REQUEST_APPROVED, decided_by=self.actor, decision_reason=self.reason
            )

    def approve_extension(
        self, request_id: str, *, actor: str, plan_year: int, reason: str | None = None
    ) -> None:
        """Move the deadline as requested (the one rule for moving an occurrence, so the
        history keeps both dates), then record the approval."""
        request = self._open_request(request_id)
        reason = reason_text(reason)
        self.move_occurrence(
            request.occurrence,
            request.to,
            actor=actor,
            reason=request.reason,
            plan_year=plan_year,
            deciding=request.request_id,
        )
        self.trigger_event(
            self.ExtensionApproved,
            request_id=request.request_id,
            occurrence=request.occurrence,
            to=request.to.isoformat(),
            request_reason=request.reason,
            actor=actor,
            reason=reason,
        )

    class ExtensionRejected(PlanlogEvent):
        """The chair rejected the request, for `reason`; the deadline stays."""

        request_id: str
        occurrence: str

        def apply(self, item: PlanItem) -> None:
            request = item.extension_requests[self.request_id]
            item.extension_requests[self.request_id] = replace(
                request, status=REQUEST_REJECTED, decided_by=self.actor, decision_reason=self.reason
            )

    def reject_extension(self, request_id: str, *, actor: str, reason: str) -> None:
        request = self._open_request(request_id)
        reason = required_reason(
            self.id, reason, "驳回延期申请须说明理由（rejecting a request needs a reason）"
        )
        self.trigger_event(
            self.ExtensionRejected,
            request_id=request.request_id,
            occurrence=request.occurrence,
            actor=actor,
            reason=reason,
        )

    class ReminderIssued(PlanlogEvent):
        """A deadline reminder was issued. Sending it is the outbox's job, done once;
        replaying this event never sends anything."""

        occurrence: str
        kind: str
        key: str
        scheduled_for: str
        recipients: list[str]
        escalate: bool

        def apply(self, item: PlanItem) -> None:
            item.reminders.setdefault(self.occurrence, set()).add(self.key)

    def issue_reminder(
        self,
        occurrence: str,
        *,
        kind: str,
        key: str,
        scheduled_for: datetime,
        recipients: list[str],
        escalate: bool,
        actor: str,
    ) -> None:
        """Record a reminder; the same key for the same occurrence is issued once only."""
        self._refuse_if_cancelled("remind about")
        occ = self._open_occurrence(occurrence)
        if key in self.reminders.get(occ.key, set()):
            raise RuleViolation(
                self.id,
                "reminder_once",
                f"reminder {key} for '{self.title}' ({occ.key}) was already issued",
            )
        self.trigger_event(
            self.ReminderIssued,
            occurrence=occ.key,
            kind=kind,
            key=key,
            scheduled_for=scheduled_for.isoformat(),
            recipients=recipients,
            escalate=escalate,
            actor=actor,
            reason=None,
        )

    class Cancelled(PlanlogEvent):
        def apply(self, item: PlanItem) -> None:
            item.cancelled = True
            item.cancel_reason = self.reason

    def cancel(self, *, actor: str, reason: str) -> None:
        self._refuse_if_cancelled("cancel")
        reason = required_reason(self.id, reason, "cancelling needs a reason")
        self.trigger_event(self.Cancelled, actor=actor, reason=reason)
