"""Issue 16: every value is checked in the domain, whichever door it came through.

hypothesis drives every command of PlanlogApp on a real store with arbitrary unicode
(NUL, C0 and C1 controls, lone surrogates, very long text), floats (NaN, ±inf, huge),
huge ints and booleans. Each command is either refused with a PlanlogError — a message,
and nothing recorded: the log's head and the aggregate's stored version are unchanged —
or recorded. Afterwards the read models catch up, rebuild, and the audit chain verifies:
no value that got in can stop the read side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import AggregateNotFoundError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from planlog.domain.errors import PlanlogError
from planlog.domain.model import Target
from planlog.domain.organisation import organisation_id
from planlog.projections.chain import verify
from planlog.projections.runner import ReadModelRunner
from planlog.service.app import NewItem, PlanlogApp

YEAR = 2026
ORG = "某医院工会"
EXAMPLES = 80  # per store; each example runs one to four commands

# ------------------------------------------------------------------ values
# Fine values get commands past the refusals, so that odd-but-valid input (any script,
# symbols, 0 and 1e4) is recorded and projected; wild values are what the issue found.

_WORDS = st.sampled_from(["工会", "半年报告", "发展会员", "王五", "年底前", "新增会员800名"])
_CLEAN = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=20)
FINE = _WORDS | _CLEAN
_EVERY_CHAR = st.characters(exclude_categories=())  # every code point, lone surrogates too
_ODD = st.sampled_from(
    ["", " ", "\x00", "a\x00b", "\t", "a\r\nb", "\x1b[31m", "\x7f", "\x85", "\u2028", "\ud800"]
)
_LONG = st.sampled_from([201, 2_001, 20_001, 100_001]).map(lambda n: "长" * n)
WILD_TEXT = st.text(_EVERY_CHAR, max_size=24) | _ODD | _LONG
TEXT = FINE | WILD_TEXT
OPT_TEXT = st.none() | TEXT

FINE_NUMBER = st.integers(0, 1000) | st.floats(0, 10_000)
_NASTY = [float("nan"), float("inf"), float("-inf"), 10**400, -(2**53) - 1, 1e300, True, False]
# hypothesis' own floats reach NaN only now and then: the nasty ones come first.
WILD_NUMBER = st.one_of(*[st.sampled_from(_NASTY)] * 3, st.integers(), st.floats())
NUMBER = FINE_NUMBER | WILD_NUMBER

PLAN_DAY = st.dates(date(YEAR, 1, 1), date(YEAR, 12, 31))
ANY_DAY = st.dates(date(YEAR - 1, 12, 1), date(YEAR + 1, 1, 31))
MOMENT = st.datetimes(datetime(YEAR, 1, 1), datetime(YEAR, 12, 31), timezones=st.just(UTC))
FINE_TARGET = st.builds(
    Target,
    text=FINE,
    value=FINE_NUMBER,
    unit=st.sampled_from(["名", "%", "家"]),
    comparator=st.sampled_from([">=", "<=", "="]),
    current=st.none() | FINE_NUMBER,
)
WILD_TARGET = st.builds(
    Target,
    text=TEXT,
    value=NUMBER,
    unit=TEXT,
    comparator=st.sampled_from([">=", "<=", "=", ">", "", "≥"]),
    current=st.none() | NUMBER,
)
RRULES = ["FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1", "FREQ=MONTHLY;BYMONTHDAY=25"]
JSONISH = st.recursive(
    st.none() | st.booleans() | NUMBER | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
Draw = Callable[[st.SearchStrategy[Any]], Any]


def _fields(
    draw: Draw, fine: dict[str, st.SearchStrategy[Any]], wild: dict[str, st.SearchStrategy[Any]]
) -> dict[str, Any]:
    """Fine values for every field, then (usually) one field spoiled by a wild value: a
    command with ten arguments is then refused for one reason, or recorded."""
    values = {name: draw(strategy) for name, strategy in fine.items()}
    spoiled = draw(st.one_of(st.none(), *[st.sampled_from(sorted(wild))] * 2))
    if spoiled is not None:
        values[spoiled] = draw(wild[spoiled])
    return values


@st.composite
def new_items(draw: Draw) -> NewItem:
    fine_text = st.none() | FINE
    values = _fields(
        draw,
        {
            "title": FINE,
            "section": st.none() | st.sampled_from(["依法维权", "新的部分"]) | FINE,
            "number": fine_text,
            "goal": fine_text,
            "measures": fine_text,
            "responsible": fine_text,
            "dues": st.lists(PLAN_DAY, min_size=1, max_size=3),
            "rrule": st.none() | st.sampled_from(RRULES),
            "deadline_text": fine_text,
            "soft": st.booleans(),
            "targets": st.lists(FINE_TARGET, max_size=2),
        },
        {
            "title": WILD_TEXT,
            "section": WILD_TEXT,
            "number": WILD_TEXT,
            "goal": WILD_TEXT,
            "measures": WILD_TEXT,
            "responsible": WILD_TEXT,
            "dues": st.lists(ANY_DAY, max_size=3),
            "rrule": st.just("FREQ=NONSENSE"),
            "deadline_text": WILD_TEXT,
            "targets": st.lists(WILD_TARGET, min_size=1, max_size=2),
        },
    )
    return NewItem(**values)


NEW_ITEM = new_items()


# ------------------------------------------------------------------ the world


@dataclass
class World:
    """What exists, so that commands mostly reach real aggregates and their rules. Each
    example starts from a fresh plan of its own; organisations accumulate."""

    plans: list[UUID] = field(default_factory=list)
    items: list[UUID] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    recorded: int = 0
    refused: int = 0


def _fresh_plan(app: PlanlogApp, world: World) -> None:
    items = [
        NewItem(
            title="发展会员",
            section="健全组织",
            dues=[date(YEAR, 6, 30), date(YEAR, 12, 31)],
            targets=[Target(text="新增会员800名", value=800, unit="名")],
        ),
        NewItem(title="换届选举", dues=[date(YEAR, 3, 31)]),
    ]
    plan = app.create_plan(
        org=ORG, year=YEAR, title="计划", actor="王主席", sections=["依法维权"], items=items
    )
    world.plans, world.items = [plan.id], list(plan.item_ids)
    app.complete(world.items[1], actor="李明", done_on=date(YEAR, 3, 1))


def _pick(data: st.DataObject, known: list[Any], other: st.SearchStrategy[Any], label: str) -> Any:
    """One of the `known` values, or an `other` one. The draw is an index, never the list
    itself, so what hypothesis draws does not depend on what earlier examples recorded."""
    drawn = data.draw(st.tuples(st.just("known"), st.integers(0, 15)) | other, label=label)
    if isinstance(drawn, tuple) and drawn[:1] == ("known",):
        return known[drawn[1] % len(known)]
    return drawn


def _version(app: PlanlogApp, aggregate_id: UUID) -> int:
    try:
        return int(app.repository.get(aggregate_id).version)
    except AggregateNotFoundError:
        return 0


# ------------------------------------------------------------------ the commands

#: One command: draws its arguments, returns the aggregate it changes (None for a new
#: one), the call, and what to remember when it is recorded.
Command = Callable[
    [PlanlogApp, World, st.DataObject],
    tuple[UUID | None, Callable[[], Any], Callable[[Any], None]],
]


def _nothing(_: Any) -> None:
    return None


def _plan(world: World, data: st.DataObject) -> UUID:
    return _pick(data, world.plans, st.nothing(), "plan")  # type: ignore[no-any-return]


def _item(world: World, data: st.DataObject) -> UUID:
    return _pick(data, world.items, st.nothing(), "item")  # type: ignore[no-any-return]


def _org(world: World, data: st.DataObject) -> str:
    return _pick(data, world.orgs, st.nothing(), "org")  # type: ignore[no-any-return]


def _occurrence(app: PlanlogApp, item_id: UUID, data: st.DataObject) -> str | None:
    keys = list(app.get_item(item_id).occurrences) or ["2026-01-01"]
    return _pick(data, keys, OPT_TEXT, "occurrence")  # type: ignore[no-any-return]


def create_plan(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    args = _fields(
        data.draw,
        {
            "org": st.integers(0, 15),  # an index into the known organisations
            "year": st.sampled_from([YEAR, YEAR + 1]),
            "title": FINE,
            "reason": st.none() | FINE,
            "source": st.none() | st.fixed_dictionaries({"document": FINE}),
            "sections": st.lists(FINE, max_size=2),
            "items": st.lists(NEW_ITEM, max_size=2),
        },
        {
            "org": WILD_TEXT,
            "year": st.integers(1990, 2110) | WILD_NUMBER,
            "title": WILD_TEXT,
            "reason": WILD_TEXT,
            "source": st.fixed_dictionaries({"document": WILD_TEXT}),
            "sections": st.lists(WILD_TEXT, min_size=1, max_size=2),
        },
    )
    if isinstance(args["org"], int):
        args["org"] = world.orgs[args["org"] % len(world.orgs)]

    def remember(plan: Any) -> None:
        world.plans.append(plan.id)
        world.items.extend(plan.item_ids)

    return None, lambda: app.create_plan(actor="王主席", **args), remember


def add_section(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    plan_id, title = _plan(world, data), data.draw(TEXT, label="title")
    return plan_id, lambda: app.add_section(plan_id, title, actor="王主席"), _nothing


def rename_section(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    plan_id = _plan(world, data)
    section = _pick(data, ["s1", "s2", "s9"], TEXT, "section")
    title, reason = data.draw(TEXT, label="title"), data.draw(OPT_TEXT, label="reason")
    return (
        plan_id,
        lambda: app.rename_section(plan_id, section, title, actor="王主席", reason=reason),
        _nothing,
    )


def register_organisation(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    name = data.draw(TEXT, label="name")
    parent = _pick(data, world.orgs, OPT_TEXT, "parent")
    chair = data.draw(OPT_TEXT, label="chair")

    def remember(org: Any) -> None:
        world.orgs.append(org.name)

    return (
        None,
        lambda: app.register_organisation(name, actor="admin", parent=parent, chair=chair),
        remember,
    )


def move_organisation(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    name = _org(world, data)
    parent = _pick(data, world.orgs, OPT_TEXT, "parent")
    reason = data.draw(OPT_TEXT, label="reason")
    return (
        organisation_id(name),
        lambda: app.move_organisation(name, parent, actor="admin", reason=reason),
        _nothing,
    )


def appoint_chair(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    name = _org(world, data)
    chair = data.draw(OPT_TEXT, label="chair")
    return organisation_id(name), lambda: app.appoint_chair(name, chair, actor="admin"), _nothing


def add_item(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    plan_id, spec = _plan(world, data), data.draw(NEW_ITEM, label="spec")

    def remember(item: Any) -> None:
        world.items.append(item.id)

    return plan_id, lambda: app.add_item(plan_id, spec, actor="王主席"), remember


def complete(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id = _item(world, data)
    occurrence = _occurrence(app, item_id, data)
    args = _fields(
        data.draw,
        {"done_on": st.none() | PLAN_DAY, "note": st.none() | FINE, "evidence": st.none() | FINE},
        {"done_on": ANY_DAY, "note": WILD_TEXT, "evidence": WILD_TEXT},
    )
    return (
        item_id,
        lambda: app.complete(item_id, actor="李明", occurrence=occurrence, **args),
        _nothing,
    )


def report_progress(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id = _item(world, data)
    occurrence = _occurrence(app, item_id, data)
    args = _fields(
        data.draw,
        {
            "percent": st.none() | st.integers(0, 100),
            "target_index": st.just(0),
            "target_value": st.none() | FINE_NUMBER,
            "note": st.none() | FINE,
            "evidence": st.none() | FINE,
        },
        {
            "percent": st.integers(-3, 103) | WILD_NUMBER,
            "target_index": st.integers(-1, 2) | WILD_NUMBER,
            "target_value": WILD_NUMBER,
            "note": WILD_TEXT,
            "evidence": WILD_TEXT,
        },
    )
    return (
        item_id,
        lambda: app.report_progress(item_id, actor="李明", occurrence=occurrence, **args),
        _nothing,
    )


def reopen(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id = _item(world, data)
    key = _occurrence(app, item_id, data) or "2026-03-31"
    reason = data.draw(TEXT, label="reason")
    return item_id, lambda: app.reopen(item_id, key, actor="王主席", reason=reason), _nothing


def cancel_item(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id, reason = _item(world, data), data.draw(TEXT, label="reason")
    return item_id, lambda: app.cancel_item(item_id, actor="王主席", reason=reason), _nothing


def reassign(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id = _item(world, data)
    who, reason = data.draw(OPT_TEXT, label="who"), data.draw(OPT_TEXT, label="reason")
    return (
        item_id,
        lambda: app.reassign(item_id, who, actor="王主席", reason=reason),
        _nothing,
    )


def revise(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id = _item(world, data)
    fields = data.draw(
        st.lists(
            st.sampled_from(["title", "goal", "measures", "number", "section_id", "targets"]),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        label="fields",
    )
    fine: dict[str, st.SearchStrategy[Any]] = {
        "title": FINE,
        "goal": st.none() | FINE,
        "measures": st.none() | FINE,
        "number": st.none() | FINE,
        "section_id": st.none() | st.sampled_from(["s1", "s2"]),
        "targets": st.lists(FINE_TARGET, max_size=2),
    }
    wild: dict[str, st.SearchStrategy[Any]] = {
        "title": WILD_TEXT,
        "goal": WILD_TEXT,
        "measures": WILD_TEXT,
        "number": WILD_TEXT,
        "section_id": WILD_TEXT,
        "targets": st.lists(WILD_TARGET, min_size=1, max_size=2),
    }
    changes = _fields(data.draw, {f: fine[f] for f in fields}, {f: wild[f] for f in fields})
    reason = data.draw(st.none() | TEXT, label="reason")
    return (
        item_id,
        lambda: app.revise(item_id, actor="王主席", reason=reason, **changes),
        _nothing,
    )


def reschedule(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id = _item(world, data)
    spec = NewItem(
        title="",
        dues=data.draw(
            st.lists(PLAN_DAY, max_size=3) | st.lists(ANY_DAY, max_size=3), label="dues"
        ),
        rrule=data.draw(st.none() | st.sampled_from([*RRULES, "FREQ=NONSENSE"]), label="rrule"),
        deadline_text=data.draw(OPT_TEXT, label="deadline_text"),
    )
    reason = data.draw(TEXT, label="reason")
    return item_id, lambda: app.reschedule(item_id, spec, actor="王主席", reason=reason), _nothing


def move_occurrence(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id = _item(world, data)
    key = _occurrence(app, item_id, data) or "2026-06-30"
    day, reason = data.draw(PLAN_DAY | ANY_DAY, label="to"), data.draw(TEXT, label="reason")
    return (
        item_id,
        lambda: app.move_occurrence(item_id, key, day, actor="王主席", reason=reason),
        _nothing,
    )


def issue_reminder(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    item_id = _item(world, data)
    occurrence = _occurrence(app, item_id, data) or "2026-06-30"
    args: dict[str, Any] = dict(
        kind=data.draw(TEXT, label="kind"),
        key=data.draw(TEXT, label="key"),
        scheduled_for=data.draw(MOMENT, label="scheduled_for"),
        recipients=data.draw(st.lists(TEXT, max_size=3), label="recipients"),
        escalate=data.draw(st.booleans(), label="escalate"),
    )
    return item_id, lambda: app.issue_reminder(item_id, occurrence, **args), _nothing


def set_reminder_policy(app: PlanlogApp, world: World, data: st.DataObject) -> Any:
    plan_id = _plan(world, data)
    policy: Any = data.draw(st.dictionaries(TEXT, JSONISH, max_size=3) | JSONISH, label="policy")
    reason = data.draw(OPT_TEXT, label="reason")
    return (
        plan_id,
        lambda: app.set_reminder_policy(plan_id, policy, actor="王主席", reason=reason),
        _nothing,
    )


COMMANDS: list[Command] = [
    create_plan,
    add_section,
    rename_section,
    register_organisation,
    move_organisation,
    appoint_chair,
    add_item,
    complete,
    report_progress,
    reopen,
    cancel_item,
    reassign,
    revise,
    reschedule,
    move_occurrence,
    issue_reminder,
    set_reminder_policy,
]
#: The commands that take numbers and many fields come up twice as often.
WEIGHTED = [*COMMANDS, create_plan, add_item, report_progress, revise]


def _run(app: PlanlogApp, world: World, command: Command, data: st.DataObject) -> None:
    touched, call, remember = command(app, world, data)
    head = app.recorder.max_notification_id() or 0
    before = _version(app, touched) if touched is not None else None
    try:
        result = call()
    except PlanlogError as refused:
        assert refused.message.strip(), f"{command.__name__}: a refusal without a message"
        assert (app.recorder.max_notification_id() or 0) == head, "a refusal recorded events"
        if touched is not None:
            assert _version(app, touched) == before, "a refusal changed the aggregate"
        world.refused += 1
        return
    remember(result)
    world.recorded += 1
    # What was recorded reads back as strict JSON: no NaN, nothing UTF-8 cannot hold.
    json.dumps(app.history(touched or result.id), allow_nan=False, ensure_ascii=False).encode()


@pytest.mark.timeout(600)
def test_every_command_refuses_or_records_and_the_read_side_survives(store_url: str) -> None:
    app = PlanlogApp(store_url)
    runner = ReadModelRunner(app)
    try:
        app.register_organisation(ORG, actor="admin")
        world = World(orgs=[ORG])

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            # The store outlives each example, so shrinking would replay against a
            # different log: the first failing example is reported as it was drawn.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.large_base_example,
            ],
        )
        @given(data=st.data())
        def commands(data: st.DataObject) -> None:
            _fresh_plan(app, world)
            for _ in range(data.draw(st.integers(1, 4), label="steps")):
                _run(app, world, data.draw(st.sampled_from(WEIGHTED), label="command"), data)
            runner.catch_up()  # a poison event fails the example that recorded it

        commands()
        # Both outcomes happened, or the test proved nothing about one of them.
        assert world.recorded > 0 and world.refused > 0, world
        assert all(s.lag == 0 for s in runner.status())
        runner.rebuild(lanes=1)
        assert all(s.lag == 0 for s in runner.status())
        report = verify(app, runner.engine)
        assert report.ok and report.first_bad is None, report.to_dict()
        # PostgreSQL's ids may have gaps (a refused insert uses one): compare the head.
        assert report.head is not None and report.head["position"] == runner.head()
        assert report.unchained == 0
    finally:
        runner.close()
        app.close()
