"""One handler per command: load the aggregates, let them decide, save. Nothing else.

`handle(app, command)` (also `PlanlogApp.handle`) is the single entry point every door
uses; the PlanlogApp write methods (`app.complete(...)` …) are the Python API, each a
one-line adapter that builds the command and hands it here.

Every handler records its events at one moment (`app.recording()`), and saves through
`app.save_all`, which turns a lost race into a ConcurrencyConflict. Handlers whose
effect commutes with other writes (appending to a plan) retry such a conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from planlog.deadlines import parse_deadline
from planlog.domain.errors import ConcurrencyConflict, RuleViolation
from planlog.domain.model import ItemDetails, Plan, PlanItem
from planlog.domain.organisation import Organisation, name_in_use
from planlog.domain.person import Person
from planlog.domain.registry import ImportedDocument, PlanIndex, PlanIndexOrigin
from planlog.domain.status import FINISHED
from planlog.domain.task import FederationTask, copy_plan_title, task_id_for
from planlog.service.commands import (
    AddItem,
    AddSection,
    AdjustTask,
    AppointChair,
    AttachEvidence,
    Backfill,
    Cancel,
    ChangePerson,
    ChangeSchedule,
    Command,
    Complete,
    CreatePlan,
    DecideExtension,
    IndexPlans,
    IssueReminder,
    IssueReminders,
    MoveOccurrence,
    MoveOrganisation,
    NewItem,
    PlansIndexed,
    Reassign,
    RegisterOrganisation,
    RegisterPerson,
    RenamePlan,
    RenameSection,
    Reopen,
    ReorderSections,
    ReportProgress,
    RequestExtension,
    RetireOrganisation,
    RetirePerson,
    ReviseItem,
    SendTask,
    SetReminderPolicy,
    SignOff,
    TaskAdjusted,
    TaskSent,
)
from planlog.service.errors import UnknownOrganisation

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
            # The organisation's plans of the year, recorded with the plan: a task sent
            # down finds each union's plan there (`_union_plans`).
            indexed = app.index_plan(plan, c.actor)
            app.save_all(*([document] if document else []), *new_org, *indexed, plan, *items)
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
            app.parent_organisation(c.parent)
        org = Organisation.register(c.name, parent=c.parent, chair=c.chair, actor=c.actor)
        try:
            app.save_all(org)
        except ConcurrencyConflict:
            # The administrator is told the name is a retired one's; a chair (the API's
            # `only_new_name`) gets the one answer for every taken name, which says
            # nothing about unions outside its scope.
            taken = None if c.only_new_name else app.find_organisation(org.name)
            if taken is not None:
                taken.refuse_if_retired("再登记", "be registered again")
            raise name_in_use(org.name) from None
        return org


@handles(MoveOrganisation)
def move_organisation(app: PlanlogApp, c: MoveOrganisation) -> Organisation:
    with app.recording():
        org = app.get_organisation(c.name)
        above = app.ancestors(c.parent) if c.parent is not None else []
        org.move_under(c.parent, above, actor=c.actor, reason=c.reason)
        if c.parent is not None:  # after the organisation's own refusals
            app.parent_organisation(c.parent)
        app.save_all(org)
        return org


@handles(AppointChair)
def appoint_chair(app: PlanlogApp, c: AppointChair) -> Organisation:
    with app.recording():
        org = app.get_organisation(c.name)
        org.appoint_chair(c.chair, actor=c.actor)
        app.save_all(org)
        return org


@handles(RetireOrganisation)
def retire_organisation(app: PlanlogApp, c: RetireOrganisation) -> Organisation:
    with app.recording():
        org = app.get_organisation(c.name)
        org.retire(c.below, actor=c.actor, reason=c.reason)
        app.save_all(org)
        return org


# ------------------------------------------------------------------ people


@handles(RegisterPerson)
def register_person(app: PlanlogApp, c: RegisterPerson) -> Person:
    with app.recording():
        org = c.org.strip()
        found = app.find_organisation(org)
        if found is None and not app.legacy_registry().names_organisation(org):
            app.get_organisation(org)  # the same "no organisation named …" as elsewhere
        if found is not None:
            found.refuse_if_retired("登记人员", "have people registered")
        person = Person.register(
            org=org,
            name=c.name,
            department=c.department,
            role=c.role,
            mobile=c.mobile,
            email=c.email,
            im_id=c.im_id,
            actor=c.actor,
        )
        app.save_all(person)
        return person


@handles(ChangePerson)
def change_person(app: PlanlogApp, c: ChangePerson) -> Person:
    with app.recording():
        person = app.load(Person, c.person_id, "person")
        person.change(c.changes, actor=c.actor, reason=c.reason)
        app.save_all(person)
        return person


@handles(RetirePerson)
def retire_person(app: PlanlogApp, c: RetirePerson) -> Person:
    with app.recording():
        person = app.load(Person, c.person_id, "person")
        person.retire(actor=c.actor, reason=c.reason)
        app.save_all(person)
        return person


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
    # The plan says whether a completion waits for the chair's sign-off.
    day = c.done_on or app.today()
    return _change_item_of_plan(
        app,
        c,
        lambda item, plan: item.complete(
            actor=c.actor,
            done_on=day,
            occurrence=c.occurrence,
            note=c.note,
            evidence=c.evidence,
            sign_off=plan.sign_off,
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
            files=c.files,
            evidence_sha256=c.evidence_sha256,
        ),
    )


@handles(AttachEvidence)
def attach_evidence(app: PlanlogApp, c: AttachEvidence) -> PlanItem:
    return _change_item(
        app,
        c,
        lambda i: i.attach_evidence(c.file, actor=c.actor, occurrence=c.occurrence, note=c.note),
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


def _change_item_of_plan(
    app: PlanlogApp, c: Any, decide: Callable[[PlanItem, Plan], object]
) -> PlanItem:
    """As `_change_item`, for a decision that needs the item's plan (its year, its
    sign-off switch); only the item is saved."""
    with app.recording():
        item = app.load(PlanItem, c.item_id, "item")
        plan = app.load(Plan, item.plan_id, "plan")
        app.check_expected(item, c.expected_version)
        decide(item, plan)
        app.save_all(item)
        return item


def _change_item_of_year(
    app: PlanlogApp, c: Any, decide: Callable[[PlanItem, int], object]
) -> PlanItem:
    """As `_change_item`, for a decision that needs the plan's year (a schedule)."""
    return _change_item_of_plan(app, c, lambda item, plan: decide(item, plan.year))


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


@handles(RequestExtension)
def request_extension(app: PlanlogApp, c: RequestExtension) -> PlanItem:
    return _change_item_of_year(
        app,
        c,
        lambda item, year: item.request_extension(
            c.occurrence, c.to, actor=c.actor, reason=c.reason, plan_year=year
        ),
    )


@handles(DecideExtension)
def decide_extension(app: PlanlogApp, c: DecideExtension) -> PlanItem:
    def decide(item: PlanItem, year: int) -> None:
        if c.approve:
            item.approve_extension(c.request_id, actor=c.actor, plan_year=year, reason=c.reason)
        else:
            item.reject_extension(c.request_id, actor=c.actor, reason=c.reason or "")

    return _change_item_of_year(app, c, decide)


@handles(SignOff)
def sign_off(app: PlanlogApp, c: SignOff) -> PlanItem:
    def decide(item: PlanItem) -> None:
        if c.confirm:
            item.confirm(c.occurrence, actor=c.actor, reason=c.reason)
        else:
            item.return_submission(c.occurrence, actor=c.actor, reason=c.reason or "")

    return _change_item(app, c, decide)


def _record_reminder(item: PlanItem, c: IssueReminder) -> None:
    """The item records the reminder the command carries (alone or in a batch)."""
    item.issue_reminder(
        c.occurrence,
        kind=c.kind,
        key=c.key,
        scheduled_for=c.scheduled_for,
        recipients=list(c.recipients),
        escalate=c.escalate,
        actor=c.actor,
    )


@handles(IssueReminder)
def issue_reminder(app: PlanlogApp, c: IssueReminder) -> PlanItem:
    return _change_item(app, c, lambda i: _record_reminder(i, c))


@handles(IssueReminders)
def issue_reminders(app: PlanlogApp, c: IssueReminders) -> tuple[IssueReminder, ...]:
    """Every reminder still due on its item, its items read in one go (`load_each`) and
    saved in one transaction; a batch that loses a race reloads and decides again."""

    def attempt() -> tuple[IssueReminder, ...]:
        with app.recording():
            ids = list(dict.fromkeys(r.item_id for r in c.reminders))
            items = dict(zip(ids, app.load_each(PlanItem, ids, "item"), strict=True))
            recorded = []
            for r, stale_if in zip(c.reminders, c.stale_if, strict=True):
                item = items[r.item_id]
                if not _still_chased(item, r.occurrence, stale_if):
                    continue
                _record_reminder(item, r)
                recorded.append(r)
            changed = [item for item in items.values() if item.pending_events]
            if changed:
                app.save_all(*changed)
            return tuple(recorded)

    return _retrying(attempt)


def _still_chased(item: PlanItem, occurrence: str, stale_if: Sequence[str]) -> bool:
    """Whether the item still wants this reminder: what the reminder pass checks on the
    item before issuing one alone (planlog.scheduler.reminders `_issue`). The pass
    compares the slot due now with the reminder's key; here a batch gives the keys whose
    issue makes the reminder stale (`stale_if`), worked out when it was found due."""
    if not item.wants_chasing(occurrence):
        return False  # the read model lagged behind a completion or a request
    return not item.reminders.get(occurrence, set()).intersection(stale_if)


# ------------------------------------------------------- plan indexes


@handles(IndexPlans)
def index_plans(app: PlanlogApp, c: IndexPlans) -> PlansIndexed:
    """Each plan not yet in its organisation's index is added to it, in the order the
    plans were made and before the plans indexed as they were made (`_first_listed`
    breaks ties of title by that order), a batch of indexes per transaction (one
    organisation's all at once); then the store's PlanIndexOrigin says the indexes are
    complete. Plans made meanwhile index themselves once an origin exists; a conflict
    with one of them is retried, and a run stopped halfway is completed by another."""
    plans: dict[tuple[int, str], list[Any]] = {}
    for created in app.plan_creations():
        plans.setdefault((created.year, created.org), []).append(created.originator_id)
    added = 0
    for year in sorted({year for year, _ in plans}):
        orgs = sorted(org for y, org in plans if y == year)
        for batch in _batches(orgs, c.batch_size):
            added += _retrying(partial(_index_batch, app, plans, year, batch, c.actor))
    return PlansIndexed(added=added, complete=_retrying(lambda: _complete_origin(app, c.actor)))


def _index_batch(
    app: PlanlogApp, plans: dict[tuple[int, str], list[Any]], year: int, orgs: list[str], actor: str
) -> int:
    with app.recording():
        found = app.plan_indexes(orgs, year)
        changed: list[PlanIndex] = []
        added = 0
        for org in orgs:
            index = found.get(org)
            if index is None:
                first, *rest = plans[(year, org)]
                index = PlanIndex.start(org=org, year=year, plan_id=first, actor=actor)
                for plan_id in rest:
                    index.add(plan_id, actor=actor)
                added += 1 + len(rest)
            else:
                missing = [p for p in plans[(year, org)] if p not in index.plan_ids]
                index.add_earlier(missing, actor=actor)
                added += len(missing)
            if index.pending_events:
                changed.append(index)
        if changed:
            app.save_all(*changed)
        return added


def _complete_origin(app: PlanlogApp, actor: str) -> bool:
    with app.recording():
        origin = app.index_origin() or PlanIndexOrigin.record(complete=True, actor=actor)
        origin.mark_complete(actor=actor)
        if origin.pending_events:
            app.save_all(origin)
        return origin.complete


# ------------------------------------------------------- federation tasks


def _batches(names: list[str], size: int) -> list[list[str]]:
    return [names[i : i + size] for i in range(0, len(names), size)]


def _union_plans(
    app: PlanlogApp, unions: list[str], year: int, actor: str
) -> tuple[dict[str, Any], int]:
    """Each union's plan for `year` (its first, as listed: by title, then as made), a
    plan made through the ordinary CreatePlan for a union that has none; and how many
    were made."""
    found: dict[str, Any] = {}
    if not unions:
        return found, 0  # a re-send that finds every union served reads no plan list
    if app.plans_indexed():
        # Every plan of the store is in its organisation's index for its year: one
        # aggregate per union (a batched read), and a union without one has no plan.
        for union, index in app.plan_indexes(unions, year).items():
            found[union] = _first_listed(app, index.plan_ids)
    else:
        # A store with plans made before the index existed: a union missing from it may
        # still have one, which only the log records (the read models are above the
        # service and may lag a write). Read the plan creations once, as before.
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


def _first_listed(app: PlanlogApp, plan_ids: list[Any]) -> Any:
    """The plan a listing shows first (`list_plans`: by title, then in the order made)
    among one organisation's plans of a year. Nearly always there is one; only several
    are loaded to compare their titles."""
    if len(plan_ids) == 1:
        return plan_ids[0]
    plans = app.load_each(Plan, plan_ids, "plan")
    first = min(range(len(plans)), key=lambda k: (plans[k].title, k))
    return plans[first].id


@handles(SendTask)
def send_task(app: PlanlogApp, c: SendTask) -> TaskSent:
    """Copy the item to every union below the targets that has no copy yet: one batch of
    unions per transaction (their copies, their plans' attachments and the task's record
    of them), so 9,000 unions are a few transactions, and a failed batch leaves nothing of
    itself behind. A batch that loses a race reloads and decides again."""
    source = app.load(PlanItem, c.item_id, "item")
    plan = app.load(Plan, source.plan_id, "plan")
    task_id = task_id_for(source.id)
    for target in c.to:
        # a name nobody registered is unknown, not "not below" the federation
        if target not in c.parents:
            found = app.find_organisation(target)
            if found is not None:  # retired, out of the tree: say so, not "register it"
                found.refuse_if_retired("接收任务", "receive tasks")
            raise UnknownOrganisation(target)

    def current_task() -> FederationTask:
        found = app.find_task(task_id)
        return found if found is not None else FederationTask.send(source, plan, actor=c.actor)

    today = app.today()
    past_due = tuple(
        o.due.isoformat()
        for o in source.ordered_occurrences()
        if o.status not in FINISHED and o.due < today
    )
    with app.recording():
        task = current_task()
        wanted = task.unions_below_targets(c.to, c.parents)
        unions = [u for u in wanted if u not in task.copies]
        if task.version == len(task.pending_events):  # new
            if not wanted:
                # A task nobody receives would take the item off its own union's counts
                # and reminders while no union works on it: refused, nothing recorded.
                raise RuleViolation(source.id, "no_union_below", _no_union_below(c.to))
            if not c.dry_run:
                app.save_all(task)
    if c.dry_run:
        return TaskSent(
            task_id=task_id,
            copies=len(unions),
            already=len(wanted) - len(unions),
            reason=_nothing_sent(c.to, wanted, len(unions)),
            past_due=past_due if unions else (),
            dry_run=True,
            unions=tuple(unions),
        )
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
    return TaskSent(
        task_id=task_id,
        copies=copied,
        plans_created=made,
        already=len(wanted) - len(unions),
        reason=_nothing_sent(c.to, wanted, copied),
        past_due=past_due if copied else (),
    )


def _no_union_below(to: Sequence[str]) -> str:
    named = "、".join(f"“{t}”" for t in to)
    return f"{named}之下没有工会，未下达（no union below {', '.join(to)}: nothing sent）"


def _nothing_sent(to: Sequence[str], wanted: list[str], copied: int) -> str | None:
    """Why a send copied nothing: no union below the targets (a first send is refused
    for it), or every one holds a copy."""
    if copied:
        return None
    if not wanted:
        return _no_union_below(to)
    named = "、".join(f"“{t}”" for t in to)
    return (
        f"{named}及其下属工会均已收到此任务（every union at or below {', '.join(to)} holds a copy）"
    )


@handles(AdjustTask)
def adjust_task(app: PlanlogApp, c: AdjustTask) -> TaskAdjusted:
    """Move the task's deadlines: the federation's own item first, with the task's
    record of the change, then every copy, batch by batch. Running it again moves only
    the copies not yet moved (a copy already on the new schedule records nothing)."""
    task = app.get_task(c.task_id)
    schedule = c.schedule(task.year)
    with app.recording():
        source = app.load(PlanItem, task.source_item_id, "item")
        # Done or submitted (FINISHED), the federation's own work keeps its deadline; with
        # nothing of it open it is finished, and gets no new deadline (as a copy, in
        # PlanItem.follow_task_schedule).
        done = {o.key for o in source.ordered_occurrences() if o.status in FINISHED}
        wanted = [o for o in schedule if o.key not in done]
        current = [
            (o.due, o.opens) for o in source.ordered_occurrences() if o.status not in FINISHED
        ]
        if current and [(o.due, o.opens) for o in wanted] != current:
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
