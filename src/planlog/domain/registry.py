"""Which documents plans came from: importing the same document twice finds the plan it
made the first time.

Each imported document is its own small aggregate (`ImportedDocument`), its id derived
from (organisation, year, document fingerprint): a new plan loads and saves only that
one, so creating a plan costs the same in a store of ten unions and of nine thousand,
and two imports of one document at once collide on the same id instead of making two
plans. Listing plans reads the board read model (`planlog.projections.queries`).

Stores written before this kept every plan in one register (`PlanRegistry`, a
well-known id) that every `create_plan` and listing replayed whole. Its events stay
readable and keep their meaning: a document it records is still refused, and an
organisation named only by its plans still counts as existing. Nothing new is written
to it.

Which plans an organisation has for a year is its own small aggregate too (`PlanIndex`,
id from organisation and year), recorded with each new plan in the plan's transaction:
a task sent to 9,000 unions finds each union's plan with one aggregate load, not by
reading every plan creation in the log. Stores that hold plans made before the index
say so in `PlanIndexOrigin` (one well-known id, recorded once): there, a union missing
from the index may still have a plan, and the log is read instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from planlog.domain.errors import PlanlogError
from planlog.domain.model import PlanlogCreated, PlanlogEvent
from planlog.domain.values import NAME_MAX, TITLE_MAX, required_text, text, whole

REGISTRY_ID = uuid5(NAMESPACE_URL, "planlog:plan-registry")
INDEX_ORIGIN_ID = uuid5(NAMESPACE_URL, "planlog:plan-index-origin")


@dataclass(frozen=True)
class PlanEntry:
    plan_id: UUID
    org: str
    year: int
    title: str
    fingerprint: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.plan_id), "org": self.org, "year": self.year, "title": self.title}


class AlreadyImported(PlanlogError):
    """The same document was imported before for this organisation and year: the plan it
    made is returned, not a copy."""

    code = "already_imported"

    def __init__(self, plan_id: UUID) -> None:
        super().__init__(
            f"该文件已导入为计划 {plan_id}（this document was already imported as plan {plan_id}）",
            plan_id=str(plan_id),
        )
        self.plan_id = plan_id


def document_id(org: str, year: int, fingerprint: str) -> UUID:
    """The id of the record of one document imported for one organisation and year."""
    return uuid5(NAMESPACE_URL, f"planlog:document:{org.strip()}\x1f{year}\x1f{fingerprint}")


class ImportedDocument(Aggregate):
    """One document imported for an organisation and year, and the plan it made."""

    class Recorded(PlanlogCreated):
        plan_id: str
        org: str
        year: int
        fingerprint: str

    def __init__(
        self, *, plan_id: str, org: str, year: int, fingerprint: str, actor: str, reason: str | None
    ) -> None:
        self.plan_id = UUID(plan_id)
        self.org = org
        self.year = year
        self.fingerprint = fingerprint

    @classmethod
    def record(
        cls, *, plan_id: UUID, org: str, year: int, fingerprint: str, actor: str
    ) -> ImportedDocument:
        org = required_text(org, "org", max_len=NAME_MAX, multiline=False)
        fingerprint = required_text(fingerprint, "fingerprint", max_len=NAME_MAX, multiline=False)
        return cls._create(
            cls.Recorded,
            id=document_id(org, year, fingerprint),
            plan_id=str(plan_id),
            org=org,
            year=whole(year, "year"),
            fingerprint=fingerprint,
            actor=actor,
            reason=None,
        )


class PlanRegistry(Aggregate):
    """The register of every plan, as stores kept it before `ImportedDocument`: read,
    never written."""

    class Created(PlanlogCreated):
        pass

    def __init__(self, *, actor: str, reason: str | None) -> None:
        self.entries: dict[UUID, PlanEntry] = {}

    @classmethod
    def start(cls, actor: str) -> PlanRegistry:
        return cls._create(cls.Created, id=REGISTRY_ID, actor=actor, reason=None)

    class PlanRegistered(PlanlogEvent):
        plan_id: str
        org: str
        year: int
        title: str
        fingerprint: str | None

        def apply(self, registry: PlanRegistry) -> None:
            entry = PlanEntry(UUID(self.plan_id), self.org, self.year, self.title, self.fingerprint)
            registry.entries[entry.plan_id] = entry

    def register(
        self, *, plan_id: UUID, org: str, year: int, title: str, fingerprint: str | None, actor: str
    ) -> None:
        # One document, one plan: the same file imported again for the same organisation
        # and year is refused with the plan it made.
        if fingerprint:
            earlier = self.find_document(org.strip(), year, fingerprint)
            if earlier is not None:
                raise AlreadyImported(earlier.plan_id)
        # The plan checked these already; the register checks them again because it
        # is read on every listing, so one bad entry would break them all.
        self.trigger_event(
            self.PlanRegistered,
            plan_id=str(plan_id),
            org=required_text(org, "org", max_len=NAME_MAX, multiline=False),
            year=whole(year, "year"),
            title=required_text(title, "title", max_len=TITLE_MAX),
            fingerprint=text(fingerprint, "fingerprint", max_len=NAME_MAX, multiline=False),
            actor=actor,
            reason=None,
        )

    class PlanRetitled(PlanlogEvent):
        """The plan was renamed (Plan.Renamed): listings show its new title."""

        plan_id: str
        title: str

        def apply(self, registry: PlanRegistry) -> None:
            entry = registry.entries.get(UUID(self.plan_id))
            if entry is not None:
                registry.entries[entry.plan_id] = replace(entry, title=self.title)

    def retitle(self, *, plan_id: UUID, title: str, actor: str) -> None:
        if plan_id not in self.entries or self.entries[plan_id].title == title:
            return  # a plan made before the register, or nothing to change
        self.trigger_event(
            self.PlanRetitled,
            plan_id=str(plan_id),
            title=required_text(title, "title", max_len=TITLE_MAX),
            actor=actor,
            reason=None,
        )

    def find_document(self, org: str, year: int, fingerprint: str) -> PlanEntry | None:
        return next(
            (
                e
                for e in self.entries.values()
                if (e.org, e.year, e.fingerprint) == (org, year, fingerprint)
            ),
            None,
        )

    def names_organisation(self, name: str) -> bool:
        """Stores from before organisations had to be registered hold plans naming an
        organisation nobody registered: such a name counts as existing, never as free."""
        return any(entry.org == name for entry in self.entries.values())


def plan_index_id(org: str, year: int) -> UUID:
    """The id of the index of one organisation's plans for one year."""
    return uuid5(NAMESPACE_URL, f"planlog:plan-index:{org.strip()}\x1f{year}")


class PlanIndex(Aggregate):
    """Every plan of one organisation for one year, in the order they were made.

    Several plans per organisation and year are allowed (only the same document twice
    is refused, by `ImportedDocument`), so the index holds them all and refuses none."""

    class Started(PlanlogCreated):
        org: str
        year: int
        plan_id: str

    def __init__(
        self, *, org: str, year: int, plan_id: str, actor: str, reason: str | None
    ) -> None:
        self.org = org
        self.year = year
        self.plan_ids: list[UUID] = [UUID(plan_id)]

    @classmethod
    def start(cls, *, org: str, year: int, plan_id: UUID, actor: str) -> PlanIndex:
        org = required_text(org, "org", max_len=NAME_MAX, multiline=False)
        return cls._create(
            cls.Started,
            id=plan_index_id(org, year),
            org=org,
            year=whole(year, "year"),
            plan_id=str(plan_id),
            actor=actor,
            reason=None,
        )

    class PlanAdded(PlanlogEvent):
        plan_id: str

        def apply(self, index: PlanIndex) -> None:
            index.plan_ids.append(UUID(self.plan_id))

    def add(self, plan_id: UUID, *, actor: str) -> None:
        if plan_id in self.plan_ids:
            return  # recorded already: adding is idempotent
        self.trigger_event(self.PlanAdded, plan_id=str(plan_id), actor=actor, reason=None)

    class EarlierPlansAdded(PlanlogEvent):
        plan_ids: list[str]

        def apply(self, index: PlanIndex) -> None:
            index.plan_ids[:0] = [UUID(plan_id) for plan_id in self.plan_ids]

    def add_earlier(self, plan_ids: list[UUID], *, actor: str) -> None:
        """Plans made before the store kept indexes (`PlanIndexOrigin` incomplete), in the
        order they were made: they go before every plan indexed as it was made, so the
        index stays in the order the plans were made."""
        new = [str(p) for p in dict.fromkeys(plan_ids) if p not in self.plan_ids]
        if new:
            self.trigger_event(self.EarlierPlansAdded, plan_ids=new, actor=actor, reason=None)


class PlanIndexOrigin(Aggregate):
    """When the store began indexing plans (`PlanIndex`), recorded once with the first
    indexed plan: `complete` is whether no plan was made before, so that every plan of
    the store is in its organisation's index and a union missing from it has no plan.
    A store with older plans is not complete: who has which plan is read from the log."""

    class Recorded(PlanlogCreated):
        complete: bool

    def __init__(self, *, complete: bool, actor: str, reason: str | None) -> None:
        self.complete = complete

    @classmethod
    def record(cls, *, complete: bool, actor: str) -> PlanIndexOrigin:
        return cls._create(
            cls.Recorded, id=INDEX_ORIGIN_ID, complete=bool(complete), actor=actor, reason=None
        )

    class Completed(PlanlogEvent):
        """Every plan made before the index began has been added to it since (`planlog
        plans index`): from now on a union missing from the index has no plan."""

        def apply(self, origin: PlanIndexOrigin) -> None:
            origin.complete = True

    def mark_complete(self, *, actor: str) -> None:
        if self.complete:
            return  # complete from the start, or backfilled already
        self.trigger_event(self.Completed, actor=actor, reason=None)
