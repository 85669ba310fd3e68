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
from planlog.domain.registry import ImportedDocument
from planlog.service.commands import (
    AddItem,
    AddSection,
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
    SetReminderPolicy,
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
            fingerprint = (c.source or {}).get("fingerprint")
            app.refuse_reimport(c.org, c.year, fingerprint)
            new_org = app.organisation_for_plan(
                c.org, register=c.register_missing_org, parent=c.parent, actor=c.actor
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
            # The document's own record, not a register of every plan: two imports of it
            # at once collide here, and the retry finds the plan the first one made.
            document = (
                ImportedDocument.record(
                    plan_id=plan.id,
                    org=plan.org,
                    year=c.year,
                    fingerprint=fingerprint,
                    actor=c.actor,
                )
                if fingerprint
                else None
            )
            items = [plan_item(plan, spec, c.actor) for spec in c.items]
            app.save_all(*([document] if document else []), *new_org, plan, *items)
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
    # Listings read the title from the plan's own Renamed event (the board read model).
    with app.recording():
        plan = app.load(Plan, c.plan_id, "plan")
        plan.rename(c.title, actor=c.actor, reason=c.reason)
        app.save_all(plan)
        return plan


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
    if c.only_new_name and app.legacy_registry().names_organisation(c.name.strip()):
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
