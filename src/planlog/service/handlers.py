"""One handler per command: load the aggregates, let them decide, save. Nothing else.

`handle(app, command)` (also `PlanlogApp.handle`) is the single entry point every door
uses; the PlanlogApp write methods (`app.complete(...)` …) are the Python API, each a
one-line adapter that builds the command and hands it here.

Every handler records its events at one moment (`app.recording()`), and saves through
`app.save_all`, which turns a lost race into a ConcurrencyConflict. Handlers whose
effect commutes with other writes (appending to a plan) retry such a conflict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar, cast

from planlog.deadlines import parse_deadline
from planlog.domain.errors import ConcurrencyConflict
from planlog.domain.model import ItemDetails, Plan, PlanItem
from planlog.domain.organisation import Organisation, name_in_use
from planlog.domain.status import DONE
from planlog.domain.task import FederationTask, copy_plan_title, task_id_for
from planlog.service.commands import (
    AddItem,
    AddSection,
    AdjustTask,
    AppointChair,
    Backfill,
    Cancel,
    ChangeSchedule,
    Command,
    Complete,
    CreatePlan,
    IssueReminder,
    MoveOccurrence,
    MoveOrganisation,
    NewItem,
    Reassign,
    RegisterOrganisation,
    RenamePlan,
    RenameSection,
    Reopen,
    ReorderSections,
    ReportProgress,
    ReviseItem,
    SendTask,
    SetReminderPolicy,
    TaskAdjusted,
    TaskSent,
)

if TYPE_CHECKING:
    from planlog.service.app import PlanlogApp

R = TypeVar("R")
C = TypeVar("C", bound=Command[Any])
_RETRIES = 5

_HANDLERS: dict[type[Command[Any]], Callable[[PlanlogApp, Any], Any]] = {}


def handles(
    kind: type[C],
) -> Callable[[Callable[[PlanlogApp, C], R]], Callable[[PlanlogApp, C], R]]:
    def register(fn: Callable[[PlanlogApp, C], R]) -> Callable[[PlanlogApp, C], R]:
        _HANDLERS[kind] = fn
        return fn

    return register


def handle(app: PlanlogApp, command: Command[R]) -> R:
    """Run one command; what it returns is the changed aggregate."""
    try:
        handler = _HANDLERS[type(command)]
    except KeyError:
        raise TypeError(f"no handler for {type(command).__name__}") from None
    return cast(R, handler(app, command))


def _retrying(attempt: Callable[[], R]) -> R:
    """Retry a command whose effect commutes with others (appending to a plan)."""
    for _ in range(_RETRIES - 1):
        try:
            return attempt()
        except ConcurrencyConflict:
            continue
    return attempt()


def plan_item(plan: Plan, spec: NewItem, actor: str) -> PlanItem:
    """A new item of `plan` (its section added if new), attached to the plan."""
    section_id = None
    if spec.section:
        section = plan.section_by_title(spec.section) or plan.add_section(spec.section, actor=actor)
        section_id = section.section_id
    details = ItemDetails(
        title=spec.title,
        section_id=section_id,
        number=spec.number,
        goal=spec.goal,
        measures=spec.measures,
        responsible=(spec.responsible or "").strip() or None,
        targets=list(spec.targets),
    )
    item = PlanItem.plan(
        plan_id=plan.id,
        details=details,
        occurrences=spec.schedule(plan.year),
        rrule=spec.rrule,
        deadline_text=spec.deadline_text,
        soft=spec.soft,
        source=spec.source,
        actor=actor,
    )
    plan.attach_item(item, actor=actor)
    return item


# ------------------------------------------------------------------ plans


@handles(CreatePlan)
def create_plan(app: PlanlogApp, c: CreatePlan) -> Plan:
    """All or nothing; a document already imported is refused with its plan."""

    def attempt() -> Plan:
        with app.recording():
            registry = app.registry()
            new_org = app.organisation_for_plan(
                c.org, registry, register=c.register_missing_org, parent=c.parent, actor=c.actor
            )
            plan = Plan.create(
                org=c.org,
                year=c.year,
                title=c.title,
                actor=c.actor,
                reason=c.reason,
                source=c.source,
            )
            for title in c.sections:
                if plan.section_by_title(title) is None:
                    plan.add_section(title, actor=c.actor)
            registry.register(
                plan_id=plan.id,
                org=plan.org,
                year=c.year,
                title=plan.title,
                fingerprint=(c.source or {}).get("fingerprint"),
                actor=c.actor,
            )
            items = [plan_item(plan, spec, c.actor) for spec in c.items]
            app.save_all(registry, *new_org, plan, *items)
            return plan

    return _retrying(attempt)


@handles(AddSection)
def add_section(app: PlanlogApp, c: AddSection) -> Plan:
    def attempt() -> Plan:
        with app.recording():
            plan = app.load(Plan, c.plan_id, "plan")
            plan.add_section(c.title, actor=c.actor)
            app.save_all(plan)
            return plan

    return _retrying(attempt)


@handles(RenameSection)
def rename_section(app: PlanlogApp, c: RenameSection) -> Plan:
    with app.recording():
        plan = app.load(Plan, c.plan_id, "plan")
        plan.rename_section(c.section_id, c.title, actor=c.actor, reason=c.reason)
        app.save_all(plan)
        return plan


@handles(RenamePlan)
def rename_plan(app: PlanlogApp, c: RenamePlan) -> Plan:
    # The register lists plans by title, so it learns the new one in the same save; it
    # is shared by every plan, hence the retry (a rename commutes with other plans' writes).
    def attempt() -> Plan:
        with app.recording():
            plan = app.load(Plan, c.plan_id, "plan")
            registry = app.registry()
            plan.rename(c.title, actor=c.actor, reason=c.reason)
            registry.retitle(plan_id=plan.id, title=plan.title, actor=c.actor)
            app.save_all(plan, registry)
            return plan

    return _retrying(attempt)


@handles(ReorderSections)
def reorder_sections(app: PlanlogApp, c: ReorderSections) -> Plan:
    with app.recording():
        plan = app.load(Plan, c.plan_id, "plan")
        plan.reorder_sections(list(c.order), actor=c.actor, reason=c.reason)
        app.save_all(plan)
        return plan


@handles(SetReminderPolicy)
def set_reminder_policy(app: PlanlogApp, c: SetReminderPolicy) -> Plan:
    with app.recording():
        plan = app.load(Plan, c.plan_id, "plan")
        plan.set_reminder_policy(c.policy, actor=c.actor, reason=c.reason)
        app.save_all(plan)
        return plan


# ---------------------------------------------------------- organisations


@handles(RegisterOrganisation)
def register_organisation(app: PlanlogApp, c: RegisterOrganisation) -> Organisation:
    if c.only_new_name and app.registry().names_organisation(c.name.strip()):
        raise name_in_use(c.name.strip())
    with app.recording():
        if c.parent is not None:
            app.get_organisation(c.parent)  # the parent must exist: refuse a dangling tree
        org = Organisation.register(c.name, parent=c.parent, chair=c.chair, actor=c.actor)
        try:
            app.save_all(org)
        except ConcurrencyConflict:
            raise name_in_use(org.name) from None
        return org


@handles(MoveOrganisation)
def move_organisation(app: PlanlogApp, c: MoveOrganisation) -> Organisation:
    with app.recording():
        org = app.get_organisation(c.name)
        above = app.ancestors(c.parent) if c.parent is not None else []
        org.move_under(c.parent, above, actor=c.actor, reason=c.reason)
        app.save_all(org)
        return org


@handles(AppointChair)
def appoint_chair(app: PlanlogApp, c: AppointChair) -> Organisation:
    with app.recording():
        org = app.get_organisation(c.name)
        org.appoint_chair(c.chair, actor=c.actor)
        app.save_all(org)
        return org


# ------------------------------------------------------------------ items


@handles(AddItem)
def add_item(app: PlanlogApp, c: AddItem) -> PlanItem:
    def attempt() -> PlanItem:
        with app.recording():
            plan = app.load(Plan, c.plan_id, "plan")
            spec = c.spec
            if c.deadline:
                spec = replace(spec)  # the caller's spec stays as given
                spec.apply_deadline(c.deadline, parse_deadline(c.deadline, plan.year))
            item = plan_item(plan, spec, c.actor)
            app.save_all(plan, item)
            return item

    return _retrying(attempt)


def _change_item(app: PlanlogApp, c: Any, decide: Callable[[PlanItem], object]) -> PlanItem:
    """Load the item, refuse a stale `expected_version`, let the item decide, save."""
    with app.recording():
        item = app.load(PlanItem, c.item_id, "item")
        app.check_expected(item, c.expected_version)
        decide(item)
        app.save_all(item)
        return item


@handles(Complete)
def complete(app: PlanlogApp, c: Complete) -> PlanItem:
    day = c.done_on or app.today()
    return _change_item(
        app,
        c,
        lambda i: i.complete(
            actor=c.actor, done_on=day, occurrence=c.occurrence, note=c.note, evidence=c.evidence
        ),
    )


@handles(Backfill)
def backfill(app: PlanlogApp, c: Backfill) -> PlanItem:
    today = app.today()
    return _change_item_of_year(
        app,
        c,
        lambda item, year: item.backfill(
            actor=c.actor,
            occurrence=c.occurrence,
            done_on=c.done_on,
            today=today,
            plan_year=year,
            note=c.note,
            evidence=c.evidence,
        ),
    )


@handles(ReportProgress)
def report_progress(app: PlanlogApp, c: ReportProgress) -> PlanItem:
    return _change_item(
        app,
        c,
        lambda i: i.report_progress(
            actor=c.actor,
            occurrence=c.occurrence,
            percent=c.percent,
            target_index=c.target_index,
            target_value=c.target_value,
            note=c.note,
            evidence=c.evidence,
        ),
    )


@handles(Reopen)
def reopen(app: PlanlogApp, c: Reopen) -> PlanItem:
    return _change_item(app, c, lambda i: i.reopen(c.occurrence, actor=c.actor, reason=c.reason))


@handles(Cancel)
def cancel(app: PlanlogApp, c: Cancel) -> PlanItem:
    return _change_item(app, c, lambda i: i.cancel(actor=c.actor, reason=c.reason))


@handles(Reassign)
def reassign(app: PlanlogApp, c: Reassign) -> PlanItem:
    return _change_item(app, c, lambda i: i.reassign(c.responsible, actor=c.actor, reason=c.reason))


@handles(ReviseItem)
def revise(app: PlanlogApp, c: ReviseItem) -> PlanItem:
    def decide(item: PlanItem) -> None:
        section_id = c.changes.get("section_id")
        if section_id is not None:
            # The item does not know its plan's sections: the plan says whether it exists.
            app.get_plan(item.plan_id).section(section_id)
        item.revise(actor=c.actor, reason=c.reason, **c.changes)

    return _change_item(app, c, decide)


def _change_item_of_year(
    app: PlanlogApp, c: Any, decide: Callable[[PlanItem, int], object]
) -> PlanItem:
    """As `_change_item`, for a decision that needs the plan's year (a schedule)."""
    with app.recording():
        item = app.load(PlanItem, c.item_id, "item")
        year = app.load(Plan, item.plan_id, "plan").year
        app.check_expected(item, c.expected_version)
        decide(item, year)
        app.save_all(item)
        return item


@handles(ChangeSchedule)
def change_schedule(app: PlanlogApp, c: ChangeSchedule) -> PlanItem:
    return _change_item_of_year(
        app,
        c,
        lambda item, year: item.reschedule(
            c.schedule(year),
            actor=c.actor,
            reason=c.reason,
            plan_year=year,
            rrule=c.rrule,
            deadline_text=c.deadline_text,
        ),
    )


@handles(MoveOccurrence)
def move_occurrence(app: PlanlogApp, c: MoveOccurrence) -> PlanItem:
    return _change_item_of_year(
        app,
        c,
        lambda item, year: item.move_occurrence(
            c.occurrence, c.to, actor=c.actor, reason=c.reason, plan_year=year
        ),
    )


@handles(IssueReminder)
def issue_reminder(app: PlanlogApp, c: IssueReminder) -> PlanItem:
    return _change_item(
        app,
        c,
        lambda i: i.issue_reminder(
            c.occurrence,
            kind=c.kind,
            key=c.key,
            scheduled_for=c.scheduled_for,
            recipients=list(c.recipients),
            escalate=c.escalate,
            actor=c.actor,
        ),
    )


# ------------------------------------------------------- federation tasks


def _batches(names: list[str], size: int) -> list[list[str]]:
    return [names[i : i + size] for i in range(0, len(names), size)]


def _union_plans(
    app: PlanlogApp, unions: list[str], year: int, actor: str
) -> tuple[dict[str, Any], int]:
    """Each union's plan for `year` (its first, as listed), a plan made through the
    ordinary CreatePlan for a union that has none; and how many were made."""
    found: dict[str, Any] = {}
    if not unions:
        return found, 0  # a re-send that finds every union served reads no plan list
    wanted = set(unions)
    for entry in app.list_plans():
        if entry.year == year and entry.org in wanted:
            found.setdefault(entry.org, entry.plan_id)
    made = 0
    for union in unions:
        if union not in found:
            plan = handle(
                app,
                CreatePlan(
                    org=union,
                    year=year,
                    title=copy_plan_title(year),
                    actor=actor,
                    register_missing_org=False,
                ),
            )
            found[union] = plan.id
            made += 1
    return found, made


@handles(SendTask)
def send_task(app: PlanlogApp, c: SendTask) -> TaskSent:
    """Copy the item to every union below the targets that has no copy yet: one batch of
    unions per transaction (their copies, their plans' attachments and the task's record
    of them), so 9,000 unions are a few transactions, and a failed batch leaves nothing of
    itself behind. A batch that loses a race reloads and decides again."""
    source = app.load(PlanItem, c.item_id, "item")
    plan = app.load(Plan, source.plan_id, "plan")
    task_id = task_id_for(source.id)

    def current_task() -> FederationTask:
        found = app.find_task(task_id)
        return found if found is not None else FederationTask.send(source, plan, actor=c.actor)

    with app.recording():
        task = current_task()
        unions = task.unions_to_copy(c.to, c.parents)
        if task.version == len(task.pending_events):  # new: recorded even with no unions
            app.save_all(task)
    plans, made = _union_plans(app, unions, plan.year, c.actor)
    copied = 0
    for batch in _batches(unions, c.batch_size):

        def attempt(batch: list[str] = batch) -> int:
            with app.recording():
                task = current_task()
                todo = [u for u in batch if u not in task.copies]
                union_plans = app.load_each(Plan, [plans[u] for u in todo], "plan")
                copies = [task.copy_to(p, source, actor=c.actor) for p in union_plans]
                task.record_copies(c.to, copies, union_plans, actor=c.actor)
                app.save_all(task, *union_plans, *copies)
                return len(copies)

        copied += _retrying(attempt)
    return TaskSent(task_id=task_id, copies=copied, plans_created=made)


@handles(AdjustTask)
def adjust_task(app: PlanlogApp, c: AdjustTask) -> TaskAdjusted:
    """Move the task's deadlines: the federation's own item first, with the task's
    record of the change, then every copy, batch by batch. Running it again moves only
    the copies not yet moved (a copy already on the new schedule records nothing)."""
    task = app.get_task(c.task_id)
    schedule = c.schedule(task.year)
    with app.recording():
        source = app.load(PlanItem, task.source_item_id, "item")
        done = {o.key for o in source.ordered_occurrences() if o.status == DONE}
        wanted = [o for o in schedule if o.key not in done]
        if [(o.due, o.opens) for o in wanted] != [
            (o.due, o.opens) for o in source.ordered_occurrences() if o.status != DONE
        ]:
            source.reschedule(
                wanted,
                actor=c.actor,
                reason=c.reason,
                plan_year=task.year,
            )
        task.adjust(schedule, actor=c.actor, reason=c.reason)
        app.save_all(task, source)
    moved = 0
    for batch in _batches(sorted(task.copies), c.batch_size):
        with app.recording():
            copies = app.load_each(PlanItem, [task.copies[u] for u in batch], "item")
            changed = [
                item
                for item in copies
                if item.follow_task_schedule(
                    schedule, actor=c.actor, reason=c.reason, plan_year=task.year
                )
            ]
            if changed:
                app.save_all(*changed)
            moved += len(changed)
    return TaskAdjusted(task_id=task.id, copies=moved)
