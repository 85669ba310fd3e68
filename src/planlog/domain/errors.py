"""Domain errors. Each refusal names what it refused and the rule it broke."""

from __future__ import annotations

from typing import Any


class PlanlogError(Exception):
    """Base of every error planlog reports to a user."""

    code = "error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class ScheduleError(PlanlogError):
    """A schedule that cannot exist (a window that closes before it opens, a bad RRULE)."""

    code = "invalid_schedule"


class RuleViolation(PlanlogError):
    """A command refused by a business rule of an aggregate."""

    code = "rule_violation"

    def __init__(self, aggregate_id: Any, rule: str, message: str) -> None:
        super().__init__(f"{message} [{aggregate_id}, rule: {rule}]")
        self.details = {"id": str(aggregate_id), "rule": rule}
        #: the rule's words alone, for a reader (the message adds the id and the rule)
        self.reason = message


class NotFound(PlanlogError):
    code = "not_found"


#: a record's kind in Chinese, by the first English word of what a caller names it
_RECORD_WORDS = {
    "plan": "计划",
    "item": "事项",
    "task": "任务",
    "person": "人员",
    "organisation": "组织",
}


def _word(what: str) -> str:
    return _RECORD_WORDS.get(what.split(" ", 1)[0], "记录")


def missing(what: str, record_id: object) -> NotFound:
    """No `what` ("plan", "item" …) has this id: Chinese first, English after."""
    return NotFound(
        f"没有编号为 {record_id} 的{_word(what)}（no {what} with id {record_id}）",
        id=str(record_id),
    )


def missing_organisation(name: str) -> NotFound:
    """No organisation has this name: said by its name, which is how people know it (its
    id is derived from the name, and means nothing to them)."""
    return NotFound(f"没有名为“{name}”的组织（no organisation named {name!r}）", org=name)


def not_a(what: str, record_id: object) -> NotFound:
    """The id is another kind of record's than `what`."""
    return NotFound(
        f"{record_id} 不是{_word(what)}编号（{record_id} is not a {what}）", id=str(record_id)
    )


class ConcurrencyConflict(PlanlogError):
    """Someone else saved the aggregate first: the caller must reload and decide again."""

    code = "conflict"

    def __init__(self, aggregate_id: Any, current_version: int, expected_version: int) -> None:
        super().__init__(
            f"{aggregate_id} was changed by someone else (now at version {current_version}, "
            f"you had version {expected_version}); reload and try again",
            id=str(aggregate_id),
            current_version=current_version,
            expected_version=expected_version,
        )
        self.aggregate_id = aggregate_id
        self.current_version = current_version
        self.expected_version = expected_version
