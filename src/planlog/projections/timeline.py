"""Audit timeline: every event with its recorded time, actor, type, item and a readable summary.

Rows keep the stored payload as it was recorded; summaries are written when
read, so changing their wording never needs a rebuild.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Column, Integer, String, Table, Text, and_, select
from sqlalchemy.engine import Connection

from planlog.projections.base import Projection, metadata
from planlog.projections.board import chunks
from planlog.projections.changes import Change

audit_timeline = Table(
    "audit_timeline",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("recorded_at", String(40), nullable=False, index=True),
    Column("actor", Text),
    Column("type", String(64), nullable=False),
    Column("aggregate_id", String(36), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("plan_id", String(36), index=True),
    Column("item_id", String(36)),
    Column("reason", Text),
    Column("payload", Text, nullable=False),
)

timeline_item_plans = Table(
    "timeline_item_plans",
    metadata,
    Column("item_id", String(36), primary_key=True),
    Column("plan_id", String(36), nullable=False),
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
        plans = {c.aggregate_id: c.data["plan_id"] for c in changes if c.type == "PlanItem.Planned"}
        unknown = sorted(
            {c.aggregate_id for c in changes if c.type.startswith("PlanItem.")} - set(plans)
        )
        for chunk in chunks(unknown):
            query = select(timeline_item_plans).where(timeline_item_plans.c.item_id.in_(chunk))
            plans.update({r.item_id: r.plan_id for r in conn.execute(query)})
        new_links = [
            {"item_id": c.aggregate_id, "plan_id": c.data["plan_id"]}
            for c in changes
            if c.type == "PlanItem.Planned"
        ]
        if new_links:
            conn.execute(timeline_item_plans.insert(), new_links)
        rows = []
        for c in changes:
            item_id = c.aggregate_id if c.type.startswith("PlanItem.") else None
            if item_id is not None:
                plan_id = plans.get(item_id)
            elif c.type.startswith("Plan."):
                plan_id = c.aggregate_id
            else:
                plan_id = c.data.get("plan_id")
            rows.append(
                {
                    "position": c.position,
                    "recorded_at": c.recorded_at,
                    "actor": c.data.get("actor"),
                    "type": c.type,
                    "aggregate_id": c.aggregate_id,
                    "version": c.version,
                    "plan_id": plan_id,
                    "item_id": item_id,
                    "reason": c.data.get("reason"),
                    "payload": c.raw.decode(),
                }
            )
        if rows:
            conn.execute(audit_timeline.insert(), rows)


def _entry(row: Any) -> dict[str, Any]:
    data = orjson.loads(row.payload)
    data.pop("timestamp", None)
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
        "summary": summarise(row.type, data),
        "data": {k: v for k, v in data.items() if k not in ("actor", "reason", "originator_topic")},
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
    first_events = (
        select(timeline_item_plans.c.item_id, audit_timeline.c.payload)
        .join_from(
            timeline_item_plans,
            audit_timeline,
            and_(
                audit_timeline.c.aggregate_id == timeline_item_plans.c.item_id,
                audit_timeline.c.version == 1,
            ),
        )
        .where(timeline_item_plans.c.plan_id == plan_id)
    )
    titles = {item_id: payload for item_id, payload in conn.execute(first_events)}
    changes = []
    for entry in timeline(conn, plan_id=plan_id, after=start, until=end):
        kind = DIFF_TYPES.get(entry["event"])
        if kind is None:
            continue
        item_id = entry["item_id"]
        planned = orjson.loads(titles[item_id]) if item_id in titles else {}
        changes.append(
            {
                "item_id": item_id,
                "type": kind,
                "recorded_at": entry["recorded_at"],
                "actor": entry["actor"],
                "reason": entry["reason"],
                "title": planned.get("title"),
                "summary": entry["summary"],
                "data": entry["data"],
            }
        )
    return changes


def _occurrences_text(occurrences: list[dict[str, Any]]) -> str:
    return "、".join(
        f"{o['opens']}至{o['due']}" if o.get("opens") else str(o["due"]) for o in occurrences
    )


def summarise(event_type: str, d: dict[str, Any]) -> str:
    """One readable Chinese sentence for an event."""
    kind = event_type.rpartition(".")[2]
    note = f"：{d['note']}" if d.get("note") else ""
    match event_type, kind:
        case "Plan.Created", _:
            return f"创建计划《{d.get('title')}》（{d.get('org')}，{d.get('year')}年）"
        case "PlanRegistry.PlanRegistered", _:
            return f"登记计划《{d.get('title')}》"
        case _, "SectionAdded":
            return f"新增部分“{d.get('title')}”"
        case _, "SectionRenamed":
            return f"部分更名为“{d.get('title')}”"
        case _, "ItemAttached":
            return "计划新增事项"
        case _, "Planned":
            dues = _occurrences_text(d.get("occurrences") or []) or "无"
            return f"新增事项“{d.get('title')}”，时限 {dues}"
        case _, "Revised":
            return "修改事项：" + "、".join(sorted(d.get("changes", {})))
        case _, "Rescheduled":
            return "调整时限为 " + _occurrences_text(d.get("occurrences") or [])
        case _, "Reassigned":
            return f"责任人改为 {d.get('responsible') or '（无）'}"
        case _, "ProgressReported":
            percent = f" {d['percent']}%" if d.get("percent") is not None else ""
            index = d.get("target_index")
            target = f"（目标{index + 1}：{d.get('target_value')}）" if index is not None else ""
            return f"报告进度{percent}{target}{note}"
        case _, "OccurrenceCompleted":
            return f"完成 {d.get('occurrence')} 时限（{d.get('done_on')} 完成）{note}"
        case _, "OccurrenceReopened":
            return f"重新打开 {d.get('occurrence')} 时限"
        case _, "Cancelled":
            return "取消事项"
        case _, "ReminderIssued":
            return f"发出提醒（{d.get('kind')}，{d.get('occurrence')}）"
        case _, "Registered":
            parent = f"，隶属 {d['parent']}" if d.get("parent") else ""
            return f"登记组织“{d.get('name')}”{parent}"
        case _, "Reparented":
            return f"组织改为隶属 {d.get('parent') or '（无）'}"
        case _, "ChairAppointed":
            return f"工会主席改为 {d.get('chair') or '（无）'}"
    return kind
