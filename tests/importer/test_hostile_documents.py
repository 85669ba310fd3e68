"""Hostile documents: each is built here, in the test, never committed as a binary.

Each is refused with a message that names the problem, in bounded memory, and
nothing is recorded, whichever door it comes through:

- memory: the import runs in a child process whose peak resident set (which counts
  lxml's and expat's C allocations, not only Python's) must stay under 300 MB; the
  child also runs under a 2 GB address-space limit, so that a regression fails the
  test instead of taking the machine's memory;
- the CLI (`planlog import`) exits 1 with the message and records no event;
- the API answers 4xx (413 for too big, 422 for a refused document), never 500, and
  records no event; the web import page shows the message.
"""

from __future__ import annotations

import io
import json
import random
import re
import struct
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from tests.signin import sign_in
from typer.testing import CliRunner

from planlog.auth.tokens import create_token
from planlog.cli import app as cli_app
from planlog.config import Settings
from planlog.http.app import create_app
from planlog.importer import DocumentError, read_plan
from planlog.importer.limits import MAX_DOCUMENT_BYTES, MAX_YAML_NODES
from planlog.service.app import PlanlogApp

YEAR = 2026
ORG = "某医院工会"
MIB = 1024 * 1024
PEAK_LIMIT_MB = 300
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# --- building packages by hand ------------------------------------------------------


@dataclass(frozen=True)
class Zeros:
    """A member of `size` zero bytes, deflated without ever being held in memory."""

    size: int


_ZERO_MIB = bytes(MIB)


def _deflate_zeros(size: int) -> tuple[bytes, int]:
    """Raw deflate data and CRC-32 of `size` zero bytes (size a multiple of 1 MiB).

    After a full flush a deflate stream starts afresh, so one compressed MiB of zeros
    repeated is a valid stream of many: a 1 GiB member without compressing a GiB.
    """
    assert size % MIB == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(_ZERO_MIB) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // MIB):
        crc = zlib.crc32(_ZERO_MIB, crc)
    return segment * (size // MIB) + compressor.flush(), crc


def write_zip(path: Path, members: dict[str, bytes | Zeros]) -> Path:
    """A zip written by hand (zipfile cannot store data deflated elsewhere)."""
    zeros: dict[int, tuple[bytes, int]] = {}
    out = io.BytesIO()
    central = io.BytesIO()
    for name, content in members.items():
        if isinstance(content, Zeros):
            if content.size not in zeros:
                zeros[content.size] = _deflate_zeros(content.size)
            data, crc = zeros[content.size]
            size = content.size
        else:
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = compressor.compress(content) + compressor.flush()
            crc, size = zlib.crc32(content), len(content)
        raw = name.encode()
        offset = out.tell()
        # Local header, then central entry: signature, versions, flags, method 8
        # (deflate), time, date, CRC, compressed and unpacked sizes, name and extra
        # lengths (central: comment, disk, attributes, offset of the local header).
        sizes = (crc, len(data), size, len(raw), 0)
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, *sizes))
        out.write(raw + data)
        central.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, *sizes, 0, 0, 0, 0, offset
            )
        )
        central.write(raw)
    start = out.tell()
    directory = central.getvalue()
    out.write(directory)
    count = len(members)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), start, 0))
    path.write_bytes(out.getvalue())
    return path


PLAN_LINES = ["2026年工会工作计划", "一、组织建设", "1、新增基层工会800家。", "时限：年底前"]


def docx_members() -> dict[str, bytes | Zeros]:
    """The members of a small, real .docx plan written by python-docx."""
    document = docx.Document()
    for line in PLAN_LINES:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def xlsx_members(sheet: Callable[[Any], None] | None = None) -> dict[str, bytes | Zeros]:
    """The members of a small, real .xlsx plan written by openpyxl."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.append(["序号", "工作任务", "完成时限"])
    ws.append([1, "新增基层工会800家", "年底前"])
    if sheet is not None:
        sheet(ws)
    buffer = io.BytesIO()
    workbook.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def body(inner: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{W}"><w:body>{inner}</w:body></w:document>'
    ).encode()


# --- the hostile documents ------------------------------------------------------------


def xlsx_far_cell(folder: Path) -> Path:
    """5 KB: a plan sheet and one more cell, at the last cell a sheet can have."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.append(["序号", "工作任务", "完成时限"])
    ws.append([1, "新增基层工会800家", "年底前"])
    ws["XFD1048576"] = "远处"
    path = folder / "far.xlsx"
    workbook.save(path)
    return path


def docx_huge_part(folder: Path) -> Path:
    """About 1 MB: a plan whose document refers to a 1 GiB image part."""
    members = docx_members()
    rels = members["word/_rels/document.xml.rels"]
    assert isinstance(rels, bytes)
    members["word/_rels/document.xml.rels"] = rels.replace(
        b"</Relationships>",
        b'<Relationship Id="rIdHuge" Target="media/image1.png" Type="http://schemas.'
        b'openxmlformats.org/officeDocument/2006/relationships/image"/></Relationships>',
    )
    types = members["[Content_Types].xml"]
    assert isinstance(types, bytes)
    members["[Content_Types].xml"] = types.replace(
        b"</Types>", b'<Default Extension="png" ContentType="image/png"/></Types>'
    )
    members["word/media/image1.png"] = Zeros(1024 * MIB)
    return write_zip(folder / "huge-part.docx", members)


def docx_400k_paragraphs(folder: Path) -> Path:
    """A plan of 400,000 numbered paragraphs (each would be an item)."""
    members = docx_members()
    paragraphs = "".join(f"<w:p><w:r><w:t>{n}、任务</w:t></w:r></w:p>" for n in range(1, 400_001))
    members["word/document.xml"] = body(paragraphs)
    return write_zip(folder / "400k.docx", members)


def billion_laughs(root: str) -> bytes:
    """Nine levels of ten: one reference to &lol9; is 10**9 'lol's."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n' + "\n".join(entities) + "\n]>\n" + root
    ).encode()


def docx_billion_laughs(folder: Path) -> Path:
    members = docx_members()
    members["word/document.xml"] = billion_laughs(
        f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>1、&lol9;</w:t></w:r></w:p>'
        "</w:body></w:document>"
    )
    return write_zip(folder / "laughs.docx", members)


def xlsx_billion_laughs(folder: Path) -> Path:
    members = xlsx_members()
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    members["xl/sharedStrings.xml"] = billion_laughs(
        f'<sst xmlns="{ns}" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    )
    return write_zip(folder / "laughs.xlsx", members)


def docx_deep_xml(folder: Path) -> Path:
    """A document nested 10,000 elements deep (lxml gives up at 256 with an error)."""
    members = docx_members()
    depth = 10_000
    members["word/document.xml"] = body("<w:sdt>" * depth + "</w:sdt>" * depth)
    return write_zip(folder / "deep.docx", members)


def xlsx_zip_bomb(folder: Path) -> Path:
    """About 1.3 MB: a workbook with twenty members of 64 MiB of zeros each."""
    members = xlsx_members()
    for n in range(20):
        members[f"xl/media/image{n}.png"] = Zeros(64 * MIB)
    return write_zip(folder / "bomb.xlsx", members)


def write_zip_streamed(
    path: Path, members: dict[str, bytes | Zeros], name: str, chunks: Iterable[bytes]
) -> Path:
    """A package whose member `name` is written from `chunks` as they come, so that
    tens of megabytes of XML are never held in memory (nor in this file)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            if member != name:
                assert isinstance(content, bytes)
                archive.writestr(member, content)
        with archive.open(name, "w") as stream:
            for chunk in chunks:
                stream.write(chunk)
    return path


PADDING = b" " * 70_000  # more than the 64 KB the scan once looked at before giving up


def filler(element: bytes, count: int) -> Iterator[bytes]:
    """`count` copies of `element`, each followed by a little random white space: enough
    entropy that the member compresses like real XML (well under the 500:1 a zip bomb
    is named by), so that only the scan of the XML can refuse it."""
    rnd = random.Random(16)
    gaps = [b"", b" ", b"\n", b"\t", b"  ", b"\r\n"]
    for _ in range(count // 10_000):
        yield b"".join(element + rnd.choice(gaps) for _ in range(10_000))


def docx_padded(folder: Path) -> Path:
    """3 MB: the reviewer's document. word/document.xml is 70 KB of spaces, then a
    plan and 1.2 million empty paragraphs. White space before the root is well-formed,
    so lxml reads it; the scan once took it for a binary part and let it through
    (accepted after 35 s at 725 MB)."""
    members = docx_members()
    plan = "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in PLAN_LINES)
    head = f'<w:document xmlns:w="{W}"><w:body>{plan}'.encode()
    chunks = [PADDING, head, *filler(b"<w:p/>", 1_200_000), b"</w:body></w:document>"]
    return write_zip_streamed(folder / "padded.docx", members, "word/document.xml", chunks)


SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def xlsx_padded_strings(folder: Path) -> Path:
    """A plan sheet whose cells are shared strings, in an xl/sharedStrings.xml of 70 KB
    of spaces, the plan's five strings and 1.2 million more (openpyxl reads them all,
    into objects, before the first sheet)."""
    members = xlsx_members()
    types, rels = members["[Content_Types].xml"], members["xl/_rels/workbook.xml.rels"]
    assert isinstance(types, bytes) and isinstance(rels, bytes)
    members["[Content_Types].xml"] = types.replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    members["xl/_rels/workbook.xml.rels"] = rels.replace(
        b"</Relationships>",
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rIdS"/></Relationships>',
    )
    members["xl/worksheets/sheet1.xml"] = (
        f'<worksheet xmlns="{SML}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
        '<c r="C1" t="s"><v>2</v></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>3</v></c>'
        '<c r="C2" t="s"><v>4</v></c></row></sheetData></worksheet>'
    ).encode()
    strings = "".join(f"<si><t>{s}</t></si>" for s in ["序号", "工作任务", "完成时限"])
    strings += "<si><t>新增基层工会800家</t></si><si><t>年底前</t></si>"
    head = f'<sst xmlns="{SML}">{strings}'.encode()
    chunks = [PADDING, head, *filler(b"<si><t>x</t></si>", 1_200_000), b"</sst>"]
    return write_zip_streamed(folder / "padded.xlsx", members, "xl/sharedStrings.xml", chunks)


def yaml_alias_bomb(folder: Path) -> Path:
    """22 KB: a section of 2,000 items, and 2,000 aliases of it: 4 million items."""
    items = ", ".join("{title: 建会}" for _ in range(2_000))
    lines = ["title: 计划", "sections:", f"  - &s {{title: 组织建设, items: [{items}]}}"]
    lines += ["  - *s"] * 2_000
    path = folder / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def yaml_deep(folder: Path) -> Path:
    path = folder / "deep.yaml"
    path.write_text("sections: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    return path


LONG_NAME = "计" * 300 + ".txt"


def long_name(folder: Path) -> Path:
    """A plan whose name is longer than any file system allows (it cannot exist on
    disk: read_plan must refuse it by its name, before touching the file)."""
    return folder / LONG_NAME


@dataclass(frozen=True)
class Hostile:
    build: Callable[[Path], Path]
    problem: str  # the `problem` detail of the refusal
    says: str  # a fragment of the message naming the problem
    status: int  # what the API answers


HOSTILE: dict[str, Hostile] = {
    "xlsx_far_cell": Hostile(xlsx_far_cell, "sheet_too_large", "XFD1048576", 413),
    "docx_huge_part": Hostile(docx_huge_part, "zip_bomb", "word/media/image1.png", 413),
    "docx_400k_paragraphs": Hostile(
        docx_400k_paragraphs, "too_many_paragraphs", "more than 20,000", 413
    ),
    "docx_billion_laughs": Hostile(docx_billion_laughs, "xml_dtd", "entity expansion", 422),
    "xlsx_billion_laughs": Hostile(xlsx_billion_laughs, "xml_dtd", "entity expansion", 422),
    "docx_deep_xml": Hostile(docx_deep_xml, "xml_too_deep", "nested more than 128", 422),
    "xlsx_zip_bomb": Hostile(xlsx_zip_bomb, "zip_bomb", "zip bomb", 413),
    "docx_padded": Hostile(docx_padded, "too_many_paragraphs", "paragraphs: more than 20,000", 413),
    "xlsx_padded_strings": Hostile(
        xlsx_padded_strings, "too_many_xml_nodes", "attributes: more than 400,000", 413
    ),
    "yaml_alias_bomb": Hostile(yaml_alias_bomb, "yaml_too_large", "alias *s", 413),
    "yaml_deep": Hostile(yaml_deep, "yaml_too_deep", "nested more than 16", 422),
    "long_name": Hostile(long_name, "name_too_long", "304 characters long", 422),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Each hostile document, built once for the module."""
    folder = tmp_path_factory.mktemp("hostile")
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = HOSTILE[name].build(folder)
        return cache[name]

    return get


def upload_of(path: Path) -> tuple[str, bytes]:
    """What an uploader sends: the name, and the bytes (an impossible file has a plan)."""
    if path.name == LONG_NAME:
        return path.name, "一、组织建设\n1、建会。\n".encode()
    return path.name, path.read_bytes()


# --- memory: the import in a child process -------------------------------------------

_CHILD = r"""
import json, resource, sys
from pathlib import Path
limit = 2 * 1024 ** 3  # a regression fails here instead of eating the machine's memory
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def peak_kb():
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the forked parent,
    # so it would report pytest's own size; VmHWM belongs to this process image alone.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status")


from planlog.importer import DocumentError, read_plan
baseline = peak_kb()
outcome = {}
if sys.argv[1] != "-":
    try:
        plan = read_plan(Path(sys.argv[1]), 2026)
        outcome = {"items": len(plan.items)}
    except DocumentError as error:
        outcome = {"error": error.to_dict()}
outcome["baseline_kb"] = baseline
outcome["peak_kb"] = peak_kb()
print(json.dumps(outcome, ensure_ascii=False))
"""


def import_in_child(path: Path | str) -> dict[str, Any]:
    """Run read_plan on `path` in a fresh interpreter; its outcome and peak RSS."""
    src = Path(__file__).resolve().parents[2] / "src"
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        timeout=240,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome: dict[str, Any] = json.loads(done.stdout)
    return outcome


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_document_is_refused_in_bounded_memory(
    name: str, built: Callable[[str], Path]
) -> None:
    case = HOSTILE[name]
    path = built(name)
    if path.name != LONG_NAME:
        assert path.stat().st_size <= MAX_DOCUMENT_BYTES  # the upload limit admits it
    outcome = import_in_child(path)
    peak_mb = outcome["peak_kb"] / 1024
    baseline_mb = outcome["baseline_kb"] / 1024
    print(f"\n{name}: peak {peak_mb:.0f} MB (interpreter with planlog: {baseline_mb:.0f} MB)")
    assert "error" in outcome, f"{name} was imported: {outcome}"
    error = outcome["error"]
    assert error["problem"] == case.problem, error
    assert case.says in error["message"], error["message"]
    assert error["code"] == ("too_large" if case.status == 413 else "document_refused")
    assert peak_mb < PEAK_LIMIT_MB, f"{name}: peak {peak_mb:.0f} MB"


# --- the largest documents the limits let through --------------------------------------

_WORDS = "推进基层工会规范化建设工作落实组织职工文体活动开展劳动竞赛维护权益帮扶困难女职工慰问"


def _words(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice(_WORDS) for _ in range(n))


def docx_at_limits(folder: Path) -> Path:
    """4,700 paragraphs formatted as Word formats them (four runs of eight characters,
    each with its own fonts, size and colour): just under MAX_XML_NODES."""
    rnd = random.Random(16)
    rpr = (
        '<w:rPr><w:rFonts w:ascii="宋体" w:hAnsi="宋体" w:eastAsia="宋体"/><w:b/>'
        '<w:color w:val="FF0000"/><w:sz w:val="28"/><w:szCs w:val="28"/>'
        '<w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr>'
    )
    paragraphs = []
    for n in range(4_700):
        text = _words(rnd, 25)
        if n % 20 == 0:
            text = f"{n // 20 + 1}、{text}"
        runs = "".join(
            f"<w:r>{rpr}<w:t>{text[i : i + 8]}</w:t></w:r>" for i in range(0, len(text), 8)
        )
        paragraphs.append(
            f'<w:p><w:pPr><w:spacing w:line="360"/><w:ind w:firstLine="420"/></w:pPr>{runs}</w:p>'
        )
    members = docx_members()
    members["word/document.xml"] = body("".join(paragraphs))
    return write_zip(folder / "at-limits.docx", members)


def xlsx_style_flood(folder: Path) -> Path:
    """A plan sheet with 78,000 cell formats: openpyxl builds an object for each, the
    most memory per XML node of anything the readers parse."""
    members = xlsx_members()
    styles = members["xl/styles.xml"]
    assert isinstance(styles, bytes)
    formats = '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>' * 78_000
    members["xl/styles.xml"] = re.sub(
        rb'<cellXfs count="\d+">.*?</cellXfs>',
        f'<cellXfs count="78000">{formats}</cellXfs>'.encode(),
        styles,
        flags=re.S,
    )
    return write_zip(folder / "styles.xlsx", members)


def text_at_limits(folder: Path) -> Path:
    """19,000 lines, 494,000 characters, 855 items."""
    rnd = random.Random(16)
    lines = []
    for n in range(19_000):
        if n % 200 == 0:
            lines.append(f"{'一二三四五六七八九'[n // 200 % 9]}、板块{n}")
        elif n % 20 == 0:
            lines.append(f"{n // 20 % 999 + 1}、{_words(rnd, 22)}。")
        else:
            lines.append(f"{_words(rnd, 24)}。")
    path = folder / "at-limits.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def yaml_at_limits(folder: Path) -> Path:
    """1,000 items in 50 sections, each with 30 targets: 41,000 nodes, near
    MAX_YAML_NODES."""
    targets = ", ".join(["80%以上"] * 30)
    item = (
        "{title: 建会, measures: 新建基层工会, deadline: 年底前, responsible: 组织部, "
        f"targets: [{targets}]}}"
    )
    items = ", ".join([item] * 20)
    sections = "".join(f"  - {{title: 板块{n}, items: [{items}]}}\n" for n in range(50))
    path = folder / "at-limits.yaml"
    path.write_text(f"title: 计划\nsections:\n{sections}", encoding="utf-8")
    return path


AT_LIMITS = {
    "docx_at_limits": docx_at_limits,
    "xlsx_style_flood": xlsx_style_flood,
    "text_at_limits": text_at_limits,
    "yaml_at_limits": yaml_at_limits,
}


@pytest.mark.parametrize("name", list(AT_LIMITS))
def test_the_largest_documents_the_limits_admit_stay_in_bounded_memory(
    name: str, tmp_path: Path
) -> None:
    """The memory bound holds for what is read, not only for what is refused."""
    path = AT_LIMITS[name](tmp_path)
    assert path.stat().st_size <= MAX_DOCUMENT_BYTES
    outcome = import_in_child(path)
    print(f"\n{name}: peak {outcome['peak_kb'] / 1024:.0f} MB, outcome {outcome}"[:300])
    assert outcome.get("items") or outcome["error"]["code"] == "too_large", outcome
    assert outcome["peak_kb"] / 1024 < PEAK_LIMIT_MB


def test_a_lying_dimension_header_costs_nothing(tmp_path: Path) -> None:
    """A sheet that declares A1:XFD1048576 but holds a small plan is read from its
    data: imported as it is, in bounded memory."""
    members = xlsx_members()
    sheet = members["xl/worksheets/sheet1.xml"]
    assert isinstance(sheet, bytes) and b'<dimension ref="A1:C2"/>' in sheet
    members["xl/worksheets/sheet1.xml"] = sheet.replace(
        b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:XFD1048576"/>'
    )
    path = write_zip(tmp_path / "lying.xlsx", members)
    outcome = import_in_child(path)
    print(f"\nxlsx_lying_dimension: peak {outcome['peak_kb'] / 1024:.0f} MB")
    assert outcome.get("items") == 1, outcome
    assert outcome["peak_kb"] / 1024 < PEAK_LIMIT_MB


def test_the_interpreter_baseline_is_small() -> None:
    """What the child costs before any document: the margin the limit leaves."""
    outcome = import_in_child("-")
    print(f"\nbaseline: {outcome['peak_kb'] / 1024:.0f} MB")
    assert outcome["peak_kb"] / 1024 < 150


# --- the doors: CLI, API, web ---------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_document_is_refused_by_the_cli_and_nothing_is_recorded(
    name: str, built: Callable[[str], Path], store_url: str
) -> None:
    path = built(name)
    result = CliRunner().invoke(
        cli_app,
        [
            "--db",
            store_url,
            "--actor",
            "王主席",
            "import",
            str(path),
            "--org",
            ORG,
            "--year",
            str(YEAR),
            "--json",
        ],
    )
    assert result.exit_code == 1, result.output
    error = json.loads(result.stdout)["error"]
    assert error["problem"] == HOSTILE[name].problem and HOSTILE[name].says in error["message"]
    app = PlanlogApp(store_url)
    try:
        assert app.list_plans() == []
        assert not app.recorder.max_notification_id()
    finally:
        app.close()


@dataclass
class Doors:
    client: TestClient
    token: str
    services: Any

    def head(self) -> int:
        return int(self.services.app.recorder.max_notification_id() or 0)


@pytest.fixture
def doors(store_url: str) -> Iterator[Doors]:
    app = create_app(Settings(database_url=store_url), background=False)
    with TestClient(app) as client:
        svc = app.state.services
        svc.app.register_organisation(ORG, actor="admin", chair="王主席")
        token = create_token(svc.engine, ORG, "chair", "王主席")[1]
        yield Doors(client, token, svc)


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_upload_is_a_4xx_problem_and_nothing_is_recorded(
    name: str, built: Callable[[str], Path], doors: Doors
) -> None:
    filename, data = upload_of(built(name))
    before = doors.head()
    for endpoint in ("/api/v1/imports/preview", "/api/v1/imports"):
        answer = doors.client.post(
            endpoint,
            headers={"Authorization": f"Bearer {doors.token}"},
            files={"file": (filename, data, "application/octet-stream")},
            data={"org": ORG, "year": str(YEAR)},
        )
        assert answer.status_code == HOSTILE[name].status, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        problem = answer.json()
        assert problem["problem"] == HOSTILE[name].problem
        assert HOSTILE[name].says in problem["detail"]
    assert doors.head() == before
    assert doors.services.app.list_plans() == []


def test_hostile_upload_on_the_web_page_shows_the_message(
    built: Callable[[str], Path], doors: Doors
) -> None:
    client = doors.client
    assert sign_in(client, doors.token).status_code == 303
    page = client.get("/import").text
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    filename, data = upload_of(built("yaml_alias_bomb"))
    answer = client.post(
        "/import/preview",
        data={"csrf": csrf, "org": ORG, "year": str(YEAR)},
        files={"file": (filename, data, "application/x-yaml")},
    )
    assert answer.status_code == 422
    assert f"YAML 展开后超过 {MAX_YAML_NODES:,} 个节点" in answer.text and "alias *s" in answer.text
    assert doors.services.app.list_plans() == []


# --- what the hostile documents were once able to do, each on its own ------------------


def test_a_long_chinese_file_name_that_the_file_system_refuses_still_uploads(
    doors: Doors,
) -> None:
    """An upload is stored under a name of planlog's own: 100 Chinese characters are
    300 bytes, over the 255 bytes a file name may have, and once made a 500."""
    name = "关于印发工会工作要点的通知" * 7 + ".txt"
    assert len(name.encode()) > 255 and len(name) < 255
    answer = doors.client.post(
        "/api/v1/imports/preview",
        headers={"Authorization": f"Bearer {doors.token}"},
        files={"file": (name, "一、组织建设\n1、建会。\n".encode(), "text/plain")},
        data={"org": ORG, "year": str(YEAR)},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["items"][0]["title"] == "建会"


def test_a_file_name_with_a_control_character_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="control character"):
        read_plan(tmp_path / "plan\x07.txt", YEAR)


def test_an_upload_over_the_limit_is_413_in_both_languages(doors: Doors) -> None:
    answer = doors.client.post(
        "/api/v1/imports/preview",
        headers={"Authorization": f"Bearer {doors.token}"},
        files={"file": ("大.txt", b" " * (MAX_DOCUMENT_BYTES + 1), "text/plain")},
        data={"org": ORG, "year": str(YEAR)},
    )
    assert answer.status_code == 413
    assert answer.json()["detail"] == "大.txt：文件超过 5 MB 的上限（大.txt is larger than 5 MB）"
