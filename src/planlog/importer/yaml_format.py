"""The YAML plan format, for people who write a plan by hand.

Example::

    title: 2026年工会工作计划            # optional
    sections:                           # required, at least one
      - title: 健全女工组织               # required
        goal: 完善女职工工作体系          # optional, inherited by the items
        responsible: 工会女工             # optional, default for the items
        deadline: 年底前                  # optional, default for the items
        items:                          # required, at least one
          - title: 组织健全               # required
            number: "1"                 # optional, defaults to the position (1, 2, …)
            measures: 全院建立4个基层工会女工委员会
            goal: …                     # optional, overrides the section goal
            deadline: 3月25日前          # optional; any text planlog.deadlines reads
            responsible: 工会女工         # optional
            targets: ["4个", "80%以上"]  # optional; or {value: 80, unit: "%", comparator: ">="}

Every field is text (quote numbers and dates: `deadline: "2026-03-25"`). Unknown
fields are refused, so a misspelt `deadlin:` does not silently drop a deadline.
Every problem is reported with the path of the field, for example
`sections[0].items[2].deadline: 时限 '尽快' could not be read: …`. Without
`targets`, targets are found in the title and measures as in any other format;
without `deadline`, a deadline phrase in the measures is used when one is found.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from planlog.deadlines import DeadlineError
from planlog.domain.values import InvalidValue, check_text_chars, number
from planlog.importer.build import Draft, finish_plan, read_deadline
from planlog.importer.limits import MAX_YAML_DEPTH, MAX_YAML_NODES, check_chars, refuse
from planlog.importer.model import DocumentError, ImportedPlan, Target, bilingual, document_error
from planlog.importer.targets import find_targets

_LINE = "__line__"
_PLAN_FIELDS = {"title", "year", "sections"}
_SECTION_FIELDS = {"title", "goal", "responsible", "deadline", "items"}
_ITEM_FIELDS = {"title", "number", "measures", "goal", "deadline", "responsible", "targets"}
_COMPARATORS = (">=", "<=", "=")


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, for source_line, and
    bounds what a document can make it build.

    An alias (`*name`) stands for the whole subtree of its anchor (`&name`), so a
    few lines that alias aliases stand for millions of items (an "alias bomb").
    Aliases are allowed, since `responsible: *chair` is a fair use, but each one
    counts as every node it repeats, and a document that expands to more than
    MAX_YAML_NODES nodes, or nests deeper than MAX_YAML_DEPTH, is refused while it
    is being composed, before anything is built from it.
    """

    def __init__(self, stream: str, source: str) -> None:
        super().__init__(stream)
        self.source = source
        self.depth = 0
        self.nodes = 0  # nodes composed, each alias counted as the nodes it repeats
        self.anchored: dict[str, int] = {}  # anchor -> nodes under it, aliases included

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            self._count(self.anchored.get(event.anchor or "", 1), event)
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_YAML_DEPTH:
            raise refuse(
                self.source,
                "yaml_too_deep",
                f"第 {_line(event)} 行：YAML 嵌套超过 {MAX_YAML_DEPTH} 层，一份计划只有 7 层",
                f"line {_line(event)}: the YAML is nested more than {MAX_YAML_DEPTH} levels "
                "deep; a plan has 7",
                limit=MAX_YAML_DEPTH,
            )
        before = self.nodes
        self._count(1, event)
        node = super().compose_node(parent, index)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.anchored[anchor] = self.nodes - before
        self.depth -= 1
        return node

    def _count(self, nodes: int, event: yaml.Event) -> None:
        self.nodes += nodes
        if self.nodes > MAX_YAML_NODES:
            alias = event.anchor if isinstance(event, yaml.AliasEvent) else None
            raise refuse(
                self.source,
                "yaml_too_large",
                f"第 {_line(event)} 行：YAML 展开后超过 {MAX_YAML_NODES:,} 个节点"
                + (f"（别名 *{alias} 重复了整棵子树）" if alias else ""),
                f"line {_line(event)}: the YAML expands to more than {MAX_YAML_NODES:,} "
                "nodes" + (f" (alias *{alias} repeats a whole subtree)" if alias else ""),
                too_large=True,
                limit=MAX_YAML_NODES,
            )


def _line(event: yaml.Event) -> int:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else 0


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping[_LINE] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


class _Checker:
    def __init__(self, year: int) -> None:
        self.year = year
        self.errors: list[str] = []

    def fail(self, path: str, zh: str, en: str | None = None) -> None:
        """One problem, at its path: Chinese first with English, or a message that
        already is (the domain's `InvalidValue`)."""
        self.errors.append(f"{path}：{zh if en is None else bilingual(zh, en)}")

    def clean(self, path: str, check: Callable[[Any, str], object], value: Any, field: str) -> bool:
        """Run one of the domain's value checks, so that a value the plan could never
        hold (`.nan`, a "\\0" in a quoted string) is reported with its path here."""
        try:
            check(value, field)
        except InvalidValue as refused:
            self.fail(path, refused.message)
            return False
        return True

    def mapping(self, value: Any, path: str, allowed: set[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.fail(
                path,
                f"应为映射（键: 值），实际是{_kind_zh(value)}",
                f"must be a mapping (key: value), got {_kind(value)}",
            )
            return None
        for key in value:
            if key != _LINE and key not in allowed:
                fields = ", ".join(sorted(allowed))
                self.fail(
                    f"{path}.{key}" if path else str(key),
                    f"未知字段，可用的字段：{fields}",
                    f"unknown field (allowed: {fields})",
                )
        return value

    def text(
        self, data: dict[str, Any], key: str, path: str, *, required: bool = False
    ) -> str | None:
        where = f"{path}.{key}" if path else key
        value = data.get(key)
        if value is None:
            if required:
                self.fail(where, "必填", "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(
                where,
                f"应为文字，实际是{_kind_zh(value)}，请加引号",
                f"must be text, got {_kind(value)} (quote it)",
            )
            return None
        text = str(value).strip()
        if required and not text:
            self.fail(where, "不能为空", "must not be empty")
            return None
        if not self.clean(where, check_text_chars, text, key):
            return None
        return text or None

    def deadline(self, data: dict[str, Any], path: str) -> str | None:
        text = self.text(data, "deadline", path)
        if text is None:
            return None
        try:
            read_deadline(text, self.year)
        except DeadlineError as exc:
            self.fail(
                f"{path}.deadline",
                f"无法识别时限“{text}”",
                f"时限 '{text}' could not be read: {exc}",
            )
            return None
        return text

    def items_list(self, data: dict[str, Any], key: str, path: str) -> list[Any]:
        value = data.get(key)
        where = f"{path}.{key}" if path else key
        if not isinstance(value, list) or not value:
            missing = value is None
            self.fail(
                where,
                "应为非空列表" + ("，缺少此项" if missing else ""),
                "must be a non-empty list" + (" (missing)" if missing else ""),
            )
            return []
        return value

    def targets(self, data: dict[str, Any], path: str) -> tuple[Target, ...] | None:
        if "targets" not in data or data["targets"] is None:
            return None
        value = data["targets"]
        if not isinstance(value, list):
            self.fail(
                f"{path}.targets",
                f"应为列表，实际是{_kind_zh(value)}",
                f"must be a list, got {_kind(value)}",
            )
            return None
        found: list[Target] = []
        for index, entry in enumerate(value):
            where = f"{path}.targets[{index}]"
            if isinstance(entry, dict):
                target = self._target_mapping(entry, where)
            elif isinstance(entry, str):
                matches = find_targets(entry)
                target = matches[0] if len(matches) == 1 else None
                if target is None:
                    self.fail(
                        where,
                        f"“{entry}”应恰好写明一个带单位的数字，如 800家、80%以上、不少于2篇",
                        f"'{entry}' must name exactly one number with a unit "
                        "(800家, 80%以上, 不少于2篇)",
                    )
            else:
                self.fail(
                    where,
                    f"应为“80%以上”这样的文字或一个映射，实际是{_kind_zh(entry)}",
                    f"must be text such as '80%以上' or a mapping, got {_kind(entry)}",
                )
                target = None
            if target is not None:
                found.append(target)
        return tuple(found)

    def _target_mapping(self, entry: dict[str, Any], where: str) -> Target | None:
        value, unit = entry.get("value"), entry.get("unit")
        comparator = entry.get("comparator", "=")
        ok = True
        for key in entry:
            if key not in {_LINE, "value", "unit", "comparator", "text"}:
                self.fail(
                    f"{where}.{key}",
                    "未知字段，可用的字段：comparator, text, unit, value",
                    "unknown field (allowed: comparator, text, unit, value)",
                )
                ok = False
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(
                f"{where}.value",
                f"应为数字，实际是{_kind_zh(value)}",
                f"must be a number, got {_kind(value)}",
            )
            ok = False
        elif not self.clean(f"{where}.value", number, value, "target_value"):
            ok = False  # .nan, .inf, or beyond what JSON keeps exact
        if not isinstance(unit, str) or not unit.strip():
            self.fail(
                f"{where}.unit", "应为“%”或“家”这样的文字", "must be text such as '%' or '家'"
            )
            ok = False
        elif not self.clean(f"{where}.unit", check_text_chars, unit, "unit"):
            ok = False
        if comparator not in _COMPARATORS:
            choices = ", ".join(_COMPARATORS)
            self.fail(
                f"{where}.comparator", f"应为以下之一：{choices}", f"must be one of {choices}"
            )
            ok = False
        if not ok:
            return None
        assert isinstance(value, int | float) and isinstance(unit, str)
        text = entry.get("text")
        return Target(
            value=float(value),
            unit=unit.strip(),
            text=str(text) if text else f"{value:g}{unit.strip()}",
            comparator=str(comparator),
        )


#: What a YAML value is, for messages: (Chinese, English); a scalar shows itself.
_KINDS: list[tuple[type[Any], tuple[str, str]]] = [
    (type(None), ("空值", "nothing")),
    (dict, ("映射", "a mapping")),
    (list, ("列表", "a list")),
]


def _kind_pair(value: Any) -> tuple[str, str]:
    for kind, words in _KINDS:
        if isinstance(value, kind):
            return words
    return f" {type(value).__name__} {value!r}", f"{type(value).__name__} {value!r}"


def _kind_zh(value: Any) -> str:
    return _kind_pair(value)[0]


def _kind(value: Any) -> str:
    return _kind_pair(value)[1]


def parse_yaml(text: str, year: int, *, source: str = "yaml") -> ImportedPlan:
    """Parse a plan written in the YAML format above. Pure: no I/O."""
    if not text.strip():
        raise document_error(source, "empty", "文档是空的", "the document is empty")
    check_chars(source, len(text))
    loader = _LineLoader(text, source)
    try:
        data = loader.get_single_data()
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        # ValueError: a value no type can hold, such as an integer of 5,000 digits.
        raise document_error(source, "syntax", "不是有效的 YAML", f"not valid YAML: {exc}") from exc
    finally:
        loader.dispose()

    check = _Checker(year)
    plan = check.mapping(data, "", _PLAN_FIELDS)
    drafts: list[Draft] = []
    title: str | None = None
    if plan is not None:
        title = check.text(plan, "title", "")
        for s_index, raw_section in enumerate(check.items_list(plan, "sections", "")):
            s_path = f"sections[{s_index}]"
            section = check.mapping(raw_section, s_path, _SECTION_FIELDS)
            if section is None:
                continue
            s_title = check.text(section, "title", s_path, required=True) or ""
            s_goal = check.text(section, "goal", s_path)
            s_responsible = check.text(section, "responsible", s_path)
            s_deadline = check.deadline(section, s_path)
            for i_index, raw_item in enumerate(check.items_list(section, "items", s_path)):
                i_path = f"{s_path}.items[{i_index}]"
                item = check.mapping(raw_item, i_path, _ITEM_FIELDS)
                if item is None:
                    continue
                i_title = check.text(item, "title", i_path, required=True)
                measures = check.text(item, "measures", i_path)
                goal = check.text(item, "goal", i_path)
                deadline = check.deadline(item, i_path)
                targets = check.targets(item, i_path)
                line = int(item.get(_LINE, 0))
                drafts.append(
                    Draft(
                        section=s_title,
                        number=check.text(item, "number", i_path) or str(i_index + 1),
                        text="\n".join(t for t in (i_title, measures) if t),
                        source_line=line,
                        source_lines=[t for t in (i_title, measures) if t],
                        order=(line, len(drafts)),
                        title=i_title,
                        measures=measures or "",
                        goal=goal or s_goal,
                        item_goal=goal is not None,
                        responsible=check.text(item, "responsible", i_path) or s_responsible,
                        deadline_text=deadline if deadline is not None else s_deadline,
                        targets=targets,
                    )
                )
    if check.errors:
        raise DocumentError(
            f"{source}：计划 YAML 有误（invalid plan YAML）：\n  " + "\n  ".join(check.errors),
            source=source,
            problem="invalid_yaml",
            errors=check.errors,
        )
    return finish_plan(drafts, year, title=title, source=source)
