"""Plan documents -> a structured, validated plan (nothing is saved here).

`read_plan` reads a file and dispatches on its suffix; `parse_text` and
`parse_yaml` are pure and take what people paste. The result is an
`ImportedPlan`; the application turns it into commands. A document that cannot be
imported raises `DocumentError` naming the file and the problem, never a partial
plan; one that would cost more than any plan needs (a zip bomb, entity expansion,
a YAML alias bomb, a million lines) is refused by `planlog.importer.limits`. See
`planlog.importer.text` for how plain text is read and `planlog.importer.yaml_format`
for the YAML format.
"""

from __future__ import annotations

import codecs
import stat
from pathlib import Path

from planlog.importer.limits import (
    DocumentRefused,
    DocumentTooLarge,
    check_chars,
    check_name,
    check_package,
    check_size,
)
from planlog.importer.model import (
    DocumentError,
    ImportedItem,
    ImportedPlan,
    Target,
    document_error,
)
from planlog.importer.text import parse_text
from planlog.importer.yaml_format import parse_yaml

__all__ = [
    "SUFFIXES",
    "DocumentError",
    "DocumentRefused",
    "DocumentTooLarge",
    "ImportedItem",
    "ImportedPlan",
    "Target",
    "decode_text",
    "parse_text",
    "parse_yaml",
    "read_plan",
]

SUFFIXES = (".txt", ".md", ".docx", ".xlsx", ".yaml", ".yml")
_OLD_FORMATS = {".doc": ".docx", ".xls": ".xlsx", ".wps": ".docx", ".et": ".xlsx"}
_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def decode_text(data: bytes, name: str) -> str:
    """Text in UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = _TEXT_ENCODINGS
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        tried = ", ".join(encodings)
        raise document_error(
            name,
            "encoding",
            f"无法按 {tried} 解码文字，请另存为 UTF-8 后再导入",
            f"cannot decode the text as {tried}; save it as UTF-8 and import again",
        )
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f\v")
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise document_error(
            name, "binary", "看起来是二进制文件，不是文本", "looks like a binary file, not text"
        )
    return text


def read_plan(path: Path, year: int, *, name: str | None = None) -> ImportedPlan:
    """Read a plan document; the suffix decides the format.

    `name` is the name to report, when the file is stored under another (an upload
    kept in a temporary file). Every format is read within `limits`: a document
    that would cost more than any plan needs is refused before it is unpacked.
    """
    path = Path(path)
    source = path.name if name is None else name
    check_name(source)
    suffix = Path(source).suffix.lower()
    if suffix not in SUFFIXES:
        new = _OLD_FORMATS.get(suffix)
        hint_zh = f"，请另存为 {new}" if new else ""
        hint = f" (save it as {new})" if new else ""
        known = ", ".join(SUFFIXES)
        raise document_error(
            source,
            "unsupported_suffix",
            f"不支持的文件类型 {suffix or '（无后缀）'}{hint_zh}；可导入的类型为 {known}",
            f"unsupported file type '{suffix or '(no suffix)'}'{hint}; use one of {known}",
            suffix=suffix,
        )
    try:
        status = path.stat()
    except OSError as exc:
        raise _unreadable(source, exc) from exc
    if not stat.S_ISREG(status.st_mode):
        # A directory would be read as an unpacked package, a FIFO would block.
        raise document_error(
            source,
            "unreadable",
            "无法读取文件：不是普通文件",
            "cannot read the file: not a regular file",
        )
    if status.st_size == 0:
        raise document_error(source, "empty", "文件是空的", "the file is empty")
    check_size(source, status.st_size)

    if suffix == ".docx":
        from planlog.importer.docx import W_NS, read_docx

        check_package(path, source, ".docx document", paragraph_ns=W_NS)
        return read_docx(path, year, source=source)
    if suffix == ".xlsx":
        from planlog.importer.xlsx import read_xlsx

        check_package(path, source, ".xlsx workbook")
        return read_xlsx(path, year, source=source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(source, exc) from exc
    text = decode_text(data, source)
    check_chars(source, len(text))
    if suffix in (".yaml", ".yml"):
        return parse_yaml(text, year, source=source)
    return parse_text(text, year, source=source)


def _unreadable(source: str, exc: OSError) -> DocumentError:
    return document_error(
        source, "unreadable", "无法读取文件", f"cannot read the file: {exc.strerror or exc}"
    )
