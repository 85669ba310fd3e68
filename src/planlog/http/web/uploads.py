"""Evidence files chosen in a web form, shared by the item page's progress form and
我的任务 (`/me/progress`): read with a bound, checked by content, kept, and forgotten
again when the command that would record them is refused — so a refused report leaves
no file that nothing references (a file that was already kept, or that an event holds,
stays)."""

from __future__ import annotations

from typing import Any

from fastapi import UploadFile

from planlog.domain.evidence import CONTENT_TYPES, EVIDENCE_MAX_BYTES, EvidenceFile, too_large
from planlog.http.deps import Services
from planlog.projections.evidence import items_holding
from planlog.service.evidence import inspect_file

#: what a form with a file field shows (the size limit, the kinds a picker offers)
FILE_FIELD: dict[str, Any] = {
    "evidence_mb": EVIDENCE_MAX_BYTES // (1024 * 1024),
    "evidence_accept": ",".join(CONTENT_TYPES),
}


def uploaded(file: UploadFile | None) -> bytes | None:
    """The chosen file's bytes (None when none was chosen), refused past the limit."""
    if file is None or not file.filename:
        return None
    data = file.file.read(EVIDENCE_MAX_BYTES + 1)
    if len(data) > EVIDENCE_MAX_BYTES:
        raise too_large(len(data))
    return data or None


class Uploads:
    """The files one form submission keeps; `forget` undoes the ones it brought."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.brought: list[str] = []

    def keep(self, file: UploadFile | None) -> tuple[EvidenceFile, ...]:
        """The chosen file checked (refused by content before anything is kept) and
        kept; () when none was chosen."""
        data = uploaded(file)
        if data is None:
            return ()
        ref = inspect_file(data, file.filename if file else None)
        if not self.svc.evidence.has(ref.sha256):
            self.brought.append(ref.sha256)
        self.svc.evidence.put(data)
        return (ref,)

    def forget(self) -> None:
        """The command was refused: delete the files this submission brought, unless an
        attachment recorded meanwhile (the same bytes from someone else) holds one."""
        for sha in self.brought:
            with self.svc.fresh().connect() as conn:
                held = bool(items_holding(conn, sha))
            if not held:
                self.svc.evidence.discard(sha)
        self.brought.clear()
