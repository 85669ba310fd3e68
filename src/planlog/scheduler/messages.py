"""The words of a reminder: a title and a plain-text body, Chinese first, English on request.

Pure. The wording of days left / due today / overdue is computed from `today` and the
due date, not from the slot kind: after downtime a coalesced reminder can go out later
than its slot (a "due" slot sent the day after), and it must still tell the truth.
The kind only decides what sort of notice it is (opens, escalation).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

LANGUAGES = ("zh", "en")

_ZH_WEEKDAYS = "一二三四五六日"
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)


@dataclass(frozen=True)
class ReminderNotice:
    plan_title: str
    org: str
    item_title: str
    responsible: str | None
    chair: str | None
    occurrence_due: date
    opens: date | None
    kind: str
    escalate: bool
    today: date
    link: str | None


def render(notice: ReminderNotice, lang: str = "zh") -> tuple[str, str]:
    """(title, body) of the reminder in `lang` ("zh" or "en")."""
    if lang == "zh":
        return _render_zh(notice)
    if lang == "en":
        return _render_en(notice)
    raise ValueError(f"lang: unsupported language {lang!r}; expected one of {LANGUAGES}")


def _days_left(notice: ReminderNotice) -> int:
    return (notice.occurrence_due - notice.today).days


def _is_escalation(notice: ReminderNotice) -> bool:
    return notice.escalate or notice.kind == "escalation"


# -- Chinese -----------------------------------------------------------------------------


def _zh_short(day: date, today: date) -> str:
    # The year is noise within the year, and essential across a new year.
    if day.year == today.year:
        return f"{day.month}月{day.day}日"
    return f"{day.year}年{day.month}月{day.day}日"


def _zh_full(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（周{_ZH_WEEKDAYS[day.weekday()]}）"


def _zh_status(days: int) -> str:
    if days > 0:
        return f"还有{days}天"
    if days == 0:
        return "今天到期"
    return f"已逾期{-days}天"


def _render_zh(notice: ReminderNotice) -> tuple[str, str]:
    days = _days_left(notice)
    item = notice.item_title
    due_short = _zh_short(notice.occurrence_due, notice.today)
    status = _zh_status(days)
    escalation = _is_escalation(notice)
    opening = notice.kind == "opens" and notice.opens is not None and days > 0

    if escalation:
        title = f"【督办】{item} · {status}"
    elif days < 0:
        title = f"【逾期提醒】{item} · {status}"
    elif days == 0:
        title = f"【工作提醒】{item} · 今天到期"
    elif opening:
        title = f"【工作提醒】{item} · 开始办理，{due_short}到期"
    else:
        title = f"【工作提醒】{item} · {due_short}到期"

    if escalation:
        lead = f"「{item}」{status}，仍未完成，请督促落实。"
    elif days < 0:
        lead = f"「{item}」{status}，请尽快完成并更新进度。"
    elif days == 0:
        lead = f"「{item}」今天到期，请于今日内完成并更新进度。"
    elif opening and notice.opens is not None:
        started = (
            "今天开始办理"
            if notice.opens == notice.today
            else f"已于{_zh_short(notice.opens, notice.today)}开始办理"
        )
        lead = f"「{item}」{started}，{due_short}到期，{status}。"
    else:
        lead = f"「{item}」将于{due_short}到期，{status}，请按时完成。"

    plan = f"{notice.plan_title}（{notice.org}）" if notice.org else notice.plan_title
    lines = [lead, "", f"所属计划：{plan}"]
    if notice.opens is not None:
        lines.append(f"办理时间：{_zh_full(notice.opens)}至{_zh_full(notice.occurrence_due)}")
    lines.append(f"截止日期：{_zh_full(notice.occurrence_due)}")
    lines.append(f"当前状态：{status}")
    lines.append(f"责任人：{notice.responsible or '未指定'}")
    if escalation:
        lines.append(f"抄送：工会主席 {notice.chair}" if notice.chair else "抄送：工会主席")
    if notice.link:
        lines.append(f"查看详情：{notice.link}")
    return title, "\n".join(lines)


# -- English -----------------------------------------------------------------------------


def _en_short(day: date, today: date) -> str:
    if day.year == today.year:
        return f"{_EN_MONTHS[day.month - 1]} {day.day}"
    return f"{_EN_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _en_full(day: date) -> str:
    return f"{_EN_WEEKDAYS[day.weekday()]} {_EN_MONTHS[day.month - 1]} {day.day}, {day.year}"


def _en_days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _en_status(days: int) -> str:
    if days > 0:
        return f"{_en_days(days)} left"
    if days == 0:
        return "due today"
    return f"{_en_days(-days)} overdue"


def _render_en(notice: ReminderNotice) -> tuple[str, str]:
    days = _days_left(notice)
    item = notice.item_title
    due_short = _en_short(notice.occurrence_due, notice.today)
    status = _en_status(days)
    escalation = _is_escalation(notice)
    opening = notice.kind == "opens" and notice.opens is not None and days > 0

    if escalation:
        title = f"[Escalation] {item} · {status}"
    elif days < 0:
        title = f"[Overdue] {item} · {status}"
    elif days == 0:
        title = f"[Reminder] {item} · due today"
    elif opening:
        title = f"[Reminder] {item} · open now, due {due_short}"
    else:
        title = f"[Reminder] {item} · due {due_short}"

    if escalation:
        lead = f"“{item}” is {status} and still not done; please follow up."
    elif days < 0:
        lead = f"“{item}” is {status}; please complete it and update its progress."
    elif days == 0:
        lead = f"“{item}” is due today; please complete it and update its progress."
    elif opening and notice.opens is not None:
        started = (
            "opens today"
            if notice.opens == notice.today
            else f"has been open since {_en_short(notice.opens, notice.today)}"
        )
        lead = f"“{item}” {started} and is due {due_short}: {status}."
    else:
        lead = f"“{item}” is due {due_short}: {status}."

    plan = f"{notice.plan_title} ({notice.org})" if notice.org else notice.plan_title
    lines = [lead, "", f"Plan: {plan}"]
    if notice.opens is not None:
        lines.append(f"Window: {_en_full(notice.opens)} to {_en_full(notice.occurrence_due)}")
    lines.append(f"Due: {_en_full(notice.occurrence_due)}")
    lines.append(f"Status: {status}")
    lines.append(f"Responsible: {notice.responsible or 'not assigned'}")
    if escalation:
        lines.append(f"Cc: union chair {notice.chair}" if notice.chair else "Cc: union chair")
    if notice.link:
        lines.append(f"Details: {notice.link}")
    return title, "\n".join(lines)
