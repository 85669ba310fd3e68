"""Checks on every value that enters the event log, whichever door it came through.

An event is immutable: a value the read side cannot handle (NaN, a NUL byte that
PostgreSQL refuses, a megabyte title) would poison every projection that reads it
for ever. So commands check their fields here with a message that names the field
and the problem, and every planlog event checks its whole payload once more when it
is created (`check_payload`), so nothing slips past a command that forgot a field.

Pure: no I/O. Events rebuilt from the log are not re-checked (they do not pass
through `__init__`); a projection that cannot apply an old event quarantines it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from planlog.domain.errors import PlanlogError

#: Longest text of each kind, in characters. Real plan items are a sentence or a
#: paragraph; measures and notes may be a page.
NAME_MAX = 200  # organisation, section, person, unit, label
TITLE_MAX = 2_000
REASON_MAX = 2_000
LONG_TEXT_MAX = 20_000  # goal, measures, progress note
#: What a person types at a door (API body, web form) may be shorter than what the log
#: keeps, because imported documents carry longer text (a measure may be a page). One set
#: for every door, so the API and the web refuse the same input.
TYPED_NOTE_MAX = 2_000  # progress note
TYPED_REASON_MAX = 500
TYPED_EVIDENCE_MAX = 1_000  # a link or a file reference
TYPED_LONG_TEXT_MAX = 5_000  # goal, measures
TYPED_ITEM_TITLE_MAX = 300
TYPED_PLAN_TITLE_MAX = 200
TYPED_DEADLINE_MAX = 200  # a 时限 text as written
TYPED_NUMBER_MAX = 20  # an item's number in its plan (4, 二、3)
TYPED_CHAIR_MAX = 100  # a person's name
ANY_TEXT_MAX = 100_000  # any string anywhere in a payload (source text included)
#: Largest magnitude of a number: JSON readers keep integers exact up to 2**53.
NUMBER_MAX = 2**53
CONTAINER_MAX = 10_000  # elements of one list or dict in a payload
DEPTH_MAX = 8

_LABELS: dict[str, tuple[str, str]] = {
    "title": ("标题", "title"),
    "org": ("组织", "organisation"),
    "parent": ("上级组织", "parent organisation"),
    "chair": ("主席", "chair"),
    "section": ("部分", "section"),
    "number": ("序号", "number"),
    "goal": ("目标", "goal"),
    "measures": ("措施", "measures"),
    "responsible": ("责任人", "responsible"),
    "note": ("备注", "note"),
    "evidence": ("佐证", "evidence"),
    "reason": ("原因", "reason"),
    "actor": ("操作人", "actor"),
    "deadline_text": ("时限", "deadline text"),
    "rrule": ("重复规则", "recurrence rule"),
    "target": ("指标", "target"),
    "target_value": ("指标数值", "target value"),
    "value": ("数值", "value"),
    "unit": ("单位", "unit"),
    "percent": ("进度", "percent"),
    "name": ("名称", "name"),
    # reminder policy (planlog.scheduler.policy): the English label is the field's key
    "reminder_policy": ("提醒规则", "reminder policy"),
    "lead_days": ("提前提醒天数", "lead_days"),
    "on_due_day": ("到期当天提醒", "on_due_day"),
    "opens_notice": ("开始时提醒", "opens_notice"),
    "overdue_every_days": ("逾期催办间隔天数", "overdue_every_days"),
    "escalate_after_days": ("逾期报主席天数", "escalate_after_days"),
    "max_chases": ("最多催办次数", "max_chases"),
    "send_at": ("提醒时刻", "send_at"),
    "timezone": ("时区", "timezone"),
    "year": ("年度", "year"),
    "target_index": ("指标序号", "target number"),
    "current": ("指标当前值", "current value"),
    "comparator": ("比较方式", "comparator"),
    "fingerprint": ("文件指纹", "document fingerprint"),
    "policy": ("提醒规则", "reminder policy"),
    "kind": ("类别", "kind"),
    "key": ("键", "key"),
    "recipients": ("接收人", "recipients"),
    "soft": ("弹性时限", "soft deadline"),
    # people (planlog.domain.person)
    "department": ("部门", "department"),
    "role": ("角色", "role"),
    "mobile": ("手机号码", "mobile number"),
    "email": ("电子邮件", "e-mail"),
    "im_id": ("企业微信/钉钉账号", "WeCom/DingTalk user id"),
    "password": ("密码", "password"),
}


class InvalidValue(PlanlogError):
    """A value no event may hold. The message names the field and the problem, in
    Chinese and English, so that every door can show it as it is."""

    code = "invalid_value"

    def __init__(self, field: str, problem: str, zh: str, en: str) -> None:
        label_zh, label_en = _LABELS.get(field, (field, field))
        super().__init__(f"{label_zh}{zh}（{label_en}: {en}）", field=field, problem=problem)
        self.field = field
        self.problem = problem


#: What no stored text may hold: C0 controls other than tab and newline, DEL and C1
#: controls, lone surrogates (not storable as UTF-8), and the Unicode noncharacters
#: (U+FDD0–U+FDEF and U+xFFFE/U+xFFFF of every plane). XML 1.0, and so a .docx/.xlsx
#: export, carries the noncharacters apart from U+FFFE and U+FFFF; they are refused anyway
#: because Unicode sets them aside for a program's internal use, never for interchange:
#: no one types one, so a title holding one is a corrupted title.
BAD_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(
        f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17)
    )
    + "]"
)


def bad_character(text: str) -> str | None:
    """The first character of `text` no stored text may hold, or None: for code that
    must store or show text it cannot refuse (an error message, a recorded event)."""
    found = BAD_CHARACTERS.search(text)
    return found.group() if found else None


def check_text_chars(text: str, field: str) -> None:
    bad = bad_character(text)
    if bad is not None and "\udc80" <= bad <= "\udcff":
        # How Python hands over a byte that is not UTF-8 (a GBK terminal, an old file).
        raise InvalidValue(
            field,
            "not_utf8",
            f"含有无法识别的字节 0x{ord(bad) - 0xDC00:02X}，请以 UTF-8 输入",
            f"holds a byte that is not UTF-8 (0x{ord(bad) - 0xDC00:02X}); enter it as UTF-8",
        )
    if bad is not None:
        code = f"U+{ord(bad):04X}"
        raise InvalidValue(
            field,
            "control_character",
            f"含有不允许的控制字符 {code}",
            f"contains a control character {code}",
        )


def text(
    value: object,
    field: str,
    *,
    max_len: int,
    required: bool = False,
    multiline: bool = True,
) -> str | None:
    """A text field as it will be stored: trimmed, CRLF made LF, checked.

    Empty text is None unless `required`, which refuses it instead.
    """
    if value is None:
        cleaned = ""
    elif isinstance(value, str):
        cleaned = normalised(value)
    else:
        raise InvalidValue(
            field, "not_text", f"应为文字，而不是 {type(value).__name__}", "must be text"
        )
    if not cleaned:
        if required:
            raise InvalidValue(field, "required", "不能为空", "is required")
        return None
    check_text_chars(cleaned, field)
    if not multiline and "\n" in cleaned:
        raise InvalidValue(field, "single_line", "只能有一行", "must be a single line")
    if len(cleaned) > max_len:
        raise InvalidValue(
            field,
            "too_long",
            f"过长：{len(cleaned)} 个字符，最多 {max_len} 个",
            f"is too long: {len(cleaned)} characters, at most {max_len}",
        )
    return cleaned


def required_text(value: object, field: str, *, max_len: int, multiline: bool = True) -> str:
    cleaned = text(value, field, max_len=max_len, required=True, multiline=multiline)
    assert cleaned is not None
    return cleaned


def number(
    value: object,
    field: str,
    *,
    low: float = -NUMBER_MAX,
    high: float = NUMBER_MAX,
) -> float:
    """A finite number within [low, high]. Booleans are not numbers here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(field, "not_number", "应为数字", "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(
            field, "not_finite", f"必须是有限的数字，而不是 {value}", f"must be finite, not {value}"
        )
    if not low <= value <= high:
        shown = _shown(value)
        raise InvalidValue(
            field,
            "out_of_range",
            f"须在 {_shown(low)} 到 {_shown(high)} 之间，而不是 {shown}",
            f"must be within {_shown(low)}–{_shown(high)}, not {shown}",
        )
    return value


def _shown(value: int | float) -> str:
    """A number for a message. `:g` of an int beyond a float's range overflows, and
    `str` of one beyond 4300 digits is refused, so a huge int is shown by its size."""
    if isinstance(value, int) and value.bit_length() > 1000:
        return f"≈{'-' if value < 0 else ''}10^{int(value.bit_length() * math.log10(2))}"
    if (isinstance(value, int) or value.is_integer()) and abs(value) < 1e16:
        return str(int(value))  # 1000000000, not 1e+09: what the person typed
    return f"{value:g}"


def whole(value: object, field: str) -> int:
    """A whole number, strictly: True is not 1 and 40.0 is not 40. The range is the
    caller's business rule (a percent of 120 is refused as `percent_range`)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(field, "not_integer", "应为整数", "must be a whole number")
    return value


def integer(value: object, field: str, *, low: int, high: int) -> int:
    """A whole number within [low, high]. Booleans and floats are refused."""
    checked = whole(value, field)
    number(checked, field, low=low, high=high)
    return checked


def normalised(value: str) -> str:
    """Text as `text` stores it (trimmed, CRLF made LF), unchecked: for lookups."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidValue(field, "not_flag", "应为是或否", "must be true or false")
    return value


def check_payload(payload: Mapping[str, Any], *, event: str) -> None:
    """Refuse a payload that is not plain, finite, bounded JSON with clean text.

    The last line of defence: commands check their own fields with better names.
    """
    for key, value in payload.items():
        _check_value(value, key, 0, event)


def _check_value(value: Any, field: str, depth: int, event: str) -> None:
    if depth > DEPTH_MAX:
        raise InvalidValue(field, "too_deep", "嵌套过深", f"is nested too deeply in {event}")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        check_text_chars(value, field)
        if len(value) > ANY_TEXT_MAX:
            raise InvalidValue(
                field,
                "too_long",
                f"过长：{len(value)} 个字符，最多 {ANY_TEXT_MAX} 个",
                f"is too long: {len(value)} characters, at most {ANY_TEXT_MAX}",
            )
    elif isinstance(value, int | float):
        number(value, field)
    elif isinstance(value, Mapping):
        _check_size(value, field)
        for key, inner in value.items():
            if not isinstance(key, str):
                raise InvalidValue(field, "key_not_text", "的键应为文字", "keys must be text")
            check_text_chars(key, field)
            _check_value(inner, f"{field}.{key}" if depth < 2 else field, depth + 1, event)
    elif isinstance(value, list | tuple):
        _check_size(value, field)
        for inner in value:
            _check_value(inner, field, depth + 1, event)
    # Other types (UUID, date, datetime) are written by the domain itself.


def _check_size(value: Mapping[str, Any] | list[Any] | tuple[Any, ...], field: str) -> None:
    if len(value) > CONTAINER_MAX:
        raise InvalidValue(
            field,
            "too_many",
            f"条目过多：{len(value)}，最多 {CONTAINER_MAX}",
            f"has too many entries: {len(value)}, at most {CONTAINER_MAX}",
        )
