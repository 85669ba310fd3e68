"""What an auditor reads first: a plan's changes over a period, counted, then paged.

Pure functions over the diff's change rows (`timeline.diff(..., data=True)`): the page
only shows what these return, and a test can count without a database. A summary
covers the whole period; the person, kind and item filters narrow the timeline only,
so the counts stay a fixed frame while the auditor looks into one part of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from math import ceil
from typing import Any

#: timeline rows a page shows: an auditor pages, the browser never draws the whole year
PAGE_SIZE = 50

#: the change kinds that mark an occurrence done (the occurrence key is its due date)
_DONE = frozenset({"completed", "backfilled", "submitted"})
#: an extension request (延期申请) and the chair's decisions on it
_REQUESTS = frozenset({"extension_requested", "extension_approved", "extension_rejected"})
#: a schedule moved: a whole reschedule or one occurrence moved (the same event)
_POSTPONED = "rescheduled"
NOBODY = "—"


@dataclass(frozen=True)
class AuditFilter:
    """The timeline's filters as the auditor chose them (None: everything)."""

    actor: str | None = None
    kind: str | None = None
    item: str | None = None

    def keeps(self, change: dict[str, Any]) -> bool:
        return (
            (self.actor is None or (change.get("actor") or NOBODY) == self.actor)
            and (self.kind is None or change.get("type") == self.kind)
            and (self.item is None or change.get("item_id") == self.item)
        )


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict[str, Any]]
    page: int  # 1-based, clamped to the pages there are
    pages: int
    total: int  # rows the filters kept, over every page
    first: int = 0  # 1-based number of the first row shown (0 when none)
    last: int = 0


@dataclass(frozen=True)
class AuditSummary:
    total: int
    by_kind: list[tuple[str, int]]  # most first, then by name: a stable order to read
    by_person: list[tuple[str, int]]
    late: list[dict[str, Any]] = field(default_factory=list)
    postponements: list[dict[str, Any]] = field(default_factory=list)
    #: extension requests and their outcomes, in the order they happened
    requests: list[dict[str, Any]] = field(default_factory=list)
    items: list[tuple[str, str]] = field(default_factory=list)  # (id, title) for a filter


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def _day(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def late_completion(change: dict[str, Any]) -> dict[str, Any] | None:
    """A completion (or backfill) recorded as done after its due date, else None."""
    if change.get("type") not in _DONE:
        return None
    data = change.get("data") or {}
    due, done = _day(data.get("occurrence")), _day(data.get("done_on"))
    if due is None or done is None or done <= due:
        return None
    return {
        **{k: change.get(k) for k in ("item_id", "title", "actor", "recorded_at", "type")},
        "due": due,
        "done_on": done,
        "days_late": (done - due).days,
        "note": data.get("note"),
    }


def summarise_changes(changes: Iterable[dict[str, Any]]) -> AuditSummary:
    """Changes by kind and by person, late completions and postponements with reasons."""
    rows = list(changes)
    late = [found for c in rows if (found := late_completion(c)) is not None]
    postponed = [
        {k: c.get(k) for k in ("item_id", "title", "actor", "recorded_at", "reason", "summary")}
        for c in rows
        if c.get("type") == _POSTPONED
    ]
    requests = [
        {
            k: c.get(k)
            for k in ("item_id", "title", "actor", "recorded_at", "reason", "summary", "type")
        }
        for c in rows
        if c.get("type") in _REQUESTS
    ]
    items = {c["item_id"]: c.get("title") or c["item_id"] for c in rows if c.get("item_id")}
    return AuditSummary(
        total=len(rows),
        by_kind=_ranked(Counter(str(c.get("type")) for c in rows)),
        by_person=_ranked(Counter(c.get("actor") or NOBODY for c in rows)),
        late=late,
        postponements=postponed,
        requests=requests,
        items=sorted(items.items(), key=lambda kv: kv[1]),
    )


def page_of(
    changes: Sequence[dict[str, Any]],
    where: AuditFilter,
    page: int,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the filtered changes, newest first (an auditor starts from the latest)."""
    kept = [c for c in reversed(changes) if where.keeps(c)]
    pages = max(1, ceil(len(kept) / size))
    page = min(max(page, 1), pages)
    start = (page - 1) * size
    shown = kept[start : start + size]
    return AuditPage(
        rows=shown,
        page=page,
        pages=pages,
        total=len(kept),
        first=start + 1 if shown else 0,
        last=start + len(shown),
    )
