"""Each limit of `planlog.importer.limits`, on the smallest document that crosses it,
and what the hostile shapes of each format once did (see test_hostile_documents for
whole hostile documents, their memory and the doors)."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import docx
import pytest
from openpyxl import Workbook

from planlog.importer import (
    DocumentError,
    DocumentRefused,
    limits,
    parse_text,
    parse_yaml,
    read_plan,
)

YEAR = 2026
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def refusal(path: Path) -> DocumentRefused:
    with pytest.raises(DocumentRefused) as caught:
        read_plan(path, YEAR)
    return caught.value


def docx_with_body(path: Path, inner: str) -> Path:
    """A real .docx (python-docx's own parts) whose document body is `inner`."""
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "word/document.xml":
                data = f'<w:document xmlns:w="{W}"><w:body>{inner}</w:body></w:document>'.encode()
            target.writestr(info, data)
    return path


def cell(text: str, props: str = "") -> str:
    tc_pr = f"<w:tcPr>{props}</w:tcPr>" if props else ""
    return f"<w:tc>{tc_pr}<w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:tc>"


# --- text -------------------------------------------------------------------------------


def test_a_plan_of_more_than_max_items_is_refused_naming_the_limit() -> None:
    text = "一、组织建设\n" + "".join(
        f"（{n % 99 + 1}）任务{n}。\n" for n in range(limits.MAX_ITEMS + 1)
    )
    with pytest.raises(DocumentRefused, match="more than 1,000") as caught:
        parse_text(text, YEAR)
    assert caught.value.code == "too_large"
    assert caught.value.details["problem"] == "too_many_items"
    assert caught.value.message.startswith("text：工作任务超过 1,000 个")


def test_inline_items_count_against_the_limit_as_they_are_made() -> None:
    """一是…二是… splits one line into many items: counted before they pile up."""
    pieces = "".join(f"{'一二三四五六七八九'[n % 9]}是做事，" for n in range(9))
    text = "一、组织建设\n" + f"{pieces}\n" * 200  # 1,800 items from 200 lines
    with pytest.raises(DocumentRefused, match="task items"):
        parse_text(text, YEAR)


def test_a_text_of_more_than_max_lines_is_refused() -> None:
    with pytest.raises(DocumentRefused, match="more than 20,000"):
        parse_text("一、组织建设\n" + "做事。\n" * limits.MAX_LINES, YEAR)


def test_a_text_of_more_than_max_chars_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("一、组织建设\n1、" + "做" * limits.MAX_CHARS, encoding="utf-8")
    assert refusal(path).details["problem"] == "too_many_characters"


def test_a_file_over_the_upload_limit_is_refused_by_every_door(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b" " * (limits.MAX_DOCUMENT_BYTES + 1))
    refused = refusal(path)
    assert refused.code == "too_large" and "5 MB" in refused.message


def test_a_directory_named_like_a_document_is_not_read_as_a_package(tmp_path: Path) -> None:
    """python-docx reads a directory as an unpacked package; it is not a file."""
    folder = tmp_path / "plan.docx"
    folder.mkdir()
    with pytest.raises(DocumentError, match="not a regular file"):
        read_plan(folder, YEAR)


# --- YAML -------------------------------------------------------------------------------


def test_a_fair_yaml_alias_is_allowed() -> None:
    plan = parse_yaml(
        "sections:\n  - title: 组织建设\n    responsible: &who 工会女工\n"
        "    items:\n      - {title: 建会, responsible: *who}\n      - {title: 发展会员}\n",
        YEAR,
    )
    assert [i.responsible for i in plan.items] == ["工会女工", "工会女工"]


def test_a_yaml_integer_of_thousands_of_digits_is_a_syntax_error_not_a_crash() -> None:
    """int() refuses strings over 4,300 digits with a ValueError, which was uncaught."""
    with pytest.raises(DocumentError, match="not valid YAML"):
        parse_yaml("title: " + "1" * 5_000 + "\nsections: []\n", YEAR)


def test_a_self_referring_yaml_anchor_is_refused_cleanly() -> None:
    with pytest.raises(DocumentError, match="not valid YAML: found unconstructable recursive"):
        parse_yaml("sections: &s [*s]\n", YEAR)


# --- .docx ------------------------------------------------------------------------------


def test_a_docx_table_cell_spanning_a_billion_columns_is_refused(tmp_path: Path) -> None:
    """python-docx's row.cells repeats a cell once per spanned column: 10**9 cells."""
    table = (
        "<w:tbl><w:tr>"
        + cell("序号")
        + cell("工作任务")
        + "</w:tr><w:tr>"
        + cell("1")
        + cell("建会", '<w:gridSpan w:val="1000000000"/>')
        + "</w:tr></w:tbl>"
    )
    refused = refusal(docx_with_body(tmp_path / "wide.docx", table))
    assert refused.details["problem"] == "table_too_wide"
    assert "wider than 64 columns" in refused.message


def test_a_long_vertical_merge_in_a_docx_table_is_read_without_recursion(
    tmp_path: Path,
) -> None:
    """python-docx follows a vertical merge up one row per recursive call: a section
    merged over 990 rows was a RecursionError (a 500)."""
    rows = ["<w:tr>" + cell("板块") + cell("工作任务") + "</w:tr>"]
    rows.append(
        "<w:tr>" + cell("组织建设", '<w:vMerge w:val="restart"/>') + cell("任务0") + "</w:tr>"
    )
    rows += [
        "<w:tr>" + cell("", "<w:vMerge/>") + cell(f"任务{n}") + "</w:tr>" for n in range(1, 990)
    ]
    plan = read_plan(
        docx_with_body(tmp_path / "merged.docx", f"<w:tbl>{''.join(rows)}</w:tbl>"), YEAR
    )
    assert len(plan.items) == 990
    assert {i.section for i in plan.items} == {"组织建设"}


def test_a_docx_value_python_docx_cannot_read_is_unreadable_not_a_crash(
    tmp_path: Path,
) -> None:
    """python-docx reads w:gridSpan with int(): "abc" was an uncaught ValueError (a 500)."""
    table = (
        "<w:tbl><w:tr>"
        + cell("序号")
        + cell("工作任务", '<w:gridSpan w:val="abc"/>')
        + "</w:tr></w:tbl>"
    )
    with pytest.raises(DocumentError, match=r"not a readable \.docx document \(ValueError"):
        read_plan(docx_with_body(tmp_path / "odd.docx", table), YEAR)


def test_a_docx_with_too_many_zip_members_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(limits.MAX_ZIP_MEMBERS + 1):
            archive.writestr(f"m{n}", b"")
    assert refusal(path).details["problem"] == "too_many_members"


def test_a_docx_unpacking_past_the_total_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_UNPACKED_BYTES", 100_000)
    path = docx_with_body(tmp_path / "big.docx", "<w:p/>" * 20_000)  # 120 KB of XML
    refused = refusal(path)
    assert refused.details["problem"] == "unpacked_too_large" and refused.code == "too_large"


def test_a_zip_with_an_unsupported_compression_method_is_unreadable_not_a_crash(
    tmp_path: Path,
) -> None:
    path = docx_with_body(tmp_path / "odd.docx", "<w:p/>")
    data = bytearray(path.read_bytes())
    # Mark every member as compressed with method 99, in local and central headers.
    for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        start = data.find(signature)
        while start != -1:
            struct.pack_into("<H", data, start + offset, 99)
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(
        DocumentError, match=r"odd\.docx：无法读取.*（not a readable \.docx document"
    ):
        read_plan(path, YEAR)


def test_malformed_xml_in_a_docx_is_named_not_a_crash(tmp_path: Path) -> None:
    path = docx_with_body(tmp_path / "bad.docx", "<w:p>")
    with pytest.raises(DocumentError, match=r"word/document\.xml is not well-formed XML"):
        read_plan(path, YEAR)


# --- .xlsx ------------------------------------------------------------------------------


def test_an_xlsx_cell_beyond_the_sheet_limit_is_refused_naming_it(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["序号", "工作任务"])
    sheet.append([1, "建会"])
    sheet.cell(row=limits.MAX_SHEET_ROWS + 1, column=1, value="远处")
    path = tmp_path / "tall.xlsx"
    workbook.save(path)
    refused = refusal(path)
    assert f"A{limits.MAX_SHEET_ROWS + 1}" in refused.message and refused.code == "too_large"


def test_an_empty_formatted_cell_far_away_does_not_matter(tmp_path: Path) -> None:
    """Only cells that hold data count: Excel writes styled empty cells far out."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["序号", "工作任务"])
    sheet.append([1, "建会"])
    sheet["XFD1048576"].number_format = "0.00"
    path = tmp_path / "styled.xlsx"
    workbook.save(path)
    assert [i.title for i in read_plan(path, YEAR).items] == ["建会"]


def test_overlapping_merged_ranges_in_an_xlsx_are_refused(tmp_path: Path) -> None:
    """Each merged range is filled cell by cell: 5,000 ranges over the whole sheet
    would be billions of steps."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for n in range(1, 201):
        sheet.append([n, f"任务{n}", "年底前"])
    sheet.insert_rows(1)
    for column, header in enumerate(["序号", "工作任务", "完成时限"], start=1):
        sheet.cell(row=1, column=column, value=header)
    path = tmp_path / "merged.xlsx"
    workbook.save(path)
    with zipfile.ZipFile(path) as source:
        members = {name: source.read(name) for name in source.namelist()}
    ranges = '<mergeCell ref="A2:C201"/>' * 5_000
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", f'</sheetData><mergeCells count="5000">{ranges}</mergeCells>'.encode()
    )
    with zipfile.ZipFile(path, "w") as target:
        for name, data in members.items():
            target.writestr(name, data)
    assert refusal(path).details["problem"] == "merged_cells_overlap"


# --- XML hidden from the scan -------------------------------------------------------------

PLAN_BODY = "".join(
    f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>"
    for line in ("一、组织建设", "1、新增基层工会800家。")
)
#: A plan, then one empty paragraph more than MAX_LINES: python-docx reads it (empty
#: paragraphs are no lines to the reader), so only the scan can refuse it.
HIDDEN_ROOT = (
    f'<w:document xmlns:w="{W}"><w:body>{PLAN_BODY}'
    + "<w:p/>" * (limits.MAX_LINES + 1)
    + "</w:body></w:document>"
)
PAD = " " * 70_000  # past the first 64 KB chunk


def repackaged(path: Path, source: bytes, change: dict[str, bytes | None]) -> Path:
    """The package `source` with members replaced, added, or (None) left out."""
    with zipfile.ZipFile(io.BytesIO(source)) as original:
        members = {name: original.read(name) for name in original.namelist()}
    for name, data in change.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


def new_docx() -> bytes:
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    return buffer.getvalue()


def member(source: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        return archive.read(name)


def docx_renamed(path: Path, new_name: str, document: bytes) -> Path:
    """A .docx whose main document part is `new_name`, as the relationships and content
    types say: python-docx finds it wherever they point."""
    source = new_docx()
    rels = member(source, "_rels/.rels").replace(b"word/document.xml", new_name.encode())
    types = member(source, "[Content_Types].xml").replace(
        b"/word/document.xml", f"/{new_name}".encode()
    )
    old_rels, new_rels = "word/_rels/document.xml.rels", f"word/_rels/{new_name[5:]}.rels"
    return repackaged(
        path,
        source,
        {
            "word/document.xml": None,
            new_name: document,
            "_rels/.rels": rels,
            "[Content_Types].xml": types,
            old_rels: None,
            new_rels: member(source, old_rels),
        },
    )


def hidden_docx(path: Path, how: str) -> Path:
    root = HIDDEN_ROOT
    if how == "white space":
        return repackaged(path, new_docx(), {"word/document.xml": (PAD + root).encode()})
    if how == "a UTF-8 BOM and white space":
        data = b"\xef\xbb\xbf" + (PAD + root).encode()
        return repackaged(path, new_docx(), {"word/document.xml": data})
    if how == "UTF-16 with a BOM and white space":
        data = ("\ufeff" + PAD + root).encode("utf-16-le")
        return repackaged(path, new_docx(), {"word/document.xml": data})
    if how == "UTF-16 without a BOM":
        # lxml knows UTF-16 without a BOM only by its declaration's first bytes.
        data = f'<?xml version="1.0" encoding="UTF-16"?>{root}'.encode("utf-16-le")
        return repackaged(path, new_docx(), {"word/document.xml": data})
    if how == "a long comment and a processing instruction":
        data = f"<!--{PAD}--><?mso-application progid='Word.Document'?>{root}".encode()
        return repackaged(path, new_docx(), {"word/document.xml": data})
    if how == "an upper-case name":
        return docx_renamed(path, "word/DOCUMENT.XML", (PAD + root).encode())
    if how == "a name that is not .xml":
        return docx_renamed(path, "word/document.bin", (PAD + root).encode())
    raise AssertionError(how)


HIDING = [
    "white space",
    "a UTF-8 BOM and white space",
    "UTF-16 with a BOM and white space",
    "UTF-16 without a BOM",
    "a long comment and a processing instruction",
    "an upper-case name",
    "a name that is not .xml",
]


@pytest.mark.parametrize("how", HIDING)
def test_docx_xml_hidden_behind_padding_encoding_or_name_is_still_scanned(
    how: str, tmp_path: Path
) -> None:
    """The scan once skipped a member whose first 64 KB did not start like XML: 64 KB
    of white space hid a million paragraphs from it, though lxml reads them."""
    refused = refusal(hidden_docx(tmp_path / "hidden.docx", how))
    assert refused.details["problem"] == "too_many_paragraphs", refused.message
    assert "段落超过 20,000 个" in refused.message


def test_the_hiding_documents_are_plans_python_docx_reads(tmp_path: Path) -> None:
    """What the test above hides is read by python-docx as a plan: without the scan
    each of them would be imported, so the refusal is the scan's."""
    for how in HIDING:
        path = hidden_docx(tmp_path / f"{HIDING.index(how)}.docx", how)
        document = docx.Document(str(path))
        assert len(document.paragraphs) == limits.MAX_LINES + 3, how


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["序号", "工作任务"])
    sheet.append([1, "建会"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "target",
    ["/xl/worksheets/sheet1.bin", "worksheets/sheet1.bin", "../xl/./worksheets/sheet1.bin"],
)
def test_a_worksheet_not_named_xml_with_a_binary_content_type_is_still_scanned(
    target: str, tmp_path: Path
) -> None:
    """openpyxl reads a worksheet wherever the workbook's relationship points, whatever
    [Content_Types].xml says it is: here an "OLE object" at sheet1.bin, padded, with
    the plan and 200,001 empty cells (400,002 nodes) that the sheet reader skips."""
    source = xlsx_bytes()
    sheet = member(source, "xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace(
        "</sheetData>", '<row r="3">' + '<c r="A3"/>' * 200_001 + "</row></sheetData>"
    )
    types = member(source, "[Content_Types].xml").replace(
        b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        b'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>',
        b'<Default Extension="bin" ContentType="application/vnd.openxmlformats-'
        b'officedocument.oleObject"/>',
    )
    rels = member(source, "xl/_rels/workbook.xml.rels").replace(
        b"/xl/worksheets/sheet1.xml", target.encode()
    )
    assert b"sheet1.bin" in rels and b"oleObject" in types
    path = repackaged(
        tmp_path / "hidden.xlsx",
        source,
        {
            "xl/worksheets/sheet1.xml": None,
            "xl/worksheets/sheet1.bin": (PAD + sheet).encode(),
            "[Content_Types].xml": types,
            "xl/_rels/workbook.xml.rels": rels,
        },
    )
    refused = refusal(path)
    assert refused.details["problem"] == "too_many_xml_nodes", refused.message


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ((PAD + "<w:document").encode(), "unclosed token"),
        (PAD.encode(), "no element found"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "not well-formed"),
        (HIDDEN_ROOT.encode("utf-32"), "not well-formed"),
        (f'<?xml version="1.0" encoding="GBK"?>{HIDDEN_ROOT}'.encode(), "GBK"),
        (f'<?xml version="1.0" encoding="hz"?>{HIDDEN_ROOT}'.encode(), "hz"),
    ],
    ids=["truncated", "only white space", "binary", "UTF-32", "GBK", "HZ"],
)
def test_a_member_that_is_not_well_formed_xml_is_refused_not_skipped(
    document: bytes, says: str, tmp_path: Path
) -> None:
    """A member the readers parse must be well-formed UTF-8 or UTF-16 XML: what lxml
    makes of anything else (it reads UTF-32 and GBK, and HZ can hide markup from a
    parser that reads bytes) is beyond what the scan counted."""
    path = repackaged(tmp_path / "bad.docx", new_docx(), {"word/document.xml": document})
    with pytest.raises(DocumentError) as caught:
        read_plan(path, YEAR)
    error = caught.value
    assert error.details["problem"] == "corrupt" and error.details["member"] == "word/document.xml"
    assert "word/document.xml 不是格式正确的 XML" in error.message
    assert "word/document.xml is not well-formed XML" in error.message and says in error.message


def test_binary_parts_are_not_read_as_xml_whatever_their_first_bytes(tmp_path: Path) -> None:
    """Images and an embedded font are never parsed: their first bytes may be
    anything (an obfuscated font's are random), and they must not make a plan
    unreadable. Nor is an SVG picture, though it is XML: one drawn in Illustrator
    declares a DTD, and was refused as an entity expansion."""
    source = new_docx()
    types = member(source, "[Content_Types].xml").replace(
        b"</Types>",
        b'<Default Extension="png" ContentType="image/png"/><Default Extension="svg" '
        b'ContentType="image/svg+xml"/><Default Extension="odttf" '
        b'ContentType="application/vnd.openxmlformats-officedocument.obfuscatedFont"/></Types>',
    )
    font_rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rIdF" Target="fonts/font1.odttf" Type="http://schemas.openxml'
        b'formats.org/officeDocument/2006/relationships/font"/></Relationships>'
    )
    doc_rels = member(source, "word/_rels/document.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rIdI" Target="media/image1.png" Type="http://schemas.openxml'
        b'formats.org/officeDocument/2006/relationships/image"/><Relationship Id="rIdS" '
        b'Target="media/image2.svg" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/image"/></Relationships>',
    )
    svg = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [\n'
        b'<!ENTITY ns_svg "http://www.w3.org/2000/svg">\n]>\n'
        b'<svg xmlns="&ns_svg;" width="10" height="10"><rect width="10" height="10"/></svg>'
    )
    path = repackaged(
        tmp_path / "media.docx",
        source,
        {
            "word/document.xml": f'<w:document xmlns:w="{W}"><w:body>{PLAN_BODY}'
            "</w:body></w:document>".encode(),
            "[Content_Types].xml": types,
            "word/_rels/document.xml.rels": doc_rels,
            "word/_rels/fontTable.xml.rels": font_rels,
            "word/media/image1.png": b"<not an image, not XML" + bytes(200),
            "word/fonts/font1.odttf": b" \x01\x00\x00" + bytes(200),
            "word/media/image2.svg": svg,
        },
    )
    assert [item.title for item in read_plan(path, YEAR).items] == ["新增基层工会800家"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("plan\x07.txt", "U+0007"),
        ("plan\t.txt", "U+0009"),
        ("plan\x85.txt", "U+0085"),  # C1: NEL
        ("plan\x9b.txt", "U+009B"),  # C1: CSI, which starts terminal escapes
        ("plan\udc80.txt", "U+DC80"),  # a lone surrogate: an undecodable byte
        ("plan\ufffe.txt", "U+FFFE"),  # a noncharacter
    ],
    # Test ids are written to pytest's cache as UTF-8: a lone surrogate cannot be.
    ids=["BEL", "TAB", "NEL", "CSI", "lone-surrogate", "noncharacter"],
)
def test_a_file_name_is_refused_by_the_domains_rule_for_stored_text(
    name: str, code: str, tmp_path: Path
) -> None:
    """The name was checked for C0 controls and DEL only: C1 controls and lone
    surrogates, which no event may hold, passed into the import's events."""
    with pytest.raises(DocumentRefused) as caught:
        read_plan(tmp_path / name, YEAR)
    assert caught.value.details["problem"] == "bad_name"
    assert f"文件名含有不允许的控制字符 {code}" in caught.value.message
    assert f"control character {code}" in caught.value.message


def test_a_docx_zipped_again_on_a_mac_is_read_despite_its_appledouble_files(
    tmp_path: Path,
) -> None:
    """macOS's zip adds `__MACOSX/._*.xml` resource forks: no reader opens them."""
    path = docx_with_body(
        tmp_path / "plan.docx",
        "<w:p><w:r><w:t>一、组织建设</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>1. 发展会员。时限：6月底前</w:t></w:r></w:p>",
    )
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(
            "__MACOSX/word/._document.xml", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X"
        )
    plan = read_plan(path, YEAR)
    assert [item.title for item in plan.items] == ["发展会员"]
