"""Audit timeline: every event with its recorded time, actor, type, item and a readable summary.

A row holds what an auditor scans (who, when, what, why, a one-line summary);
the full payload stays in the event log, where `planlog history` reads it. The
summary is written with the row, so rewording summaries takes a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Table, Text, and_, select, update
from sqlalchemy.engine import Connection

from planlog.projections.base import Projection, metadata
from planlog.projections.board import chunks
from planlog.projections.bulk import insert_rows
from planlog.projections.changes import Change

audit_timeline = Table(
    "audit_timeline",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("recorded_at", String(40), nullable=False),
    Column("actor", Text),
    Column("type", String(64), nullable=False),
    Column("aggregate_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("plan_id", String(36)),
    Column("item_id", String(36)),
    Column("reason", Text),
    Column("summary", Text, nullable=False),
    # Auditors ask "what happened to this plan between two dates".
    Index("ix_audit_timeline_plan_time", "plan_id", "recorded_at"),
)

timeline_item_plans = Table(
    "timeline_item_plans",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("plan_id", String(36), nullable=False, index=True),
    Column("title", Text, nullable=False),
)

#: event type → the word a diff uses for it
DIFF_TYPES = {
    "PlanItem.Planned": "added",
    "PlanItem.Cancelled": "cancelled",
    "PlanItem.Rescheduled": "rescheduled",
    "PlanItem.Reassigned": "reassigned",
    "PlanItem.OccurrenceCompleted": "completed",
    "PlanItem.OccurrenceReopened": "reopened",
    "PlanItem.Revised": "revised",
    "PlanItem.ProgressReported": "progress_reported",
}


class TimelineProjection(Projection):
    name = "timeline"
    tables = (audit_timeline, timeline_item_plans)
    types = None  # every event belongs on the timeline

    def apply(self, conn: Connection, changes: list[Change]) -> None:
        planned = [c for c in changes if c.type == "PlanItem.Planned"]
        plans = {c.aggregate_id: c.data["plan_id"] for c in planned}
        unknown = sorted(
            {c.aggregate_id for c in changes if c.type.startswith("PlanItem.")} - set(plans)
        )
        for chunk in chunks(unknown):
            query = select(timeline_item_plans).where(timeline_item_plans.c.item_id.in_(chunk))
            plans.update({r.item_id: r.plan_id for r in conn.execute(query)})
        insert_rows(
            conn,
            timeline_item_plans,
            [(c.aggregate_id, c.data["plan_id"], c.data["title"]) for c in planned],
        )
        rows = []
        for c in changes:
            data = c.data
            if c.type.startswith("PlanItem."):
                item_id: str | None = c.aggregate_id
                plan_id = plans.get(c.aggregate_id)
                if c.type == "PlanItem.Revised" and "title" in data["changes"]:
                    conn.execute(
                        update(timeline_item_plans)
                        .where(timeline_item_plans.c.item_id == c.aggregate_id)
                        .values(title=data["changes"]["title"])
                    )
            else:
                item_id = None
                plan_id = c.aggregate_id if c.type.startswith("Plan.") else data.get("plan_id")
            rows.append(
                (
                    c.position,
                    c.recorded_at,
                    data.get("actor"),
                    c.type,
                    c.aggregate_id,
                    c.version,
                    plan_id,
                    item_id,
                    data.get("reason"),
                    summarise(c.type, data),
                )
            )
        insert_rows(conn, audit_timeline, rows)


def _entry(row: Any) -> dict[str, Any]:
    return {
        "position": row.position,
        "recorded_at": row.recorded_at,
        "actor": row.actor,
        "type": row.type.rpartition(".")[2],
        "event": row.type,
        "aggregate_id": row.aggregate_id,
        "version": row.version,
        "plan_id": row.plan_id,
        "item_id": row.item_id,
        "reason": row.reason,
        "summary": row.summary,
    }


def timeline(
    conn: Connection,
    *,
    plan_id: str | None = None,
    aggregate_id: str | None = None,
    after: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Timeline entries oldest first, by plan, aggregate and recorded time in (after, until]."""
    t = audit_timeline.c
    conditions = []
    if plan_id is not None:
        conditions.append(t.plan_id == plan_id)
    if aggregate_id is not None:
        conditions.append(t.aggregate_id == aggregate_id)
    if after is not None:
        conditions.append(t.recorded_at > _utc_text(after))
    if until is not None:
        conditions.append(t.recorded_at <= _utc_text(until))
    query = select(audit_timeline).where(and_(*conditions)).order_by(t.position)
    if limit is not None:
        query = query.limit(limit)
    return [_entry(r) for r in conn.execute(query)]


def _utc_text(moment: datetime) -> str:
    """Recorded times are stored as UTC ISO strings, which sort as times."""
    return moment.astimezone(UTC).isoformat()


def diff(conn: Connection, plan_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """What happened to a plan's items between two recorded times, in order."""
    titles = {
        r.item_id: r.title
        for r in conn.execute(
            select(timeline_item_plans).where(timeline_item_plans.c.plan_id == plan_id)
        )
    }
    changes = []
    for entry in timeline(conn, plan_id=plan_id, after=start, until=end):
        kind = DIFF_TYPES.get(entry["event"])
        if kind is None:
            continue
        changes.append(
            {
                "item_id": entry["item_id"],
                "type": kind,
                "recorded_at": entry["recorded_at"],
                "actor": entry["actor"],
                "reason": entry["reason"],
                "title": titles.get(entry["item_id"]),
                "summary": entry["summary"],
                "version": entry["version"],
            }
        )
    return changes


def _occurrences_text(occurrences: list[dict[str, Any]]) -> str:
    return "、".join(
        f"{o['opens']}至{o['due']}" if o.get("opens") else str(o["due"]) for o in occurrences
    )


def _note(d: dict[str, Any]) -> str:
    return f"：{d['note']}" if d.get("note") else ""


def _progress(d: dict[str, Any]) -> str:
    percent = f" {d['percent']}%" if d.get("percent") is not None else ""
    index = d.get("target_index")
    target = f"（目标{index + 1}：{d.get('target_value')}）" if index is not None else ""
    return f"报告进度{percent}{target}{_note(d)}"


def _registered(d: dict[str, Any]) -> str:
    parent = f"，隶属 {d['parent']}" if d.get("parent") else ""
    return f"登记组织“{d.get('name')}”{parent}"


Summary = Callable[[dict[str, Any]], str]

#: one readable Chinese sentence per event type; a table lookup, because a rebuild
#: summarises every event in the log
_SUMMARIES: dict[str, Summary] = {
    "Plan.Created": lambda d: f"创建计划《{d.get('title')}》（{d.get('org')}，{d.get('year')}年）",
    "Plan.SectionAdded": lambda d: f"新增部分“{d.get('title')}”",
    "Plan.SectionRenamed": lambda d: f"部分更名为“{d.get('title')}”",
    "Plan.ItemAttached": lambda d: "计划新增事项",
    "PlanRegistry.PlanRegistered": lambda d: f"登记计划《{d.get('title')}》",
    "PlanItem.Planned": lambda d: (
        f"新增事项“{d.get('title')}”，时限 "
        + (_occurrences_text(d.get("occurrences") or []) or "无")
    ),
    "PlanItem.Revised": lambda d: "修改事项：" + "、".join(sorted(d.get("changes", {}))),
    "PlanItem.Rescheduled": lambda d: "调整时限为 " + _occurrences_text(d.get("occurrences") or []),
    "PlanItem.Reassigned": lambda d: f"责任人改为 {d.get('responsible') or '（无）'}",
    "PlanItem.ProgressReported": _progress,
    "PlanItem.OccurrenceCompleted": lambda d: (
        f"完成 {d.get('occurrence')} 时限（{d.get('done_on')} 完成）{_note(d)}"
    ),
    "PlanItem.OccurrenceReopened": lambda d: f"重新打开 {d.get('occurrence')} 时限",
    "PlanItem.Cancelled": lambda d: "取消事项",
    "PlanItem.ReminderIssued": lambda d: f"发出提醒（{d.get('kind')}，{d.get('occurrence')}）",
    "Organisation.Registered": _registered,
    "Organisation.Reparented": lambda d: f"组织改为隶属 {d.get('parent') or '（无）'}",
    "Organisation.ChairAppointed": lambda d: f"工会主席改为 {d.get('chair') or '（无）'}",
}


def summarise(event_type: str, d: dict[str, Any]) -> str:
    """One readable Chinese sentence for an event (its type name if none is known)."""
    summary = _SUMMARIES.get(event_type)
    return summary(d) if summary is not None else event_type.rpartition(".")[2]
