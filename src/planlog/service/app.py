"""The planlog application: commands, queries and time travel over the event log."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from planlog.deadlines import ParsedDeadline
from planlog.domain.clock import Clock, recording_clock, system_clock
from planlog.domain.errors import ConcurrencyConflict, NotFound, PlanlogError, RuleViolation
from planlog.domain.model import ItemDetails, Plan, PlanItem, Target
from planlog.domain.organisation import Organisation, name_in_use, organisation_id
from planlog.domain.registry import REGISTRY_ID, PlanEntry, PlanRegistry
from planlog.domain.schedule import Occurrence, expand_rrule
from planlog.scheduler.policy import validate_policy
from planlog.service.store import (
    DEFAULT_DATABASE_URL,
    StoreSettings,
    ddl_lock,
    ensure_postgres_schema,
)
from planlog.service.store import parse_database_url as parse_url

PLAN_TZ = ZoneInfo("Asia/Shanghai")
A = TypeVar("A", bound=Aggregate)
_ENVELOPE = {"originator_id", "originator_version", "timestamp", "originator_topic", "actor"}
_RETRIES = 5


@dataclass
class NewItem:
    """What a caller says about an item to plan (structured input; parsing text is elsewhere)."""

    title: str
    section: str | None = None
    number: str | None = None
    goal: str | None = None
    measures: str | None = None
    responsible: str | None = None
    dues: list[date] = field(default_factory=list)
    windows: list[tuple[date, date]] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)
    rrule: str | None = None
    deadline_text: str | None = None
    soft: bool = False
    targets: list[Target] = field(default_factory=list)
    source: dict[str, Any] | None = None

    def apply_deadline(self, text: str, parsed: ParsedDeadline) -> None:
        """Take the schedule from a 时限 text as read by `planlog.deadlines`."""
        self.occurrences = [] if parsed.rrule else list(parsed.occurrences)
        self.rrule = self.rrule or parsed.rrule
        self.deadline_text, self.soft = text, parsed.soft

    @property
    def has_schedule(self) -> bool:
        return bool(self.dues or self.windows or self.rrule or self.occurrences)

    def schedule(self, year: int) -> list[Occurrence]:
        occurrences = list(self.occurrences)
        occurrences += [Occurrence(due=d) for d in self.dues]
        occurrences += [Occurrence(due=end, opens=start) for start, end in self.windows]
        if self.rrule:
            occurrences += expand_rrule(self.rrule, year)
        # A recurrence and an explicit date may name the same day: one occurrence.
        unique: dict[date, Occurrence] = {}
        for occ in occurrences:
            if occ.due.year != year:
                raise RuleViolation(
                    "new item",
                    "due_in_plan_year",
                    f"'{self.title}': due date {occ.key} is outside the plan year {year}",
                )
            unique.setdefault(occ.due, occ)
        return sorted(unique.values(), key=lambda o: o.due)


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
            f"{text!r} is not an ISO 8601 date or time (e.g. 2026-03-31 or 2026-03-31T18:00+08:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=PLAN_TZ)


class AlreadyImported(PlanlogError):
    """The same document was imported before: the plan it made is returned, not a copy."""

    code = "already_imported"

    def __init__(self, plan_id: UUID) -> None:
        super().__init__(
            f"this document was already imported as plan {plan_id}", plan_id=str(plan_id)
        )
        self.plan_id = plan_id


class UnknownOrganisation(PlanlogError):
    """A plan for an organisation nobody registered, through a door that may not register
    one (the API): the administrator registers organisations (`planlog org create`).
    Not a `NotFound`: the caller named it as their own, and every door shows this
    message as it is rather than a generic "not found"."""

    code = "unknown_organisation"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"组织“{name}”尚未登记，请管理员先登记（planlog org create）"
            f"（no organisation named {name!r} is registered: the administrator registers it "
            "with planlog org create）",
            org=name,
        )


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
        with ddl_lock(self.store):
            super().__init__(env={**self.store.env, **(env or {})})

    # ------------------------------------------------------------ plumbing

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def today(self) -> date:
        """The business day in China, where plan dates live."""
        return self.clock().astimezone(PLAN_TZ).date()

    @contextmanager
    def _recording(self) -> Iterator[None]:
        """One command, one recorded time: every event it triggers carries the same moment,
        so a plan never lists an item "before" the item exists."""
        moment = self.clock()
        with recording_clock(lambda: moment):
            yield

    def _load(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} with id {aggregate_id}", id=str(aggregate_id)) from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{aggregate_id} is not a {what}", id=str(aggregate_id))
        return aggregate

    def _stored_version(self, aggregate_id: UUID) -> int:
        last = list(self.events.get(aggregate_id, desc=True, limit=1))
        return last[0].originator_version if last else 0

    def _save(self, *aggregates: Aggregate) -> None:
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

    def _retrying(self, attempt: Callable[[], A]) -> A:
        """Retry a command whose effect commutes with others (appending to a plan)."""
        for _ in range(_RETRIES - 1):
            try:
                return attempt()
            except ConcurrencyConflict:
                continue
        return attempt()

    @staticmethod
    def _check_expected(aggregate: Aggregate, expected_version: int | None) -> None:
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(aggregate.id, aggregate.version, expected_version)

    def _registry(self) -> PlanRegistry:
        try:
            registry: Aggregate = self.repository.get(REGISTRY_ID)
        except AggregateNotFoundError:
            return PlanRegistry.start("planlog")
        assert isinstance(registry, PlanRegistry)
        return registry

    # --------------------------------------------------------------- plans

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

        The plan's organisation must exist. The administrator's doors (CLI, demo) pass
        `register_org=True`: a missing organisation is registered in the same transaction,
        at the top level or under `parent`. The API passes False: an organisation nobody
        registered is refused (`UnknownOrganisation`), nothing is recorded."""

        def attempt() -> Plan:
            with self._recording():
                registry = self._registry()
                fingerprint = (source or {}).get("fingerprint")
                if fingerprint:
                    earlier = registry.find_document(org.strip(), year, fingerprint)
                    if earlier is not None:
                        raise AlreadyImported(earlier.plan_id)
                new_org = self._organisation_for_plan(
                    org, registry, register=register_org, parent=parent, actor=actor
                )
                plan = Plan.create(
                    org=org, year=year, title=title, actor=actor, reason=reason, source=source
                )
                for title_ in sections:
                    if plan.section_by_title(title_) is None:
                        plan.add_section(title_, actor=actor)
                registry.register(
                    plan_id=plan.id,
                    org=plan.org,
                    year=year,
                    title=plan.title,
                    fingerprint=fingerprint,
                    actor=actor,
                )
                planned = [self._plan_item(plan, spec, actor) for spec in items]
                self._save(registry, *new_org, plan, *planned)
                return plan

        return self._retrying(attempt)

    def list_plans(self) -> list[PlanEntry]:
        return sorted(self._registry().entries.values(), key=lambda e: (e.org, e.year, e.title))

    def find_imported(self, org: str, year: int, fingerprint: str) -> PlanEntry | None:
        return self._registry().find_document(org, year, fingerprint)

    def get_plan(self, plan_id: UUID, *, as_of: datetime | None = None) -> Plan:
        if as_of is not None:
            return self._as_of(Plan, plan_id, as_of, "plan")
        return self._load(Plan, plan_id, "plan")

    def plan_items(self, plan_id: UUID, *, as_of: datetime | None = None) -> list[PlanItem]:
        plan = self.get_plan(plan_id, as_of=as_of)
        if as_of is None:
            return [self._load(PlanItem, i, "item") for i in plan.item_ids]
        return [self._as_of(PlanItem, i, as_of, "item") for i in plan.item_ids]

    def add_section(self, plan_id: UUID, title: str, *, actor: str) -> Plan:
        def attempt() -> Plan:
            with self._recording():
                plan = self._load(Plan, plan_id, "plan")
                plan.add_section(title, actor=actor)
                self._save(plan)
                return plan

        return self._retrying(attempt)

    def rename_section(
        self, plan_id: UUID, section_id: str, title: str, *, actor: str, reason: str | None = None
    ) -> Plan:
        with self._recording():
            plan = self._load(Plan, plan_id, "plan")
            plan.rename_section(section_id, title, actor=actor, reason=reason)
            self._save(plan)
            return plan

    # ------------------------------------------------------- organisations

    def get_organisation(self, name: str) -> Organisation:
        return self._load(Organisation, organisation_id(name), f"organisation named {name!r}")

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
        found = self._organisation_for_plan(
            org, self._registry(), register=register_org, parent=parent, actor="dry run"
        )
        return bool(found)

    @staticmethod
    def _named_by_plans(registry: PlanRegistry, name: str) -> bool:
        """Stores from before organisations had to be registered hold plans naming an
        organisation nobody registered: such a name counts as existing, never as free."""
        return any(entry.org == name for entry in registry.entries.values())

    def _organisation_for_plan(
        self,
        org: str,
        registry: PlanRegistry,
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
            if parent is None and self._named_by_plans(registry, name):
                return ()  # an older store's unregistered name: plans go on using it
            raise UnknownOrganisation(name)
        if parent is not None:
            self.get_organisation(parent)  # the parent must exist: refuse a dangling tree
        return (Organisation.register(name, parent=parent, chair=None, actor=actor),)

    def _ancestors(self, name: str) -> list[str]:
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in chain:
            chain.append(current)
            current = self.get_organisation(current).parent
        return chain

    def register_organisation(
        self, name: str, *, actor: str, parent: str | None = None, chair: str | None = None
    ) -> Organisation:
        with self._recording():
            if parent is not None:
                self.get_organisation(parent)  # the parent must exist: refuse a dangling tree
            org = Organisation.register(name, parent=parent, chair=chair, actor=actor)
            try:
                self._save(org)
            except ConcurrencyConflict:
                raise name_in_use(org.name) from None
            return org

    def register_new_organisation(
        self, name: str, *, actor: str, parent: str, chair: str | None = None
    ) -> Organisation:
        """A chair's registration of a member union (the API): only a name nobody uses.
        A name already registered, or named by plans of an older store, is refused
        (`name_in_use`) even when unregistered: registering it under the chair's
        organisation would hand that chair another union's plans."""
        if self._named_by_plans(self._registry(), name.strip()):
            raise name_in_use(name.strip())
        return self.register_organisation(name, actor=actor, parent=parent, chair=chair)

    def move_organisation(
        self, name: str, parent: str | None, *, actor: str, reason: str | None = None
    ) -> Organisation:
        with self._recording():
            org = self.get_organisation(name)
            above = self._ancestors(parent) if parent is not None else []
            org.move_under(parent, above, actor=actor, reason=reason)
            self._save(org)
            return org

    def appoint_chair(self, name: str, chair: str | None, *, actor: str) -> Organisation:
        with self._recording():
            org = self.get_organisation(name)
            org.appoint_chair(chair, actor=actor)
            self._save(org)
            return org

    # --------------------------------------------------------------- items

    def _plan_item(self, plan: Plan, spec: NewItem, actor: str) -> PlanItem:
        section_id = None
        if spec.section:
            section = plan.section_by_title(spec.section) or plan.add_section(
                spec.section, actor=actor
            )
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

    def add_item(self, plan_id: UUID, spec: NewItem, *, actor: str) -> PlanItem:
        def attempt() -> PlanItem:
            with self._recording():
                plan = self._load(Plan, plan_id, "plan")
                item = self._plan_item(plan, spec, actor)
                self._save(plan, item)
                return item

        return self._retrying(attempt)

    def get_item(
        self, item_id: UUID, *, as_of: datetime | None = None, version: int | None = None
    ) -> PlanItem:
        if as_of is not None:
            return self._as_of(PlanItem, item_id, as_of, "item")
        if version is not None:
            try:
                item: Aggregate = self.repository.get(item_id, version=version)
            except AggregateNotFoundError:
                raise NotFound(f"no item with id {item_id}", id=str(item_id)) from None
            if not isinstance(item, PlanItem):
                raise NotFound(f"{item_id} is not an item", id=str(item_id))
            return item
        return self._load(PlanItem, item_id, "item")

    def _change_item(
        self,
        item_id: UUID,
        decide: Callable[[PlanItem], object],
        expected_version: int | None,
    ) -> PlanItem:
        with self._recording():
            item = self._load(PlanItem, item_id, "item")
            self._check_expected(item, expected_version)
            decide(item)
            self._save(item)
            return item

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
        day = done_on or self.today()
        return self._change_item(
            item_id,
            lambda i: i.complete(
                actor=actor, done_on=day, occurrence=occurrence, note=note, evidence=evidence
            ),
            expected_version,
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
        return self._change_item(
            item_id,
            lambda i: i.report_progress(
                actor=actor,
                occurrence=occurrence,
                percent=percent,
                target_index=target_index,
                target_value=target_value,
                note=note,
                evidence=evidence,
            ),
            expected_version,
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
        return self._change_item(
            item_id, lambda i: i.reopen(occurrence, actor=actor, reason=reason), expected_version
        )

    def cancel_item(
        self, item_id: UUID, *, actor: str, reason: str, expected_version: int | None = None
    ) -> PlanItem:
        return self._change_item(
            item_id, lambda i: i.cancel(actor=actor, reason=reason), expected_version
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
        return self._change_item(
            item_id,
            lambda i: i.reassign(responsible, actor=actor, reason=reason),
            expected_version,
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
        return self._change_item(
            item_id, lambda i: i.revise(actor=actor, reason=reason, **changes), expected_version
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
        with self._recording():
            item = self._load(PlanItem, item_id, "item")
            plan = self._load(Plan, item.plan_id, "plan")
            self._check_expected(item, expected_version)
            item.reschedule(
                spec.schedule(plan.year),
                actor=actor,
                reason=reason,
                rrule=spec.rrule,
                deadline_text=spec.deadline_text,
            )
            self._save(item)
            return item

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
        with self._recording():
            item = self._load(PlanItem, item_id, "item")
            self._check_expected(item, expected_version)
            moved = item.occurrences.get(occurrence)
            if moved is None:
                raise RuleViolation(
                    item_id,
                    "occurrence_exists",
                    f"'{item.title}' has no occurrence due {occurrence}",
                )
            opens = moved.opens if moved.opens and moved.opens <= new_due else None
            schedule = [
                Occurrence(due=o.due, opens=o.opens)
                for o in item.ordered_occurrences()
                if o.status != "done" and o.key != occurrence
            ] + [Occurrence(due=new_due, opens=opens)]
            item.reschedule(
                schedule, actor=actor, reason=reason, rrule=None, deadline_text=item.deadline_text
            )
            self._save(item)
            return item

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
        return self._change_item(
            item_id,
            lambda i: i.issue_reminder(
                occurrence,
                kind=kind,
                key=key,
                scheduled_for=scheduled_for,
                recipients=recipients,
                escalate=escalate,
                actor="planlog",
            ),
            None,
        )

    def set_reminder_policy(
        self, plan_id: UUID, policy: dict[str, Any], *, actor: str, reason: str | None = None
    ) -> Plan:
        # The one check for every door (API, CLI, code): each field within its bounds,
        # recorded normalised, or InvalidValue naming the field and nothing recorded.
        overrides = validate_policy(policy)
        with self._recording():
            plan = self._load(Plan, plan_id, "plan")
            plan.set_reminder_policy(overrides, actor=actor, reason=reason)
            self._save(plan)
            return plan

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
                f"no {what} with id {aggregate_id} was recorded by {moment.isoformat()}",
                id=str(aggregate_id),
            )
        aggregate = None
        for event in events:
            aggregate = event.mutate(aggregate)
        if not isinstance(aggregate, cls):
            raise NotFound(f"{aggregate_id} is not a {what}", id=str(aggregate_id))
        return aggregate

    def history(self, aggregate_id: UUID) -> list[dict[str, Any]]:
        """Every recorded change: what, who, when, why — oldest first."""
        entries = [event_record(e) for e in self.events.get(aggregate_id)]
        if not entries:
            raise NotFound(f"nothing recorded for id {aggregate_id}", id=str(aggregate_id))
        return entries


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
