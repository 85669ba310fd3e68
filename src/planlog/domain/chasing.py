"""An occurrence's reminders in their nominal order, and chasing that never gives up.

Pure and calendar-free: every reminder has a nominal day (relative to the due date,
before any move off a weekend or holiday) and a key that names it. The reminder pass
(`planlog.scheduler.policy`) moves the days onto working days; the read model of the
next reminder due (`planlog.projections.reminder_due`) uses the nominal order to find
the next reminder without a calendar, so it is the same whatever the pass's calendar.

After the deadline the chase goes on until the occurrence is closed: every
`overdue_every_days`, then from `widen_after_days` overdue every
`overdue_later_every_days`; the days on which escalation starts (to the union's chair,
then to the chair of the union above) always get a chase of their own, so whoever is
added hears about it on that day. Keys name the nominal offset ("overdue+10",
"escalation+37"), so they are unique per occurrence and mean the same thing whatever
the calendar says.

Why the nominal order is the sending order: reminders before the deadline move to the
previous workday, the opening notice and the chases to the next one; both moves keep
the order within each group, a kept lead reminder is never sent before the window
opens (so never before the opening notice), and every chase is after the due date.
Two reminders of different nominal days can land on the same day (the pass keeps the
later one), but never swap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from planlog.domain.policy import ReminderPolicy
from planlog.domain.status import FINISHED
from planlog.domain.workdays import official_workday

OPENS, DUE, OVERDUE, ESCALATION = "opens", "due", "overdue", "escalation"
LEAD = "lead"
#: Occurrences nobody is chased about: done, and submitted for the chair's sign-off.
CLOSED = FINISHED
#: Who is chased: the responsible unit, then also the union's chair, then also the chair
#: of the union above.
RESPONSIBLE, CHAIR, PARENT_CHAIR = 0, 1, 2
# Relevance of a kind when two reminders share a nominal day; higher wins.
RANK_OPENS, RANK_LEAD, RANK_DUE, RANK_OVERDUE, RANK_ESCALATION = range(5)
_RANKS = {OPENS: RANK_OPENS, DUE: RANK_DUE, OVERDUE: RANK_OVERDUE, ESCALATION: RANK_ESCALATION}
# A key no policy can produce (a chase a century overdue) is not looked for.
_MAX_OFFSET = 36_600


@dataclass(frozen=True)
class Nominal:
    """One reminder on its nominal day. `backward`: it moves to the previous workday
    (before the deadline), else to the next one. `level`: who it goes to (RESPONSIBLE,
    CHAIR, PARENT_CHAIR)."""

    kind: str
    key: str
    day: date
    rank: int
    backward: bool
    level: int = RESPONSIBLE

    @property
    def order(self) -> tuple[date, int]:
        return (self.day, self.rank)


def chase_offsets(policy: ReminderPolicy) -> Iterator[int]:
    """Days after the due date of each chase, increasing; endless unless the policy
    sets `max_chases`."""
    every, later, widen = (
        policy.overdue_every_days,
        policy.later_every_days,
        policy.widen_after_days,
    )
    forced = sorted({policy.escalate_after_days, policy.parent_after_days})
    # When chasing starts later than escalation would (every 10 days, the chair told
    # after 7), escalation keeps its day.
    offset, count = min(every, *forced), 0
    while policy.max_chases is None or count < policy.max_chases:
        yield offset
        count += 1
        step = every if offset < widen else later
        following = offset + step
        for boundary in forced:
            if offset < boundary < following:
                following = boundary
                break
        offset = following


def escalation_level(policy: ReminderPolicy, offset: int) -> int:
    if offset >= policy.parent_after_days:
        return PARENT_CHAIR
    if offset >= policy.escalate_after_days:
        return CHAIR
    return RESPONSIBLE


def chase(policy: ReminderPolicy, due: date, offset: int) -> Nominal:
    level = escalation_level(policy, offset)
    kind = OVERDUE if level == RESPONSIBLE else ESCALATION
    day = due + timedelta(days=offset)
    return Nominal(kind, f"{kind}+{offset}", day, _RANKS[kind], False, level)


def before_due(policy: ReminderPolicy, due: date, opens: date | None) -> list[Nominal]:
    """The opening notice, the lead reminders and the due-day reminder, in nominal order."""
    found: list[Nominal] = []
    if opens is not None and policy.opens_notice:
        found.append(Nominal(OPENS, OPENS, opens, RANK_OPENS, False))
    for lead in policy.lead_days:
        found.append(Nominal(LEAD, f"{lead}d", due - timedelta(days=lead), RANK_LEAD, True))
    if policy.on_due_day:
        found.append(Nominal(DUE, DUE, due, RANK_DUE, True))
    return sorted(found, key=lambda n: n.order)


def nominal_slots(policy: ReminderPolicy, due: date, opens: date | None) -> Iterator[Nominal]:
    """Every reminder of an occurrence in nominal order (endless unless capped)."""
    yield from before_due(policy, due, opens)
    for offset in chase_offsets(policy):
        yield chase(policy, due, offset)


def _in_policy(policy: ReminderPolicy, due: date, opens: date | None, key: str) -> Nominal | None:
    """The reminder `key` names, if the policy has it (a key issued under an earlier
    policy that this one does not have is ignored, as the pass ignores it)."""
    for found in before_due(policy, due, opens):
        if found.key == key:
            return found
    kind, plus, number = key.partition("+")
    if not plus or kind not in (OVERDUE, ESCALATION) or not number.isdigit():
        return None
    wanted = int(number)
    if wanted > _MAX_OFFSET:
        return None
    for offset in chase_offsets(policy):
        if offset >= wanted:
            candidate = chase(policy, due, offset)
            return candidate if offset == wanted and candidate.key == key else None
    return None


def next_nominal(
    policy: ReminderPolicy, due: date, opens: date | None, issued: Iterable[str]
) -> Nominal | None:
    """The first reminder after the latest one issued, in nominal order, or None when
    the policy caps the chases and they are used up.

    The pass sends, at any moment, only the latest reminder whose time has come and
    only if nothing at or after it was issued; so nothing is due before this one's
    time comes.
    """
    last: tuple[date, int] | None = None
    for key in issued:
        found = _in_policy(policy, due, opens, key)
        if found is not None and (last is None or found.order > last):
            last = found.order
    for candidate in nominal_slots(policy, due, opens):
        if last is None or candidate.order > last:
            return candidate
    return None


def last_chase_offset(
    policy: ReminderPolicy, due: date, opens: date | None, issued: Iterable[str]
) -> int | None:
    """The offset of the latest chase issued that this policy has, or None. The chases
    before it can no longer be sent, so the pass need not work them out."""
    offsets = [
        int(key.partition("+")[2])
        for key in issued
        if "+" in key and _in_policy(policy, due, opens, key) is not None
    ]
    return max(offsets, default=None)


def earliest_send(policy: ReminderPolicy, nominal: Nominal) -> datetime:
    """The earliest moment `nominal` can be sent under any calendar the pass may use
    (China's official days, Monday–Friday, every day): a forward move never makes it
    earlier, a backward one at most to the earlier of China's and Monday–Friday's
    previous workday."""
    day = nominal.day
    if nominal.backward:
        day = min(_previous(day, _china_or_weekday), _previous(day, _weekday))
    return datetime.combine(day, policy.send_at, tzinfo=policy.zone)


def _weekday(day: date) -> bool:
    return day.weekday() < 5


def _china_or_weekday(day: date) -> bool:
    official = official_workday(day)
    return _weekday(day) if official is None else official


def _previous(day: date, is_workday: Callable[[date], bool]) -> date:
    for _ in range(366):
        if is_workday(day):
            return day
        day -= timedelta(days=1)
    return day
