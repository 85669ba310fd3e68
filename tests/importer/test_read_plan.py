from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from planlog.importer import DocumentError, parse_text, read_plan

YEAR = 2026
PLAN = (
    "2026年工会工作计划\n一、组织建设\n1、全院建立4个女工委员会。\n"
    "时限：3月25日前\n责任人：工会女工\n"
)


def test_text_file_in_utf8(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    assert read_plan(path, YEAR).items[0].responsible == "工会女工"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_text_file_in_other_encodings(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "plan.txt"
    path.write_bytes(PLAN.encode(encoding))
    plan = read_plan(path, YEAR)
    assert plan.title == "2026年工会工作计划"
    assert plan.items[0].deadline_text == "3月25日前"


def test_markdown_file_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# 计划\n\n## 一、组织建设\n\n1. 建立女工委员会。\n", encoding="utf-8")
    assert read_plan(path, YEAR).items[0].title == "建立女工委员会"


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,  # undecodable
        b"\x00\x01\x02PK\x03\x04abc" * 100,  # decodes, but is full of control bytes
    ],
)
def test_binary_garbage_text_file_is_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "garbage.txt"
    path.write_bytes(data)
    with pytest.raises(DocumentError, match=r"garbage\.txt：(看起来是二进制文件|无法按 .* 解码)"):
        read_plan(path, YEAR)


def test_text_in_no_supported_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("一、组织".encode() + b"\x81\x30\x81abc\xff")  # neither UTF-8 nor GB18030
    with pytest.raises(
        DocumentError, match=r"latin\.txt：无法按 .* 解码文字.*（cannot decode the text"
    ):
        read_plan(path, YEAR)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(DocumentError, match=r"empty\.txt：文件是空的（the file is empty）"):
        read_plan(path, YEAR)


def test_whitespace_only_file_is_refused_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text("\n  \n\u3000\n", encoding="utf-8")
    with pytest.raises(DocumentError, match=r"blank\.txt：文档是空的（the document is empty）"):
        read_plan(path, YEAR)


@pytest.mark.parametrize(("name", "hint"), [("plan.pdf", "'.pdf'"), ("plan", "(no suffix)")])
def test_unknown_suffix_is_refused_naming_the_suffix(tmp_path: Path, name: str, hint: str) -> None:
    path = tmp_path / name
    path.write_text(PLAN, encoding="utf-8")
    with pytest.raises(DocumentError, match="unsupported file type") as caught:
        read_plan(path, YEAR)
    assert hint in caught.value.message


def test_old_word_format_suggests_saving_as_docx(tmp_path: Path) -> None:
    path = tmp_path / "plan.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DocumentError, match=r"save it as \.docx"):
        read_plan(path, YEAR)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match=r"nothere\.txt：无法读取文件（cannot read the file"):
        read_plan(tmp_path / "nothere.txt", YEAR)


def test_document_error_is_a_planlog_error_with_a_code() -> None:
    from planlog.domain.errors import PlanlogError

    with pytest.raises(PlanlogError) as caught:
        parse_text("只有一段话。", YEAR)
    assert caught.value.to_dict()["code"] == "invalid_document"


# --- fingerprint --------------------------------------------------------------------


def test_fingerprint_is_equal_for_the_same_content() -> None:
    assert parse_text(PLAN, YEAR).fingerprint == parse_text(PLAN, YEAR).fingerprint
    assert len(parse_text(PLAN, YEAR).fingerprint) == 64


def test_fingerprint_ignores_layout_line_endings_and_character_width() -> None:
    reflowed = "\r\n\r\n" + PLAN.replace("\n", "\r\n\r\n").replace("：", ":").replace("4", "４")
    assert parse_text(reflowed, YEAR).fingerprint == parse_text(PLAN, YEAR).fingerprint


def test_fingerprint_does_not_depend_on_the_plan_year() -> None:
    assert parse_text(PLAN, 2026).fingerprint == parse_text(PLAN, 2027).fingerprint


def test_fingerprint_changes_when_the_content_changes() -> None:
    changed = PLAN.replace("3月25日前", "3月31日前")
    assert parse_text(changed, YEAR).fingerprint != parse_text(PLAN, YEAR).fingerprint


def test_fingerprint_is_stable_across_interpreter_runs(tmp_path: Path) -> None:
    path = tmp_path / "plan.txt"
    path.write_text(PLAN, encoding="utf-8")
    code = (
        "import sys; from pathlib import Path; from planlog.importer import read_plan; "
        "print(read_plan(Path(sys.argv[1]), 2026).fingerprint)"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, str(path)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert runs == {read_plan(path, YEAR).fingerprint}


def test_fingerprint_of_same_file_read_twice(plans_dir: Path) -> None:
    path = plans_dir / "agency-union-plans-compilation.txt"
    assert read_plan(path, YEAR).fingerprint == read_plan(path, YEAR).fingerprint


def _refusals(folder: Path) -> dict[str, Path]:
    """One document for each way read_plan refuses what it cannot import."""
    cases = {
        "empty.txt": b"",
        "old.doc": b"x",
        "broken.docx": b"not a zip",
        "broken.xlsx": b"not a zip",
        "garbage.txt": bytes(range(256)) * 8,
        "essay.txt": "只是一段文字，没有任务。\n".encode(),
        "fields.yaml": b"sections:\n  - items: [{title: a, colour: red}]\n",
        "syntax.yaml": b"sections: [\n",
    }
    paths = {}
    for name, data in cases.items():
        paths[name] = folder / name
        paths[name].write_bytes(data)
    (folder / "folder.docx").mkdir()
    paths["folder.docx"] = folder / "folder.docx"
    paths["missing.txt"] = folder / "missing.txt"
    return paths


def test_every_refusal_of_a_document_is_worded_in_chinese_first_then_english(
    tmp_path: Path,
) -> None:
    """Some importer refusals were English only ("the file is empty", "not a regular
    file", "not a readable .docx document", the YAML field errors): each now names the
    document, then says the problem in Chinese, then in English in brackets."""
    for name, path in _refusals(tmp_path).items():
        with pytest.raises(DocumentError) as caught:
            read_plan(path, YEAR)
        message = caught.value.message
        assert message.startswith(f"{name}："), message
        said = message[len(name) + 1 :]
        assert "\u4e00" <= said[0] <= "\u9fff" or said[0] in "“（", message
        assert "（" in said and any("a" <= ch <= "z" for ch in said.split("（", 1)[1]), message
