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
