"""A federation task (任务下达): an item of a federation's plan sent down to its unions.

The federation's own item is the task's source. Every union below the chosen target
organisations gets its own copy of it, a `PlanItem` in the union's plan for the same
year, carrying the task's id and the source item's id in its `Planned` event: the union
completes, reports and is reminded about its copy like any other item of its plan, and
the copy's completion is what the federation's task status counts. Only the federation
moves the copies' deadlines (`PlanItem.follow_task_schedule`); a union's reschedule of
a copy is refused (`task_schedule_locked`).

Who receives a copy: the unions, i.e. the organisations with no organisation below
them, in the target's subtree. A district (an organisation with unions below it) gets
no copy of its own: it supervises its unions' copies (the task status and the ranking
show them), it does not report on the task itself.

The task records which unions hold a copy (one `CopiesMade` event per saved batch), so
sending it again, to the same or to wider targets, copies only to the unions without
one: a re-send is idempotent. Its id and each copy's id derive from the source item and
the union's name, so two senders racing over the same union collide on the same copy
instead of making two. Pure: no I/O; the organisation tree is given as data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from planlog.domain.errors import RuleViolation
from planlog.domain.model import (
    ItemDetails,
    Plan,
    PlanItem,
    PlanlogCreated,
    PlanlogEvent,
    Target,
    reason_text,
)
from planlog.domain.schedule import Occurrence
from planlog.domain.values import NAME_MAX, TITLE_MAX, InvalidValue, required_text, whole

#: Targets one command may name (a federation names a few districts, not thousands).
MAX_TARGETS = 200

#: The organisation tree as the doors read it: name → its parent (None: a root).
Parents = Mapping[str, str | None]


def task_id_for(source_item_id: UUID) -> UUID:
    """One task per source item: sending the item again finds the task it made."""
    return uuid5(NAMESPACE_URL, f"planlog:task:{source_item_id}")


def copy_id_for(task_id: UUID, union: str) -> UUID:
    """One copy per union and task, whoever sends it and however often."""
    return uuid5(NAMESPACE_URL, f"planlog:task-copy:{task_id}:{union}")


def copy_plan_title(year: int) -> str:
    """The title of the plan made for a union that has none in the task's year."""
    return f"{year}年度工作计划（上级下达任务）"


def chain_of(parents: Parents, org: str) -> list[str]:
    """`org` and the organisations above it, nearest first (a cycle ends the walk)."""
    chain: list[str] = []
    current: str | None = org
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    return chain


def unions_below(parents: Parents, target: str) -> list[str]:
    """The unions in `target`'s subtree: the organisations with nothing below them
    (`target` itself when it is one), in name order."""
    children: dict[str, list[str]] = {}
    for name, parent in parents.items():
        if parent is not None and parent != name:
            children.setdefault(parent, []).append(name)
    found: list[str] = []
    seen: set[str] = set()
    stack = [target]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        below = children.get(name)
        if below:
            stack.extend(below)
        else:
            found.append(name)
    return sorted(found)


def _targets(to: object) -> list[str]:
    if isinstance(to, str) or not isinstance(to, Iterable):
        raise InvalidValue("to", "not_list", "应为组织名称列表", "must be a list of organisations")
    names: list[str] = []
    for value in to:
        name = required_text(value, "to", max_len=NAME_MAX, multiline=False)
        if name not in names:
            names.append(name)
    if not names:
        raise InvalidValue(
            "to", "empty", "须至少指定一个下达对象", "name at least one organisation"
        )
    if len(names) > MAX_TARGETS:
        raise InvalidValue(
            "to",
            "too_many",
            f"一次最多下达到 {MAX_TARGETS} 个组织",
            f"at most {MAX_TARGETS} organisations at once",
        )
    return names


class FederationTask(Aggregate):
    """The federation's side of a task sent down: its source item and which unions hold
    a copy. The copies are the unions' own `PlanItem`s."""

    class Sent(PlanlogCreated):
        org: str
        source_item_id: str
        plan_id: str
        year: int
        title: str

    def __init__(
        self,
        *,
        org: str,
        source_item_id: str,
        plan_id: str,
        year: int,
        title: str,
        actor: str,
        reason: str | None,
    ) -> None:
        self.org = org
        self.source_item_id = UUID(source_item_id)
        self.plan_id = UUID(plan_id)
        self.year = year
        self.title = title
        #: union name → the id of its copy
        self.copies: dict[str, UUID] = {}

    @classmethod
    def send(cls, source: PlanItem, plan: Plan, *, actor: str) -> FederationTask:
        """The task of `source`, an item of the federation's plan `plan`."""
        if source.plan_id != plan.id:
            raise RuleViolation(source.id, "item_in_plan", f"item belongs to plan {source.plan_id}")
        if source.task_id is not None:
            raise RuleViolation(
                source.id,
                "task_not_copy",
                f"“{source.title}”本身是上级下达任务的副本，不能再下达"
                f"（'{source.title}' is itself a copy of a federation task: it cannot be sent "
                "down again）",
            )
        if source.cancelled:
            raise RuleViolation(
                source.id,
                "not_cancelled",
                f"“{source.title}”已撤销，不能下达（'{source.title}' is cancelled: it cannot be "
                "sent down）",
            )
        if not source.occurrences:
            raise RuleViolation(
                source.id,
                "task_has_deadline",
                f"“{source.title}”没有时限，下达的任务须有时限"
                f"（'{source.title}' has no deadline: a task sent down needs one）",
            )
        return cls._create(
            cls.Sent,
            id=task_id_for(source.id),
            org=required_text(plan.org, "org", max_len=NAME_MAX, multiline=False),
            source_item_id=str(source.id),
            plan_id=str(plan.id),
            year=whole(plan.year, "year"),
            title=required_text(source.title, "title", max_len=TITLE_MAX),
            actor=actor,
            reason=None,
        )

    class CopiesMade(PlanlogEvent):
        """One saved batch of copies: the targets the command named and, per union, the
        id of its copy (saved in the same transaction as the copies themselves)."""

        to: list[str]
        copies: dict[str, str]

        def apply(self, task: FederationTask) -> None:
            for union, item_id in self.copies.items():
                task.copies[union] = UUID(item_id)

    def unions_to_copy(self, to: object, parents: Parents) -> list[str]:
        """The unions below the targets `to` that hold no copy yet, in name order."""
        return [u for u in self.unions_below_targets(to, parents) if u not in self.copies]

    def unions_below_targets(self, to: object, parents: Parents) -> list[str]:
        """Every union below the targets `to`, holding a copy or not, in name order.

        Every target must be the federation or an organisation below it; the federation
        itself never receives a copy of its own item. A refusal names the item sent (the
        task itself may never have been recorded)."""
        targets = _targets(to)
        for target in targets:
            if target not in parents or self.org not in chain_of(parents, target):
                raise RuleViolation(
                    self.source_item_id,
                    "task_target_below",
                    f"“{target}”不在“{self.org}”之下，不能向其下达任务"
                    f"（{target!r} is not below {self.org!r}: the task cannot be sent to it）",
                )
        wanted: set[str] = set()
        for target in targets:
            wanted.update(unions_below(parents, target))
        wanted.discard(self.org)
        return sorted(wanted)

    def copy_to(self, plan: Plan, source: PlanItem, *, actor: str) -> PlanItem:
        """The union's copy of the source item, in the union's plan `plan` (attached to it):
        the same title, goal, measures, targets (their progress not copied) and deadlines;
        who is responsible is the union's to say."""
        if plan.year != self.year:
            raise RuleViolation(
                self.id,
                "task_same_year",
                f"任务属于 {self.year} 年度，计划是 {plan.year} 年度"
                f"（the task is for {self.year}, the plan for {plan.year}）",
            )
        if plan.org in self.copies:
            raise RuleViolation(
                self.id,
                "task_copy_once",
                f"“{plan.org}”已收到此任务（{plan.org!r} already holds a copy of this task）",
            )
        details = ItemDetails(
            title=source.title,
            goal=source.details.goal,
            measures=source.details.measures,
            targets=[
                Target(text=t.text, value=t.value, unit=t.unit, comparator=t.comparator)
                for t in source.details.targets
            ],
        )
        item = PlanItem.plan(
            plan_id=plan.id,
            details=details,
            occurrences=[
                Occurrence(due=o.due, opens=o.opens) for o in source.ordered_occurrences()
            ],
            rrule=source.rrule,
            deadline_text=source.deadline_text,
            soft=source.soft,
            actor=actor,
            reason=reason_text(f"上级下达任务（sent down by {self.org}）"),
            item_id=copy_id_for(self.id, plan.org),
            task_id=self.id,
            source_item_id=self.source_item_id,
        )
        plan.attach_item(item, actor=actor)
        return item

    def record_copies(
        self, to: object, copies: list[PlanItem], plans: list[Plan], *, actor: str
    ) -> None:
        """Record one batch of copies (`copies[i]` in `plans[i]`, the union's plan)."""
        if not copies:
            return
        by_union = {plan.org: str(item.id) for plan, item in zip(plans, copies, strict=True)}
        self.trigger_event(
            self.CopiesMade, to=_targets(to), copies=by_union, actor=actor, reason=None
        )

    class ScheduleAdjusted(PlanlogEvent):
        """The federation moved the task's deadlines (every copy follows, in the same
        transaction batch by batch)."""

        occurrences: list[dict[str, str | None]]

        def apply(self, task: FederationTask) -> None:
            pass

    def adjust(self, occurrences: list[Occurrence], *, actor: str, reason: str | None) -> None:
        self.trigger_event(
            self.ScheduleAdjusted,
            occurrences=[o.to_dict() for o in sorted(occurrences)],
            actor=actor,
            reason=reason_text(reason),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_id": str(self.id),
            "org": self.org,
            "source_item_id": str(self.source_item_id),
            "year": self.year,
            "title": self.title,
            "copies": len(self.copies),
        }
