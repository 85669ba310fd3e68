"""People: who in a union is responsible for tasks, signs in, and is reminded.

A person belongs to one organisation, has a role there (editor, chair or auditor, the
same roles as API tokens) and optional contact details that reminders use: a mobile
number, an e-mail address and a WeCom/DingTalk user id. A person is never deleted (the
log names them as actors): a person who left is retired, which ends their sign-in.

Responsible units in plans are free text ("组织部、宣传部", "张三"): `responsible_names`
splits such a text into names, and a person answers for a name that is their own name
or their department (`answers_for`), so a reminder to "组织部" reaches its people.

Pure: no I/O. Passwords and sign-in links are credentials, not history: they live in
tables beside the API tokens (`planlog.auth`), never in an event.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from planlog.domain.errors import RuleViolation
from planlog.domain.model import PlanlogCreated, PlanlogEvent, reason_text
from planlog.domain.values import NAME_MAX, InvalidValue, required_text, text

ROLES = ("editor", "chair", "auditor")
MOBILE_MAX = 20
EMAIL_MAX = 254  # RFC 5321's longest forward path
IM_ID_MAX = 64
#: The fields `Person.change` may set; the organisation is the person's scope and
#: never moves (a person who changes union is retired and registered again there).
CHANGEABLE = ("name", "department", "role", "mobile", "email", "im_id")

# A mainland China mobile number (what DingTalk @mentions and SMS gateways take): 11
# digits starting 13–19, as people type it — with spaces or hyphens, or a +86 / 0086
# prefix. It is kept as the 11 digits alone, so a mention always names the same number.
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[3-9][0-9]{9})")
_MOBILE_SEPARATORS = re.compile(r"[ \-]")
# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is the
# mail server's to judge; this refuses what is certainly not an address.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# WeCom and DingTalk user ids are ASCII account names.
_IM_ID = re.compile(r"[A-Za-z0-9_.@\-]+")
#: What separates names in a responsible text: 、，,；;/ and whitespace. Not 和/及:
#: they occur inside unit names (社会和谐促进部).
_NAME_SEPARATORS = re.compile(r"[、，,；;/／\s]+")


def check_role(value: object) -> str:
    if value not in ROLES:
        allowed = "、".join(ROLES)
        raise InvalidValue(
            "role", "unknown", f"须为 {allowed} 之一", f"must be one of {', '.join(ROLES)}"
        )
    assert isinstance(value, str)
    return value


def check_mobile(value: object) -> str | None:
    cleaned = text(value, "mobile", max_len=MOBILE_MAX, multiline=False)
    if cleaned is None:
        return None
    found = _MOBILE.fullmatch(_MOBILE_SEPARATORS.sub("", cleaned))
    if found is None:
        raise InvalidValue(
            "mobile",
            "not_mobile",
            f"“{cleaned}”不是手机号码（11 位，以 13–19 开头，可加 +86）",
            f"{cleaned!r} is not a mobile number (11 digits starting 13–19, +86 allowed)",
        )
    return found.group(1)


def check_email(value: object) -> str | None:
    cleaned = text(value, "email", max_len=EMAIL_MAX, multiline=False)
    if cleaned is not None and not _EMAIL.fullmatch(cleaned):
        raise InvalidValue(
            "email",
            "not_email",
            f"“{cleaned}”不是电子邮件地址",
            f"{cleaned!r} is not an e-mail address",
        )
    return cleaned


def check_im_id(value: object) -> str | None:
    cleaned = text(value, "im_id", max_len=IM_ID_MAX, multiline=False)
    if cleaned is not None and not _IM_ID.fullmatch(cleaned):
        raise InvalidValue(
            "im_id",
            "not_im_id",
            "只能包含字母、数字和 _ . @ -",
            "may hold only letters, digits and _ . @ -",
        )
    return cleaned


def _name(value: object) -> str:
    return required_text(value, "name", max_len=NAME_MAX, multiline=False)


def _department(value: object) -> str | None:
    return text(value, "department", max_len=NAME_MAX, multiline=False)


_CHECKS = {
    "name": _name,
    "department": _department,
    "role": check_role,
    "mobile": check_mobile,
    "email": check_email,
    "im_id": check_im_id,
}


def checked_changes(changes: Mapping[str, object]) -> dict[str, Any]:
    """The fields of a change, each checked; an unknown field is refused by name."""
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise InvalidValue(
            unknown[0],
            "not_changeable",
            "不能修改（只能修改姓名、部门、角色、手机、邮箱、企业微信/钉钉账号）",
            f"cannot be changed (only {', '.join(CHANGEABLE)})",
        )
    return {name: _CHECKS[name](value) for name, value in changes.items()}


def display_name(name: str, department: str | None) -> str:
    """How the log names a person as an actor: "张三（组织部）", or "张三"."""
    return f"{name}（{department}）" if department else name


def responsible_names(responsible: str | None) -> list[str]:
    """The names a responsible text holds, in order, without repeats:
    "组织部、宣传部" → ["组织部", "宣传部"]; "张三, 李四" → ["张三", "李四"]."""
    names: list[str] = []
    for part in _NAME_SEPARATORS.split(responsible or ""):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


def answers_for(name: str, department: str | None, names: Iterable[str]) -> bool:
    """Whether a person with this name and department answers for any of `names`."""
    wanted = set(names)
    return name in wanted or (department is not None and department in wanted)


class Person(Aggregate):
    """Someone of a union who is given tasks, reminded, and signs in."""

    class Registered(PlanlogCreated):
        org: str
        name: str
        department: str | None
        role: str
        mobile: str | None
        email: str | None
        im_id: str | None

    def __init__(
        self,
        *,
        org: str,
        name: str,
        department: str | None,
        role: str,
        mobile: str | None,
        email: str | None,
        im_id: str | None,
        actor: str,
        reason: str | None,
    ) -> None:
        self.org = org
        self.name = name
        self.department = department
        self.role = role
        self.mobile = mobile
        self.email = email
        self.im_id = im_id
        self.retired = False

    @classmethod
    def register(
        cls,
        *,
        org: str,
        name: str,
        actor: str,
        department: str | None = None,
        role: str = "editor",
        mobile: str | None = None,
        email: str | None = None,
        im_id: str | None = None,
    ) -> Person:
        return cls._create(
            cls.Registered,
            id=uuid4(),
            org=required_text(org, "org", max_len=NAME_MAX, multiline=False),
            name=_name(name),
            department=_department(department),
            role=check_role(role),
            mobile=check_mobile(mobile),
            email=check_email(email),
            im_id=check_im_id(im_id),
            actor=actor,
            reason=None,
        )

    @property
    def display_name(self) -> str:
        return display_name(self.name, self.department)

    def _refuse_if_retired(self, what: str, what_en: str) -> None:
        if self.retired:
            raise RuleViolation(
                self.id,
                "person_active",
                f"{self.name} 已停用，不能{what}（{self.name} is retired: cannot {what_en}）",
            )

    class Changed(PlanlogEvent):
        #: only the fields that changed, each as it is now
        changes: dict[str, Any]

        def apply(self, person: Person) -> None:
            for name, value in self.changes.items():
                setattr(person, name, value)

    def change(
        self, changes: Mapping[str, object], *, actor: str, reason: str | None = None
    ) -> None:
        self._refuse_if_retired("修改", "change them")
        checked = checked_changes(changes)
        real = {k: v for k, v in checked.items() if getattr(self, k) != v}
        if not real:
            raise RuleViolation(self.id, "change_changes", "没有任何改动（nothing would change）")
        self.trigger_event(self.Changed, changes=real, actor=actor, reason=reason_text(reason))

    class Retired(PlanlogEvent):
        def apply(self, person: Person) -> None:
            person.retired = True

    def retire(self, *, actor: str, reason: str | None = None) -> None:
        self._refuse_if_retired("再次停用", "retire them again")
        self.trigger_event(self.Retired, actor=actor, reason=reason_text(reason))
