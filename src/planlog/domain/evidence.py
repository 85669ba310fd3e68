"""An evidence file (佐证材料) as the log names it: its SHA-256, size, type and original name.

The bytes live outside the log, content-addressed by their hash
(`planlog.service.evidence`); the event that attaches a file records this reference, so
the audit chain, which hashes every stored event, covers the file's hash too. Pure: the
type is decided from the content elsewhere, and checked here against the kinds planlog
accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from planlog.domain.values import NAME_MAX, InvalidValue, text

#: Largest evidence file, in bytes: a phone photo or a scanned PDF fits, a video does not.
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
#: Largest picture, in pixels: a 50-megapixel phone photo fits; a PNG that claims more
#: is a decompression bomb (a few KB that would take gigabytes to open).
EVIDENCE_MAX_PIXELS = 60_000_000

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: The kinds of file planlog keeps, by content type → the file name extension.
CONTENT_TYPES: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
    DOCX: "docx",
    XLSX: "xlsx",
}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
#: Most files one progress report attaches.
FILES_PER_REPORT_MAX = 20

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def checked_sha256(value: object) -> str:
    """A SHA-256 as 64 lowercase hex digits (upper case is accepted and lowered)."""
    if isinstance(value, str) and _SHA256.match(value.strip().lower()):
        return value.strip().lower()
    raise InvalidValue(
        "sha256", "not_sha256", "应为 64 位十六进制 SHA-256 值", "must be 64 hexadecimal digits"
    )


def safe_name(value: object, content_type: str) -> str:
    """The original file name as shown and offered on download: its last path part only
    (a name never chooses a directory), one clean line, bounded; a default if empty."""
    raw = value if isinstance(value, str) else ""
    base = re.split(r"[\\/]", raw)[-1].strip().strip(".") if raw else ""
    if len(base) > NAME_MAX:  # keep the extension, which says what the file is
        stem, dot, ext = base.rpartition(".")
        short = dot and len(ext) < 10
        base = f"{stem[: NAME_MAX - len(ext) - 1]}.{ext}" if short else base[:NAME_MAX]
    name = text(base, "name", max_len=NAME_MAX, multiline=False)
    return name or f"evidence.{CONTENT_TYPES.get(content_type, 'bin')}"


@dataclass(frozen=True)
class EvidenceFile:
    """What an event records about one evidence file."""

    sha256: str
    size: int
    content_type: str
    name: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", checked_sha256(self.sha256))
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise InvalidValue("size", "not_integer", "应为整数", "must be a whole number")
        if not 0 < self.size <= EVIDENCE_MAX_BYTES:
            raise too_large(self.size) if self.size > 0 else empty_file()
        if self.content_type not in CONTENT_TYPES:
            raise unsupported_type(str(self.content_type))
        object.__setattr__(self, "name", safe_name(self.name, self.content_type))

    @property
    def is_image(self) -> bool:
        return self.content_type in IMAGE_TYPES

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "content_type": self.content_type,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceFile:
        return cls(
            sha256=data["sha256"],
            size=data["size"],
            content_type=data["content_type"],
            name=data["name"],
        )


def checked_files(files: object) -> list[EvidenceFile]:
    """The files one report attaches: evidence references, at most FILES_PER_REPORT_MAX."""
    if not isinstance(files, list | tuple) or not all(isinstance(f, EvidenceFile) for f in files):
        raise InvalidValue("file", "not_evidence", "应为佐证文件", "must be evidence files")
    if len(files) > FILES_PER_REPORT_MAX:
        raise InvalidValue(
            "file",
            "too_many",
            f"过多：{len(files)} 个，一次最多 {FILES_PER_REPORT_MAX} 个",
            f"are too many: {len(files)}, at most {FILES_PER_REPORT_MAX} at once",
        )
    return list(files)


def empty_file() -> InvalidValue:
    return InvalidValue("file", "empty", "是空文件", "is empty")


def too_large(size: int) -> InvalidValue:
    limit = EVIDENCE_MAX_BYTES // (1024 * 1024)
    return InvalidValue(
        "file",
        "too_large",
        f"过大：{size} 字节，最多 {limit} MB",
        f"is too large: {size} bytes, at most {limit} MB",
    )


def unsupported_type(found: str) -> InvalidValue:
    kinds = "JPEG、PNG、WebP、PDF、Word (.docx)、Excel (.xlsx)"
    seen = "内容无法识别" if found == "unknown" else f"按内容识别为 {found}"
    return InvalidValue(
        "file",
        "unsupported_type",
        f"类型不受支持（{seen}），只接受 {kinds}",
        f"is not a supported kind (its content is {found}); accepted: "
        "JPEG, PNG, WebP, PDF, Word (.docx), Excel (.xlsx)",
    )
