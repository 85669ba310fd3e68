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
    with pytest.raises(DocumentError, match=r"odd\.docx: not a readable \.docx document"):
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
