"""Evidence files against their hashes: the second half of `planlog audit verify`.

The audit chain proves the events, and with them each attached file's SHA-256, were not
altered; this proves the kept files still have those hashes. Every file an event
references is read and hashed again: a file changed on disk is `altered`, one gone is
`missing`, each named with the items that reference it. The references are read from the
event log (the `EvidenceAttached` events), never from a read model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.utils import get_topic

from planlog.domain.model import PlanItem
from planlog.domain.values import InvalidValue
from planlog.service.app import PlanlogApp
from planlog.service.evidence import EvidenceStore, file_digest

_PAGE = 1_000
PROBLEMS_ZH = {"missing": "文件缺失", "altered": "文件内容与哈希不符"}
PROBLEMS_EN = {"missing": "file missing", "altered": "file does not match its hash"}


@dataclass
class EvidenceProblem:
    code: str  # "missing" or "altered"
    sha256: str
    names: list[str]
    items: list[str]
    found: str | None = None  # the hash the altered file has now

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "sha256": self.sha256,
            "names": self.names,
            "items": self.items,
            "found": self.found,
        }

    def describe(self) -> str:
        names, items = "、".join(self.names), ", ".join(self.items)
        return (
            f"佐证文件“{names}”（事项 {items}）{PROBLEMS_ZH[self.code]}：{self.sha256} / "
            f"evidence file “{', '.join(self.names)}” (item {items}): "
            f"{PROBLEMS_EN[self.code]}: {self.sha256}"
        )


@dataclass
class EvidenceReport:
    checked: int = 0
    problems: list[EvidenceProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "problems": [p.to_dict() for p in self.problems],
        }


def verify_evidence(app: PlanlogApp, store: EvidenceStore) -> EvidenceReport:
    """Hash again every file an `EvidenceAttached` event references.

    The references come from the event log itself, page by page, not from the
    `evidence_refs` read model: rows deleted there cannot hide an altered file. Each
    file is hashed once; what is kept per file is its hash (and, for a problem, the
    names and items that reference it)."""
    report = EvidenceReport()
    seen: set[str] = set()
    problems: dict[str, EvidenceProblem] = {}
    for item_id, file in _attachments(app):
        sha, name = str(file.get("sha256", "")), str(file.get("name") or "")
        if sha not in seen:
            seen.add(sha)
            report.checked += 1
            problem = _check(store, sha)
            if problem is not None:
                problems[sha] = problem
        problem = problems.get(sha)
        if problem is not None:
            if name not in problem.names:
                problem.names.append(name)
            if item_id not in problem.items:
                problem.items.append(item_id)
    report.problems = [problems[sha] for sha in sorted(problems)]
    return report


def _attachments(app: PlanlogApp) -> Iterator[tuple[str, dict[str, Any]]]:
    """(item id, file reference) of every attachment in the log, in recorded order."""
    topics = [get_topic(PlanItem.EvidenceAttached)]
    start: int | None = None
    while True:
        page = app.recorder.select_notifications(
            start, _PAGE, topics=topics, inclusive_of_start=False
        )
        for notification in page:
            event: Any = app.mapper.to_domain_event(notification)
            yield str(event.originator_id), dict(event.file)
        if len(page) < _PAGE:
            return
        start = page[-1].id


def _check(store: EvidenceStore, sha: str) -> EvidenceProblem | None:
    try:
        path = store.path_of(sha)
    except InvalidValue:  # not a hash at all: no file can have it
        return EvidenceProblem("missing", sha, [], [])
    if not path.is_file():
        return EvidenceProblem("missing", sha, [], [])
    found = file_digest(path)
    return None if found == sha else EvidenceProblem("altered", sha, [], [], found)
