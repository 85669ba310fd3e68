"""Plan documents -> a structured, validated plan (nothing is saved here).

`read_plan` reads a file and dispatches on its suffix; `parse_text` and
`parse_yaml` are pure and take what people paste. The result is an
`ImportedPlan`; the application turns it into commands. A document that cannot be
imported raises `DocumentError` naming the file and the problem, never a partial
plan. See `planlog.importer.text` for how plain text is read and
`planlog.importer.yaml_format` for the YAML format.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from planlog.importer.model import DocumentError, ImportedItem, ImportedPlan, Target
from planlog.importer.text import parse_text
from planlog.importer.yaml_format import parse_yaml

__all__ = [
    "SUFFIXES",
    "DocumentError",
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
        raise DocumentError(
            f"{name}: cannot decode the text as {', '.join(encodings)}; "
            "save it as UTF-8 and import again",
            source=name,
            problem="encoding",
        )
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t\f\v")
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise DocumentError(
            f"{name}: looks like a binary file, not text", source=name, problem="binary"
        )
    return text


def read_plan(path: Path, year: int) -> ImportedPlan:
    """Read a plan document; the suffix decides the format."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        hint = f" (save it as {_OLD_FORMATS[suffix]})" if suffix in _OLD_FORMATS else ""
        raise DocumentError(
            f"{path.name}: unsupported file type '{suffix or '(no suffix)'}'{hint}; "
            f"use one of {', '.join(SUFFIXES)}",
            source=path.name,
            problem="unsupported_suffix",
            suffix=suffix,
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    if size == 0:
        raise DocumentError(f"{path.name}: the file is empty", source=path.name, problem="empty")

    if suffix == ".docx":
        from planlog.importer.docx import read_docx

        return read_docx(path, year)
    if suffix == ".xlsx":
        from planlog.importer.xlsx import read_xlsx

        return read_xlsx(path, year)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _unreadable(path, exc) from exc
    text = decode_text(data, path.name)
    if suffix in (".yaml", ".yml"):
        return parse_yaml(text, year, source=path.name)
    return parse_text(text, year, source=path.name)


def _unreadable(path: Path, exc: OSError) -> DocumentError:
    return DocumentError(
        f"{path.name}: cannot read the file: {exc.strerror or exc}",
        source=path.name,
        problem="unreadable",
    )
