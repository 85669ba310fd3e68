"""Every write planlog knows, as a command: a small frozen value checked once, when built.

A door (CLI, API, web) or code turns its input into one of these and hands it to
`PlanlogApp.handle` (planlog.service.handlers); nothing else decides what a write means.
Checks made here are the ones that do not need the aggregate: the shape of the input
(text with the domain's limits and the same bilingual `InvalidValue` as the domain,
whole versions, "nothing to revise", "occurrence and to go together"). Rules that need
the current state (is it cancelled, is that occurrence done) stay in the aggregates.

Each command is a `Command[R]`, R being what handling it returns, so `app.handle(cmd)`
is typed for every caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from planlog.deadlines import ParsedDeadline
from planlog.domain.errors import PlanlogError
from planlog.domain.evidence import EvidenceFile, checked_sha256
from planlog.domain.model import Plan, PlanItem, Target, item_of_request
from planlog.domain.organisation import Organisation, RetireBlockers
from planlog.domain.person import Person, checked_changes
from planlog.domain.schedule import Occurrence, check_in_plan_year, expand_rrule
from planlog.domain.values import (
    LONG_TEXT_MAX,
    NAME_MAX,
    REASON_MAX,
    TITLE_MAX,
    text,
    whole,
)

R = TypeVar("R")


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
        check_in_plan_year(occurrences, year, where="new item", title=self.title)
        unique: dict[date, Occurrence] = {}
        for occ in occurrences:
            unique.setdefault(occ.due, occ)
        return sorted(unique.values(), key=lambda o: o.due)


class Command(Generic[R]):
    """A write; R is what handling it returns (the changed aggregate)."""

    def _check(self, name: str, value: object) -> None:
        # Frozen dataclasses: a checked (normalised) value replaces what was given.
        object.__setattr__(self, name, value)

    def _text(self, name: str, *, max_len: int) -> None:
        self._check(name, text(getattr(self, name), name, max_len=max_len))


def _version(value: int | None) -> None:
    if value is not None:
        whole(value, "expected_version")


# ------------------------------------------------------------------ plans


@dataclass(frozen=True, kw_only=True)
class CreatePlan(Command[Plan]):
    """A plan (with its sections and items) in one transaction. `register_missing_org`
    has no default: each door says whether it may register an organisation nobody
    registered (the administrator's CLI does, the API refuses it)."""

    org: str
    year: int
    title: str
    actor: str
    register_missing_org: bool
    reason: str | None = None
    source: dict[str, Any] | None = None
    sections: Sequence[str] = ()
    items: Sequence[NewItem] = ()
    parent: str | None = None

    def __post_init__(self) -> None:
        self._check("sections", tuple(self.sections))
        self._check("items", tuple(self.items))


#: Importing a document is creating a plan whose `source` names the document.
ImportPlan = CreatePlan


@dataclass(frozen=True, kw_only=True)
class AddSection(Command[Plan]):
    plan_id: UUID
    title: str
    actor: str


@dataclass(frozen=True, kw_only=True)
class RenameSection(Command[Plan]):
    plan_id: UUID
    section_id: str
    title: str
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RenamePlan(Command[Plan]):
    plan_id: UUID
    title: str
    actor: str
    reason: str | None = None

    def __post_init__(self) -> None:
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class ReorderSections(Command[Plan]):
    """Every section id of the plan, in the new order (the plan checks it names each once)."""

    plan_id: UUID
    order: Sequence[str]
    actor: str
    reason: str | None = None

    def __post_init__(self) -> None:
        self._check("order", tuple(self.order))
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class SetReminderPolicy(Command[Plan]):
    """The policy's fields are checked by the plan (planlog.domain.policy)."""

    plan_id: UUID
    policy: Mapping[str, Any]
    actor: str
    reason: str | None = None


# ---------------------------------------------------------- organisations


@dataclass(frozen=True, kw_only=True)
class RegisterOrganisation(Command[Organisation]):
    """`only_new_name`: a chair registering a member union (the API) may not take a name
    that older plans already use, even unregistered (it would hand over their plans)."""

    name: str
    actor: str
    parent: str | None = None
    chair: str | None = None
    only_new_name: bool = False


# ------------------------------------------------------------------ people


@dataclass(frozen=True, kw_only=True)
class RegisterPerson(Command[Person]):
    """A person of `org`, which must exist (registered, or named by older plans)."""

    org: str
    name: str
    actor: str
    department: str | None = None
    role: str = "editor"
    mobile: str | None = None
    email: str | None = None
    im_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangePerson(Command[Person]):
    """Some of a person's details (`planlog.domain.person.CHANGEABLE`); the rest stay."""

    person_id: UUID
    changes: Mapping[str, object]
    actor: str
    reason: str | None = None

    def __post_init__(self) -> None:
        self._check("person_id", _person_id(self.person_id))
        self._check("changes", checked_changes(self.changes))
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class RetirePerson(Command[Person]):
    person_id: UUID
    actor: str
    reason: str | None = None

    def __post_init__(self) -> None:
        self._check("person_id", _person_id(self.person_id))
        self._text("reason", max_len=REASON_MAX)


def _person_id(value: object) -> UUID:
    """A person's id, from a UUID or its text (the read side keeps ids as text)."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise PlanlogError(f"不是人员编号（not a person id）: {value!r}") from None


@dataclass(frozen=True, kw_only=True)
class MoveOrganisation(Command[Organisation]):
    name: str
    parent: str | None
    actor: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class AppointChair(Command[Organisation]):
    name: str
    chair: str | None
    actor: str


@dataclass(frozen=True, kw_only=True)
class RetireOrganisation(Command[Organisation]):
    """`below` is what the read models show depending on the organisation, read by the
    door (as `SendTask.parents` is): the organisation refuses to retire if anything does."""

    name: str
    reason: str
    actor: str
    below: RetireBlockers


# ------------------------------------------------------------------ items


@dataclass(frozen=True, kw_only=True)
class AddItem(Command[PlanItem]):
    """`deadline`: a 时限 text as written ("6月;12月"), read in the plan's year by the
    handler. Code may plan an item without a schedule (tests, replays); a person may
    not: the doors build it with `AddItem.typed`."""

    plan_id: UUID
    spec: NewItem
    actor: str
    deadline: str | None = None

    @classmethod
    def typed(
        cls, *, plan_id: UUID, spec: NewItem, actor: str, deadline: str | None = None
    ) -> AddItem:
        """An item a person adds at a door: it needs a deadline or a schedule."""
        if not (spec.has_schedule or deadline):
            raise PlanlogError(
                "任务需要时限：截止日期、时间段、重复规则或时限文字（an item needs a deadline: "
                "a due date, a window, a recurrence rule or a 时限 text）"
            )
        return cls(plan_id=plan_id, spec=spec, actor=actor, deadline=deadline)


@dataclass(frozen=True, kw_only=True)
class ItemCommand(Command[PlanItem]):
    """A change of one item, refused (ConcurrencyConflict) unless the item is still at
    `expected_version` when one is given."""

    item_id: UUID
    actor: str
    expected_version: int | None = None

    def __post_init__(self) -> None:
        _version(self.expected_version)


@dataclass(frozen=True, kw_only=True)
class Complete(ItemCommand):
    occurrence: str | None = None
    done_on: date | None = None  # None: today, in China
    note: str | None = None
    evidence: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._text("note", max_len=LONG_TEXT_MAX)
        self._text("evidence", max_len=TITLE_MAX)


@dataclass(frozen=True, kw_only=True)
class Backfill(ItemCommand):
    """Record, now, that an occurrence was already done on `done_on` (onboarding mid-year).

    The occurrence is named (a backfill is about a known deadline, never "the next one"),
    and `done_on` is not after today: the item checks both.
    """

    occurrence: str
    done_on: date
    note: str | None = None
    evidence: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.done_on, date) or isinstance(self.done_on, datetime):
            raise PlanlogError("done_on must be a date（done_on 应为日期）")
        self._check("occurrence", _day_key(self.occurrence))
        self._text("note", max_len=LONG_TEXT_MAX)
        self._text("evidence", max_len=TITLE_MAX)


def _day_key(value: object) -> str:
    """An occurrence's key (its due date, ISO) from a date or its text."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise PlanlogError(f"occurrence must be a due date (YYYY-MM-DD)（时限应为日期）: {value!r}")


@dataclass(frozen=True, kw_only=True)
class ReportProgress(ItemCommand):
    """`files`: evidence just stored (planlog.service.evidence); `evidence_sha256`:
    files already attached to the item, named by hash. Both are attached with the report."""

    occurrence: str | None = None
    percent: int | None = None
    target_index: int | None = None
    target_value: float | None = None
    note: str | None = None
    evidence: str | None = None
    files: Sequence[EvidenceFile] = ()
    evidence_sha256: Sequence[str] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        self._text("note", max_len=LONG_TEXT_MAX)
        self._text("evidence", max_len=TITLE_MAX)
        self._check("files", tuple(self.files))
        self._check("evidence_sha256", tuple(checked_sha256(s) for s in self.evidence_sha256))


@dataclass(frozen=True, kw_only=True)
class AttachEvidence(ItemCommand):
    """Keep a stored evidence file with the item (for one occurrence, or the item)."""

    file: EvidenceFile
    occurrence: str | None = None
    note: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.file, EvidenceFile):
            raise PlanlogError("file must be an EvidenceFile（应为佐证文件）")
        if self.occurrence is not None:
            self._check("occurrence", _day_key(self.occurrence))
        self._text("note", max_len=LONG_TEXT_MAX)


@dataclass(frozen=True, kw_only=True)
class Reopen(ItemCommand):
    occurrence: str
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class Cancel(ItemCommand):
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class Reassign(ItemCommand):
    responsible: str | None
    reason: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._text("responsible", max_len=NAME_MAX)
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class ReviseItem(ItemCommand):
    """`changes`: the REVISABLE fields to change. Empty is refused here, for every door."""

    changes: Mapping[str, Any]
    reason: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.changes:
            raise PlanlogError("没有要修改的内容（nothing to revise: no field was given）")
        self._check("changes", dict(self.changes))
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class ChangeSchedule(ItemCommand):
    """Replace the item's open schedule (done occurrences stay)."""

    reason: str
    dues: Sequence[date] = ()
    windows: Sequence[tuple[date, date]] = ()
    occurrences: Sequence[Occurrence] = ()
    rrule: str | None = None
    deadline_text: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("dues", "windows", "occurrences"):
            self._check(name, tuple(getattr(self, name)))

    @classmethod
    def of(
        cls,
        spec: NewItem,
        *,
        item_id: UUID,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> ChangeSchedule:
        """The new schedule a `NewItem` describes (dates, windows, a read 时限 or a rule)."""
        return cls(
            item_id=item_id,
            actor=actor,
            reason=reason,
            dues=spec.dues,
            windows=spec.windows,
            occurrences=spec.occurrences,
            rrule=spec.rrule,
            deadline_text=spec.deadline_text,
            expected_version=expected_version,
        )

    def schedule(self, year: int) -> list[Occurrence]:
        return NewItem(
            title="",
            dues=list(self.dues),
            windows=list(self.windows),
            occurrences=list(self.occurrences),
            rrule=self.rrule,
        ).schedule(year)


@dataclass(frozen=True, kw_only=True)
class MoveOccurrence(ItemCommand):
    """Move one open occurrence (named by its due date) to a new due date, with a reason."""

    occurrence: str
    to: date
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class RequestExtension(ItemCommand):
    """The responsible person asks to move one deadline (延期申请) to `to`, saying why.
    The item answers the request's id: `item.open_extension_request(occurrence)`."""

    occurrence: str
    to: date
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check("occurrence", _day_key(self.occurrence))
        if not isinstance(self.to, date) or isinstance(self.to, datetime):
            raise PlanlogError("to must be a date（to 应为日期）")
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class DecideExtension(ItemCommand):
    """The chair approves (the deadline moves) or rejects (with a reason) a request; its
    item is the one the request's id names (`DecideExtension.of`)."""

    request_id: str
    approve: bool
    reason: str | None = None

    @classmethod
    def of(
        cls,
        request_id: str,
        *,
        approve: bool,
        actor: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> DecideExtension:
        return cls(
            item_id=item_of_request(request_id),
            request_id=request_id,
            approve=approve,
            actor=actor,
            reason=reason,
            expected_version=expected_version,
        )

    def __post_init__(self) -> None:
        super().__post_init__()
        item_id = item_of_request(self.request_id)
        if self.item_id != item_id:
            raise PlanlogError(
                f"延期申请 {self.request_id} 不属于事项 {self.item_id}"
                f"（request {self.request_id} is not of item {self.item_id}）"
            )
        self._check("request_id", self.request_id.strip())
        self._text("reason", max_len=REASON_MAX)


@dataclass(frozen=True, kw_only=True)
class SignOff(ItemCommand):
    """The chair confirms a submitted completion (办结), or returns it with a reason."""

    occurrence: str
    confirm: bool
    reason: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check("occurrence", _day_key(self.occurrence))
        self._text("reason", max_len=REASON_MAX)


def schedule_change(
    *,
    item_id: UUID,
    actor: str,
    reason: str,
    occurrence: date | str | None = None,
    to: date | None = None,
    dues: Sequence[date] = (),
    windows: Sequence[tuple[date, date]] = (),
    rrule: str | None = None,
    expected_version: int | None = None,
) -> MoveOccurrence | ChangeSchedule:
    """`reschedule` at a door: one occurrence moved (occurrence + to) or a new schedule.
    The one place where "occurrence and to go together"."""
    if occurrence or to:
        if not (occurrence and to):
            raise PlanlogError(
                "要移动的时限与新的截止日期须同时给出"
                "（the occurrence to move and its new due date go together）"
            )
        return MoveOccurrence(
            item_id=item_id,
            actor=actor,
            occurrence=occurrence if isinstance(occurrence, str) else occurrence.isoformat(),
            to=to,
            reason=reason,
            expected_version=expected_version,
        )
    return ChangeSchedule(
        item_id=item_id,
        actor=actor,
        reason=reason,
        dues=dues,
        windows=windows,
        rrule=rrule,
        expected_version=expected_version,
    )


@dataclass(frozen=True, kw_only=True)
class IssueReminder(ItemCommand):
    """Recorded by the reminder pass (actor "planlog"), never by a person."""

    occurrence: str
    kind: str
    key: str
    scheduled_for: datetime
    recipients: Sequence[str]
    escalate: bool
    actor: str = "planlog"


@dataclass(frozen=True, kw_only=True)
class IssueReminders(Command[tuple[IssueReminder, ...]]):
    """A reminder pass's reminders, recorded together: one read of their items and one
    transaction (all or nothing), where one `IssueReminder` each costs two reads and a
    write per reminder (issue 17: a busy pass issues thousands).

    A reminder is left out, not refused, when its item says it is no longer due: the
    item cancelled, the deadline done, submitted or gone, an extension request on it
    awaiting the chair, or one of its `stale_if` keys (its own and those scheduled
    after it) issued meanwhile. Returns the reminders recorded, in the order given.
    `expected_version` is not for these: a batch that loses a race reloads and decides
    again."""

    reminders: Sequence[IssueReminder]
    #: per reminder, the keys whose issue makes it stale
    stale_if: Sequence[Sequence[str]]

    def __post_init__(self) -> None:
        self._check("reminders", tuple(self.reminders))
        self._check("stale_if", tuple(tuple(keys) for keys in self.stale_if))
        if len(self.stale_if) != len(self.reminders):
            raise PlanlogError(
                "每条提醒须有一组失效键（stale_if needs one list of keys per reminder）"
            )
        if any(r.expected_version is not None for r in self.reminders):
            raise PlanlogError(
                "一并发出的提醒不带预期版本（reminders issued together take no expected_version）"
            )


# ------------------------------------------------------- federation tasks


@dataclass(frozen=True)
class PlansIndexed:
    """What indexing the store's plans did: plans added to an index now, and whether
    every plan of the store is in its index since (`PlanlogApp.plans_indexed`)."""

    added: int
    complete: bool


@dataclass(frozen=True, kw_only=True)
class IndexPlans(Command[PlansIndexed]):
    """Add every plan made before the store kept plan indexes to its organisation's
    index for its year, then record that the indexes are complete: sending a task then
    finds each union's plan in its index instead of reading every plan in the log. Run
    once on a store from before the indexes; running it again adds nothing."""

    actor: str
    batch_size: int = 500

    def __post_init__(self) -> None:
        self._check("batch_size", _batch_size(self.batch_size))


#: Copies saved per transaction: one batch is all or nothing; a failure leaves the
#: batches before it saved, and sending again completes the rest (planlog.domain.task).
TASK_BATCH = 500


def _batch_size(value: object) -> int:
    size = whole(value, "batch_size")
    if not 1 <= size <= 5_000:
        raise PlanlogError("batch_size must be within 1–5000（每批数量应在 1–5000 之间）")
    return size


@dataclass(frozen=True)
class TaskSent:
    """What sending a task did: the task and how many unions got a copy now (0 on a
    re-send that finds every union served), and how many plans were made for them."""

    task_id: UUID
    copies: int
    plans_created: int = 0
    #: unions below the targets that already held a copy (skipped)
    already: int = 0
    #: why nothing was copied (Chinese first), None when some union got a copy
    reason: str | None = None
    #: the task's open deadlines already past when it was sent (ISO dates): every copy
    #: made now is overdue from the start, and chased at once
    past_due: tuple[str, ...] = ()
    #: a preview (`SendTask.dry_run`): `copies` would be made, nothing was recorded
    dry_run: bool = False
    #: on a preview, the unions that would get a copy (name order): a chair checks the
    #: list before sending (a misspelt union registered by mistake shows here)
    unions: tuple[str, ...] = ()

    def document(self) -> dict[str, Any]:
        """What the CLI's --json and the API answer."""
        return {
            "task_id": str(self.task_id),
            "copies": self.copies,
            "already": self.already,
            "reason": self.reason,
            "past_due": list(self.past_due),
            "dry_run": self.dry_run,
            **({"unions": list(self.unions)} if self.dry_run else {}),
        }


@dataclass(frozen=True, kw_only=True)
class SendTask(Command[TaskSent]):
    """Send the item `item_id` of a federation's plan down to every union below the
    organisations `to`. `parents` is the organisation tree (name → parent) as the read
    models hold it: the door reads it, the task decides with it."""

    item_id: UUID
    to: Sequence[str]
    parents: Mapping[str, str | None]
    actor: str
    batch_size: int = TASK_BATCH
    #: decide as a send would (which unions, which deadlines already past) and record
    #: nothing: what a chair checks before the copies go out
    dry_run: bool = False

    def __post_init__(self) -> None:
        self._check("to", tuple(self.to) if not isinstance(self.to, str) else self.to)
        self._check("parents", dict(self.parents))
        self._check("batch_size", _batch_size(self.batch_size))


@dataclass(frozen=True)
class TaskAdjusted:
    task_id: UUID
    copies: int  # copies whose deadlines moved


@dataclass(frozen=True, kw_only=True)
class AdjustTask(Command[TaskAdjusted]):
    """The federation moves a task's deadlines: its own item and every union's copy."""

    task_id: UUID
    actor: str
    reason: str
    dues: Sequence[date] = ()
    windows: Sequence[tuple[date, date]] = ()
    rrule: str | None = None
    batch_size: int = TASK_BATCH

    def __post_init__(self) -> None:
        self._text("reason", max_len=REASON_MAX)
        self._check("dues", tuple(self.dues))
        self._check("windows", tuple(self.windows))
        self._check("batch_size", _batch_size(self.batch_size))

    def schedule(self, year: int) -> list[Occurrence]:
        return NewItem(
            title="", dues=list(self.dues), windows=list(self.windows), rrule=self.rrule
        ).schedule(year)
