"""Evidence files against their hashes: the second half of `planlog audit verify`.

The audit chain proves the events, and with them each attached file's SHA-256, were not
altered; this proves the kept files still have those hashes. Every file an event
references is read and hashed again: a file changed on disk is `altered`, one gone is
`missing`, each named with the items that reference it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from sqlalchemy import Engine

from planlog.projections.evidence import referenced_files
from planlog.service.evidence import EvidenceStore, file_digest

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


def verify_evidence(engine: Engine, store: EvidenceStore) -> EvidenceReport:
    """Hash every referenced file again (read models caught up by the caller)."""
    report = EvidenceReport()
    with engine.connect() as conn:
        for sha, group in groupby(referenced_files(conn), key=lambda r: r["sha256"]):
            rows = list(group)
            names = list(dict.fromkeys(r["name"] for r in rows))
            items = list(dict.fromkeys(r["item_id"] for r in rows))
            report.checked += 1
            path = store.path_of(sha)
            if not path.is_file():
                report.problems.append(EvidenceProblem("missing", sha, names, items))
                continue
            found = file_digest(path)
            if found != sha:
                report.problems.append(EvidenceProblem("altered", sha, names, items, found))
    return report
