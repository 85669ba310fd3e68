"""Words people read: Chinese first, English on request (PLANLOG_LANG=en)."""

from __future__ import annotations

import os

_TEXTS: dict[str, tuple[str, str]] = {
    # statuses and traffic lights
    "open": ("未开始", "open"),
    "in_progress": ("进行中", "in progress"),
    "due_soon": ("即将到期", "due soon"),
    "overdue": ("已逾期", "overdue"),
    "done": ("已完成", "done"),
    "submitted": ("待确认办结", "submitted"),
    "cancelled": ("已取消", "cancelled"),
    "sent": ("已下达", "sent down"),
    # a task sent after its deadline (the CLI's line, the task page's banner)
    "task_past_due": (
        "注意：时限 {days} 已过，各工会的副本一收到即已逾期，并将被立即督办。",
        "Note: deadline {days} has passed: every copy is overdue from the start, and "
        "chased at once.",
    ),
    # a union's item that is its copy of a federation's task
    "from_task": ("上级下达", "sent down by the federation"),
    # a task's copy neither done, handed in nor overdue, started or not
    "not_due_yet": ("未到期", "not due yet"),
    # board
    "board": ("工作进度", "Progress board"),
    "number": ("序号", "No."),
    "task": ("工作任务", "Task"),
    "responsible": ("责任人", "Responsible"),
    "next_due": ("下次截止", "Next due"),
    "progress": ("进度", "Progress"),
    "status": ("状态", "Status"),
    "occurrences": ("时限", "Deadlines"),
    "no_section": ("（未分部分）", "(no section)"),
    "totals": ("合计", "Totals"),
    "percent_done": ("完成率", "Completed"),
    "today": ("今天", "Today"),
    "as_of": ("截至", "As of"),
    "refused": ("已拒绝", "refused"),
    "error": ("错误", "error"),
    # rules (RuleViolation.rule)
    "not_cancelled": ("该事项已取消", "the item is cancelled"),
    "occurrence_exists": ("没有该时限", "no such occurrence"),
    "occurrence_open": ("该时限已完成", "already done"),
    "occurrence_done": ("该时限尚未完成", "not done yet"),
    "open_occurrence_exists": ("所有时限均已完成", "every occurrence is done"),
    "percent_range": ("进度须在0–100之间", "percent must be 0–100"),
    "reason_required": ("须说明原因", "a reason is required"),
    "keep_completed": ("已完成的时限不能改期", "completed occurrences are kept"),
    "no_union_below": ("下面没有工会可下达", "no union below to send to"),
    "title_required": ("须填写标题", "a title is required"),
    "section_unique": ("部分名称重复", "section exists"),
    "due_in_plan_year": ("截止日期不在计划年度内", "due date outside the plan year"),
    "conflict": ("已被他人修改，请刷新后重试", "changed by someone else; reload"),
    "not_found": ("未找到", "not found"),
    # refusals of a value or a document (PlanlogError.code)
    "invalid_value": ("内容不合规", "invalid value"),
    "invalid_id": ("编号无效", "invalid id"),
    "ambiguous_id": ("编号不唯一", "ambiguous id"),
    "invalid_schedule": ("时限不合规", "invalid schedule"),
    "document_refused": ("文件被拒绝", "document refused"),
    "too_large": ("内容过大", "too large"),
    # what became of an issued reminder (the outbox's statuses: `delivery_status`)
    "delivery_pending": ("待发送", "pending"),
    "delivery_sending": ("发送中", "sending"),
    "delivery_sent": ("已送达", "sent"),
    "delivery_retrying": ("重试中", "retrying"),
    "delivery_no_channel": ("未设渠道", "no channel"),
    "delivery_failed": ("重试中", "retrying"),  # rows older versions gave up on go out now
    "delivery_obsolete": ("已办结未发", "done, not sent"),
    "delivery_replayed": ("历史未发", "history, not sent"),
}


def lang() -> str:
    return "en" if os.environ.get("PLANLOG_LANG", "zh").lower().startswith("en") else "zh"


def t(key: str, language: str | None = None) -> str:
    """The text for a key in the chosen language; unknown keys come back unchanged."""
    pair = _TEXTS.get(key)
    if pair is None:
        return key
    return pair[1] if (language or lang()) == "en" else pair[0]


def count_of(n: int, noun: str) -> str:
    """An English count with its noun in the right number: "1 union", "3 unions"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def delivery_status(status: str, language: str | None = None) -> str:
    """An outbox status (`planlog.projections.outbox`) in words; an unknown one as stored."""
    words = t(f"delivery_{status}", language)
    return status if words == f"delivery_{status}" else words
