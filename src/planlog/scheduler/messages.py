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
    # the flag, not the kind: an escalation that found no chair to tell is not one
    # (planlog.scheduler.reminders: escalate only when a chair was named)
    return notice.escalate


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


# -- digests -----------------------------------------------------------------------------

#: A digest lists at most this many items; the rest are counted, so one person with a
#: long backlog still gets a message a phone and a work-chat robot accept.
DIGEST_MAX_ITEMS = 30

#: The groups of a digest, in the order they are shown: overdue first.
OVERDUE, ESCALATED, TODAY, UPCOMING, CLOSED = "overdue", "escalated", "today", "upcoming", "closed"
GROUPS = (OVERDUE, ESCALATED, TODAY, UPCOMING, CLOSED)

_GROUP_ZH = {
    OVERDUE: "已逾期",
    ESCALATED: "督办（抄送主席）",
    TODAY: "今天到期",
    UPCOMING: "即将到期",
    CLOSED: "已办结或待确认（此前的提醒）",
}
_GROUP_EN = {
    OVERDUE: "Overdue",
    ESCALATED: "Escalated to the chair",
    TODAY: "Due today",
    UPCOMING: "Coming up",
    CLOSED: "Closed or awaiting sign-off since (earlier reminders)",
}


@dataclass(frozen=True)
class DigestItem:
    """One task in a person's digest (several reminders of one deadline make one item)."""

    item_title: str
    plan_title: str
    responsible: str | None
    occurrence_due: date
    opens: date | None
    escalate: bool
    percent: int | None
    note: str | None
    closed: bool
    link: str | None
    #: handed in and awaiting the chair's sign-off (待确认办结): not done yet
    submitted: bool = False

    def group(self, recipient: str, today: date) -> str:
        if self.closed or self.submitted:
            return CLOSED
        if self.escalate and recipient != (self.responsible or recipient):
            return ESCALATED  # someone else's task, sent to the chair
        days = (self.occurrence_due - today).days
        if days < 0:
            return OVERDUE
        return TODAY if days == 0 else UPCOMING


@dataclass(frozen=True)
class Digest:
    """Everything one recipient is reminded of on one day, in one message."""

    recipient: str
    org: str
    today: date
    items: tuple[DigestItem, ...]
    #: text that makes a work-chat robot notify the person ("@13800000000"), if known
    mention: str | None = None
    #: a one-time link that signs the person in on their task list (我的任务); only in a
    #: message to the person's own channels, never to a group
    sign_in: str | None = None

    def grouped(self) -> list[tuple[str, list[DigestItem]]]:
        groups: dict[str, list[DigestItem]] = {name: [] for name in GROUPS}
        for item in self.items:
            groups[item.group(self.recipient, self.today)].append(item)
        # the longest overdue first; the rest by how soon they are due
        for items in groups.values():
            items.sort(key=lambda i: (i.occurrence_due, i.item_title))
        return [(name, items) for name, items in groups.items() if items]


def render_digest(digest: Digest, lang: str = "zh") -> tuple[str, str]:
    """(title, body) of a person's daily digest in `lang` ("zh" or "en")."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang: unsupported language {lang!r}; expected one of {LANGUAGES}")
    zh = lang == "zh"
    groups = digest.grouped()
    counts = {name: len(items) for name, items in groups}
    names = _GROUP_ZH if zh else _GROUP_EN
    summary = ("，" if zh else ", ").join(
        f"{names[name]}{n}项" if zh else f"{names[name].lower()} {n}"
        for name, n in counts.items()
        if name != CLOSED
    ) or ("无待办" if zh else "nothing open")
    urgent = ESCALATED in counts or OVERDUE in counts
    escalated = ESCALATED in counts or any(i.escalate and not i.closed for i in digest.items)
    # One task: its name in the subject, as a single reminder would have it.
    single = digest.items[0] if len(digest.items) == 1 else None
    if zh:
        tag = "【督办】" if escalated else "【逾期提醒】" if urgent else "【工作提醒】"
        if single is not None:
            days = (single.occurrence_due - digest.today).days
            title = f"{tag}{single.item_title} · {_zh_state(single, days)}"
        else:
            title = f"{tag}{digest.recipient}：{summary}（{_zh_short(digest.today, digest.today)}）"
        lines = [f"{digest.recipient}，您好！以下是{digest.org}今天需要您关注的工作："]
    else:
        tag = "[Escalation] " if escalated else "[Overdue] " if urgent else "[Reminder] "
        if single is not None:
            days = (single.occurrence_due - digest.today).days
            title = f"{tag}{single.item_title} · {_en_state(single, days)}"
        else:
            title = f"{tag}{digest.recipient}: {summary} ({_en_short(digest.today, digest.today)})"
        lines = [f"{digest.recipient}, here is what needs you today at {digest.org}:"]
    shown = 0
    for name, items in groups:
        lines.append("")
        lines.append(
            f"■ {names[name]}（{len(items)}）" if zh else f"■ {names[name]} ({len(items)})"
        )
        for item in items:
            if shown == DIGEST_MAX_ITEMS:
                break
            shown += 1
            lines.extend(_digest_item(shown, item, digest.today, zh))
    hidden = len(digest.items) - shown
    if hidden > 0:
        lines.append("")
        lines.append(f"……另有{hidden}项，请登录查看。" if zh else f"… and {hidden} more; sign in.")
    if digest.sign_in:
        lines.append("")
        lines.append(
            f"登录查看我的任务：{digest.sign_in}"
            if zh
            else f"Sign in to my tasks: {digest.sign_in}"
        )
    if digest.mention:
        lines.append("")
        lines.append(digest.mention)
    return title, "\n".join(lines)


def _digest_item(number: int, item: DigestItem, today: date, zh: bool) -> list[str]:
    days = (item.occurrence_due - today).days
    if zh:
        status = _zh_state(item, days)
        head = f"{number}. {item.item_title}（{item.plan_title}）"
        facts = [f"截止{_zh_short(item.occurrence_due, today)}", status, _progress(item, zh)]
        if item.escalate and not item.closed:
            facts.append("已报主席督办")
        if item.responsible:
            facts.append(f"责任人：{item.responsible}")
        lines = [head, "   " + " · ".join(facts)]
        if item.link:
            lines.append(f"   办理：{item.link}")
        return lines
    status = _en_state(item, days)
    head = f"{number}. {item.item_title} ({item.plan_title})"
    facts = [f"due {_en_short(item.occurrence_due, today)}", status, _progress(item, zh)]
    if item.escalate and not item.closed:
        facts.append("escalated to the chair")
    if item.responsible:
        facts.append(f"responsible: {item.responsible}")
    lines = [head, "   " + " · ".join(facts)]
    if item.link:
        lines.append(f"   Open: {item.link}")
    return lines


def _zh_state(item: DigestItem, days: int) -> str:
    if item.closed:
        return "已办结"
    return "待确认办结" if item.submitted else _zh_status(days)


def _en_state(item: DigestItem, days: int) -> str:
    if item.closed:
        return "closed"
    return "awaiting sign-off" if item.submitted else _en_status(days)


_NOTE_CHARS = 40  # a progress note is quoted, not reproduced


def _progress(item: DigestItem, zh: bool) -> str:
    percent = f"{item.percent}%" if item.percent is not None else None
    note = None
    if item.note:
        text = " ".join(item.note.split())
        note = text if len(text) <= _NOTE_CHARS else text[: _NOTE_CHARS - 1] + "…"
    if zh:
        if percent is None and note is None:
            return "进度：未报告"
        return "进度：" + "".join(p for p in (percent, f"「{note}」" if note else None) if p)
    if percent is None and note is None:
        return "progress: none reported"
    return "progress: " + " ".join(p for p in (percent, f"“{note}”" if note else None) if p)
