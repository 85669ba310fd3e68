from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from planlog.domain.values import InvalidValue
from planlog.scheduler.policy import (
    MAX_CHASES,
    ReminderPolicy,
    Slot,
    due_reminder,
    reminder_slots,
    validate_policy,
)
from planlog.scheduler.workdays import ChinaWorkdays, EveryDay, WeekdaysOnly

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT = ReminderPolicy()
NO_CHASES = ReminderPolicy(max_chases=0)


def d(text: str) -> date:
    return date.fromisoformat(text)


def local_830(day: str) -> datetime:
    return datetime.combine(d(day), time(8, 30), tzinfo=SHANGHAI).astimezone(UTC)


def schedule(slots: list[Slot]) -> list[tuple[str, str]]:
    """(key, local send day) pairs: what a person reads off the reminder calendar."""
    return [(slot.key, slot.local_day().isoformat()) for slot in slots]


# -- the schedule ------------------------------------------------------------------------


def test_send_time_is_0830_shanghai_stored_as_0030_utc() -> None:
    slots = reminder_slots(d("2026-03-25"), None, NO_CHASES, ChinaWorkdays())
    due = next(slot for slot in slots if slot.key == "due")
    assert due.send_at == datetime(2026, 3, 25, 0, 30, tzinfo=UTC)
    assert due.send_at.utcoffset() == timedelta(0)
    assert all(slot.send_at.tzinfo is not None for slot in slots)


def test_default_schedule_for_a_midweek_due_date() -> None:
    # Wednesday 2026-03-25; Qingming (04-04..04-06) and May Day (05-01..05-05) fall
    # inside the chasing period.
    until = datetime(2026, 5, 10, tzinfo=SHANGHAI)
    slots = reminder_slots(d("2026-03-25"), None, DEFAULT, ChinaWorkdays(), until=until)
    assert schedule(slots) == [
        ("7d", "2026-03-18"),
        ("1d", "2026-03-24"),
        ("due", "2026-03-25"),
        ("overdue+3", "2026-03-30"),  # Saturday 03-28 → Monday
        ("overdue+6", "2026-03-31"),
        ("escalation+7", "2026-04-01"),  # the union's chair is told too
        # escalation+10 (Sat 04-04, Qingming) moves to Tue 04-07, where +13 lands too:
        # only the later one is kept.
        ("escalation+13", "2026-04-07"),
        ("escalation+16", "2026-04-10"),
        ("escalation+23", "2026-04-17"),  # two weeks overdue: weekly from now on
        ("escalation+30", "2026-04-24"),  # the chair of the union above is told too
        ("escalation+37", "2026-05-06"),  # May Day → the first workday after it
        ("escalation+44", "2026-05-08"),
        ("escalation+51", "2026-05-15"),  # the first one after `until`
    ]
    assert [slot.send_at for slot in slots] == sorted(slot.send_at for slot in slots)
    assert all(slot.send_at.time() == time(0, 30) for slot in slots)
    assert [slot.kind for slot in slots[:3]] == ["7d", "1d", "due"]


SCHEDULES: list[tuple[str, str, str | None, ReminderPolicy, Any, list[tuple[str, str]]]] = [
    (
        "due on a Sunday: 'due' moves to Friday, where it absorbs '1d'",
        "2026-03-29",
        None,
        NO_CHASES,
        ChinaWorkdays(),
        [("7d", "2026-03-20"), ("due", "2026-03-27")],
    ),
    (
        "a 7d lead on National Day moves to the workday before the holiday",
        "2026-10-09",
        None,
        NO_CHASES,
        ChinaWorkdays(),
        [("7d", "2026-09-30"), ("1d", "2026-10-08"), ("due", "2026-10-09")],
    ),
    (
        "a 1d lead on Sunday moves to the 调休 Saturday before it",
        "2026-10-12",
        None,
        NO_CHASES,
        ChinaWorkdays(),
        [("7d", "2026-09-30"), ("1d", "2026-10-10"), ("due", "2026-10-12")],
    ),
    (
        "with weekdays only, the 调休 Saturday is not a workday",
        "2026-10-12",
        None,
        NO_CHASES,
        WeekdaysOnly(),
        [("7d", "2026-10-05"), ("1d", "2026-10-09"), ("due", "2026-10-12")],
    ),
    (
        "every day: nothing moves",
        "2026-03-29",
        None,
        NO_CHASES,
        EveryDay(),
        [("7d", "2026-03-22"), ("1d", "2026-03-28"), ("due", "2026-03-29")],
    ),
    (
        "a window 六月至八月 gets an opens notice on its first day",
        "2026-08-31",
        "2026-06-01",
        ReminderPolicy(lead_days=(30, 7, 1), max_chases=0),
        ChinaWorkdays(),
        [
            ("opens", "2026-06-01"),
            ("30d", "2026-07-31"),  # Sat 08-01 → Fri
            ("7d", "2026-08-24"),
            ("1d", "2026-08-28"),  # Sun 08-30 → Fri
            ("due", "2026-08-31"),
        ],
    ),
    (
        "a window opening on Saturday is announced on Monday",
        "2026-03-31",
        "2026-03-21",
        NO_CHASES,
        ChinaWorkdays(),
        [
            ("opens", "2026-03-23"),
            ("7d", "2026-03-24"),
            ("1d", "2026-03-30"),
            ("due", "2026-03-31"),
        ],
    ),
    (
        "a lead reminder before the window opens is dropped",
        "2026-03-25",
        "2026-03-20",
        NO_CHASES,
        ChinaWorkdays(),
        [("opens", "2026-03-20"), ("1d", "2026-03-24"), ("due", "2026-03-25")],
    ),
    (
        "opens and a lead on the same day: the lead (closer to due) is kept",
        "2026-03-25",
        "2026-03-18",
        NO_CHASES,
        ChinaWorkdays(),
        [("7d", "2026-03-18"), ("1d", "2026-03-24"), ("due", "2026-03-25")],
    ),
    (
        "a weekend window whose notice would come after the due date has none",
        "2026-03-29",
        "2026-03-28",
        NO_CHASES,
        ChinaWorkdays(),
        [("due", "2026-03-27")],
    ),
    (
        "opens_notice off: no opens slot",
        "2026-08-31",
        "2026-06-01",
        ReminderPolicy(opens_notice=False, max_chases=0),
        ChinaWorkdays(),
        [("7d", "2026-08-24"), ("1d", "2026-08-28"), ("due", "2026-08-31")],
    ),
    (
        "on_due_day off: the 1d lead survives on Friday",
        "2026-03-29",
        None,
        ReminderPolicy(on_due_day=False, max_chases=0),
        ChinaWorkdays(),
        [("7d", "2026-03-20"), ("1d", "2026-03-27")],
    ),
]


@pytest.mark.parametrize(
    ("name", "due", "opens", "policy", "calendar", "expected"),
    SCHEDULES,
    ids=[case[0] for case in SCHEDULES],
)
def test_schedule(
    name: str,
    due: str,
    opens: str | None,
    policy: ReminderPolicy,
    calendar: Any,
    expected: list[tuple[str, str]],
) -> None:
    slots = reminder_slots(d(due), d(opens) if opens else None, policy, calendar)
    assert schedule(slots) == expected, name


def test_opens_after_due_is_rejected() -> None:
    with pytest.raises(ValueError, match="opens"):
        reminder_slots(d("2026-03-25"), d("2026-03-26"), DEFAULT, EveryDay())


# -- chasing -----------------------------------------------------------------------------


def chases(policy: ReminderPolicy) -> list[tuple[str, str, bool]]:
    slots = reminder_slots(d("2026-03-25"), None, policy, EveryDay())
    return [(s.kind, s.key, s.escalate) for s in slots if s.kind in ("overdue", "escalation")]


def test_chasing_keys_and_escalate_flags() -> None:
    assert chases(DEFAULT)[:10] == [
        ("overdue", "overdue+3", False),
        ("overdue", "overdue+6", False),
        ("escalation", "escalation+7", True),
        ("escalation", "escalation+10", True),
        ("escalation", "escalation+13", True),
        ("escalation", "escalation+16", True),
        ("escalation", "escalation+23", True),
        ("escalation", "escalation+30", True),
        ("escalation", "escalation+37", True),
        ("escalation", "escalation+44", True),
    ]
    # Without a moment to stop at, a year of chasing is worked out, and one more.
    assert chases(DEFAULT)[-1][1] == "escalation+373"
    non_chasing = [
        s
        for s in reminder_slots(d("2026-03-25"), None, DEFAULT, EveryDay())
        if s.kind not in ("overdue", "escalation")
    ]
    assert not any(s.escalate for s in non_chasing)


@pytest.mark.parametrize(
    ("policy", "keys"),
    [
        (ReminderPolicy(max_chases=0), []),
        (ReminderPolicy(max_chases=1), ["overdue+3"]),
        (ReminderPolicy(max_chases=3), ["overdue+3", "overdue+6", "escalation+7"]),
        (
            ReminderPolicy(overdue_every_days=1, escalate_after_days=3, max_chases=5),
            ["overdue+1", "overdue+2", "escalation+3", "escalation+4", "escalation+5"],
        ),
        (
            ReminderPolicy(overdue_every_days=5, escalate_after_days=2, max_chases=3),
            ["escalation+2", "escalation+7", "escalation+12"],
        ),
        (
            ReminderPolicy(overdue_every_days=7, escalate_after_days=14, max_chases=4),
            ["overdue+7", "escalation+14", "escalation+21", "escalation+28"],
        ),
    ],
)
def test_max_chases_and_cadence(policy: ReminderPolicy, keys: list[str]) -> None:
    assert [key for _, key, _ in chases(policy)] == keys


def test_chases_move_to_the_next_workday() -> None:
    # Due Wednesday 2026-09-30: the chases fall into National Day week.
    slots = reminder_slots(d("2026-09-30"), None, ReminderPolicy(max_chases=5), ChinaWorkdays())
    # +3 (10-03) and +6 (10-06) both move to 10-08, where +7 lands as well: one escalation.
    assert schedule(slots)[-3:] == [
        ("escalation+7", "2026-10-08"),
        ("escalation+10", "2026-10-10"),  # the 调休 Saturday
        ("escalation+13", "2026-10-13"),
    ]


def test_keys_are_unique_and_sorted_by_time() -> None:
    slots = reminder_slots(d("2026-08-31"), d("2026-06-01"), DEFAULT, ChinaWorkdays())
    assert len({s.key for s in slots}) == len(slots)
    assert len({s.send_at for s in slots}) == len(slots)
    assert slots == sorted(slots, key=lambda s: s.send_at)


def test_send_time_and_zone_follow_the_policy() -> None:
    policy = ReminderPolicy(send_at=time(17, 0), timezone="Asia/Urumqi", max_chases=0)
    slots = reminder_slots(d("2026-03-25"), None, policy, EveryDay())
    assert slots[-1].send_at == datetime(2026, 3, 25, 11, 0, tzinfo=UTC)  # UTC+6
    assert slots[-1].local_day("Asia/Urumqi") == d("2026-03-25")


# -- coalescing --------------------------------------------------------------------------


@pytest.fixture
def slots() -> list[Slot]:
    return reminder_slots(d("2026-03-25"), None, DEFAULT, EveryDay())


def key_of(slot: Slot | None) -> str | None:
    return None if slot is None else slot.key


@pytest.mark.parametrize(
    ("now", "issued", "expected"),
    [
        ("2026-03-01", set(), None),  # nothing due yet
        ("2026-03-18", set(), "7d"),
        ("2026-03-18", {"7d"}, None),
        ("2026-03-20", {"7d"}, None),
        ("2026-03-24", {"7d"}, "1d"),  # a later slot becomes due
        # downtime: back on due+1 with nothing sent, only the most relevant one goes out
        ("2026-03-26", set(), "due"),
        ("2026-03-26", {"due"}, None),  # re-run after issuing it
        ("2026-03-26", {"7d"}, "due"),
        ("2026-03-29", {"7d"}, "overdue+3"),
        # a slot at or after the latest due one was issued (e.g. by an earlier policy)
        ("2026-03-29", {"overdue+6"}, None),
        ("2026-04-20", {"due"}, "escalation+23"),
        ("2026-06-01", set(), "escalation+65"),
        ("2026-06-01", {"escalation+65"}, None),
        # keys from another policy that no longer exist are ignored
        ("2026-03-24", {"3d"}, "1d"),
    ],
)
def test_due_reminder(slots: list[Slot], now: str, issued: set[str], expected: str | None) -> None:
    moment = datetime.combine(d(now), time(9, 0), tzinfo=SHANGHAI)
    assert key_of(due_reminder(slots, issued, moment)) == expected


def test_due_reminder_at_the_exact_instant(slots: list[Slot]) -> None:
    seven = slots[0]
    assert key_of(due_reminder(slots, set(), seven.send_at)) == "7d"
    assert due_reminder(slots, set(), seven.send_at - timedelta(microseconds=1)) is None


def test_due_reminder_accepts_any_order(slots: list[Slot]) -> None:
    moment = local_830("2026-03-26")
    assert key_of(due_reminder(list(reversed(slots)), set(), moment)) == "due"


def test_due_reminder_needs_an_aware_now(slots: list[Slot]) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_reminder(slots, set(), datetime(2026, 3, 26, 9, 0))


def test_running_every_hour_sends_every_slot_once(slots: list[Slot]) -> None:
    issued: list[str] = []
    moment = datetime(2026, 3, 10, tzinfo=UTC)
    while moment < datetime(2026, 5, 1, tzinfo=UTC):
        slot = due_reminder(slots, set(issued), moment)
        if slot is not None:
            issued.append(slot.key)
        moment += timedelta(hours=1)
    assert issued == [slot.key for slot in slots if slot.send_at < moment]


def test_downtime_folds_missed_reminders_into_one(slots: list[Slot]) -> None:
    issued: list[str] = []
    moment = datetime(2026, 3, 10, tzinfo=UTC)
    while moment < datetime(2026, 4, 5, tzinfo=UTC):
        down = datetime(2026, 3, 17, tzinfo=UTC) <= moment < datetime(2026, 3, 30, tzinfo=UTC)
        if not down:
            slot = due_reminder(slots, set(issued), moment)
            if slot is not None:
                issued.append(slot.key)
        moment += timedelta(hours=1)
    assert issued == ["overdue+3", "overdue+6", "escalation+7", "escalation+10"]


# -- configuration -----------------------------------------------------------------------


def test_policy_round_trips_through_a_dict() -> None:
    policy = ReminderPolicy(lead_days=(14, 3), send_at=time(17, 45, 30), max_chases=4)
    data = policy.to_dict()
    assert data["lead_days"] == [14, 3]
    assert data["send_at"] == "17:45:30"
    assert ReminderPolicy.from_dict(data) == policy
    assert DEFAULT.to_dict()["send_at"] == "08:30"
    assert ReminderPolicy.from_dict(DEFAULT.to_dict()) == DEFAULT


def test_from_dict_defaults_and_normalises() -> None:
    assert ReminderPolicy.from_dict({}) == DEFAULT
    policy = ReminderPolicy.from_dict({"lead_days": [1, 7, 3], "send_at": "09:00"})
    assert policy.lead_days == (7, 3, 1)
    assert policy.send_at == time(9, 0)
    assert ReminderPolicy(lead_days=(1, 7)) == ReminderPolicy(lead_days=(7, 1))


# Policy errors are InvalidValue (a PlanlogError every door shows as it is), Chinese
# first, naming the field by its key; they used to be ValueError("field: ...").
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"lead_days": "7"}, "lead_days"),
        ({"lead_days": 7}, "lead_days"),
        ({"lead_days": [0]}, "lead_days"),
        ({"lead_days": [-1]}, "lead_days"),
        ({"lead_days": [7, 7]}, "lead_days"),
        ({"lead_days": [True]}, "lead_days"),
        ({"lead_days": [1.5]}, "lead_days"),
        ({"lead_days": [400]}, "lead_days"),
        ({"on_due_day": "yes"}, "on_due_day"),
        ({"opens_notice": 1}, "opens_notice"),
        ({"overdue_every_days": 0}, "overdue_every_days"),
        ({"overdue_every_days": "3"}, "overdue_every_days"),
        ({"escalate_after_days": 0}, "escalate_after_days"),
        ({"max_chases": -1}, "max_chases"),
        ({"max_chases": 2.0}, "max_chases"),
        ({"send_at": "25:00"}, "send_at"),
        ({"send_at": "8.30"}, "send_at"),
        ({"send_at": 830}, "send_at"),
        ({"send_at": "08:30+08:00"}, "send_at"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"timezone": 8}, "timezone"),
    ],
)
def test_from_dict_rejects_bad_values_naming_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        ReminderPolicy.from_dict(data)
    assert refused.value.field == field
    assert f"（{field}: " in refused.value.message


def test_from_dict_refuses_an_unknown_field_by_name() -> None:
    with pytest.raises(InvalidValue, match="'lead_day': unknown reminder policy field"):
        ReminderPolicy.from_dict({"lead_day": [7]})


def test_from_dict_needs_a_mapping() -> None:
    with pytest.raises(InvalidValue, match="mapping"):
        ReminderPolicy.from_dict([("lead_days", [7])])  # type: ignore[arg-type]


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(InvalidValue, match=r"（overdue_every_days: "):
        ReminderPolicy(overdue_every_days=0)
    with pytest.raises(InvalidValue, match=r"（send_at: "):
        ReminderPolicy(send_at=time(8, 30, tzinfo=UTC))


# -- bounds (issue 16): every field is bounded, so a pass cannot be made to loop ---------


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"max_chases": 10**30}, "max_chases", "must be within 0–100, not 1e+30"),
        ({"max_chases": 101}, "max_chases", "must be within 0–100, not 101"),
        ({"max_chases": float("nan")}, "max_chases", "must be a whole number"),
        ({"max_chases": float("inf")}, "max_chases", "must be a whole number"),
        ({"max_chases": True}, "max_chases", "must be a whole number"),
        ({"max_chases": "10"}, "max_chases", "must be a whole number"),
        ({"overdue_every_days": 91}, "overdue_every_days", "must be within 1–90"),
        ({"overdue_every_days": 10**30}, "overdue_every_days", "must be within 1–90"),
        ({"escalate_after_days": 367}, "escalate_after_days", "must be within 1–366"),
        ({"escalate_after_days": False}, "escalate_after_days", "must be a whole number"),
        ({"lead_days": list(range(1, 12))}, "lead_days", "at most 10 days, not 11"),
        ({"lead_days": [10**30]}, "lead_days", "must be within 1–366"),
        ({"lead_days": [float("nan")]}, "lead_days", "must be a whole number"),
        ({"lead_days": {7: 1}}, "lead_days", "must be a list"),
        ({"lead_days": (day for day in [7])}, "lead_days", "must be a list"),
        ({"send_at": "0" * 1000}, "send_at", "must be a local time of day"),
        ({"timezone": "A" * 100}, "timezone", "at most 64"),
        ({"timezone": "Asia/Shanghai\x00"}, "timezone", "control character"),
        ({"timezone": "../../etc/passwd"}, "timezone", "not a known IANA time zone"),
    ],
)
def test_reminder_policy_fields_out_of_bounds_are_refused_naming_the_field(
    data: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        validate_policy(data)
    assert refused.value.field == field
    assert words in refused.value.message, refused.value.message


def test_the_bounds_themselves_are_accepted() -> None:
    policy = ReminderPolicy.from_dict(
        {
            "lead_days": list(range(357, 367)),
            "overdue_every_days": 90,
            "escalate_after_days": 366,
            "max_chases": MAX_CHASES,
        }
    )
    assert len(policy.lead_days) == 10 and policy.max_chases == 100


def test_validate_policy_returns_only_the_given_fields_normalised() -> None:
    assert validate_policy({"send_at": "09:05:00", "lead_days": [1, 14]}) == {
        "lead_days": [14, 1],
        "send_at": "09:05",
    }
    assert validate_policy({}) == {}


def test_largest_policy_makes_a_bounded_number_of_slots() -> None:
    # The old code accepted max_chases=10**30: a pass ran 110 s and crashed.
    policy = ReminderPolicy(lead_days=tuple(range(1, 11)), overdue_every_days=1, max_chases=100)
    slots = reminder_slots(d("2026-09-30"), d("2026-06-01"), policy, ChinaWorkdays())
    assert len([s for s in slots if s.kind in ("overdue", "escalation")]) <= 100


def test_a_stored_policy_out_of_bounds_is_clamped_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored = {
        "max_chases": 10**30,
        "overdue_every_days": 0,
        "escalate_after_days": 1e300,
        "lead_days": [0, 7, 7, 10**9, True, "x"],
        "send_at": "25:00",
        "timezone": "Mars/Olympus_Mons",
        "on_due_day": "yes",
        "retired_field": 1,
        "opens_notice": False,
    }
    with caplog.at_level("WARNING", logger="planlog.reminders"):
        policy = ReminderPolicy.from_stored(stored, plan="PLAN-1")
    assert policy == ReminderPolicy(
        max_chases=100,
        overdue_every_days=1,
        escalate_after_days=366,
        lead_days=(366, 7, 1),
        opens_notice=False,
    )
    warned = [r.getMessage() for r in caplog.records]
    assert all("plan PLAN-1" in message for message in warned)
    for name in ("max_chases", "overdue_every_days", "lead_days", "send_at", "retired_field"):
        assert any(name in message for message in warned), name
    assert ReminderPolicy.from_stored("not a mapping", plan="PLAN-1") == DEFAULT


def test_a_stored_policy_within_bounds_is_read_as_it_is(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="planlog.reminders"):
        policy = ReminderPolicy.from_stored({"max_chases": 4}, plan="PLAN-1")
    assert policy == ReminderPolicy(max_chases=4) and caplog.records == []
