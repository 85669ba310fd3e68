"""Limits on untrusted plan documents: how much work one import may cause.

A plan document comes from anyone who can upload one, and the formats let a few
kilobytes stand for gigabytes: a zip member declares its unpacked size, a sheet
cell may sit at XFD1048576, XML may declare entities that expand a billion times,
YAML aliases repeat whole subtrees. Every reader checks the document against the
limits below BEFORE it does the expensive part (unpacking, building a tree,
building items), so that any document the upload limit admits is read, or
refused, in bounded time and well under 300 MB of memory.

A refusal is a `DocumentRefused` (code `document_refused`, HTTP 422) or, when the
document is simply too big, a `DocumentTooLarge` (code `too_large`, HTTP 413).
Both are `DocumentError`s: the doors show the message, and nothing is recorded.

The numbers are generous for real plans. The largest sample, a compilation of
seven union plans, is 38 KB of text: about 13,000 characters, 500 lines and 109
items. Every limit leaves a margin of ten times that or more.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote
from xml.parsers import expat

from planlog.domain.values import bad_character
from planlog.importer.model import DocumentError, document_error

# --- the limits --------------------------------------------------------------------

#: The largest document file. Real plans are a few hundred KB; the API takes the same.
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
#: The longest file name, in characters (most file systems stop at 255 bytes).
MAX_NAME_CHARS = 255
#: Characters of text in one document: some 250 pages of Chinese, 40x the largest sample.
MAX_CHARS = 500_000
#: Lines (paragraphs, table and sheet rows) with text: 40x the largest sample.
MAX_LINES = 20_000
#: Items in one plan. Real plans have tens to a few hundred items (the compilation of
#: seven plans has 109); a thousand is more than anyone can follow up in a year, and
#: each item is an aggregate with its own events, so the cap also bounds one import's
#: write.
MAX_ITEMS = 1_000

#: Members of a .docx/.xlsx package: real ones have 10-40 parts, a few hundred with images.
#: Measurable targets read from one item's text. Real items state one to five; a text
#: of thousands of numbers ("8%8%8%…") is no list of targets, and parsing and showing
#: each would cost seconds per item.
MAX_TARGETS_PER_ITEM = 20
MAX_ZIP_MEMBERS = 1_000
#: Declared unpacked size of all members together. Media do not compress, so a 5 MB
#: upload of real content unpacks to little more than 5 MB plus its XML.
MAX_UNPACKED_BYTES = 32 * 1024 * 1024
#: Compression ratio of one member. Office XML compresses 5-20:1, a uniform table
#: maybe 150:1; zeros, what zip bombs are made of, 1000:1. (MAX_UNPACKED_BYTES alone
#: bounds the work: this only names a bomb as what it is.)
MAX_RATIO = 500
#: Members smaller than this are not checked for their ratio: a tiny part may compress well.
RATIO_FLOOR_BYTES = 1024 * 1024

#: XML nesting. Office XML is 10-30 levels deep (a text box in a nested table included).
MAX_XML_DEPTH = 128
#: XML elements and attributes over all parts. Each costs some 200 bytes once parsed
#: (lxml keeps an attribute as two nodes), and what a library builds on top of them
#: (python-docx proxies, openpyxl style objects) more: 400,000 keep a parse well under
#: 300 MB. A 30-page plan written in Word has about 50,000.
MAX_XML_NODES = 400_000

#: A plan sheet: its rows and columns, counted from the cells that hold data.
MAX_SHEET_ROWS = 10_000
MAX_SHEET_COLUMNS = 64  # Word tables have at most 63 columns; sheets of plans a dozen

#: YAML nesting: a plan is 7 levels deep (plan, sections, section, items, item,
#: targets, target).
MAX_YAML_DEPTH = 16
#: YAML nodes (every key, value, list and mapping), each alias counted as the nodes it
#: repeats: a 1,000-item plan has 10,000 to 20,000. PyYAML's pure-Python composer,
#: the one that can count aliases, needs about 1 KB and 0.1 ms per node.
MAX_YAML_NODES = 50_000


# --- refusals ------------------------------------------------------------------------


class DocumentRefused(DocumentError):
    """A document refused because reading it would cost more than any plan needs,
    or because it is built to make a reader do so (entity expansion, aliases)."""

    code = "document_refused"


class DocumentTooLarge(DocumentRefused):
    """A document over a size limit: the API answers 413, like an oversized upload."""

    code = "too_large"


def refuse(
    source: str,
    problem: str,
    zh: str,
    en: str,
    *,
    too_large: bool = False,
    **details: Any,
) -> DocumentRefused:
    """The refusal, Chinese first with English, naming the document and the problem."""
    kind = DocumentTooLarge if too_large else DocumentRefused
    return kind(f"{source}：{zh}（{en}）", source=source, problem=problem, **details)


def too_many(source: str, problem: str, zh: str, en: str, limit: int) -> DocumentRefused:
    """A count over its limit, the limit named in both languages."""
    return refuse(
        source,
        problem,
        f"{zh}超过 {limit:,} 个，不像一份工作计划",
        f"{en} more than {limit:,}; this is not a work plan",
        too_large=True,
        limit=limit,
    )


def check_name(name: str) -> None:
    """A file name the doors can show and store."""
    if len(name) > MAX_NAME_CHARS:
        shown = f"{name[:40]}…"
        raise refuse(
            shown,
            "name_too_long",
            f"文件名长 {len(name):,} 个字符，超过 {MAX_NAME_CHARS} 个字符的上限",
            f"the file name is {len(name):,} characters long, over the limit of {MAX_NAME_CHARS}",
            limit=MAX_NAME_CHARS,
        )
    # The domain's rule for stored text (C0 and C1 controls, DEL, lone surrogates,
    # noncharacters), and no tab or line break either: a name is one line.
    bad = bad_character(name) or next((ch for ch in name if ch in "\t\n"), None)
    if bad is not None:
        code = f"U+{ord(bad):04X}"
        raise refuse(
            repr(name)[:80],
            "bad_name",
            f"文件名含有不允许的控制字符 {code}",
            f"the file name holds a control character {code}",
            character=code,
        )


def check_size(source: str, size: int) -> None:
    if size > MAX_DOCUMENT_BYTES:
        raise refuse(
            source,
            "file_too_large",
            f"文件大小 {size:,} 字节，超过 {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB 的上限",
            f"the file is {size:,} bytes, over the limit of "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB",
            too_large=True,
            limit=MAX_DOCUMENT_BYTES,
        )


def check_chars(source: str, count: int) -> None:
    if count > MAX_CHARS:
        raise too_many(source, "too_many_characters", "文字", "characters of text:", MAX_CHARS)


def check_lines(source: str, count: int) -> None:
    if count > MAX_LINES:
        raise too_many(source, "too_many_lines", "段落或行", "lines or paragraphs:", MAX_LINES)


def check_items(source: str, count: int) -> None:
    if count > MAX_ITEMS:
        raise too_many(source, "too_many_items", "工作任务", "task items:", MAX_ITEMS)


@dataclass
class ItemBudget:
    """Items counted as a reader makes them, so that a hostile document is refused
    before a million drafts are in memory, not after."""

    source: str
    count: int = 0

    def add(self, n: int = 1) -> None:
        self.count += n
        check_items(self.source, self.count)


_WHAT_ZH = {".docx document": ".docx Word 文档", ".xlsx workbook": ".xlsx Excel 工作簿"}


def unreadable_package(source: str, what: str, exc: BaseException) -> DocumentError:
    """A package the library could not read: corrupt, truncated or not what it says."""
    detail = str(exc)
    if len(detail) > 300:
        detail = detail[:300] + "…"
    return document_error(
        source,
        "corrupt",
        f"无法读取：文件已损坏，或不是 {_WHAT_ZH.get(what, what)}",
        f"not a readable {what} ({exc.__class__.__name__}: {detail})",
    )


# --- zip packages (.docx, .xlsx) ------------------------------------------------------

_CHUNK = 64 * 1024
#: Members read as XML by their name, whatever their content: [Content_Types].xml,
#: the parts and the relationship parts (python-docx and openpyxl find `.rels` by name).
_XML_NAMES = (".xml", ".rels")
#: Relationships to what neither reader parses as XML: python-docx picks an ImagePart
#: by the relationship, openpyxl hands images to Pillow and leaves the rest alone.
_BINARY_RELATIONSHIPS = frozenset(
    {
        "image",
        "audio",
        "video",
        "media",
        "hdphoto",
        "model3d",
        "font",
        "oleobject",
        "package",
        "printersettings",
        "thumbnail",
        "vbaproject",
        "vbaprojectsignature",
        "vbaprojectsignatureagile",
        "vbaprojectsignaturev3",
        "activexcontrolbinary",
        "attachedtoolbars",
    }
)
#: The encodings the Open Packaging Conventions allow for XML. expat and libxml2 (lxml)
#: read these alike; in another (GBK, HZ, UTF-32, EBCDIC) lxml could see markup where
#: the scan sees text, and count more than the scan did.
_XML_ENCODINGS = frozenset({"utf-8", "utf8", "utf-16", "utf16"})


@dataclass
class _Totals:
    nodes: int = 0  # elements and attributes
    characters: int = 0
    paragraphs: int = 0


@dataclass
class _Package:
    """What the scan of [Content_Types].xml and the .rels members learnt: which other
    members a reader may parse as XML. Names are compared in lower case, as
    python-docx compares part names and extensions."""

    xml_parts: set[str] = field(default_factory=set)  # Override with an XML type
    xml_extensions: set[str] = field(default_factory=set)  # Default with an XML type
    targets: set[str] = field(default_factory=set)  # of a relationship to anything not binary

    def note(self, member: str, tag: str, attrs: dict[str, str]) -> None:
        """Take in an element of [Content_Types].xml or of a .rels member."""
        local = tag.rsplit(" ", 1)[-1]
        xml = _is_xml_type(attrs.get("ContentType", ""))
        if local == "Override" and xml:
            name = attrs.get("PartName", "").lstrip("/").lower()
            self.xml_parts.update({name, unquote(name)})
        elif local == "Default" and xml:
            self.xml_extensions.add(attrs.get("Extension", "").lower())
        elif local == "Relationship" and member.lower().endswith(".rels"):
            kind = attrs.get("Type", "").rstrip("/").rsplit("/", 1)[-1].lower()
            if kind not in _BINARY_RELATIONSHIPS:
                self.targets.update(_resolve(member, attrs.get("Target", "")))

    def parsed_as_xml(self, member: str) -> bool | None:
        """True if a reader parses the member as XML by its content type, None if
        only a relationship may lead a reader to it, False if none does. (Any XML
        type counts, even where python-docx would let an Override of another type
        win over an XML Default: erring on the side of scanning.)"""
        name = member.lower()
        if name in self.xml_parts or posixpath.splitext(name)[1][1:] in self.xml_extensions:
            return True
        return None if name in self.targets else False


def _is_xml_type(content_type: str) -> bool:
    """application/xml, text/xml and every …+xml type but an image's: python-docx
    never parses an SVG picture (no part class is registered for image/svg+xml), and
    an SVG drawn elsewhere may well declare a DTD."""
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.endswith("xml") and not kind.startswith("image/")


def _resolve(rels_member: str, target: str) -> set[str]:
    """The member names a relationship target may stand for, in lower case. A target is
    relative to the folder of the part whose relationships these are (the parent of
    `_rels/`), or absolute from the package root, and `..` stops at the root (as
    python-docx resolves it). The readers use a target as it is written; its
    percent-unescaped form and the rels member's own folder are noted too, to err on
    the side of scanning."""
    folder = posixpath.dirname(rels_member)
    names = set()
    for candidate in {target, unquote(target)}:
        path = candidate.split("#", 1)[0]
        for base in {folder, posixpath.dirname(folder)}:
            joined = path if path.startswith("/") else posixpath.join("/", base, path)
            names.add(posixpath.normpath("/" + joined).lstrip("/").lower())
    return names


def _may_start_xml(head: bytes) -> bool:
    """Whether libxml2 could read these first bytes as the start of an XML document:
    markup or white space in UTF-8 (a BOM or not), a UTF-16/UCS-4 byte order mark or
    pattern, or EBCDIC. Anything else it refuses at the first byte."""
    if head.startswith((b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe", b"\x00", b"\x4c\x6f\xa7\x94")):
        return True
    return head[:1] in (b"<", b" ", b"\t", b"\r", b"\n")


def check_package(path: Path, source: str, what: str, *, paragraph_ns: str | None = None) -> None:
    """Refuse a .docx/.xlsx package whose reading would be unbounded, before any
    library opens it: the zip directory first (member count, declared sizes and
    compression ratios; zipfile never unpacks more than a member declares), then
    every member a reader may parse as XML streamed through expat, counting nodes,
    nesting depth and text and refusing any DTD. Office XML never has a DTD, and a
    DTD is what entity expansion (a "billion laughs") needs.

    Which members are XML is decided as the readers decide it, never by what the
    member's first bytes look like (white space before the root is well-formed, and
    a member of white space looks like nothing): every member named `.xml` or
    `.rels` (in any case); every member [Content_Types].xml gives an XML type; and
    every member a relationship other than to an image or other media points to
    (openpyxl reads a worksheet wherever its relationship points, whatever its
    content type), unless its first bytes cannot start XML. Each of these must be
    well-formed UTF-8 or UTF-16 XML, or the document is refused; a member that no
    reader parses (an image, a font) is not read at all.

    `what` names the format in messages (".docx document"). `paragraph_ns` counts
    the paragraphs (elements `p` of that namespace) against MAX_LINES, so that the
    message names paragraphs rather than XML elements.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            # macOS's zip tool adds AppleDouble files (`__MACOSX/._document.xml`): resource
            # forks, not XML, and no reader ever opens them.
            members = [
                i
                for i in archive.infolist()
                if not i.is_dir() and i.file_size and not i.filename.startswith("__MACOSX/")
            ]
            _check_directory(source, archive.infolist())
            totals = _Totals()
            package = _Package()
            named = [i for i in members if i.filename.lower().endswith(_XML_NAMES)]
            others = [i for i in members if not i.filename.lower().endswith(_XML_NAMES)]
            # First what is XML by its name, [Content_Types].xml and the .rels among
            # it: they tell which of the other members are XML too.
            for info in named:
                with archive.open(info) as stream:
                    first = stream.read(_CHUNK)
                    _scan_member(
                        source, info.filename, first, stream, totals, paragraph_ns, package
                    )
            for info in others:
                xml = package.parsed_as_xml(info.filename)
                if xml is False:
                    continue
                with archive.open(info) as stream:
                    first = stream.read(_CHUNK)
                    if xml or _may_start_xml(first):
                        _scan_member(source, info.filename, first, stream, totals, paragraph_ns)
    except DocumentError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise unreadable_package(source, what, exc) from exc
    except RuntimeError as exc:  # an encrypted member ("password required")
        raise refuse(
            source,
            "encrypted",
            "文件已加密，请去掉密码后再导入",
            f"the file is encrypted; remove the password and import again ({exc})",
        ) from exc
    except OSError as exc:
        raise document_error(
            source, "unreadable", "无法读取文件", f"cannot read the file: {exc.strerror or exc}"
        ) from exc


def _check_directory(source: str, members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise too_many(source, "too_many_members", "压缩包成员", "zip members:", MAX_ZIP_MEMBERS)
    total = 0
    for info in members:
        size, packed = info.file_size, max(info.compress_size, 1)
        if size > RATIO_FLOOR_BYTES and size / packed > MAX_RATIO:
            raise refuse(
                source,
                "zip_bomb",
                f"压缩包成员 {info.filename[:100]} 声明解压后 {size:,} 字节，压缩比 "
                f"{size // packed:,}:1，超过 {MAX_RATIO}:1 的上限（疑似压缩炸弹）",
                f"zip member {info.filename[:100]} unpacks to {size:,} bytes, a compression "
                f"ratio of {size // packed:,}:1, over the limit of {MAX_RATIO}:1 "
                "(a zip bomb)",
                too_large=True,
                member=info.filename[:200],
                limit=MAX_RATIO,
            )
        total += size
        if total > MAX_UNPACKED_BYTES:
            raise refuse(
                source,
                "unpacked_too_large",
                f"解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB（成员 "
                f"{info.filename[:100]} 声明 {size:,} 字节）",
                f"the document unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB "
                f"(member {info.filename[:100]} declares {size:,} bytes)",
                too_large=True,
                member=info.filename[:200],
                limit=MAX_UNPACKED_BYTES,
            )


def _scan_member(
    source: str,
    member: str,
    first: bytes,
    stream: IO[bytes],
    totals: _Totals,
    paragraph_ns: str | None,
    package: _Package | None = None,
) -> None:
    """Stream one member, whose first chunk has been read, through expat; refuse it
    unless it is well-formed. A refusal raised in a handler stops the parse at once
    and comes out of `Parse` as it is. `package`, when given, takes in every element
    (content types and relationships)."""
    name = member[:100]
    parser = expat.ParserCreate(namespace_separator=" ")
    depth = 0
    in_text = False
    paragraph_tag = f"{paragraph_ns} p" if paragraph_ns else None

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth, in_text
        depth += 1
        totals.nodes += 1 + len(attrs)
        if depth > MAX_XML_DEPTH:
            raise refuse(
                source,
                "xml_too_deep",
                f"{name} 的 XML 嵌套超过 {MAX_XML_DEPTH} 层",
                f"the XML of {name} is nested more than {MAX_XML_DEPTH} levels deep",
                member=name,
                limit=MAX_XML_DEPTH,
            )
        if totals.nodes > MAX_XML_NODES:
            raise too_many(
                source,
                "too_many_xml_nodes",
                "XML 元素和属性",
                "XML elements and attributes:",
                MAX_XML_NODES,
            )
        # Text of w:t (Word), t (shared strings, inline strings) and a:t (drawings).
        in_text = tag == "t" or tag.endswith(" t")
        if tag == paragraph_tag:
            totals.paragraphs += 1
            if totals.paragraphs > MAX_LINES:
                raise too_many(source, "too_many_paragraphs", "段落", "paragraphs:", MAX_LINES)
        if package is not None:
            package.note(member, tag, attrs)

    def end(_tag: str) -> None:
        nonlocal depth, in_text
        depth -= 1
        in_text = False

    def text(data: str) -> None:
        if in_text:
            totals.characters += len(data)
            if totals.characters > MAX_CHARS:
                raise too_many(
                    source, "too_many_characters", "文字", "characters of text:", MAX_CHARS
                )

    def doctype(declared: str, *_: Any) -> None:
        raise refuse(
            source,
            "xml_dtd",
            f"{name} 含有 DTD 声明（<!DOCTYPE>/<!ENTITY>），Office 文档从不含有；"
            "为防止实体膨胀而拒绝",
            f"{name} declares a DTD (<!DOCTYPE>/<!ENTITY {declared[:40]}>), which Office "
            "documents never do; refused to prevent entity expansion",
            member=name,
        )

    def declaration(_version: str, encoding: str | None, _standalone: int) -> None:
        if encoding is not None and encoding.lower() not in _XML_ENCODINGS:
            raise _not_xml(
                source,
                name,
                f"声明的编码为 {encoding[:40]}，Office 文档只用 UTF-8 或 UTF-16",
                f"it declares the encoding {encoding[:40]}; Office documents use only "
                "UTF-8 or UTF-16",
            )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    parser.XmlDeclHandler = declaration
    try:
        chunk = first
        while chunk:
            parser.Parse(chunk, False)
            chunk = stream.read(_CHUNK)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code) or "?"
        raise _not_xml(
            source,
            name,
            f"第 {exc.lineno} 行：{reason}",
            f"{reason}, line {exc.lineno}",
        ) from None
    except (LookupError, ValueError) as exc:
        # pyexpat's own refusal of an encoding it cannot read ("multi-byte encodings
        # are not supported", "unknown encoding: …"), raised from its handler.
        raise _not_xml(source, name, f"无法识别的编码（{exc}）", f"{exc}") from None


def _not_xml(source: str, name: str, zh: str, en: str) -> DocumentError:
    """A member a reader parses as XML that is not well-formed XML: refused, because
    what lxml makes of it is beyond what the scan has counted."""
    return document_error(
        source,
        "corrupt",
        f"{name} 不是格式正确的 XML，{zh}",
        f"{name} is not well-formed XML: {en}",
        member=name,
    )
