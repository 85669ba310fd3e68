"""federation: what a city federation's costs do as the number of its unions grows.

PostgreSQL, an organisation tree city → 20 districts → N unions, one 50-item plan per
union (created through `create_plan`, the write path under test), then a simulated year
of events (progress, completions, reschedules, reminders) saved through the application
in batches (`app.save(*items)`, one batch per union and moment, so the log interleaves
unions as a real year does and its recorded times never go back). 20 unions are built so
through the application; every other union is a copy of one of them (its stored events
with its own name and ids, written with COPY in the same interleaved order: see `build`),
so that 9,000 unions take minutes, not an hour. At each size it measures:

- `create_plan_ms`: a new union's 50-item plan (`create_plan`, registering the union),
  median of a few, on the full store;
- `board_p99_ms`: one union's board through the API (`GET /api/v1/plans/{id}/board`,
  in process, a union chair's token);
- `rollup_p99_ms`: the federation's rollup (`GET /api/v1/orgs/{city}/rollup`), and
  `district_rollup_p99_ms` for one district, as served: an answer is kept while no read
  model moves (`planlog.projections.answers`), so most of these are answered from it;
  `rollup_computed_p99_ms` is the city's rollup computed afresh on every request (what
  each request costs while the read models move, as they do all day);
- `remind_seconds`: one `planlog.scheduler.service.reminder_pass` as it is, on the
  measured day: it issues that day's reminders (`reminders_issued`, a number that grows
  with the federation), so `remind_ms_per_reminder` is the figure that must stay flat;
  `remind_next_seconds` is the next pass, a quarter of an hour later, with nothing new
  due: what a pass costs when its cost follows the reminders due and none are;
  `remind_stages_seconds` is where the busy pass's time went (`PassResult.stages`: the
  read models caught up, the reminders found and recorded, the outbox delivered);
- `rebuild_seconds`: a full rebuild of every read model (`events` events): the first
  projection of the built log, on tables never analysed (the figure must not depend on
  planner statistics);
- `audit_verify_seconds`, `audit_verify_peak_mb`: `planlog audit verify` over the whole
  log in its own process, its time and its peak memory (maximum resident set): the
  verification streams the log, so the memory stays the same at every size;
- `http_workers` (largest size only): board requests per second through a real uvicorn
  on loopback with 1, 2 and 4 web workers (`planlog.http.asgi:app`, the production
  layout in README), a threaded keep-alive client.

Sizes: `PLANLOG_BENCH_FEDERATION` (comma separated unions, default "20,200"), or
`python -m bench.federation --full` for 900 and 9,000. Growth factors are each figure at
the largest size divided by the smallest.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

from planlog.domain.clock import recording_clock
from planlog.domain.errors import PlanlogError
from planlog.domain.model import PlanItem
from planlog.domain.organisation import Organisation
from planlog.domain.schedule import Occurrence

PG_DSN = os.environ.get("PLANLOG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
DEFAULT_SIZES = (20, 200)
FULL_SIZES = (900, 9_000)
DISTRICTS = 20
ITEMS = 50
YEAR = 2026
TODAY = datetime(YEAR, 11, 20, 2, 0, tzinfo=UTC)  # the day boards, rollups and reminders see
REQUESTS = 200  # per latency figure
CREATE_SAMPLES = 12  # new unions' plans timed on the full store (after 3 not counted)
HTTP_SECONDS = 6.0
HTTP_CLIENTS = 8
ROOT = Path(__file__).resolve().parent.parent


def _sizes(argv: list[str]) -> tuple[int, ...]:
    if "--full" in argv:
        return FULL_SIZES
    raw = os.environ.get("PLANLOG_BENCH_FEDERATION")
    return tuple(int(s) for s in raw.split(",")) if raw else DEFAULT_SIZES


def _item_spec(n: int, year: int = YEAR) -> Any:
    from planlog.service.app import NewItem

    kind = n % 3
    if kind == 0:
        rrule = "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1"  # quarterly
        return NewItem(
            title=f"季度任务{n}", section=f"第{n % 5 + 1}部分", responsible="办公室", rrule=rrule
        )
    if kind == 1:
        due = date(year, 1 + n % 12, 10 + n % 15)
        return NewItem(
            title=f"专项任务{n}", section=f"第{n % 5 + 1}部分", responsible="组织部", dues=[due]
        )
    rrule = "FREQ=MONTHLY;BYMONTHDAY=-1"
    return NewItem(
        title=f"每月任务{n}", section=f"第{n % 5 + 1}部分", responsible="财务", rrule=rrule
    )


def _union(d: int, u: int) -> str:
    return f"第{d}区第{u}基层工会"


def _district(d: int) -> str:
    return f"第{d}区工会"


CITY = "市总工会"


# ------------------------------------------------------------------ building


def build(url: str, unions: int) -> dict[str, Any]:
    """The federation's tree and plans, then a simulated year of its events.

    Building 9,000 unions through the application takes most of an hour (68 s for 200),
    so `TEMPLATES` unions are built through it, each with its own draws of the year, in a
    scratch schema, and every union of the federation is a copy of one of them: its
    stored events with the union's name and new ids (`_Templates`). The log is written
    in the order the application would have written it: the tree, every union's plan,
    then the year month by month across the unions (`_write_log`)."""
    started = time.perf_counter()
    scratch = _scratch_url(url)
    try:
        with _uuid5_calls() as derived:
            made = _build_through_app(scratch, min(unions, TEMPLATES), random.Random(SEED))
        templates = _Templates.read(scratch, made, derived)
    finally:
        _drop_schema(scratch)
    built = time.perf_counter()
    # a union's copies share its district: the district's name is not replaced
    assert unions <= TEMPLATES or TEMPLATES == DISTRICTS
    names = [_union(i % DISTRICTS, i // DISTRICTS) for i in range(unions)]
    plans, events = _write_log(url, templates, names)
    _check_copies(url, plans)
    seconds = {"templates": built - started, "copies": time.perf_counter() - built}
    return {"plans": plans, "events": events, "seconds": seconds}


#: how many unions are built through the application; every other union copies one
TEMPLATES = DISTRICTS
SEED = 17  # the same templates at every size


def _build_through_app(url: str, unions: int, rng: random.Random) -> dict[str, Any]:
    """The federation built through the application, each write marked with what it is:
    the positions of every union's plan ("plan"), of its events of each month ("m01"…)
    and of the last reminder pass ("remind")."""
    from planlog.service.app import PlanlogApp

    # the tree and the plans are recorded before the year they plan begins
    app = PlanlogApp(url, clock=lambda: datetime(YEAR - 1, 12, 28, 1, 0, tzinfo=UTC))
    segments: list[tuple[str, str, int, int]] = []  # phase, union, first and last position
    last = 0

    def mark(phase: str, name: str) -> None:
        nonlocal last
        top = int(app.recorder.max_notification_id() or 0)
        if top > last:
            segments.append((phase, name, last + 1, top))
        last = top

    with recording_clock(lambda: datetime(YEAR - 1, 12, 27, 1, 0, tzinfo=UTC)):
        orgs = [Organisation.register(CITY, parent=None, chair="主席", actor="bench")]
        orgs += [
            Organisation.register(_district(d), parent=CITY, chair=None, actor="bench")
            for d in range(DISTRICTS)
        ]
        app.save(*orgs)
    last = int(app.recorder.max_notification_id() or 0)
    names = [_union(i % DISTRICTS, i // DISTRICTS) for i in range(unions)]
    plans: dict[str, Any] = {}
    for i, name in enumerate(names):
        plan = app.create_plan(
            org=name,
            year=YEAR,
            title=f"{name}{YEAR}年工作计划",
            actor="bench",
            items=[_item_spec(n) for n in range(ITEMS)],
            parent=_district(i % DISTRICTS),
        )
        plans[name] = plan.id
        mark("plan", name)
    _simulate_year(app, plans, rng, mark)
    events = int(app.recorder.max_notification_id() or 0)
    app.close()
    return {"plans": plans, "events": events, "segments": segments}


def _simulate_year(
    app: Any, plans: dict[str, Any], rng: random.Random, mark: Callable[[str, str], None]
) -> None:
    """Month by month: progress, completions (most on time, a few never), reschedules and
    the reminders the year's passes issued (the policy's own keys). Within a month, moment
    by moment and union by union, as a real year is recorded: each union's events of one
    moment saved in one batch, so the log's recorded times never go back (the audit
    verification walks it whole, as it would a real log). The year stops before the day
    before the measured one, whose passes come last, so that the measured pass issues one
    day's reminders. `mark(phase, union)` follows each union's batch."""
    items: dict[str, list[PlanItem]] = {}
    for name, plan_id in plans.items():
        items[name] = [app.repository.get(i) for i in app.get_plan(plan_id).item_ids]
    yesterday = TODAY - timedelta(days=1)
    for month in range(1, 12):
        moments: dict[datetime, dict[str, list[Action]]] = {}
        for name in plans:  # the draws in the order the unions' items are worked
            for item in items[name]:
                for moment, action in _work_month(item, month, rng):
                    if moment < yesterday:
                        moments.setdefault(moment, {}).setdefault(name, []).append(action)
        for moment in sorted(moments):
            for name in plans:
                touched: dict[Any, PlanItem] = {}
                for action in moments[moment].get(name, ()):
                    with recording_clock(partial(_at, moment)):
                        done = action()
                    if done is not None:
                        touched[done.id] = done
                if touched:
                    app.save(*touched.values())
                    mark(moment.isoformat(), name)
    for name in plans:
        touched_items = []
        for item in items[name]:
            if item.cancelled:
                continue
            reminded = [
                _remind(item, occ.key, yesterday)
                for occ in item.ordered_occurrences()
                if occ.status != "done"
            ]
            if any(reminded):
                touched_items.append(item)
        if touched_items:
            app.save(*touched_items)
            mark(yesterday.isoformat(), name)


#: one thing done to an item at a moment: the item if it recorded an event, else None
Action = Callable[[], PlanItem | None]


_POLICY = None


def _remind(item: PlanItem, occurrence: str, now: datetime) -> bool:
    """Issue what a reminder pass at `now` would, with the default policy."""
    from planlog.domain.policy import ReminderPolicy
    from planlog.scheduler.policy import due_reminder, reminder_slots
    from planlog.scheduler.workdays import calendar_for

    global _POLICY
    if _POLICY is None:
        _POLICY = (ReminderPolicy.from_stored({}, plan="bench"), calendar_for("china"))
    policy, calendar = _POLICY
    occ = item.occurrences[occurrence]
    slots = reminder_slots(occ.due, occ.opens, policy, calendar)
    slot = due_reminder(slots, item.reminders.get(occurrence, set()), now)
    if slot is None:
        return False
    with recording_clock(lambda: now):
        item.issue_reminder(
            occurrence,
            kind=slot.kind,
            key=slot.key,
            scheduled_for=slot.send_at,
            recipients=["办公室"],
            escalate=slot.escalate,
            actor="planlog",
        )
    return True


def _at(moment: datetime) -> datetime:
    return moment


def _work_month(item: PlanItem, month: int, rng: random.Random) -> list[tuple[datetime, Action]]:
    """What happens to `item` in `month`, each at its moment: progress on the first, the
    due day's reminder, then a completion (97 %: most), a reschedule (a few) or nothing."""
    planned: list[tuple[datetime, Action]] = []
    for occ in item.ordered_occurrences():
        if occ.status == "done" or occ.due.month != month or occ.due.year != YEAR:
            continue
        day, key = occ.due, occ.key
        first = datetime(day.year, day.month, 1, 2, 0, tzinfo=UTC)
        planned.append((first, partial(_progress, item, key, 30, "推进中")))
        due = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)
        planned.append((due, partial(_remind_action, item, key, due)))
        roll = rng.random()
        if roll < 0.08 and day.day < 25 and month < 11:
            planned.append((due.replace(hour=3), partial(_reschedule, item, key, day)))
        elif roll < 0.97:
            planned.append((due.replace(hour=2), partial(_complete, item, key, day)))
    return planned


def _progress(item: PlanItem, key: str, percent: int, note: str) -> PlanItem:
    item.report_progress(actor="干事", occurrence=key, percent=percent, note=note)
    return item


def _remind_action(item: PlanItem, key: str, now: datetime) -> PlanItem | None:
    return item if _remind(item, key, now) else None


def _complete(item: PlanItem, key: str, day: date) -> PlanItem:
    item.report_progress(actor="干事", occurrence=key, percent=80, note="即将完成")
    item.complete(actor="干事", occurrence=key, done_on=day)
    return item


def _reschedule(item: PlanItem, key: str, day: date) -> PlanItem | None:
    keep = [
        Occurrence(due=o.due, opens=o.opens)
        for o in item.ordered_occurrences()
        if o.status != "done" and o.key != key
    ]
    try:
        later = Occurrence(due=day + timedelta(days=5))
        item.reschedule([*keep, later], actor="主席", reason="工作调整", plan_year=YEAR)
    except PlanlogError:
        return None
    return item


# ------------------------------------------------------------------ copying unions

_DASHED = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX = re.compile(rb"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")

#: position, originator id, version, topic, stored bytes (`planlog.ops.copy.Row`)
Row = tuple[int, uuid.UUID, int, str, bytes]


@contextmanager
def _uuid5_calls() -> Iterator[dict[uuid.UUID, tuple[uuid.UUID, str]]]:
    """Every id the application derives with uuid5 meanwhile, with what it was derived
    from: a copied union's organisation (uuid5 of its name), and any other id derived
    from the union's name or ids, is derived again for the copy from its own."""
    seen: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    real = uuid.uuid5

    def recorded(namespace: uuid.UUID, name: str | bytes) -> uuid.UUID:
        text = name if isinstance(name, str) else name.decode()
        made = real(namespace, text)
        seen[made] = (namespace, text)
        return made

    # the domain imports the function itself (`from uuid import uuid5`): patch it there too
    modules = [uuid] + [
        m for n, m in list(sys.modules.items()) if n.startswith("planlog") and m is not None
    ]
    patched = [m for m in modules if getattr(m, "uuid5", None) is real]
    attribute = "uuid5"
    for module in patched:
        setattr(module, attribute, recorded)
    try:
        yield seen
    finally:
        for module in patched:
            setattr(module, attribute, real)


def _json_text(value: str) -> bytes:
    """`value` as the event store's JSON transcoder writes it inside a string."""
    return json.dumps(value, ensure_ascii=False)[1:-1].encode()


class _Template:
    """One union built through the application: its events by phase, and which ids in
    them are its own (to be replaced in a copy) and how each was made."""

    def __init__(self, name: str, plan_id: uuid.UUID) -> None:
        self.name = name
        self.plan_id = plan_id
        self.phases: dict[str, list[Row]] = {}
        self.random_ids: list[uuid.UUID] = []  # uuid4: a copy gets new random ones
        self.derived_ids: list[uuid.UUID] = []  # uuid5 of the union's name or ids
        #: aggregates of one well-known id (uuid5 of a constant) that this union's write
        #: happened to create, once for the store: a copy does not create them again
        self.singletons: set[uuid.UUID] = set()
        #: each stored payload cut where a name or an own id is: literal, key, literal, …
        self.parts: dict[int, list[bytes]] = {}

    def own(self, shared: set[uuid.UUID], derived: dict[uuid.UUID, tuple[uuid.UUID, str]]) -> None:
        """Sort out the union's own ids (originators and ids in payloads) and cut the
        payloads where they, or the union's name, are written."""
        originators = {row[1] for rows in self.phases.values() for row in rows}
        if originators & shared:
            raise RuntimeError(
                f"{self.name}: its writes touch aggregates it shares with other unions; "
                "the copying builder cannot replicate those"
            )
        found: dict[uuid.UUID, None] = dict.fromkeys(sorted(originators, key=str))
        for rows in self.phases.values():
            for row in rows:
                for text in _DASHED.findall(row[4]):
                    found.setdefault(uuid.UUID(text.decode()), None)
                for text in _HEX.findall(row[4]):
                    if uuid.UUID(text.decode()) in originators:
                        found.setdefault(uuid.UUID(text.decode()), None)
        for value in found:
            if value in derived:
                continue
            if value.version == 4 and value not in shared:
                self.random_ids.append(value)
            elif value in originators:  # a well-known id the application made at import
                self.singletons.add(value)
        # derived ids in the order they were derived: one may be made from another
        own = set(self.random_ids)
        order = {value: k for k, value in enumerate(derived)}
        for value in sorted((v for v in found if v in derived), key=order.__getitem__):
            made_from = derived[value][1]
            if self.name in made_from or any(
                str(o) in made_from or o.hex in made_from for o in own
            ):
                self.derived_ids.append(value)
                own.add(value)
            elif value in originators:
                self.singletons.add(value)
        keys = [_json_text(self.name)]
        for value in [*self.random_ids, *self.derived_ids]:
            keys += [str(value).encode(), value.hex.encode()]
        cut = re.compile(b"(" + b"|".join(re.escape(k) for k in keys) + b")")
        for rows in self.phases.values():
            for row in rows:
                parts = cut.split(row[4])
                if len(parts) > 1:
                    self.parts[row[0]] = parts

    def copy(
        self, name: str, rng: random.Random, derived: dict[uuid.UUID, tuple[uuid.UUID, str]]
    ) -> _Copy:
        """The ids and names of a copy of this union called `name`."""
        if name == self.name:
            return _Copy(self, {}, {})
        ids: dict[uuid.UUID, uuid.UUID] = {
            old: uuid.UUID(int=rng.getrandbits(128), version=4) for old in self.random_ids
        }
        for old in self.derived_ids:
            namespace, made_from = derived[old]
            made_from = made_from.replace(self.name, name)
            for was, now in ids.items():
                made_from = made_from.replace(str(was), str(now)).replace(was.hex, now.hex)
            ids[old] = uuid.uuid5(namespace, made_from)
            if ids[old] == old:
                raise RuntimeError(f"{self.name}: {old} would be the same for {name}")
        texts = {_json_text(self.name): _json_text(name)}
        for was, now in ids.items():
            texts[str(was).encode()] = str(now).encode()
            texts[was.hex.encode()] = now.hex.encode()
        return _Copy(self, ids, texts)


class _Copy:
    """One union of the federation: a template's events with its own name and ids."""

    def __init__(
        self, template: _Template, ids: dict[uuid.UUID, uuid.UUID], texts: dict[bytes, bytes]
    ) -> None:
        self.template = template
        self.ids = ids
        self.texts = texts

    @property
    def plan_id(self) -> uuid.UUID:
        return self.ids.get(self.template.plan_id, self.template.plan_id)

    def rows(self, phase: str) -> Iterator[tuple[uuid.UUID, int, str, bytes]]:
        parts_of, ids, texts = self.template.parts, self.ids, self.texts
        singletons = self.template.singletons
        for position, originator, version, topic, state in self.template.phases.get(phase, ()):
            if ids:
                if originator in singletons:
                    continue
                originator = ids[originator]
                parts = parts_of.get(position)
                if parts is not None:
                    state = b"".join(texts.get(p, p) if k % 2 else p for k, p in enumerate(parts))
            yield originator, version, topic, state


class _Templates:
    """The template unions' log: the shared tree, then each union's events by phase."""

    def __init__(
        self,
        shared: list[Row],
        phases: list[str],
        unions: list[_Template],
        derived: dict[uuid.UUID, tuple[uuid.UUID, str]],
    ) -> None:
        self.shared = shared
        self.phases = phases
        self.unions = unions
        self.derived = derived

    @classmethod
    def read(
        cls, url: str, made: dict[str, Any], derived: dict[uuid.UUID, tuple[uuid.UUID, str]]
    ) -> _Templates:
        from planlog.ops.copy import snapshot
        from planlog.service.store import parse_database_url

        with snapshot(parse_database_url(url)) as batches:
            log = [row for rows in batches for row in rows]
        unions = {name: _Template(name, plan_id) for name, plan_id in made["plans"].items()}
        at = {row[0]: row for row in log}
        phases: list[str] = []
        inside: set[int] = set()
        for phase, name, first, last in made["segments"]:
            if phase not in phases:
                phases.append(phase)
            elif phases[-1] != phase:  # the phases follow one another, never mix
                raise RuntimeError(f"phase {phase} resumes after {phases[-1]}")
            rows = [at[p] for p in range(first, last + 1) if p in at]
            unions[name].phases.setdefault(phase, []).extend(rows)
            inside.update(range(first, last + 1))
        shared = [row for row in log if row[0] not in inside]
        if shared and shared[-1][0] > min(inside):
            raise RuntimeError("events outside every union's writes come after them")
        shared_ids = {row[1] for row in shared}
        for union in unions.values():
            union.own(shared_ids, derived)
        seen: set[uuid.UUID] = set()
        for union in unions.values():  # a union's copies write only their own aggregates
            written = {row[1] for rows in union.phases.values() for row in rows}
            if written & seen:
                raise RuntimeError(f"{union.name} writes to another union's aggregates")
            seen |= written
        return cls(shared, phases, list(unions.values()), derived)


def _scratch_url(url: str) -> str:
    """The same database, schema `<schema>_t`: where the templates are built."""
    from planlog.service.store import parse_database_url

    base, _, _ = url.partition("?")
    schema = parse_database_url(url).pg_schema or "public"
    return f"{base}?schema={schema[:50]}_t"


def _drop_schema(url: str) -> None:
    from planlog.service.store import parse_database_url, pg_connect

    store = parse_database_url(url)
    with pg_connect(store) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{store.pg_schema}" CASCADE')


def _write_log(url: str, templates: _Templates, names: list[str]) -> tuple[dict[str, Any], int]:
    """The federation's log written straight into the (new, empty) store with COPY: the
    tree, then phase by phase (the plans, each month, the last reminders) every union's
    events, each union a copy of template `i % TEMPLATES`; positions numbered from 1
    without a gap, and the store's sequence set after them. Returns the plans and the
    number of events."""
    from planlog.projections.changes import EVENTS_TABLES
    from planlog.service.app import PlanlogApp
    from planlog.service.store import parse_database_url, pg_connect

    PlanlogApp(url).close()  # the event table, as the application makes it
    store = parse_database_url(url)
    table = f'"{store.pg_schema or "public"}"."{EVENTS_TABLES["postgresql"]}"'
    rng = random.Random(f"{SEED}:{len(names)}")
    count = len(templates.unions)
    copies = [
        templates.unions[i % count].copy(n, rng, templates.derived) for i, n in enumerate(names)
    ]
    position = 0
    columns = "notification_id, originator_id, originator_version, topic, state"
    with pg_connect(store) as pg, pg.transaction():
        if pg.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            raise RuntimeError(f"{store.display} is not empty")
        copying = f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)"
        with pg.cursor() as cursor, cursor.copy(copying) as copy:
            copy.set_types(["int8", "uuid", "int8", "text", "bytea"])
            write = copy.write_row
            for _, originator, version, topic, state in templates.shared:
                position += 1
                write((position, originator, version, topic, state))
            for phase in templates.phases:
                for union in copies:
                    for originator, version, topic, state in union.rows(phase):
                        position += 1
                        write((position, originator, version, topic, state))
        pg.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), %s)", (table, position)
        )
    # a store grown over a year has been analysed by autovacuum many times over
    with pg_connect(store) as pg:
        pg.execute(f"ANALYZE {table}")
    return {n: c.plan_id for n, c in zip(names, copies, strict=True)}, position


def _check_copies(url: str, plans: dict[str, Any]) -> None:
    """Load a few copied unions through the application: each must be itself (its name,
    its organisation's id, its plan's items pointing at its plan), not its template."""
    from planlog.domain.organisation import organisation_id
    from planlog.service.app import PlanlogApp

    app = PlanlogApp(url)
    try:
        names = list(plans)
        for name in {names[0], names[len(names) // 2], names[-1]}:
            org: Any = app.repository.get(organisation_id(name))
            plan = app.get_plan(plans[name])
            assert org.name == name and plan.org == name, (name, org.name, plan.org)
            assert plan.title == f"{name}{YEAR}年工作计划", plan.title
            items: list[Any] = [app.repository.get(i) for i in plan.item_ids]
            assert len(items) == ITEMS and all(i.plan_id == plan.id for i in items), name
    finally:
        app.close()


# ------------------------------------------------------------------ measuring


def _ratio(large: float | None, small: float | None) -> float | None:
    return round(large / small, 2) if large and small else None


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def measure(url: str, built: dict[str, Any], unions: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from planlog.auth.tokens import create_token
    from planlog.config import Settings
    from planlog.heap import freeze_startup_objects
    from planlog.http.app import create_app
    from planlog.projections.answers import AnswerCache
    from planlog.projections.outbox import SENT, reminder_outbox
    from planlog.projections.rollup import FigureCache
    from planlog.projections.runner import ReadModelRunner
    from planlog.scheduler.service import reminder_pass
    from planlog.service.app import PlanlogApp

    figures: dict[str, Any] = {"unions": unions, "events": built["events"]}
    app = PlanlogApp(url, clock=lambda: TODAY)
    runner = ReadModelRunner(app)
    head = runner.head()
    started = time.perf_counter()
    runner.rebuild()
    seconds = time.perf_counter() - started
    figures["rebuild_seconds"] = round(seconds, 2)
    figures["rebuild_events_per_s"] = round(head / seconds)
    figures["events"] = head
    # The year's reminders were delivered as they were issued: only today's are pending.
    with runner.engine.begin() as conn:
        o = reminder_outbox.c
        conn.execute(reminder_outbox.update().values(status=SENT, sent_at=o.issued_at))

    # A new union and its plan, on the full store: the write path must not grow with it.
    # The median of 12 after 3 warm-up writes: with 5, one slow moment of the machine
    # moved the growth between sizes from 1.13 to 1.42 on the same code.
    samples = []
    for n in range(CREATE_SAMPLES + 3):
        started = time.perf_counter()
        app.create_plan(
            org=f"新建基层工会{n}",
            year=YEAR + 1,  # next year's plan: nothing of it is due on the measured day
            title="新建工会工作计划",
            actor="bench",
            items=[_item_spec(k, YEAR + 1) for k in range(ITEMS)],
            parent=_district(n % DISTRICTS),
        )
        samples.append(time.perf_counter() - started)
    figures["create_plan_ms"] = round(statistics.median(samples[3:]) * 1000, 1)
    runner.catch_up()

    settings = Settings(database_url=url, base_url="http://127.0.0.1")
    rng = random.Random(7)
    names = list(built["plans"])
    chosen = rng.sample(names, min(20, len(names)))
    tokens = {name: create_token(runner.engine, name, "chair")[1] for name in chosen}
    city_token = create_token(runner.engine, CITY, "chair")[1]
    with TestClient(create_app(settings, background=False)) as client:
        freeze_startup_objects()  # what a served worker does once started (http.asgi)

        def timed(path: str, token: str) -> float:
            started = time.perf_counter()
            response = client.get(path, headers={"Authorization": f"Bearer {token}"})
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            return elapsed * 1000

        # One request of each kind first, not counted: the first answer of a process
        # pays its imports, compiled statements and connections.
        timed(f"/api/v1/plans/{built['plans'][chosen[0]]}/board", tokens[chosen[0]])
        timed(f"/api/v1/orgs/{CITY}/rollup", city_token)
        timed(f"/api/v1/orgs/{_district(3)}/rollup", city_token)
        board = [
            timed(f"/api/v1/plans/{built['plans'][n]}/board", tokens[n])
            for n in (rng.choice(chosen) for _ in range(REQUESTS))
        ]
        city = [timed(f"/api/v1/orgs/{CITY}/rollup", city_token) for _ in range(REQUESTS // 4)]
        district = [
            timed(f"/api/v1/orgs/{_district(3)}/rollup", city_token) for _ in range(REQUESTS // 2)
        ]
        services = client.app.state.services  # type: ignore[attr-defined]
        services.answers = AnswerCache(budget=0)  # keeps nothing: every answer computed
        computed = [timed(f"/api/v1/orgs/{CITY}/rollup", city_token) for _ in range(REQUESTS // 4)]
        # A busy federation: a union completes a deadline before each look, so the answer
        # is computed with the read models caught up on that write (what a chair waits
        # for while the unions work). Deadlines of late December: no reminder of the
        # measured day is due for them.
        after_write = []
        for item_id, due in _open_deadlines(runner, REQUESTS // 4, after=f"{YEAR}-12-20"):
            app.complete(item_id, actor="bench", occurrence=due)
            after_write.append(timed(f"/api/v1/orgs/{CITY}/rollup", city_token))
        # A new process's first answer: every organisation's figures read
        services.figures = FigureCache()
        figures["rollup_cold_ms"] = round(timed(f"/api/v1/orgs/{CITY}/rollup", city_token), 1)
    figures["board_p99_ms"] = round(_p99(board), 1)
    figures["board_median_ms"] = round(statistics.median(board), 1)
    figures["rollup_p99_ms"] = round(_p99(city), 1)
    figures["district_rollup_p99_ms"] = round(_p99(district), 1)
    figures["rollup_computed_p99_ms"] = round(_p99(computed), 1)
    figures["rollup_computed_median_ms"] = round(statistics.median(computed), 1)
    figures["rollup_after_write_p99_ms"] = round(_p99(after_write), 1)
    figures["rollup_after_write_median_ms"] = round(statistics.median(after_write), 1)

    started = time.perf_counter()
    result = reminder_pass(app, runner, TODAY, settings=settings)
    figures["remind_seconds"] = round(time.perf_counter() - started, 2)
    figures["reminders_issued"] = len(result.issued)
    figures["remind_stages_seconds"] = result.stages.rounded()
    if result.issued:
        per = (time.perf_counter() - started) / len(result.issued)
        figures["remind_ms_per_reminder"] = round(per * 1000, 2)
    started = time.perf_counter()
    later = reminder_pass(app, runner, TODAY + timedelta(minutes=15), settings=settings)
    figures["remind_next_seconds"] = round(time.perf_counter() - started, 3)
    figures["remind_next_issued"] = len(later.issued)

    verify_seconds, verify_mb = _audit_verify(url, runner.head())
    figures["audit_verify_seconds"] = round(verify_seconds, 2)
    figures["audit_verify_peak_mb"] = round(verify_mb, 1)
    figures["_tokens"] = tokens
    runner.close()
    app.close()
    return figures


def _open_deadlines(runner: Any, n: int, after: str) -> list[tuple[uuid.UUID, str]]:
    """`n` open deadlines due after `after`, of as many items, spread over the unions."""
    from sqlalchemy import func, select

    from planlog.projections.board import board_items, board_occurrences

    i, o = board_items.c, board_occurrences.c
    query = (
        select(i.item_id, func.min(o.due))
        .join(board_occurrences, o.item_position == i.position)
        .where(o.status == "open", o.due > after, i.cancelled.is_(False))
        .group_by(i.item_id)
        .order_by(func.md5(i.item_id))  # a spread, the same at each run
        .limit(n)
    )
    with runner.engine.connect() as conn:
        return [(uuid.UUID(item), due) for item, due in conn.execute(query)]


#: `planlog audit verify --json`, reporting at exit the peak resident memory of its own
#: address space (VmHWM). Not the child's `ru_maxrss`: the kernel keeps there the peak
#: from before `exec` too, when the child was a copy of this (large) bench process.
_VERIFY = """
import atexit, runpy, sys

def peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                sys.stderr.write("peak_kb " + line.split()[1] + "\\n")

atexit.register(peak)
sys.argv = ["planlog", "audit", "verify", "--json"]
runpy.run_module("planlog", run_name="__main__")
"""


def _audit_verify(url: str, events: int) -> tuple[float, float]:
    """`planlog audit verify --json` run as an auditor runs it, in its own process: its
    seconds and its peak memory (maximum resident set of that process, MB)."""
    env = {**os.environ, "PLANLOG_DATABASE_URL": url, "PYTHONPATH": _pythonpath()}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _VERIFY], env=env, cwd=ROOT, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    report = json.loads(done.stdout)
    # a verification that stopped early (a problem found) would time a part of the log
    assert report["ok"] and report["checked"] == events, report
    peak = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("peak_kb ")]
    return seconds, int(peak[-1]) / 1024


# ------------------------------------------------------------------ HTTP workers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_up(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
            time.sleep(0.3)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"uvicorn on port {port} did not come up")


def http_throughput(
    url: str, plans: dict[str, Any], tokens: dict[str, str]
) -> list[dict[str, Any]]:
    out = []
    targets = [(f"/api/v1/plans/{plans[n]}/board", t) for n, t in tokens.items()]
    env = {**os.environ, "PLANLOG_DATABASE_URL": url, "PYTHONPATH": _pythonpath()}
    for workers in (1, 2, 4):
        port = _free_port()
        command = [
            sys.executable, "-m", "uvicorn", "planlog.http.asgi:app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        server = subprocess.Popen(command, env=env, cwd=ROOT)
        try:
            _wait_up(port)
            count, errors = _load(port, targets, HTTP_SECONDS / 3)  # warm every worker
            count, errors = _load(port, targets, HTTP_SECONDS)
            out.append(
                {
                    "workers": workers,
                    "requests_per_s": round(count / HTTP_SECONDS, 1),
                    "errors": errors,
                    "clients": HTTP_CLIENTS,
                }
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return out


def _pythonpath() -> str:
    import planlog

    src = str(Path(planlog.__file__).resolve().parent.parent)
    return os.pathsep.join([src, str(ROOT), os.environ.get("PYTHONPATH", "")])


def _load(port: int, targets: list[tuple[str, str]], seconds: float) -> tuple[int, int]:
    stop = time.monotonic() + seconds
    done = [0] * HTTP_CLIENTS
    failed = [0] * HTTP_CLIENTS

    def client(k: int) -> None:
        rng = random.Random(k)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            path, token = rng.choice(targets)
            try:
                conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    done[k] += 1
                else:
                    failed[k] += 1
            except (OSError, http.client.HTTPException):
                failed[k] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(HTTP_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), sum(failed)


# ------------------------------------------------------------------ the entry


def run(argv: list[str] | None = None) -> dict[str, Any]:
    sizes = _sizes(argv if argv is not None else sys.argv[1:])
    per_size: dict[str, dict[str, Any]] = {}
    http_workers: list[dict[str, Any]] = []
    for unions in sizes:
        schema = f"bench_fed_{uuid.uuid4().hex[:10]}"
        url = f"{PG_DSN}?schema={schema}"
        try:
            started = time.perf_counter()
            built = build(url, unions)
            load_seconds = time.perf_counter() - started
            figures = measure(url, built, unions)
            figures["load_seconds"] = round(load_seconds, 1)
            tokens = figures.pop("_tokens")
            per_size[str(unions)] = figures
            print(json.dumps({"federation": figures}, ensure_ascii=False), file=sys.stderr)
            if unions == max(sizes):
                http_workers = http_throughput(url, built["plans"], tokens)
        finally:
            with psycopg.connect(PG_DSN, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    small, large = per_size[str(min(sizes))], per_size[str(max(sizes))]
    keys: tuple[str, ...] = ("create_plan_ms", "board_p99_ms", "rollup_p99_ms")
    keys += ("district_rollup_p99_ms", "rollup_computed_p99_ms", "rollup_after_write_p99_ms")
    keys += ("remind_seconds", "remind_ms_per_reminder", "remind_next_seconds")
    keys += ("rebuild_seconds", "events")
    keys += ("audit_verify_seconds", "audit_verify_peak_mb")
    growth = {k: _ratio(large.get(k), small.get(k)) for k in keys}
    return {
        "value": large["create_plan_ms"],
        "baseline": small["create_plan_ms"],
        "sizes": list(sizes),
        "per_size": per_size,
        "create_plan_growth": growth["create_plan_ms"],
        "growth": growth,
        "http_workers": http_workers,
        "note": (
            "PostgreSQL; city → 20 districts → N unions, one 50-item plan each, a simulated"
            " year; value = create_plan ms at the largest size, baseline = at the smallest;"
            " growth = largest / smallest; http_workers: board requests/s through uvicorn;"
            " audit_verify_peak_mb: peak resident memory of the `planlog audit verify`"
            " process (the interpreter and its imports included)"
        ),
    }


if __name__ == "__main__":
    from bench.results_file import record

    figures = run()
    entry = record(
        "federation",
        figures.pop("value"),
        "ms (create_plan, largest size)",
        figures.pop("baseline"),
        **figures,
    )
    print(json.dumps(entry, ensure_ascii=False, indent=1))
