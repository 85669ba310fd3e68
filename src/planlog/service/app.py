"""The planlog application: the event store, the command entry point (`handle`), the
Python API (one-line adapters over the commands) and time travel over the event log."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.utils import get_topic

from planlog.domain.clock import PLAN_TZ, Clock, recording_clock, system_clock
from planlog.domain.errors import (
    ConcurrencyConflict,
    NotFound,
    PlanlogError,
    missing,
    missing_organisation,
    not_a,
)
from planlog.domain.model import Plan, PlanItem
from planlog.domain.organisation import Organisation, organisation_id
from planlog.domain.person import Person
from planlog.domain.registry import (
    INDEX_ORIGIN_ID,
    REGISTRY_ID,
    AlreadyImported,
    ImportedDocument,
    PlanEntry,
    PlanIndex,
    PlanIndexOrigin,
    PlanRegistry,
    document_id,
    plan_index_id,
)
from planlog.domain.task import FederationTask, task_id_for
from planlog.service import handlers
from planlog.service.batch_read import stored_events
from planlog.service.commands import (
    AddItem,
    AddSection,
    AdjustTask,
    AppointChair,
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
    RenameSection,
    Reopen,
    ReportProgress,
    ReviseItem,
    SendTask,
    SetReminderPolicy,
    TaskAdjusted,
    TaskSent,
)
from planlog.service.errors import UnknownOrganisation
from planlog.service.store import (
    DEFAULT_DATABASE_URL,
    StoreSettings,
    ddl_lock,
    ensure_postgres_schema,
)
from planlog.service.store import parse_database_url as parse_url

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}

# Names other modules import from here (the service's errors, the item spec).
__all__ = ["AlreadyImported", "NewItem", "PlanlogApp", "UnknownOrganisation"]
__all__ += ["event_record", "parse_moment"]


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment from a user. A bare date means the end of that day in China;
    a time without a zone is China time."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=PLAN_TZ)
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise PlanlogError(
            f"“{text}”不是日期或时间，例如 2026-03-31 或 2026-03-31T18:00+08:00"
            f"（{text!r} is not an ISO 8601 date or time, e.g. 2026-03-31 or "
            "2026-03-31T18:00+08:00）"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=PLAN_TZ)


def _is_day(text: str) -> bool:
    return len(text.strip()) == 10


def day_span(start: str, end: str) -> tuple[datetime, datetime]:
    """The one meaning of a "from … to …" of recorded times, for every door (web, API,
    CLI): a bare date `from` starts at that day's 00:00 and a bare date `to` ends at
    that day's 24:00, China time, so from=D&to=D is all of day D. A full moment means
    itself. Returned as the timeline's bounds: (after, until], the first exclusive,
    the second inclusive, which a moment `from` always meant (changes after it).
    """
    after, until = _after(start), parse_moment(end)  # a bare `end` reads as its day's end
    begins = after + timedelta(microseconds=1) if _is_day(start) else after
    if until < begins:
        raise PlanlogError(
            f"结束时间 {end.strip()} 早于开始时间 {start.strip()}"
            f"（the end {end.strip()} is before the start {start.strip()}）"
        )
    return after, until


def span_bounds(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """`day_span` for an open-ended span (either side may be missing), unchecked."""
    return (_after(start) if start else None), (parse_moment(end) if end else None)


def _after(start: str) -> datetime:
    """The exclusive lower bound of a span starting at `start`: for a bare date, the
    end of the day before, so the span starts at this day's first instant."""
    after = parse_moment(start)
    return after - timedelta(days=1) if _is_day(start) else after


def as_of_moment(text: str) -> datetime:
    """What "as of D" means everywhere: as recorded at the end of day D (24:00 China
    time), or at the moment given."""
    return parse_moment(text)


class PlanlogApp(Application[UUID]):
    name = "planlog"

    def __init__(
        self,
        database_url: str | None = None,
        *,
        clock: Clock = system_clock,
        env: dict[str, str] | None = None,
    ) -> None:
        self.store: StoreSettings = parse_url(database_url or DEFAULT_DATABASE_URL)
        ensure_postgres_schema(self.store)
        self.clock = clock
        #: notification id of this process's latest write: read models that reach it
        #: include the caller's own writes
        self.last_position = 0
        self._legacy: tuple[int, PlanRegistry] | None = None
        #: the store's PlanIndexOrigin once found complete: it never changes after that
        self._index_origin: PlanIndexOrigin | None = None
        with ddl_lock(self.store):
            super().__init__(env={**self.store.env, **(env or {})})

    # ------------------------------------------------------------ plumbing

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def today(self) -> date:
        """The business day in China, where plan dates live."""
        return self.clock().astimezone(PLAN_TZ).date()

    @contextmanager
    def recording(self) -> Iterator[None]:
        """One command, one recorded time: every event it triggers carries the same moment,
        so a plan never lists an item "before" the item exists."""
        moment = self.clock()
        with recording_clock(lambda: moment):
            yield

    def load(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, projector_func=_fold)
        except AggregateNotFoundError:
            raise missing(what, aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise not_a(what, aggregate_id)
        return aggregate

    def load_each(self, cls: type[A], aggregate_ids: Sequence[UUID], what: str) -> list[A]:
        """`load` for each id, for a command over many aggregates (a task sent to thousands
        of unions): their events read in one query per 500 (`batch_read`) and folded
        directly, without the repository's per-event protocol assertion; the two cost
        most of such a command's time (bench/send_task.py)."""
        found = stored_events(self.recorder, aggregate_ids)
        loaded: list[A] = []
        for aggregate_id in aggregate_ids:
            aggregate = self._folded(found.get(aggregate_id, ()))
            if aggregate is None:
                raise missing(what, aggregate_id)
            if not isinstance(aggregate, cls):
                raise not_a(what, aggregate_id)
            loaded.append(aggregate)
        return loaded

    def _stored_version(self, aggregate_id: UUID) -> int:
        last = list(self.events.get(aggregate_id, desc=True, limit=1))
        return last[0].originator_version if last else 0

    def save_all(self, *aggregates: Aggregate) -> None:
        """Save atomically; a version clash becomes a ConcurrencyConflict, never a lost update."""
        bases = {a.id: a.version - len(a.pending_events) for a in aggregates}
        try:
            recordings = self.save(*aggregates)
        except IntegrityError:
            for aggregate_id, base in bases.items():
                current = self._stored_version(aggregate_id)
                if current != base:
                    raise ConcurrencyConflict(aggregate_id, current, base) from None
            raise
        positions = [r.notification.id for r in recordings if r.notification.id is not None]
        if positions:
            self.last_position = max(self.last_position, *positions)

    _save = save_all  # the name tests of lost updates use

    @staticmethod
    def check_expected(aggregate: Aggregate, expected_version: int | None) -> None:
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(aggregate.id, aggregate.version, expected_version)

    def legacy_registry(self) -> PlanRegistry:
        """The register older stores kept of every plan (`PlanRegistry`): nothing new is
        written to it, so it is replayed once per process and again only if its stored
        version moved (one indexed look-up), never on every `create_plan`."""
        version = self._stored_version(REGISTRY_ID)
        cached = self._legacy
        if cached is not None and cached[0] == version:
            return cached[1]
        registry: Aggregate
        if version == 0:
            registry = PlanRegistry.start("planlog")
        else:
            registry = self.repository.get(REGISTRY_ID)
        assert isinstance(registry, PlanRegistry)
        self._legacy = (version, registry)
        return registry

    def index_origin(self) -> PlanIndexOrigin | None:
        """When this store began indexing plans, if it has (`PlanIndexOrigin`)."""
        if self._index_origin is not None:
            return self._index_origin
        try:
            found: Aggregate = self.repository.get(INDEX_ORIGIN_ID)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, PlanIndexOrigin)
        # An incomplete origin is read again each time: a backfill (`IndexPlans`) in
        # another process may complete it meanwhile. A complete one stays complete.
        if found.complete:
            self._index_origin = found
        return found

    def plans_indexed(self) -> bool:
        """Whether every plan of the store is in its organisation's `PlanIndex`: the
        store indexed plans from its first one on."""
        origin = self.index_origin()
        return origin is not None and origin.complete

    def index_plan(self, plan: Plan, actor: str) -> tuple[Aggregate, ...]:
        """What to save with a new plan so that its organisation's index for the year
        holds it: the index (started or added to), and the first time the store's
        `PlanIndexOrigin`. One aggregate load, whatever the store holds."""
        try:
            found: Aggregate = self.repository.get(plan_index_id(plan.org, plan.year))
        except AggregateNotFoundError:
            index = PlanIndex.start(org=plan.org, year=plan.year, plan_id=plan.id, actor=actor)
        else:
            assert isinstance(found, PlanIndex)
            index = found
            index.add(plan.id, actor=actor)
        if self.index_origin() is not None:
            return (index,)
        # The first indexed plan: complete if no plan was made before it. Read once per
        # store (the origin is then recorded); the search stops at the first plan found.
        topics = [get_topic(Plan.Created)]
        earlier = self.recorder.select_notifications(None, 1, topics=topics)
        return index, PlanIndexOrigin.record(complete=not earlier, actor=actor)

    def plan_indexes(self, orgs: Sequence[str], year: int) -> dict[str, PlanIndex]:
        """The plan index of each organisation that has one for `year`, read in one query
        per 500 organisations (`batch_read`)."""
        ids = {plan_index_id(org, year): org for org in orgs}
        indexes: dict[str, PlanIndex] = {}
        for aggregate_id, stored in stored_events(self.recorder, list(ids)).items():
            aggregate: Any = None
            for record in stored:
                event = cast(Aggregate.Event, self.mapper.to_domain_event(record))
                aggregate = event.mutate(aggregate)
            if isinstance(aggregate, PlanIndex):
                indexes[ids[aggregate_id]] = aggregate
        return indexes

    def refuse_reimport(self, org: str, year: int, fingerprint: str | None) -> None:
        """One document, one plan: a document imported before for this organisation and
        year is refused with the plan it made (`AlreadyImported`)."""
        if not fingerprint:
            return
        earlier = self.find_imported(org.strip(), year, fingerprint)
        if earlier is not None:
            raise AlreadyImported(earlier.plan_id)

    # ------------------------------------------------------------ commands

    def handle(self, command: Command[R]) -> R:
        """Run one write (planlog.service.commands): the entry point of every door."""
        return handlers.handle(self, command)

    # The Python API: one adapter per command, for code and tests that call
    # `app.complete(...)`. Each only builds the command; the handler does the work.

    def create_plan(
        self,
        *,
        org: str,
        year: int,
        title: str,
        actor: str,
        reason: str | None = None,
        source: dict[str, Any] | None = None,
        sections: Sequence[str] = (),
        items: Sequence[NewItem] = (),
        register_org: bool = True,
        parent: str | None = None,
    ) -> Plan:
        """Create a plan (and optionally its sections and items) in one transaction:
        all or nothing. A document already imported for this organisation and year
        is refused with the plan it made (`AlreadyImported`).

        The Python API is the administrator's: a missing organisation is registered
        with the plan unless `register_org=False`. Doors say it explicitly in
        `CreatePlan.register_missing_org` (the CLI registers, the API refuses with
        `UnknownOrganisation`)."""
        return self.handle(
            CreatePlan(
                org=org,
                year=year,
                title=title,
                actor=actor,
                reason=reason,
                source=source,
                sections=sections,
                items=items,
                register_missing_org=register_org,
                parent=parent,
            )
        )

    def add_section(self, plan_id: UUID, title: str, *, actor: str) -> Plan:
        return self.handle(AddSection(plan_id=plan_id, title=title, actor=actor))

    def rename_section(
        self, plan_id: UUID, section_id: str, title: str, *, actor: str, reason: str | None = None
    ) -> Plan:
        return self.handle(
            RenameSection(
                plan_id=plan_id, section_id=section_id, title=title, actor=actor, reason=reason
            )
        )

    def set_reminder_policy(
        self, plan_id: UUID, policy: dict[str, Any], *, actor: str, reason: str | None = None
    ) -> Plan:
        return self.handle(
            SetReminderPolicy(plan_id=plan_id, policy=policy, actor=actor, reason=reason)
        )

    def register_organisation(
        self, name: str, *, actor: str, parent: str | None = None, chair: str | None = None
    ) -> Organisation:
        return self.handle(RegisterOrganisation(name=name, actor=actor, parent=parent, chair=chair))

    def register_new_organisation(
        self, name: str, *, actor: str, parent: str, chair: str | None = None
    ) -> Organisation:
        """A chair's registration of a member union (the API): only a name nobody uses."""
        return self.handle(
            RegisterOrganisation(
                name=name, actor=actor, parent=parent, chair=chair, only_new_name=True
            )
        )

    def move_organisation(
        self, name: str, parent: str | None, *, actor: str, reason: str | None = None
    ) -> Organisation:
        return self.handle(MoveOrganisation(name=name, parent=parent, actor=actor, reason=reason))

    def appoint_chair(self, name: str, chair: str | None, *, actor: str) -> Organisation:
        return self.handle(AppointChair(name=name, chair=chair, actor=actor))

    def _plan_item(self, plan: Plan, spec: NewItem, actor: str) -> PlanItem:
        return handlers.plan_item(plan, spec, actor)  # bench/rebuild_rate.py builds items so

    def add_item(self, plan_id: UUID, spec: NewItem, *, actor: str) -> PlanItem:
        return self.handle(AddItem(plan_id=plan_id, spec=spec, actor=actor))

    def complete(
        self,
        item_id: UUID,
        *,
        actor: str,
        occurrence: str | None = None,
        done_on: date | None = None,
        note: str | None = None,
        evidence: str | None = None,
        expected_version: int | None = None,
    ) -> PlanItem:
        return self.handle(
            Complete(
                item_id=item_id,
                actor=actor,
                occurrence=occurrence,
                done_on=done_on,
                note=note,
                evidence=evidence,
                expected_version=expected_version,
            )
        )

    def report_progress(
        self,
        item_id: UUID,
        *,
        actor: str,
        occurrence: str | None = None,
        percent: int | None = None,
        target_index: int | None = None,
        target_value: float | None = None,
        note: str | None = None,
        evidence: str | None = None,
        expected_version: int | None = None,
    ) -> PlanItem:
        return self.handle(
            ReportProgress(
                item_id=item_id,
                actor=actor,
                occurrence=occurrence,
                percent=percent,
                target_index=target_index,
                target_value=target_value,
                note=note,
                evidence=evidence,
                expected_version=expected_version,
            )
        )

    def reopen(
        self,
        item_id: UUID,
        occurrence: str,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> PlanItem:
        return self.handle(
            Reopen(
                item_id=item_id,
                occurrence=occurrence,
                actor=actor,
                reason=reason,
                expected_version=expected_version,
            )
        )

    def cancel_item(
        self, item_id: UUID, *, actor: str, reason: str, expected_version: int | None = None
    ) -> PlanItem:
        return self.handle(
            Cancel(item_id=item_id, actor=actor, reason=reason, expected_version=expected_version)
        )

    def reassign(
        self,
        item_id: UUID,
        responsible: str | None,
        *,
        actor: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> PlanItem:
        return self.handle(
            Reassign(
                item_id=item_id,
                responsible=responsible,
                actor=actor,
                reason=reason,
                expected_version=expected_version,
            )
        )

    def revise(
        self,
        item_id: UUID,
        *,
        actor: str,
        reason: str | None = None,
        expected_version: int | None = None,
        **changes: Any,
    ) -> PlanItem:
        return self.handle(
            ReviseItem(
                item_id=item_id,
                actor=actor,
                reason=reason,
                expected_version=expected_version,
                changes=changes,
            )
        )

    def reschedule(
        self,
        item_id: UUID,
        spec: NewItem,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> PlanItem:
        """Give an item a new schedule; `spec` carries the dues, windows or RRULE."""
        return self.handle(
            ChangeSchedule.of(
                spec,
                item_id=item_id,
                actor=actor,
                reason=reason,
                expected_version=expected_version,
            )
        )

    def move_occurrence(
        self,
        item_id: UUID,
        occurrence: str,
        new_due: date,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> PlanItem:
        """Move one open occurrence to a new due date, keeping the others."""
        return self.handle(
            MoveOccurrence(
                item_id=item_id,
                occurrence=occurrence,
                to=new_due,
                actor=actor,
                reason=reason,
                expected_version=expected_version,
            )
        )

    def issue_reminder(
        self,
        item_id: UUID,
        occurrence: str,
        *,
        kind: str,
        key: str,
        scheduled_for: datetime,
        recipients: list[str],
        escalate: bool,
    ) -> PlanItem:
        return self.handle(
            IssueReminder(
                item_id=item_id,
                occurrence=occurrence,
                kind=kind,
                key=key,
                scheduled_for=scheduled_for,
                recipients=recipients,
                escalate=escalate,
            )
        )

    def send_task(
        self,
        item_id: UUID,
        to: Sequence[str],
        *,
        parents: dict[str, str | None],
        actor: str,
        batch_size: int | None = None,
    ) -> TaskSent:
        """Send an item of a federation's plan down to the unions below `to`."""
        command = SendTask(item_id=item_id, to=to, parents=parents, actor=actor)
        if batch_size is not None:
            command = replace(command, batch_size=batch_size)
        return self.handle(command)

    def adjust_task(
        self,
        task_id: UUID,
        *,
        dues: Sequence[date],
        actor: str,
        reason: str,
        windows: Sequence[tuple[date, date]] = (),
    ) -> TaskAdjusted:
        """Move a task's deadlines: the federation's item and every union's copy."""
        return self.handle(
            AdjustTask(task_id=task_id, dues=dues, windows=windows, actor=actor, reason=reason)
        )

    # ------------------------------------------------------------- reads

    def list_plans(self) -> list[PlanEntry]:
        """Every plan, read from the event log itself (its plans' creations and renames),
        so a script sees its own writes at once. It reads the whole log: the doors list
        plans from the board read model (`planlog.projections.queries.plan_entries`)."""
        entries: dict[UUID, PlanEntry] = {}
        for event in self._logged(Plan.Created, Plan.Renamed):
            if isinstance(event, Plan.Created):
                fingerprint = (event.source or {}).get("fingerprint")
                entries[event.originator_id] = PlanEntry(
                    event.originator_id, event.org, event.year, event.title, fingerprint
                )
            elif event.originator_id in entries:
                found = entries[event.originator_id]
                entries[found.plan_id] = replace(found, title=event.title)
        return sorted(entries.values(), key=lambda e: (e.org, e.year, e.title))

    def plan_creations(self) -> Iterator[Plan.Created]:
        """Every plan's creation, in the order the plans were made (the log's)."""
        for event in self._logged(Plan.Created):
            assert isinstance(event, Plan.Created)
            yield event

    def _logged(self, *kinds: type[Aggregate.Event]) -> Iterator[Any]:
        """The events of these kinds from the whole log, in order, a page at a time."""
        topics = [get_topic(kind) for kind in kinds]
        start: int | None = None
        while True:
            page = self.recorder.select_notifications(
                start, 1_000, topics=topics, inclusive_of_start=False
            )
            for notification in page:
                yield self.mapper.to_domain_event(notification)
            if len(page) < 1_000:
                return
            start = page[-1].id

    def find_imported(self, org: str, year: int, fingerprint: str) -> PlanEntry | None:
        try:
            found: Aggregate = self.repository.get(document_id(org, year, fingerprint))
        except AggregateNotFoundError:
            return self.legacy_registry().find_document(org, year, fingerprint)
        if not isinstance(found, ImportedDocument):
            return None
        title = self.get_plan(found.plan_id).title
        return PlanEntry(found.plan_id, found.org, found.year, title, found.fingerprint)

    def get_plan(self, plan_id: UUID, *, as_of: datetime | None = None) -> Plan:
        if as_of is not None:
            return self._as_of(Plan, plan_id, as_of, "plan")
        return self.load(Plan, plan_id, "plan")

    def plan_items(self, plan_id: UUID, *, as_of: datetime | None = None) -> list[PlanItem]:
        plan = self.get_plan(plan_id, as_of=as_of)
        if as_of is None:
            return [self.load(PlanItem, i, "item") for i in plan.item_ids]
        return [self._as_of(PlanItem, i, as_of, "item") for i in plan.item_ids]

    def get_item(
        self, item_id: UUID, *, as_of: datetime | None = None, version: int | None = None
    ) -> PlanItem:
        if as_of is not None:
            return self._as_of(PlanItem, item_id, as_of, "item")
        if version is not None:
            try:
                item: Aggregate = self.repository.get(item_id, version=version)
            except AggregateNotFoundError:
                raise missing("item", item_id) from None
            if not isinstance(item, PlanItem):
                raise not_a("item", item_id)
            return item
        return self.load(PlanItem, item_id, "item")

    def get_task(self, task_id: UUID) -> FederationTask:
        return self.load(FederationTask, task_id, "task")

    def tasks_sent(
        self, item_ids: Sequence[UUID], *, as_of: datetime | None = None
    ) -> dict[UUID, FederationTask]:
        """The tasks these items had been sent down as by `as_of` (now: None), by item:
        a replayed board lights and counts them as the live one does. Their events in
        one query (most items were never sent: nothing is read for them)."""
        task_ids = {task_id_for(i): i for i in item_ids}
        found: dict[UUID, FederationTask] = {}
        for task_id, stored in stored_events(self.recorder, list(task_ids)).items():
            task = self._folded(stored, until=as_of)
            if isinstance(task, FederationTask):
                found[task_ids[task_id]] = task
        return found

    def _folded(self, stored: Iterable[StoredEvent], *, until: datetime | None = None) -> Any:
        """Stored events (`batch_read`) decoded and folded, those recorded after `until`
        left out; None when none is left."""
        aggregate: Any = None
        for record in stored:
            event = cast(Aggregate.Event, self.mapper.to_domain_event(record))
            if until is not None and event.timestamp > until:
                break
            aggregate = event.mutate(aggregate)
        return aggregate

    def find_task(self, task_id: UUID) -> FederationTask | None:
        try:
            return self.get_task(task_id)
        except NotFound:
            return None

    # ------------------------------------------------------- organisations

    def get_organisation(self, name: str) -> Organisation:
        try:
            return self.load(Organisation, organisation_id(name), "organisation")
        except NotFound:
            raise missing_organisation(name.strip()) from None

    def get_person(self, person_id: UUID) -> Person:
        return self.load(Person, person_id, "person")

    def find_organisation(self, name: str) -> Organisation | None:
        try:
            return self.get_organisation(name)
        except NotFound:
            return None

    def check_plan_organisation(
        self, org: str, *, register_org: bool, parent: str | None = None
    ) -> bool:
        """What `create_plan` would do with the organisation, recording nothing (a dry
        run): True if it would register it; refused exactly as `create_plan` would."""
        found = self.organisation_for_plan(
            org, register=register_org, parent=parent, actor="dry run"
        )
        return bool(found)

    def organisation_for_plan(
        self,
        org: str,
        *,
        register: bool,
        parent: str | None,
        actor: str,
    ) -> tuple[Organisation, ...]:
        """The organisation a new plan names: () when it exists, the new registration
        to save with the plan when `register` allows one; otherwise refused."""
        name = org.strip()
        existing = self.find_organisation(name)
        if existing is not None:
            existing.confirm_parent(parent)
            return ()
        if not register:
            if parent is None and self.legacy_registry().names_organisation(name):
                return ()  # an older store's unregistered name: plans go on using it
            raise UnknownOrganisation(name)
        if parent is not None:
            self.parent_organisation(parent)
        return (Organisation.register(name, parent=parent, chair=None, actor=actor),)

    def parent_organisation(self, name: str) -> Organisation:
        """The organisation something is to be placed under: it must exist (no dangling
        tree) and not be retired."""
        parent = self.get_organisation(name)
        parent.refuse_if_retired("下设组织", "have organisations placed under it")
        return parent

    def ancestors(self, name: str) -> list[str]:
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in chain:
            chain.append(current)
            current = self.get_organisation(current).parent
        return chain

    # -------------------------------------------------------- time travel

    def _events_until(self, aggregate_id: UUID, moment: datetime) -> list[Any]:
        events: list[Any] = []
        for event in self.events.get(aggregate_id):
            if cast(Aggregate.Event, event).timestamp > moment:
                break
            events.append(event)
        return events

    def _as_of(self, cls: type[A], aggregate_id: UUID, moment: datetime, what: str) -> A:
        events = self._events_until(aggregate_id, moment)
        if not events:
            raise NotFound(
                f"{moment.astimezone(PLAN_TZ):%Y-%m-%d %H:%M} 时尚无此记录"
                f"（no {what} with id {aggregate_id} was recorded by {moment.isoformat()}）",
                id=str(aggregate_id),
            )
        aggregate = None
        for event in events:
            aggregate = event.mutate(aggregate)
        if not isinstance(aggregate, cls):
            raise not_a(what, aggregate_id)
        return aggregate

    def history(self, aggregate_id: UUID) -> list[dict[str, Any]]:
        """Every recorded change: what, who, when, why — oldest first.

        An item sent down as a task (任务下达) has the task's changes in its history too,
        each marked `sent_as` with the task's id (`task_id` is a copy's own field): the
        send, the copies made, the deadlines moved belong to the task's own record, yet
        an auditor reads them as what became of the item (`planlog history ITEM`, the
        item page); the API's item history and the plan's history download too."""
        events = list(self.events.get(aggregate_id))
        if not events:
            raise NotFound(
                f"没有编号为 {aggregate_id} 的记录（nothing recorded for id {aggregate_id}）",
                id=str(aggregate_id),
            )
        entries = [event_record(e) for e in events]
        if not isinstance(events[0], PlanItem.Event):
            return entries  # only an item is sent down: nothing more to look up
        task_id = task_id_for(aggregate_id)
        sent = [{**event_record(e), "sent_as": str(task_id)} for e in self.events.get(task_id)]
        # merged by time, each record in its own order (two workers' clocks may differ)
        return list(heapq.merge(entries, sent, key=lambda e: e["recorded_at"]))


def _fold(aggregate: Any, events: Iterable[Any]) -> Any:
    """eventsourcing's own projector, without its per-event `isinstance` against a
    runtime Protocol: that check cost more than applying the event (a board request
    replays its plan's ~60 events; `load_each` folds the same way)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def event_record(event: Any) -> dict[str, Any]:
    payload = {k: v for k, v in vars(event).items() if k not in _ENVELOPE and k != "reason"}
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": event.timestamp.astimezone(UTC).isoformat(),
        "actor": getattr(event, "actor", None),
        "reason": getattr(event, "reason", None),
        **{k: _plain(v) for k, v in payload.items()},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        # Recorded before the domain refused it: shown as recorded, in a form every JSON
        # reader accepts (a bare NaN token makes the whole history unreadable).
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
