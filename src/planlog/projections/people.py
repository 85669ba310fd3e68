"""People as the read side sees them, and who answers for an item.

`people` holds every person (retired ones too: the log still names them), folded from
`Person` events. `item_helpers` keeps each item's helping units (协办单位), which the
board does not show as a column: an import records them in the item's source, a
revision sets them. Together with the board's `responsible` they say whose task an
item is (`people_for`, `tasks_for`), for "my tasks" and for reminders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import Boolean, Column, String, Table, Text, select
from sqlalchemy.engine import Connection

from planlog.domain.events import event_name
from planlog.domain.model import PlanItem
from planlog.domain.person import Person, answers_for, display_name, responsible_names
from planlog.domain.status import FINISHED
from planlog.projections.base import CLUSTERED, ReadModel, metadata
from planlog.projections.board import board_items, board_occurrences, board_plans
from planlog.projections.changes import Change
from planlog.projections.payloads import Shape, Shapes

people = Table(
    "people",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("org", Text, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("department", Text),
    Column("role", String(16), nullable=False),
    Column("mobile", Text),
    Column("email", Text),
    Column("im_id", Text),
    Column("retired", Boolean, nullable=False),
    **CLUSTERED,
)

item_helpers = Table(
    "item_helpers",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("helpers", Text, nullable=False),
    **CLUSTERED,
)

REGISTERED = event_name(Person.Registered)
CHANGED = event_name(Person.Changed)
RETIRED = event_name(Person.Retired)
PLANNED = event_name(PlanItem.Planned)
REVISED = event_name(PlanItem.Revised)
_DETAILS = ("name", "department", "role", "mobile", "email", "im_id")


class _Registered(Shape):
    org: str
    name: str
    role: str
    department: str | None = None
    mobile: str | None = None
    email: str | None = None
    im_id: str | None = None


class _Changed(Shape):
    changes: dict[str, Any]


class _Planned(Shape):
    source: dict[str, Any] | None = None


class _Revised(Shape):
    changes: dict[str, Any]


class PeopleProjection(ReadModel):
    name = "people"
    cost = 0.6  # see ReadModel.cost
    tables = (people, item_helpers)
    types = frozenset({REGISTERED, CHANGED, RETIRED, PLANNED, REVISED})
    payloads: ClassVar[Shapes] = {
        REGISTERED: _Registered,
        CHANGED: _Changed,
        PLANNED: _Planned,
        REVISED: _Revised,
    }

    def apply(self, conn: Connection, changes: list[Change]) -> None:
        for change in changes:
            d = change.data
            if change.type == REGISTERED:
                conn.execute(
                    people.insert().values(
                        id=change.aggregate_id,
                        org=d["org"],
                        retired=False,
                        **{k: d.get(k) for k in _DETAILS},
                    )
                )
            elif change.type == CHANGED:
                values = {k: v for k, v in d["changes"].items() if k in _DETAILS}
                if values:
                    conn.execute(
                        people.update().where(people.c.id == change.aggregate_id).values(values)
                    )
            elif change.type == RETIRED:
                conn.execute(
                    people.update().where(people.c.id == change.aggregate_id).values(retired=True)
                )
            elif change.type == PLANNED:
                helpers = (d.get("source") or {}).get("helpers")
                if isinstance(helpers, str) and helpers.strip():
                    _set_helpers(conn, change.aggregate_id, helpers)
            elif "helpers" in d["changes"]:
                helpers = d["changes"]["helpers"]
                _set_helpers(conn, change.aggregate_id, helpers if isinstance(helpers, str) else "")


def _set_helpers(conn: Connection, item_id: str, helpers: str) -> None:
    conn.execute(item_helpers.delete().where(item_helpers.c.item_id == item_id))
    if helpers.strip():
        conn.execute(item_helpers.insert().values(item_id=item_id, helpers=helpers))


@dataclass(frozen=True)
class PersonRow:
    id: str
    org: str
    name: str
    department: str | None
    role: str
    mobile: str | None
    email: str | None
    im_id: str | None
    retired: bool

    @property
    def display_name(self) -> str:
        """How the log names this person as an actor: "张三（组织部）"."""
        return display_name(self.name, self.department)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "org": self.org,
            "name": self.name,
            "department": self.department,
            "role": self.role,
            "mobile": self.mobile,
            "email": self.email,
            "im_id": self.im_id,
            "retired": self.retired,
        }


def _row(r: Any) -> PersonRow:
    return PersonRow(
        id=r.id,
        org=r.org,
        name=r.name,
        department=r.department,
        role=r.role,
        mobile=r.mobile,
        email=r.email,
        im_id=r.im_id,
        retired=bool(r.retired),
    )


def person_row(conn: Connection, person_id: str) -> PersonRow | None:
    found = conn.execute(select(people).where(people.c.id == str(person_id))).first()
    return None if found is None else _row(found)


def people_in(
    conn: Connection, orgs: Iterable[str], *, include_retired: bool = False
) -> list[PersonRow]:
    """The people of these organisations, by organisation, then name."""
    query = select(people).where(people.c.org.in_(list(orgs)))
    if not include_retired:
        query = query.where(people.c.retired.is_(False))
    return [_row(r) for r in conn.execute(query.order_by(people.c.org, people.c.name, people.c.id))]


def people_for(conn: Connection, org: str, names: Iterable[str]) -> list[PersonRow]:
    """The active people of `org` who answer for any of `names`: a person whose name or
    department is one of them. Each entry of `names` may itself be a responsible text
    ("组织部、张三"): it is split the way `responsible_names` splits."""
    wanted = [n for text in names for n in responsible_names(text)]
    if not wanted:
        return []
    return [p for p in people_in(conn, [org]) if answers_for(p.name, p.department, wanted)]


@dataclass(frozen=True)
class Task:
    """One open deadline of a person ("my tasks")."""

    item_id: str
    plan_id: str
    plan_title: str
    title: str
    occurrence: str
    due: date
    days_left: int
    status: str
    percent: int
    note: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "plan_id": self.plan_id,
            "plan_title": self.plan_title,
            "title": self.title,
            "occurrence": self.occurrence,
            "due": self.due.isoformat(),
            "days_left": self.days_left,
            "status": self.status,
            "percent": self.percent,
            "note": self.note,
        }


def tasks_for(conn: Connection, person: PersonRow, today: date) -> list[Task]:
    """The person's open deadlines in their organisation (not done, not submitted for
    sign-off: those wait for the chair): items whose responsible or
    helping units name the person or their department. Overdue first (the longest
    overdue at the top), then by due date."""
    o, i, p, h = board_occurrences.c, board_items.c, board_plans.c, item_helpers.c
    query = (
        select(
            i.item_id,
            i.plan_id,
            p.title.label("plan_title"),
            i.title,
            i.responsible,
            h.helpers,
            o.due,
            o.status,
            o.percent,
            o.note,
        )
        .join_from(board_occurrences, board_items, o.item_position == i.position)
        .join(board_plans, p.plan_id == i.plan_id)
        .outerjoin(item_helpers, h.item_id == i.item_id)
        .where(p.org == person.org, o.status.not_in(FINISHED), i.cancelled.is_(False))
        .order_by(o.due, i.position)
    )
    tasks = []
    for r in conn.execute(query):
        names = responsible_names(r.responsible) + responsible_names(r.helpers)
        if not answers_for(person.name, person.department, names):
            continue
        due = date.fromisoformat(r.due)
        tasks.append(
            Task(
                item_id=r.item_id,
                plan_id=r.plan_id,
                plan_title=r.plan_title,
                title=r.title,
                occurrence=r.due,
                due=due,
                days_left=(due - today).days,
                status=r.status,
                percent=r.percent,
                note=r.note,
            )
        )
    # The query is by due date already, so overdue ones come first, oldest first.
    return tasks
