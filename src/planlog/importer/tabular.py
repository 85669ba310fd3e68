"""Plans kept as a table (an .xlsx sheet, a table in a .docx): rows -> drafts.

A header row is looked for in the first rows: its cells are matched to the
columns the importer knows (序号, 工作任务, 目标, 措施, 时限, 责任人, 配合部门, 板块);
rows above it (the sheet's title) are not tasks. Section cells are usually merged
over their rows, and only the first row carries the value, so a section (and a
number) is carried down until the next one.

The usual 任务分解表 has no section column: a row that spans every column
(一、组织建设), or holds only a numbered heading, starts a section; a row of notes
(注：…, 备注：…, 说明：…) is neither a task nor a section. A cell may hold several
lines: the first line of the task cell is the title, all of it is the text. The
responsible unit is the lead column (牵头部门 before 责任领导); a helping unit
(配合部门) is kept apart as `helpers`, never as the one responsible.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from planlog.importer.build import DEFAULT_SECTION, Draft
from planlog.importer.limits import ItemBudget
from planlog.importer.model import bilingual, document_error
from planlog.importer.normalize import fold, strip_punct

HEADER_SEARCH_ROWS = 10

# Exact names first, then words a header merely contains; the order settles
# headers such as 目标任务 (a task) or 完成时限 (a deadline).
_EXACT = {
    "number": ("序号", "编号", "序"),
    "task": ("工作任务", "工作内容", "任务", "项目", "工作项目", "重点任务", "任务内容", "内容"),
    "goal": ("目标", "工作目标", "具体目标", "目标要求"),
    "measures": ("措施", "工作措施", "具体措施", "主要措施", "工作举措"),
    "deadline": ("时限", "完成时限", "完成时间", "时间", "时间节点", "期限", "时间安排"),
    "responsible": (
        "责任人",
        "责任部门",
        "责任单位",
        "牵头单位",
        "牵头部门",
        "负责人",
        "负责部门",
        "责任领导",
    ),
    "section": ("板块", "类别", "分类", "类型", "工作板块", "大项", "领域", "部分", "栏目"),
    "helpers": (
        "配合部门",
        "配合单位",
        "协办单位",
        "协办部门",
        "协助部门",
        "协助单位",
        "参与部门",
        "参与单位",
        "配合",
    ),
}
_CONTAINS = (
    ("number", ("序号", "编号")),
    # Before 时间/责任: 配合责任单位 helps, 进度安排 is when.
    ("helpers", ("配合", "协办", "协助", "参与")),
    ("deadline", ("时限", "时间", "期限", "进度安排", "进度要求", "计划进度", "时序", "日期")),
    ("responsible", ("责任", "牵头", "负责", "主办", "承办")),
    ("section", ("板块", "类别", "分类")),
    ("measures", ("措施", "举措")),
    ("task", ("任务", "内容", "项目", "事项")),
    ("goal", ("目标", "标准", "成效", "预期")),
)
# Of several responsible columns the lead unit wins: 牵头部门 over 责任单位 over
# 牵头领导 over 责任人 (a person, when a unit is named too, is the unit's contact).
_UNIT_WORDS = ("单位", "部门", "科室", "处室", "主体")
_LEAD_WORDS = ("牵头", "主办", "主责")
_PERSON_WORDS = ("领导", "人")


def column_of(header: str) -> str | None:
    """The known column a header cell names, if any."""
    name = re.sub(r"\s+", "", strip_punct(fold(header)))
    if not name:
        return None
    for column, names in _EXACT.items():
        if name in names:
            return column
    for column, words in _CONTAINS:
        if any(word in name for word in words):
            return column
    return None


@dataclass(frozen=True)
class Header:
    row: int  # index into the rows given
    columns: dict[str, int]  # known column -> cell index
    names: tuple[str, ...]  # the header cells as written


def find_header(rows: Sequence[Sequence[str]]) -> Header | None:
    """The first row (of the first few) that names a task column and one other."""
    best: Header | None = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        lead_rank = _WORST_RANK
        tasks: list[int] = []
        for cell_index, cell in enumerate(row):
            column = column_of(cell)
            if column == "responsible":
                rank = _lead_rank(cell)
                if rank < lead_rank:
                    columns[column], lead_rank = cell_index, rank
            elif column == "task":
                # A merged cell repeats its text in each column it covers: once is enough.
                if not tasks or row[tasks[-1]].strip() != cell.strip():
                    tasks.append(cell_index)
            elif column is not None and column not in columns:
                columns[column] = cell_index
        _assign_tasks(columns, tasks, row)
        names = tuple(c.strip() for c in row if c.strip())
        header = Header(index, columns, names)
        if "task" in columns and len(columns) >= 2:
            return _with_sub_header(header, rows)
        if len(columns) >= 2 and (best is None or len(columns) > len(best.columns)):
            best = header
    return best


_WORST_RANK = 6
# 项目 beside 工作内容 is the category the tasks fall under, not the task.
_CATEGORY_NAMES = ("项目", "工作项目", "大项", "重点项目", "类别", "事项类别")


def _assign_tasks(columns: dict[str, int], tasks: list[int], row: Sequence[str]) -> None:
    """Of several task-like columns (项目 | 工作内容, 重点任务 | 具体内容) the first
    that is not a category is the task; a category column is the section, and a
    further task-like column holds the measures."""
    if not tasks:
        return

    def is_category(index: int) -> bool:
        return re.sub(r"\s+", "", strip_punct(fold(row[index]))) in _CATEGORY_NAMES

    if len(tasks) > 1:
        categories = [i for i in tasks if is_category(i)]
        rest = [i for i in tasks if not is_category(i)]
        if categories and rest and "section" not in columns:
            columns["section"] = categories[0]
        tasks = rest or tasks
    columns["task"] = tasks[0]
    if len(tasks) > 1 and "measures" not in columns:
        columns["measures"] = tasks[1]


def _with_sub_header(header: Header, rows: Sequence[Sequence[str]]) -> Header:
    """A header in two rows: 责任单位 merged over 牵头 | 配合, 时间 over 开始 | 完成.

    The row under the header is part of it when each of its cells names a column
    and none names the task; its names then say which cell is which.
    """
    if header.row + 1 >= len(rows):
        return header
    below = rows[header.row + 1]
    named = {i: column_of(c) for i, c in enumerate(below) if c.strip()}
    if not named or None in named.values() or "task" in named.values():
        return header
    columns = dict(header.columns)
    for index, column in named.items():
        if column is not None and (column != "deadline" or "开始" not in fold(below[index])):
            columns[column] = index
    names = (*header.names, *(c.strip() for c in below if c.strip()))
    return Header(header.row + 1, columns, names)


def _lead_rank(header: str) -> int:
    """Lower is more the lead unit."""
    name = fold(header)
    unit = any(w in name for w in _UNIT_WORDS)
    lead = any(w in name for w in _LEAD_WORDS)
    person = any(name.endswith(w) for w in _PERSON_WORDS)
    return (0 if unit else 2 if not person else 4) + (0 if lead else 1)


_SECTION_NUMERAL = re.compile(
    r"^(?:第[一二三四五六七八九十\d]+部分|[一二三四五六七八九十]+\s*[、.]|\(\s*[一二三四五六七八九十]+\s*\))\s*"
)


def section_name(text: str) -> str:
    """一、组织建设 -> 组织建设."""
    match = _SECTION_NUMERAL.match(fold(text))
    return strip_punct(text[match.end() :] if match else text)


_NOTE = re.compile(r"^\s*(?:注|备注|说明|附注|填表说明)\s*\d?\s*[:.、]")
_HEADING = re.compile(
    r"^(?:第[一二三四五六七八九十\d]+(?:部分|章|篇)|[一二三四五六七八九十]+\s*[、.]"
    r"|\(\s*[一二三四五六七八九十]+\s*\))"
)
_CN_NUMBER = re.compile(r"^[一二三四五六七八九十]+$")


def is_note(text: str) -> bool:
    """注：各牵头部门于每月25日前报送… is guidance for the table, not a task."""
    return _NOTE.match(fold(text)) is not None


def row_heading(row: Sequence[str], cols: dict[str, int]) -> str | None:
    """The section a row opens, if it is a heading row rather than a task.

    A row spanning every column shows one text in each of its cells (merged cells
    are filled); a heading written in one cell is a numbered 一、 / （一） line alone
    on its row; a 序号 of 一 beside a bare task cell is a heading in two cells.
    """
    filled = [c.strip() for c in row if c.strip()]
    if not filled:
        return None
    distinct = list(dict.fromkeys(filled))
    number_index = cols.get("number")
    task_index = cols.get("task")
    if len(distinct) == 1:
        # A task with nothing beside it is still a task, unless numbered as a heading;
        # one text in any other single cell (or across cells) is a heading.
        in_task_only = (
            len(filled) == 1
            and task_index is not None
            and task_index < len(row)
            and row[task_index].strip() == distinct[0]
        )
        if not in_task_only or _HEADING.match(fold(distinct[0])):
            return distinct[0]
        return None
    if (
        len(distinct) == 2
        and number_index is not None
        and task_index is not None
        and number_index < len(row)
        and task_index < len(row)
        and _CN_NUMBER.match(fold(row[number_index].strip()))
        and row[task_index].strip()
    ):
        return f"{row[number_index].strip()}、{row[task_index].strip()}"
    return None


_SPLIT_UNITS = re.compile(
    r"^\s*(?:牵头(?:部门|单位)?\s*:)?(?P<lead>.*?)[\s;,]*配合(?:部门|单位)?\s*:(?P<help>.*)$", re.S
)


def split_units(text: str) -> tuple[str, str]:
    """牵头：组织部 配合：财务部 in one cell -> (组织部, 财务部); else (text, "")."""
    match = _SPLIT_UNITS.match(fold(text))
    if match is None or not match.group("lead").strip():
        return text, ""
    lead = strip_punct(text[match.start("lead") : match.end("lead")])
    return lead, strip_punct(text[match.start("help") :])


_SHORT_HEADING = 15


def _bare_heading(rows: Sequence[Sequence[str]], index: int, cols: dict[str, int]) -> bool:
    """组织建设 alone in the task cell of an unnumbered row, above numbered tasks: a
    heading typed without its 一、. A short phrase only: a long unnumbered row is a
    task written over two rows, or a task without a number."""
    number_index, task_index = cols.get("number"), cols.get("task")
    if number_index is None or task_index is None:
        return False
    row = rows[index]
    filled = [c.strip() for c in row if c.strip()]
    text = row[task_index].strip() if task_index < len(row) else ""
    if len(filled) != 1 or filled[0] != text or len(text) > _SHORT_HEADING:
        return False
    if re.search(r"[。,;:!?\n]", fold(text)):
        return False
    for later in rows[index + 1 :]:
        if any(c.strip() for c in later):
            return number_index < len(later) and bool(later[number_index].strip())
    return False


def rows_to_drafts(
    rows: Sequence[Sequence[str]],
    *,
    source: str,
    line_of: Sequence[int] | None = None,
    default_section: str = DEFAULT_SECTION,
) -> tuple[list[Draft], list[str], int]:
    """Drafts from a table; returns (drafts, warnings, header row index).

    `line_of[i]` is the number reported as source_line for rows[i] (the sheet row).
    """
    header = find_header(rows)
    if header is None:
        raise document_error(
            source,
            "no_header",
            f"前 {HEADER_SEARCH_ROWS} 行中没有表头行：应有 序号、工作任务、时限、责任人 这样的列",
            f"no header row found in the first {HEADER_SEARCH_ROWS} rows "
            "(expected columns such as 序号, 工作任务, 时限, 责任人)",
        )
    if "task" not in header.columns:
        found = ", ".join(header.names)
        raise document_error(
            source,
            "no_task_column",
            f"表头行没有“工作任务”列，也没有 工作内容/任务/项目 列；找到的列：{found or '无'}",
            "the header row has no 工作任务 column (or 工作内容/任务/项目); "
            f"columns found: {found or 'none'}",
            columns=list(header.names),
        )
    cols = header.columns
    lines = list(line_of) if line_of is not None else [i + 1 for i in range(len(rows))]

    def cell(row: Sequence[str], column: str) -> str:
        index = cols.get(column)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    drafts: list[Draft] = []
    warnings: list[str] = []
    budget = ItemBudget(source)
    section = default_section
    last_number = ""
    for index in range(header.row + 1, len(rows)):
        row = rows[index]
        filled = [c.strip() for c in row if c.strip()]
        if not filled:
            continue
        if is_note(filled[0]):
            continue
        task = cell(row, "task")
        heading = row_heading(row, cols)
        if heading is None and "section" not in cols and _bare_heading(rows, index, cols):
            heading = task
        if heading is not None and "section" not in cols:
            section = section_name(heading)
            continue
        if cell(row, "section"):
            section = section_name(cell(row, "section"))
        if not task or heading is not None:
            continue
        budget.add()
        number = cell(row, "number")
        if number and number == last_number and "number" in cols:
            # A merged 序号 cell repeats on every row it covers.
            warnings.append(
                f"{source}："
                + bilingual(
                    f"第 {lines[index]} 行重复了序号 {number}",
                    f"row {lines[index]} repeats number {number}",
                )
            )
        last_number = number
        measures = cell(row, "measures")
        goal = cell(row, "goal")
        lead, helping = split_units(cell(row, "responsible"))
        text = "\n".join(t for t in (task, measures) if t)
        drafts.append(
            Draft(
                section=section,
                number=number or str(len(drafts) + 1),
                text=text,
                source_line=lines[index],
                source_lines=[" | ".join(filled)],
                order=(lines[index], len(drafts)),
                title=task,
                measures=measures or task,
                goal=goal or None,
                item_goal=bool(goal),
                responsible=lead or None,
                helpers=cell(row, "helpers") or helping or None,
                deadline_text=strip_punct(cell(row, "deadline")) or None,
                deadline_origin="column",
            )
        )
    return drafts, warnings, header.row
